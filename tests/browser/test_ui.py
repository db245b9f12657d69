"""The web app in a real headless browser (Debian's chromium + chromedriver, selenium).

    browser -> massca ui (Dash, loopback) -> 2 x massca cells (subprocesses, status API)

Create a short run of two seeds from the form, follow them until they finish, open one,
compare the two. The app and the runs are real processes; nothing is mocked.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def ui(tmp_path):
    root, port = tmp_path / "runs", free_port()
    app = subprocess.Popen([sys.executable, "-m", "mosaik_components.massca", "ui", "--root",
                            str(root), "--port", str(port)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert app.poll() is None, app.stdout.read().decode()
        try:
            with urllib.request.urlopen(url, timeout=1) as reply:
                if reply.status == 200:
                    break
        except OSError:
            assert time.monotonic() < deadline, "massca ui did not answer within 60 s"
            time.sleep(0.2)
    yield url, root
    app.send_signal(signal.SIGTERM)  # interrupts runs still going, then exits
    try:
        app.wait(30)
    finally:
        if app.poll() is None:
            app.kill()


@pytest.fixture
def browser(tmp_path):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", f"--user-data-dir={tmp_path / 'chrome'}",
                 "--window-size=1400,2000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait_text(driver, css: str, predicate, timeout: float, seen: list | None = None) -> str:
    """Wait until the text of ``css`` satisfies ``predicate``; returns it."""
    def check(d):
        text = d.find_element(By.CSS_SELECTOR, css).text
        if seen is not None:
            seen.append(text)
        return text if predicate(text) else False

    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(check)


def set_value(driver, element_id: str, value: str) -> None:
    field = driver.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(value)


def test_create_follow_open_and_compare_runs(ui, browser):
    url, root = ui
    browser.get(url)
    WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "launch"))
    # GIVEN a scenario of five cells for 48 hours, two seeds: each run simulates for several
    # seconds, so the app's 1 s refresh sees it in progress (a one-cell run of 8 hours
    # finished between two refreshes once the runs became faster)
    set_value(browser, "cells", "5")
    set_value(browser, "hours", "48")
    set_value(browser, "nruns", "2")
    set_value(browser, "name", "ui")
    # WHEN it is launched
    browser.find_element(By.ID, "launch").click()
    assert wait_text(browser, "#launch-message", lambda t: t.startswith(("launched", "error")),
                     20) == "launched: ui-s42, ui-s43"
    # THEN its progress is followed through the runs' status API until both complete
    seen: list[str] = []
    wait_text(browser, "#jobs", lambda t: t.count("complete") == 2, 120, seen)
    assert any("%" in text for text in seen), "no live progress was shown"
    for name in ("ui-s42", "ui-s43"):
        record = json.loads((root / name / "run.json").read_text())
        assert record["status"] == "complete"
        assert record["status_api"]["url"].startswith("http://127.0.0.1:")
        assert record["config"]["seed"] == int(name[-2:])
    wait_text(browser, "#runs-table", lambda t: "ui-s42" in t and "ui-s43" in t, 10)

    # WHEN one run is opened
    browser.find_element(By.CSS_SELECTOR, "#run-select input[value='ui-s42']").click()
    # THEN its KPIs and figures appear
    assert wait_text(browser, "#run-title", bool, 30) == "ui-s42: complete"
    WebDriverWait(browser, 30).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#run-exchange .main-svg"))
    summary = json.loads((root / "ui-s42" / "summary.json").read_text())
    kpis = browser.find_element(By.CSS_SELECTOR, "#run-summary").text
    assert f"|exchange| [MWh]: {summary['exchange_abs_MWh']:.4g}" in kpis

    # WHEN the two are compared
    for name in ("ui-s42", "ui-s43"):
        browser.find_element(By.CSS_SELECTOR, f"#compare-select input[value='{name}']").click()
    browser.find_element(By.ID, "compare-button").click()
    assert wait_text(browser, "#compare-message", bool, 30) == "compared 2 runs"
    # THEN the KPI table has both runs side by side and their spread over the seeds
    table = wait_text(browser, "#kpi-table", lambda t: "ui-s43" in t, 10)
    assert "|exchange| [MWh]" in table and "mean ± std, n=2" in table
    other = json.loads((root / "ui-s43" / "summary.json").read_text())
    for value in (summary["exchange_abs_MWh"], other["exchange_abs_MWh"]):
        assert str(round(value, 3)) in table
    WebDriverWait(browser, 30).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#compare-graph .main-svg"))
    browser.save_screenshot(str(Path(root) / "ui.png"))

"""PNG plots of a cells run: exchange with vs without agents, cell balances, envelopes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from .summary import wide

__all__ = ["write_plots"]


def write_plots(frame: pd.DataFrame, units: dict[str, dict[str, Any]], out: Path,
                start: pd.Timestamp, ext_id: str, core_id: str | None) -> list[Path]:
    """Write ``exchange.png``, ``cell_balances.png`` and ``grid_envelopes.png``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def times(index: pd.Index) -> pd.DatetimeIndex:
        return start + pd.to_timedelta(index, unit="s")

    paths = []
    ext = wide(frame, "P[MW]")[ext_id]
    fig, ax = plt.subplots(figsize=(10, 4))
    if core_id is not None:
        ext_first = wide(frame, "P_uncontrolled[MW]")[core_id]
        ax.plot(times(ext.index), ext_first.to_numpy(), label="without agents", color="0.5")
    ax.plot(times(ext.index), ext.to_numpy(), label="with agents", color="tab:blue")
    ax.axhline(0, color="black", lw=0.5)
    ax.set(ylabel="external grid exchange [MW] (import +)", title="External-grid exchange")
    ax.legend()
    paths.append(_save(fig, out / "exchange.png"))

    unit_p = wide(frame, "P[MW]")[list(units)]
    cells = sorted({meta["cell"] for meta in units.values()})
    balances = pd.DataFrame({f"cell {c}": unit_p[[u for u, m in units.items() if m["cell"] == c]]
                             .sum(axis=1) for c in cells})
    fig, ax = plt.subplots(figsize=(10, 4))
    positive, negative = balances.clip(lower=0), balances.clip(upper=0)
    palette = plt.get_cmap("tab20")
    colors = [palette(i % 20) for i in range(len(cells))]  # one colour per cell, both stacks
    ax.stackplot(times(balances.index), positive.T.to_numpy(), labels=balances.columns,
                 colors=colors)
    ax.stackplot(times(balances.index), negative.T.to_numpy(), colors=colors)
    ax.axhline(0, color="black", lw=0.5)
    ax.set(ylabel="net power [MW] (generation +)", title="Cell balances (stacked)")
    if len(cells) <= 12:
        ax.legend(loc="upper left", ncol=4, fontsize="small")
    paths.append(_save(fig, out / "cell_balances.png"))

    voltages, loading = wide(frame, "Vm[pu]"), wide(frame, "loading[%]")
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
    top.fill_between(times(voltages.index), voltages.min(axis=1), voltages.max(axis=1),
                     alpha=0.4)
    top.set(ylabel="bus voltage [pu]", title="Voltage and line-loading envelopes")
    bottom.plot(times(loading.index), loading.max(axis=1), label="max")
    bottom.plot(times(loading.index), loading.mean(axis=1), label="mean")
    bottom.set(ylabel="line loading [%]")
    bottom.legend()
    paths.append(_save(fig, out / "grid_envelopes.png"))
    return paths


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

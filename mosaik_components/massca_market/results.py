"""Results of a market run, computed from its tidy time series: KPIs and PNG plots.

Everything here reads the recorded series (``time``, ``entity``, ``attr``, ``value``);
nothing is taken from the agents' own sums. The KPIs include the case without a market
(every home trades its residual with the grid alone, its stock still serving it first),
the market's welfare against that case, self-sufficiency with and without the market,
and the conservation checks recomputed from the series (they must be ~0).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from mosaik_components.massca_results.summary import wide

from .core.config import MarketConfig

__all__ = ["summarize", "write_plots", "market_series"]


def _cols(frame: pd.DataFrame, attr: str, entities: list[str]) -> pd.DataFrame:
    table = wide(frame, attr)
    missing = [e for e in entities if e not in table.columns]
    if missing:
        raise ValueError(f"the time series has no {attr!r} of {missing[:3]}")
    return table[entities]


def market_series(frame: pd.DataFrame, meta: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Per attribute, a time x market table of the markets' outputs."""
    markets = list(meta["markets"].values())
    attrs = ["price[EUR/kWh]", "price_formed[EUR/kWh]", "price_base[EUR/kWh]", "bids[kWh]",
             "offers[kWh]", "traded[kWh]", "gifted[kWh]", "gift_asks[kWh]", "import[kWh]",
             "export[kWh]", "paid[EUR]", "earned[EUR]", "grid_bill[EUR]", "welfare[EUR]",
             "messages"]
    return {attr: _cols(frame, attr, markets) for attr in attrs}


def summarize(frame: pd.DataFrame, meta: dict[str, Any], config: MarketConfig
              ) -> dict[str, Any]:
    """The KPIs of a run (see the module docstring); energies kWh, money EUR."""
    hours = config.step_s / 3600
    homes = meta["homes"]
    units = [h["unit"] for h in homes.values()]
    agents = [h["agent"] for h in homes.values()]
    m = market_series(frame, meta)
    residual = _cols(frame, "E[kWh]", units)
    consumption = float((_cols(frame, "P_load[kW]", units) * hours).to_numpy().sum())
    production = float((_cols(frame, "P_pv[kW]", units) * hours).to_numpy().sum())
    surplus = float(residual.clip(lower=0).to_numpy().sum())
    need = float((-residual).clip(lower=0).to_numpy().sum())
    total = {attr: float(table.to_numpy().sum()) for attr, table in m.items()}
    imp, exp = config.tariffs.import_eur_kwh, config.tariffs.export_eur_kwh
    costs = _cols(frame, "cost[EUR]", agents)
    bills = _cols(frame, "bill[EUR]", agents).iloc[-1]
    without = imp * need - exp * surplus
    with_market = float(costs.to_numpy().sum())
    price = m["price[EUR/kWh]"]
    messages = m["messages"].sum(axis=1)
    events = wide(frame, "active").sum(axis=1) if "active" in set(frame["attr"]) else None
    summary: dict[str, Any] = {
        "periods": int(len(price)), "homes": len(homes), "markets": len(meta["markets"]),
        "consumption_kWh": consumption, "production_kWh": production,
        "surplus_kWh": surplus, "need_kWh": need,
        "traded_kWh": total["traded[kWh]"], "gifted_kWh": total["gifted[kWh]"],
        "import_kWh": total["import[kWh]"], "export_kWh": total["export[kWh]"],
        "import_kWh_without_market": need, "export_kWh_without_market": surplus,
        "cost_EUR": with_market, "cost_EUR_without_market": without,
        "welfare_EUR": without - with_market, "welfare_EUR_markets": total["welfare[EUR]"],
        "grid_bill_EUR": total["grid_bill[EUR]"],
        "self_sufficiency": 1 - total["import[kWh]"] / consumption if consumption else 0.0,
        "self_sufficiency_without_market": 1 - need / consumption if consumption else 0.0,
        "price_mean_EUR_kWh": float(price.to_numpy().mean()),
        "price_min_EUR_kWh": float(price.to_numpy().min()),
        "price_max_EUR_kWh": float(price.to_numpy().max()),
        "price_volume_weighted_EUR_kWh": (
            float((price * m["traded[kWh]"]).to_numpy().sum()) / total["traded[kWh]"]
            if total["traded[kWh]"] > 0 else None),
        "periods_at_tariff_bound": int((m["price[EUR/kWh]"] != m["price_formed[EUR/kWh]"])
                                       .to_numpy().sum()),
        "messages_total": int(messages.sum()),
        "messages_per_period_mean": float(messages.mean()),
        "messages_per_period_max": int(messages.max()),
        "messages_per_home_per_period": float(messages.mean()) / len(homes),
        "periods_with_events": int((events > 0).sum()) if events is not None else None,
        "bill_EUR_min": float(bills.min()), "bill_EUR_median": float(bills.median()),
        "bill_EUR_max": float(bills.max()),
        "bill_EUR_mean_by_policy": _by(bills, homes, "policy"),
        "bill_EUR_mean_by_demand": _by(bills, homes, "demand"),
        "stock_throughput_kWh": float((_cols(frame, "P_stock[kW]", units).abs() * hours)
                                      .to_numpy().sum()),
    }
    summary.update(_balance_errors(frame, meta, m, residual, agents))
    if meta.get("grid"):
        summary.update(_grid_kpis(frame, meta["grid"]["ext"], hours, total))
    return summary


def _grid_kpis(frame: pd.DataFrame, ext: str, hours: float, total: dict[str, float]
               ) -> dict[str, float]:
    """The power flow's view: exchange at the external grid (import +), losses, limits."""
    exchange = _cols(frame, "P[MW]", [ext])[ext] * 1000.0 * hours  # kWh per period
    net = float(exchange.sum())
    return {
        "grid_import_kWh_power_flow": float(exchange.clip(lower=0).sum()),
        "grid_export_kWh_power_flow": float((-exchange).clip(lower=0).sum()),
        # the homes' net import is what the markets passed on to the grid; the rest is loss
        "grid_losses_kWh": net - (total["import[kWh]"] - total["export[kWh]"]),
        "min_voltage_pu": float(wide(frame, "Vm[pu]").to_numpy().min()),
        "max_voltage_pu": float(wide(frame, "Vm[pu]").to_numpy().max()),
        "max_line_loading_pct": float(wide(frame, "loading[%]").to_numpy().max()),
    }


def _by(bills: pd.Series, homes: dict[str, Any], key: str) -> dict[str, float]:
    groups: dict[str, list[float]] = {}
    for home in homes.values():
        groups.setdefault(home[key], []).append(float(bills[home["agent"]]))
    return {name: sum(values) / len(values) for name, values in sorted(groups.items())}


def _balance_errors(frame: pd.DataFrame, meta: dict[str, Any], m: dict[str, pd.DataFrame],
                    residual: pd.DataFrame, agents: list[str]) -> dict[str, float]:
    """Conservation recomputed from the series: the largest violation (kWh, EUR)."""
    homes = meta["homes"]
    a = {attr: _cols(frame, attr, agents) for attr in (
        "bought[kWh]", "sold[kWh]", "given[kWh]", "received[kWh]", "import[kWh]",
        "export[kWh]", "cost[EUR]")}
    per_home = residual.to_numpy() - (
        a["sold[kWh]"] + a["given[kWh]"] + a["export[kWh]"] - a["bought[kWh]"]
        - a["received[kWh]"] - a["import[kWh]"]).to_numpy()
    worst_market = 0.0
    worst_money = 0.0
    for market, full_id in meta["markets"].items():
        mine = [h["agent"] for h in homes.values() if h["market"] == market]
        traded = m["traded[kWh]"][full_id]
        for attr in ("bought[kWh]", "sold[kWh]"):
            worst_market = max(worst_market, float((a[attr][mine].sum(axis=1) - traded)
                                                   .abs().max()))
        for attr in ("given[kWh]", "received[kWh]"):
            worst_market = max(worst_market, float((a[attr][mine].sum(axis=1)
                                                    - m["gifted[kWh]"][full_id]).abs().max()))
        money = (m["paid[EUR]"][full_id] - m["earned[EUR]"][full_id]
                 - m["grid_bill[EUR]"][full_id])
        worst_money = max(worst_money, float(money.abs().max()),
                          float((a["cost[EUR]"][mine].sum(axis=1) - m["paid[EUR]"][full_id]
                                 + m["earned[EUR]"][full_id]).abs().max()))
    return {"balance_error_home_kWh": float(abs(per_home).max()),
            "balance_error_market_kWh": worst_market, "balance_error_money_EUR": worst_money}


def write_plots(frame: pd.DataFrame, meta: dict[str, Any], config: MarketConfig, out: Path,
                start: pd.Timestamp) -> list[Path]:
    """``price.png``, ``energy.png``, ``stock.png``, ``bills.png`` (dates on the x axis)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = market_series(frame, meta)
    when = start + pd.to_timedelta(m["price[EUR/kWh]"].index, unit="s")
    paths = [_price_plot(plt, frame, m, config, start, out / "price.png"),
             _energy_plot(plt, m, config, when, out / "energy.png"),
             _stock_plot(plt, frame, meta, when, out / "stock.png"),
             _bills_plot(plt, frame, meta, out / "bills.png")]
    if meta.get("grid"):
        paths.append(_grid_plot(plt, frame, meta["grid"]["ext"], m, config, when,
                                out / "grid.png"))
    return paths


def _grid_plot(plt: Any, frame: pd.DataFrame, ext: str, m: dict[str, pd.DataFrame],
               config: MarketConfig, when: pd.DatetimeIndex, path: Path) -> Path:
    hours = config.step_s / 3600
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
    flow = _cols(frame, "P[MW]", [ext])[ext].to_numpy() * 1000.0
    passed = (m["import[kWh]"].sum(axis=1) - m["export[kWh]"].sum(axis=1)).to_numpy() / hours
    top.step(when, flow, where="post", label="external grid (power flow)")
    top.step(when, passed, where="post", ls="--", label="markets' grid import - export")
    top.axhline(0, color="black", lw=0.5)
    top.set(ylabel="exchange [kW] (import +)", title="The community at the external grid")
    top.legend(fontsize="small")
    voltages = wide(frame, "Vm[pu]")
    bottom.fill_between(_dates(when[0], voltages.index - voltages.index[0]),
                        voltages.min(axis=1), voltages.max(axis=1), step="post", alpha=0.4)
    bottom.set(ylabel="bus voltage band [pu]")
    return _save(plt, fig, path)


def _dates(start: pd.Timestamp, index: pd.Index) -> pd.DatetimeIndex:
    """Seconds from ``start`` as dates (the x axis of the plots)."""
    return start + pd.to_timedelta(index, unit="s")


def _price_plot(plt: Any, frame: pd.DataFrame, m: dict[str, pd.DataFrame],
                config: MarketConfig, start: pd.Timestamp, path: Path) -> Path:
    when = _dates(start, m["price[EUR/kWh]"].index)
    fig, ax = plt.subplots(figsize=(10, 5.5))
    for column in m["price[EUR/kWh]"].columns:
        label = column.split(".")[-1]
        ax.step(when, m["price[EUR/kWh]"][column].to_numpy(), where="post", label=label)
    first = m["price_formed[EUR/kWh]"].columns[0]
    ax.step(when, m["price_formed[EUR/kWh]"][first].to_numpy(), where="post", color="0.3",
            ls=":", label=f"formed, before the tariff band ({first.split('.')[-1]})")
    ax.axhline(config.tariffs.import_eur_kwh, color="tab:red", lw=2.5, alpha=0.3,
               label="import tariff", zorder=0)
    ax.axhline(config.tariffs.export_eur_kwh, color="tab:green", lw=2.5, alpha=0.3,
               label="export tariff", zorder=0)
    attrs = set(frame["attr"])
    if "active" in attrs:
        active = wide(frame, "active").sum(axis=1)
        ax.fill_between(_dates(start, active.index), 0, 1, where=active.to_numpy() > 0,
                        step="post", alpha=0.12, color="tab:purple",
                        transform=ax.get_xaxis_transform(), label="event active")
    ax.set(ylabel="price [EUR/kWh]", title="Market price, tariffs and external events")
    if "T_air[degC]" in attrs:
        twin = ax.twinx()
        temperature = wide(frame, "T_air[degC]").iloc[:, 0]
        twin.plot(_dates(start, temperature.index), temperature.to_numpy(), color="tab:orange",
                  lw=0.8, alpha=0.7)
        twin.set_ylabel("air temperature [degC]", color="tab:orange")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), fontsize="small", ncol=4)
    return _save(plt, fig, path)


def _energy_plot(plt: Any, m: dict[str, pd.DataFrame], config: MarketConfig,
                 when: pd.DatetimeIndex, path: Path) -> Path:
    hours = config.step_s / 3600
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
    power = {name: m[attr].sum(axis=1).to_numpy() / hours for name, attr in (
        ("traded", "traded[kWh]"), ("gifted", "gifted[kWh]"), ("grid import", "import[kWh]"),
        ("grid export", "export[kWh]"))}
    top.stackplot(when, power["traded"], power["gifted"], power["grid import"],
                  labels=["traded", "gifted", "grid import"], step="post",
                  colors=["tab:blue", "tab:green", "tab:red"], alpha=0.8)
    top.set(ylabel="demand served [kW]", title="How needs were served and surpluses went")
    top.legend(loc="upper left", fontsize="small")
    bottom.stackplot(when, power["traded"], power["gifted"], power["grid export"],
                     labels=["sold", "given", "grid export"], step="post",
                     colors=["tab:blue", "tab:green", "tab:gray"], alpha=0.8)
    bottom.set(ylabel="surplus placed [kW]")
    bottom.legend(loc="upper left", fontsize="small")
    return _save(plt, fig, path)


def _stock_plot(plt: Any, frame: pd.DataFrame, meta: dict[str, Any],
                when: pd.DatetimeIndex, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(10, 4))
    stocked = [h["unit"] for h in meta["homes"].values() if h["stock_kwh"] > 0]
    if stocked:
        stock = _cols(frame, "stock[kWh]", stocked)
        ax.fill_between(when, stock.min(axis=1), stock.max(axis=1), step="post", alpha=0.3,
                        label="min-max over homes")
        ax.step(when, stock.mean(axis=1).to_numpy(), where="post", label="mean")
        for unit in stocked[:3]:
            ax.step(when, stock[unit].to_numpy(), where="post", lw=0.8,
                    label=unit.split(".")[-1])
        ax.legend(loc="upper left", fontsize="small")
    else:
        ax.text(0.5, 0.5, "no home has a stock", ha="center", transform=ax.transAxes)
    ax.set(ylabel="stock [kWh]", title=f"Home stocks ({len(stocked)} homes with storage)")
    return _save(plt, fig, path)


def _bills_plot(plt: Any, frame: pd.DataFrame, meta: dict[str, Any], path: Path) -> Path:
    homes = meta["homes"]
    bills = _cols(frame, "bill[EUR]", [h["agent"] for h in homes.values()]).iloc[-1]
    order = sorted(homes, key=lambda hid: float(bills[homes[hid]["agent"]]))
    colors = {"sell": "tab:blue", "give": "tab:green", "hold": "tab:orange"}
    fig, ax = plt.subplots(figsize=(10, 4))
    ax.bar(range(len(order)), [float(bills[homes[h]["agent"]]) for h in order],
           color=[colors[homes[h]["policy"]] for h in order])
    from matplotlib.patches import Patch

    ax.axhline(0, color="black", lw=0.5)
    ax.set(xlabel="homes (sorted)", ylabel="bill over the run [EUR] (negative: earned)",
           title="Each home's bill, by surplus policy")
    ax.legend(handles=[Patch(color=color, label=policy) for policy, color in colors.items()],
              fontsize="small")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _save(plt: Any, fig: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

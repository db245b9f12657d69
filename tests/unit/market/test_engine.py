"""The community over many periods: conservation in total, determinism per seed."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from mosaik_components.massca_market import Community, MarketConfig, validate

home = st.fixed_dictionaries({
    "policy": st.sampled_from(["sell", "give", "hold"]),
    "demand": st.sampled_from(["buy", "ask"]),
    "ttl": st.integers(1, 4),
    "cell": st.integers(0, 2),
    "load_max_kw": st.floats(0.1, 3.0),
    "pv_kwp": st.sampled_from([0.0, 3.0, 8.0]),
    "stock_kwh": st.sampled_from([0.0, 5.0]),
    "stock_kw": st.sampled_from([1.0, 2.5]),
})
weather = st.lists(st.tuples(st.floats(-10, 35), st.floats(0, 1000)), min_size=1, max_size=16)


def run(data, weather_rows):
    cfg = validate(MarketConfig, data)
    community = Community(cfg)
    return cfg, [community.step(p, t, ghi) for p, (t, ghi) in enumerate(weather_rows)]


@settings(max_examples=40)
@given(st.lists(home, min_size=1, max_size=12), st.sampled_from(["cell", "system"]),
       st.integers(0, 10), weather)
def test_energy_and_money_are_conserved_in_total(homes, scope, seed, weather_rows):
    cfg, outcomes = run({"homes": homes, "scope": scope, "seed": seed}, weather_rows)
    hours = cfg.step_s / 3600
    imp, exp = cfg.tariffs.import_eur_kwh, cfg.tariffs.export_eur_kwh
    total = dict.fromkeys(("residual", "placed", "bought", "sold", "imported", "exported",
                           "paid", "earned", "traded", "gifted", "grid_import", "grid_export"),
                          0.0)
    for outcome in outcomes:
        for step in outcome.homes.values():
            total["residual"] += step.residual_kw * hours
        for clearing in outcome.clearings.values():
            t = clearing.totals
            total["traded"] += t.traded
            total["gifted"] += t.gifted
            total["grid_import"] += t.imported
            total["grid_export"] += t.exported
            for f in clearing.fills.values():
                total["placed"] += (f.sold + f.given + f.exported - f.bought - f.received
                                    - f.imported)
                for key in ("bought", "sold", "imported", "exported", "paid", "earned"):
                    total[key] += getattr(f, key)
    scale = sum(abs(v) for v in total.values()) + 1
    tol = {"rel_tol": 1e-9, "abs_tol": 1e-9 * scale}
    assert math.isclose(total["residual"], total["placed"], **tol)  # every kWh placed
    assert math.isclose(total["bought"] + total["imported"],
                        total["sold"] + total["grid_import"], **tol)
    assert math.isclose(total["sold"] + total["exported"],
                        total["bought"] + total["grid_export"], **tol)
    grid_bill = imp * total["grid_import"] - exp * total["grid_export"]
    assert math.isclose(total["paid"], total["earned"] + grid_bill, **tol)
    # the community's net with the grid is its homes' net residual
    assert math.isclose(total["grid_export"] - total["grid_import"], total["residual"], **tol)


def test_the_same_seed_gives_the_same_run_and_another_seed_another():
    homes = [{"load": "random", "pv_kwp": 4.0, "policy": p, "demand": d, "cell": i % 2}
             for i, (p, d) in enumerate([("sell", "buy"), ("give", "ask"), ("hold", "ask"),
                                         ("sell", "ask")])]
    rows = [(18.0 + p % 7, 100.0 * (p % 9)) for p in range(40)]

    def fingerprint(seed):
        _, outcomes = run({"homes": homes, "seed": seed, "events": {"rate_per_day": 20.0}},
                          rows)
        return [(o.orders, [(c.price, c.fills, c.gifts) for c in o.clearings.values()],
                 [e.to_dict() for e in o.events]) for o in outcomes]

    assert fingerprint(5) == fingerprint(5)
    assert fingerprint(5) != fingerprint(6)

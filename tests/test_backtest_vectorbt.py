"""nse_polars.backtest reproduces vectorbt's Portfolio.from_signals when both are set up alike.

vectorbt is an optional benchmark dependency (extra ``bench``); without it this module skips.

How the two are made equivalent (vectorbt 0.2x-1.x semantics):

* Timing. vectorbt fills an order on the bar its signal is on, at ``price``. nse_polars fills a
  signal seen at bar t's close at bar t+1's open (or close). So vectorbt gets the signals
  shifted one bar forward (``entries.shift(1)``, False on bar 0; a signal on the last bar is
  dropped, as nse_polars drops it: no bar is left to fill at) and ``price=open`` (or
  ``price=close`` for ``fill="next_close"``), while ``close`` marks positions to market in both.
* Size. ``size=np.inf`` with ``size_type="amount"`` buys as much as the cash allows net of fees:
  ``(cash - fixed_fees) / (price (1 + slippage) (1 + fees))`` shares, which is nse_polars'
  all-in percent sizing ``E / (P (1 + c))`` (size=1.0) with the position flat (E = cash). An
  exit sells everything.
* Fees. vectorbt ``fees`` is a fraction of the traded value per order and ``fixed_fees`` an amount
  per order, paid on buys and sells: nse_polars ``costs`` in basis points (fees x 1e4) and
  ``fixed_fee``. vectorbt ``slippage`` moves the price against the order by that fraction, as
  ``slippage_bps`` (x 1e4) does; both charge fees on the slipped value.
* Signal states. ``accumulate=False`` (entries while long are ignored), long only,
  ``upon_long_conflict="ignore"`` (an entry and an exit on the same bar cancel out, as in
  nse_polars), no stops, ``init_cash`` = ``initial_capital``.

vectorbt is run in a subprocess with ``NUMBA_DISABLE_JIT=1``: the same Python code without its
numba compilation, which would otherwise take minutes on the first call (the simulation itself is
milliseconds either way).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from backtest_compare import bars_frame, engine_run, random_bars, random_signals

if importlib.util.find_spec("vectorbt") is None:  # importorskip without paying its import here
    pytest.skip("vectorbt not installed (optional extra `bench`)", allow_module_level=True)

CASES = {
    "fees_10bps": {"fees": 0.001},
    "fees_fixed_slippage": {"fees": 0.0025, "fixed_fees": 20.0, "slippage": 0.0005},
    "no_costs": {},
    "next_close": {"fees": 0.0005, "price": "close"},
}
SEEDS = (1, 2, 3)
N = 600
INIT_CASH = 100_000.0

VECTORBT_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np, pandas as pd
    import vectorbt as vbt

    data = np.load(sys.argv[1])
    cases = json.loads(open(sys.argv[2]).read())
    out = {}
    for key, case in cases.items():
        close = pd.Series(data[key + "/close"])
        price = pd.Series(data[key + "/" + case.get("price", "open")])
        # shift: the signal at bar t fills at bar t + 1
        entries = pd.Series(data[key + "/entries"]).shift(1, fill_value=False).astype(bool)
        exits = pd.Series(data[key + "/exits"]).shift(1, fill_value=False).astype(bool)
        pf = vbt.Portfolio.from_signals(
            close, entries, exits, price=price, size=np.inf, size_type="amount",
            fees=case.get("fees", 0.0), fixed_fees=case.get("fixed_fees", 0.0),
            slippage=case.get("slippage", 0.0), init_cash=case["init_cash"],
            accumulate=False, upon_long_conflict="ignore", direction="longonly",
            freq="1D",
        )
        out[key] = {
            "final_value": float(pf.final_value()),
            "value": [float(v) for v in pf.value().to_numpy()],
            "closed_trades": int(pf.trades.closed.count()),
            "fees": float(pf.orders.fees.sum()),
        }
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def vectorbt_results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("vbt")
    arrays: dict[str, np.ndarray] = {}
    cases: dict[str, dict] = {}
    for name, case in CASES.items():
        for seed in SEEDS:
            key = f"{name}-{seed}"
            open_, close = random_bars(N, seed)
            signals = random_signals(N, seed)
            arrays |= {
                f"{key}/open": open_,
                f"{key}/close": close,
                f"{key}/entries": signals["entries"],
                f"{key}/exits": signals["exits"],
            }
            cases[key] = {**case, "init_cash": INIT_CASH}
    np.savez(tmp / "bars.npz", **arrays)
    (tmp / "cases.json").write_text(json.dumps(cases))
    (tmp / "run.py").write_text(VECTORBT_SCRIPT)
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    proc = subprocess.run(
        [sys.executable, str(tmp / "run.py"), str(tmp / "bars.npz"), str(tmp / "cases.json")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_vectorbt_from_signals(vectorbt_results: dict, name: str, seed: int) -> None:
    case = CASES[name]
    vbt = vectorbt_results[f"{name}-{seed}"]
    open_, close = random_bars(N, seed)
    signals = random_signals(N, seed)
    frame = bars_frame(open_, close, entries=signals["entries"], exits=signals["exits"])
    res = engine_run(
        frame,
        fill="next_close" if case.get("price") == "close" else "next_open",
        costs=case.get("fees", 0.0) * 1e4,
        fixed_fee=case.get("fixed_fees", 0.0),
        slippage_bps=case.get("slippage", 0.0) * 1e4,
        initial_capital=INIT_CASH,
    )
    m = res.metrics.row(0, named=True)
    assert m["n_trades"] >= 10
    assert abs(m["final_equity"] / vbt["final_value"] - 1) <= 1e-9, (
        m["final_equity"],
        vbt["final_value"],
    )
    np.testing.assert_allclose(res.equity["equity"].to_numpy(), vbt["value"], rtol=1e-9, atol=0)
    assert m["n_trades"] == vbt["closed_trades"]
    fees = m["cost_commission"] + m["cost_fixed"]
    assert abs(fees - vbt["fees"]) <= 1e-9 * max(vbt["fees"], 1.0)


def test_bench_extra_lists_vectorbt() -> None:
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    text = pyproject.read_text()
    bench = text.split("bench = [", 1)[1].split("]", 1)[0]
    assert "vectorbt" in bench
    test = text.split("test = [", 1)[1].split("]", 1)[0]
    assert "vectorbt" not in test

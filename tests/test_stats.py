"""nse_polars.stats: PSR, MinTRL, DSR and PBO against independent implementations.

Oracles: the formulas of REFERENCE.md written again here with scipy (norm.cdf/ppf, skew,
kurtosis); the worked example of Bailey & Lopez de Prado (2014), "The deflated Sharpe ratio"
(100 trials, annualised SR 2.5, V = 1/2, 1,250 daily returns at 250 a year, skewness -3,
kurtosis 10: SR0 = 0.1132 per day, DSR = 0.9004); a brute-force CSCV in numpy that rebuilds every
split's in-sample and out-of-sample matrices and compares with the native kernel exactly; and
synthetic cases with a known answer (pure noise: DSR near chance, PBO near 0.5 or above; a
planted edge: DSR near 1, PBO near 0).
"""

from __future__ import annotations

import itertools
import math
import os
import subprocess
import sys

import numpy as np
import polars as pl
import pytest
from scipy import stats as sps

import nse_polars as nse
from nse_polars import stats

GAMMA = 0.5772156649


# --- independent formulas (scipy) -------------------------------------------------------------


def psr_oracle(sr, t, g3, g4, sr_star):
    return sps.norm.cdf(
        (sr - sr_star) * math.sqrt(t - 1) / math.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr**2)
    )


def min_trl_oracle(sr, g3, g4, sr_star, confidence):
    z = sps.norm.ppf(confidence)
    return 1 + (1 - g3 * sr + (g4 - 1) / 4 * sr**2) * (z / (sr - sr_star)) ** 2


def sr0_oracle(n, var):
    return math.sqrt(var) * (
        (1 - GAMMA) * sps.norm.ppf(1 - 1 / n) + GAMMA * sps.norm.ppf(1 - 1 / (n * math.e))
    )


CASES = [
    # sr per bar, T, skewness, kurtosis, benchmark
    (0.1, 253, 0.0, 3.0, 0.0),
    (0.05, 2000, -1.2, 9.0, 0.01),
    (0.02, 18_900, 0.4, 4.5, 0.0),
    (-0.03, 500, -0.3, 3.2, 0.0),
    (0.3, 60, 2.0, 12.0, 0.1),
]


@pytest.mark.parametrize(("sr", "t", "g3", "g4", "sr_star"), CASES)
def test_psr_matches_formula(sr, t, g3, g4, sr_star) -> None:
    got = stats.probabilistic_sharpe_ratio(
        sr, t, skewness=g3, kurtosis=g4, benchmark_per_bar=sr_star
    )
    assert got == pytest.approx(psr_oracle(sr, t, g3, g4, sr_star), rel=1e-10, abs=1e-15)


@pytest.mark.parametrize(("sr", "t", "g3", "g4", "sr_star"), CASES)
def test_min_trl_matches_formula_and_inverts_psr(sr, t, g3, g4, sr_star) -> None:
    got = stats.minimum_track_record_length(
        sr, skewness=g3, kurtosis=g4, benchmark_per_bar=sr_star, confidence=0.95
    )
    if sr <= sr_star:
        assert got == math.inf
        return
    assert got == pytest.approx(min_trl_oracle(sr, g3, g4, sr_star, 0.95), rel=1e-12)
    # MinTRL is the T at which PSR reaches the confidence: PSR(T = MinTRL) = 0.95 exactly.
    assert psr_oracle(sr, got, g3, g4, sr_star) == pytest.approx(0.95, abs=1e-12)


def test_deflated_sharpe_ratio_paper_example() -> None:
    # Bailey & Lopez de Prado (2014), section "A numerical example".
    var = 0.5 / 250
    assert stats.expected_max_sharpe_per_bar(100, var) == pytest.approx(0.1132, abs=5e-5)
    sr = stats.annualised_to_per_bar(2.5, 250)
    dsr = stats.deflated_sharpe_ratio(sr, 1250, 100, var, skewness=-3, kurtosis=10)
    assert dsr == pytest.approx(0.9004, abs=5e-5)


@pytest.mark.parametrize(("n", "var"), [(2, 0.01), (10, 0.002), (1000, 1e-4), (12_870, 3e-5)])
def test_expected_max_and_dsr_match_formula(n, var) -> None:
    sr0 = stats.expected_max_sharpe_per_bar(n, var)
    assert sr0 == pytest.approx(sr0_oracle(n, var), rel=1e-10)
    got = stats.deflated_sharpe_ratio(0.08, 900, n, var, skewness=-0.5, kurtosis=5.0)
    assert got == pytest.approx(psr_oracle(0.08, 900, -0.5, 5.0, sr0_oracle(n, var)), rel=1e-10)


def test_sharpe_statistics_match_scipy() -> None:
    rng = np.random.default_rng(5)
    r = rng.standard_t(4, 3001) * 0.01 + 0.0004
    s = stats.sharpe_statistics(r, rf_per_bar=0.0001)
    assert s.n_bars == 3001
    assert s.sharpe_per_bar == pytest.approx((r.mean() - 0.0001) / r.std(ddof=1), rel=1e-12)
    assert s.skewness == pytest.approx(sps.skew(r), rel=1e-10)
    assert s.kurtosis == pytest.approx(sps.kurtosis(r, fisher=False), rel=1e-10)
    assert s.sharpe_annualised(252) == pytest.approx(s.sharpe_per_bar * math.sqrt(252))
    flat = stats.sharpe_statistics(pl.Series([0.0] * 10))
    assert (flat.sharpe_per_bar, flat.skewness, flat.kurtosis) == (0.0, 0.0, 3.0)


def test_per_bar_annualised_round_trip() -> None:
    assert stats.per_bar_to_annualised(stats.annualised_to_per_bar(1.7, 18_900), 18_900) == (
        pytest.approx(1.7, rel=1e-15)
    )


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: stats.probabilistic_sharpe_ratio(0.1, 1), "`n_bars` must be >= 2"),
        (lambda: stats.probabilistic_sharpe_ratio(math.nan, 10), "`sharpe_per_bar` must be finite"),
        (lambda: stats.probabilistic_sharpe_ratio(0.1, 100, kurtosis=0.5), "excess kurtosis"),
        (lambda: stats.probabilistic_sharpe_ratio(0.1, 100, skewness=2, kurtosis=4), "1 \\+ skew"),
        (lambda: stats.minimum_track_record_length(0.1, confidence=1.0), "`confidence`"),
        (lambda: stats.expected_max_sharpe_per_bar(1, 0.1), "`n_trials` must be >= 2"),
        (lambda: stats.expected_max_sharpe_per_bar(5, -0.1), "`sharpe_variance_per_bar`"),
        (lambda: stats.annualised_to_per_bar(1.0, 0), "`bars_per_year` must be > 0"),
        (lambda: stats.sharpe_statistics([0.1]), "at least 2"),
        (lambda: stats.sharpe_statistics([0.1, math.nan, 0.2]), "element 1"),
        (lambda: stats.sharpe_statistics(pl.Series([0.1, None, 0.2])), "null"),
    ],
)
def test_bad_scalar_inputs_name_the_parameter(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_bad_types() -> None:
    with pytest.raises(TypeError, match="`n_bars` must be an integer"):
        stats.probabilistic_sharpe_ratio(0.1, 10.5)
    with pytest.raises(TypeError, match="`skewness` must be a real number"):
        stats.probabilistic_sharpe_ratio(0.1, 10, skewness="0")


# --- CSCV / PBO: brute force in numpy -------------------------------------------------------


def brute_force_cscv(r: np.ndarray, s: int, rf: float = 0.0):
    """Every split rebuilt from the rows: Sharpe = (mean - rf) / std (ddof 1); zero variance ->
    0 or +/-inf by the sign of the excess mean; first argmax; mid-ranks; logit."""
    t, n = r.shape
    bounds = [b * t // s for b in range(s + 1)]
    rows = [np.arange(bounds[b], bounds[b + 1]) for b in range(s)]

    def sharpe(x):
        excess = x.mean(axis=0) - rf
        sd = x.std(axis=0, ddof=1)
        safe = np.where(sd > 0, sd, 1.0)
        degenerate = np.where(excess == 0, 0.0, np.copysign(np.inf, excess))
        return np.where(sd > 0, excess / safe, degenerate)

    out = {"best": [], "is": [], "oos": [], "logit": []}
    for combo in itertools.combinations(range(s), s // 2):
        rest = [b for b in range(s) if b not in combo]
        is_sr = sharpe(r[np.concatenate([rows[b] for b in combo])])
        oos_sr = sharpe(r[np.concatenate([rows[b] for b in rest])])
        best = int(np.argmax(is_sr))
        target = oos_sr[best]
        rank = 1 + np.sum(oos_sr < target) + 0.5 * (np.sum(oos_sr == target) - 1)
        w = rank / (n + 1)
        out["best"].append(best)
        out["is"].append(is_sr[best])
        out["oos"].append(target)
        out["logit"].append(math.log(w / (1 - w)))
    logit = np.array(out["logit"])
    return float(np.mean(logit <= 0)), out


@pytest.mark.parametrize(("t", "n", "s"), [(203, 7, 6), (97, 12, 8), (64, 2, 2), (500, 31, 8)])
def test_cscv_equals_brute_force(t, n, s) -> None:
    rng = np.random.default_rng(t * n + s)
    r = rng.normal(0.0002, 0.01, (t, n))
    r[:, n // 2] = 0.0  # a trial that never trades: Sharpe 0 everywhere, ties with itself
    if n > 3:
        r[:, 1] = r[:, 0] * 2.0  # same Sharpe as trial 0 up to rounding: a near tie
    pbo, ref = brute_force_cscv(r, s)
    res = stats.probability_of_backtest_overfitting(r, n_blocks=s)
    assert res.splits.height == math.comb(s, s // 2)
    assert res.pbo == pbo
    np.testing.assert_array_equal(res.splits["best_trial"].to_numpy(), ref["best"])
    np.testing.assert_array_equal(res.splits["logit"].to_numpy(), ref["logit"])
    np.testing.assert_allclose(res.splits["is_sharpe_per_bar"].to_numpy(), ref["is"], rtol=1e-9)
    np.testing.assert_allclose(res.splits["oos_sharpe_per_bar"].to_numpy(), ref["oos"], rtol=1e-9)
    # The kernel's other path (each split summing its blocks, used when the half-subset tables
    # would be too large) gives the same ranks.
    direct = nse._core.cscv(r, s, 0.0, table_bytes=0.0)
    assert direct["pbo"] == pbo
    np.testing.assert_array_equal(direct["logit"], ref["logit"])
    np.testing.assert_allclose(direct["is_sharpe"], ref["is"], rtol=1e-9)
    blocks = res.splits["in_sample_blocks"].to_list()
    assert blocks == [list(c) for c in itertools.combinations(range(s), s // 2)]
    sd = r.std(0, ddof=1)
    want = r.mean(0) / np.where(sd > 0, sd, 1.0)
    np.testing.assert_allclose(res.trial_sharpe_per_bar, want, rtol=1e-9)


def test_cscv_risk_free_and_layouts_agree() -> None:
    rng = np.random.default_rng(11)
    r = rng.normal(0.0003, 0.01, (300, 9))
    pbo, ref = brute_force_cscv(r, 6, rf=0.0004)
    res = stats.probability_of_backtest_overfitting(r, n_blocks=6, rf_per_bar=0.0004)
    assert res.pbo == pbo
    np.testing.assert_array_equal(res.splits["logit"].to_numpy(), ref["logit"])
    # Same numbers from a trials-major copy, a Fortran array, a strided view and a DataFrame.
    base = res.splits
    for view in (
        np.ascontiguousarray(r.T).T,
        np.asfortranarray(r),
        np.repeat(r, 2, axis=1)[:, ::2],
    ):
        other = stats.probability_of_backtest_overfitting(view, n_blocks=6, rf_per_bar=0.0004)
        assert other.splits.equals(base)
    frame = pl.DataFrame(r, schema=[f"t{i}" for i in range(9)])
    assert stats.probability_of_backtest_overfitting(
        frame, n_blocks=6, rf_per_bar=0.0004
    ).splits.equals(base)


def test_cscv_does_not_depend_on_the_thread_count() -> None:
    code = (
        "import numpy as np, sys; from nse_polars import _core;"
        "r = np.random.default_rng(3).normal(0, 0.01, (2000, 300));"
        "o = _core.cscv(r, 10);"
        "w = sys.stdout.write;"
        "w(o['logit'].tobytes().hex() + o['is_sharpe'].tobytes().hex() + str(o['pbo']))"
    )
    outs = []
    for threads in ("1", "3"):
        env = {**os.environ, "OMP_NUM_THREADS": threads}
        outs.append(
            subprocess.run(
                [sys.executable, "-c", code],
                env=env,
                capture_output=True,
                text=True,
                check=True,
                cwd="/",
            ).stdout
        )
    assert outs[0] == outs[1]


@pytest.mark.parametrize(
    ("shape", "s", "match"),
    [
        ((100, 5), 3, "`n_blocks` must be an even number in \\[2, 24\\], got 3"),
        ((100, 5), 26, "`n_blocks` must be an even number"),
        ((100, 5), 0, "`n_blocks` must be >= 2"),
        ((31, 5), 16, "has 31 bars: n_blocks=16 needs at least 32"),
        ((100, 1), 4, "at least 2 trials"),
    ],
)
def test_cscv_bad_input(shape, s, match) -> None:
    with pytest.raises(ValueError, match=match):
        stats.probability_of_backtest_overfitting(np.zeros(shape), n_blocks=s)


def test_cscv_non_finite_names_bar_and_trial() -> None:
    r = np.random.default_rng(0).normal(0, 0.01, (50, 4))
    r[17, 2] = np.nan
    with pytest.raises(ValueError, match="bar 17, trial 2"):
        stats.probability_of_backtest_overfitting(r, n_blocks=4)
    r[17, 2] = np.inf
    with pytest.raises(ValueError, match="bar 17, trial 2"):
        stats.probability_of_backtest_overfitting(r, n_blocks=4)
    with pytest.raises(ValueError, match="2-dimensional"):
        stats.probability_of_backtest_overfitting(np.zeros(40), n_blocks=4)
    with pytest.raises(ValueError, match="column 'b' has null"):
        stats.probability_of_backtest_overfitting(
            pl.DataFrame({"a": [0.1] * 20, "b": [None] + [0.1] * 19}), n_blocks=4
        )


# --- known answers ---------------------------------------------------------------------------


def _judge(r: np.ndarray, n_blocks: int = 16):
    """DSR of the best column and the PBO, as a sweep computes them."""
    sr = r.mean(0) / r.std(0, ddof=1)
    best = int(np.argmax(sr))
    s = stats.sharpe_statistics(r[:, best])
    dsr = stats.deflated_sharpe_ratio(
        s.sharpe_per_bar,
        r.shape[0],
        r.shape[1],
        float(np.var(sr, ddof=1)),
        skewness=s.skewness,
        kurtosis=s.kurtosis,
    )
    return best, dsr, stats.probability_of_backtest_overfitting(r, n_blocks=n_blocks)


def test_pure_noise_is_judged_luck() -> None:
    # 1,000 strategies without an edge: the best one's Sharpe is what the best of 1,000 draws
    # shows, so its DSR is near chance (it is 0.5 on average over seeds), and the in-sample best
    # is no better than a random pick out of sample (PBO near 0.5; CSCV's complementary halves
    # push it above: a trial lucky in one half is unlucky in the other).
    dsrs, pbos = [], []
    for seed in range(2):
        r = np.random.default_rng(100 + seed).normal(0, 0.01, (2000, 1000))
        _, dsr, res = _judge(r)
        dsrs.append(dsr)
        pbos.append(res.pbo)
        assert 0.02 < dsr < 0.98
        assert res.pbo > 0.35
        assert res.probability_of_loss > 0.3
    assert 0.1 < np.mean(dsrs) < 0.9
    assert np.mean(pbos) >= 0.45
    # Without deflation the same best Sharpe looks significant.
    r = np.random.default_rng(100).normal(0, 0.01, (2000, 1000))
    sr = r.mean(0) / r.std(0, ddof=1)
    assert stats.probabilistic_sharpe_ratio(float(sr.max()), 2000) > 0.99


def test_planted_edge_is_found() -> None:
    rng = np.random.default_rng(7)
    r = rng.normal(0, 0.01, (2000, 1000))
    r[:, 123] = rng.normal(0.0015, 0.01, 2000)  # per-bar Sharpe ~0.15
    best, dsr, res = _judge(r)
    assert best == 123
    assert dsr > 0.99
    assert res.pbo < 0.05
    assert (res.splits["best_trial"] == 123).mean() > 0.9


def test_verdict_words() -> None:
    assert stats.verdict(2.1, 0.31, 0.62).endswith("likely luck")
    assert stats.verdict(2.1, 0.97, 0.1).endswith("unlikely to be luck")
    assert stats.verdict(2.1, 0.97, 0.6).endswith("likely luck")
    assert stats.verdict(2.1, 0.8, None).endswith("inconclusive")
    assert stats.verdict(-0.5, 0.01, 0.9).endswith("no edge")
    assert "too few" in stats.verdict(None, None)
    assert stats.verdict(2.1, 0.31, 0.62) == (
        "best Sharpe 2.10, deflated Sharpe probability 0.31, PBO 0.62: likely luck"
    )


# --- sweeps carry the numbers ------------------------------------------------------------------

GRID = {"fast": [3, 5, 8], "slow": [13, 21]}


@pytest.fixture(scope="module")
def bars() -> pl.DataFrame:
    return nse.generate_ohlcv(2, days=12, interval="5m", seed=9)


def test_sweep_overfitting_matches_single_backtests(bars) -> None:
    """Oracle: one nse.backtest per set (its equity returns), then the stats functions."""
    sw = nse.sweep(bars, "sma_cross", GRID, by="symbol", costs=5, n_blocks=8)
    of = sw.overfitting
    assert of.columns[:3] == ["symbol", "fast", "slow"]
    assert of.height == 2
    sets = [(f, s) for f in GRID["fast"] for s in GRID["slow"]]
    for row in of.iter_rows(named=True):
        one = bars.filter(pl.col("symbol") == row["symbol"])
        runs = [nse.backtest(one, nse.strategies.sma_cross(f, s), costs=5) for f, s in sets]
        returns = np.column_stack([r.equity["return"].to_numpy() for r in runs])
        a = runs[0].bars_per_year
        sharpe = np.array([r.metrics["sharpe"][0] for r in runs]) / math.sqrt(a)
        best = int(np.argmax(sharpe))
        assert (row["fast"], row["slow"]) == sets[best]
        assert row["n_trials"] == len(sets)
        assert row["n_bars"] == one.height
        assert row["best_sharpe_per_bar"] == pytest.approx(sharpe[best], rel=1e-12)
        s = stats.sharpe_statistics(returns[:, best])
        var = float(np.var(sharpe, ddof=1))
        assert row["sharpe_variance_per_bar"] == pytest.approx(var, rel=1e-9)
        kw = {"skewness": s.skewness, "kurtosis": s.kurtosis}
        assert row["psr"] == pytest.approx(
            psr_oracle(sharpe[best], one.height, s.skewness, s.kurtosis, 0.0), rel=1e-9
        )
        assert row["dsr"] == pytest.approx(
            stats.deflated_sharpe_ratio(sharpe[best], one.height, len(sets), var, **kw), rel=1e-9
        )
        assert row["pbo"] == brute_force_cscv(returns, 8)[0]
        assert row["verdict"] == stats.verdict(row["best_sharpe"], row["dsr"], row["pbo"])
    text = repr(sw)
    assert "Overfitting" in text
    assert of["verdict"][0] in text


def test_sweep_overfitting_off_and_batches_change_nothing(bars, monkeypatch) -> None:
    bt = sys.modules["nse_polars.backtest"]  # the package re-exports a function of that name

    on = nse.sweep(bars, "sma_cross", GRID, by="symbol", costs=5)
    off = nse.sweep(bars, "sma_cross", GRID, by="symbol", costs=5, overfitting=False)
    assert off.overfitting is None
    assert on.metrics.equals(off.metrics)
    assert "Overfitting" not in repr(off)
    monkeypatch.setattr(bt, "SWEEP_RETURNS_BUDGET", 8 * len(GRID["fast"]) * 2 * 100)
    batched = nse.sweep(bars, "sma_cross", GRID, by="symbol", costs=5)
    assert batched.metrics.equals(on.metrics)
    assert batched.overfitting.equals(on.overfitting)


def test_sweep_overfitting_edge_cases(bars) -> None:
    one = bars.filter(pl.col("symbol") == bars["symbol"][0]).head(20)
    # 20 bars < 2 x 16 blocks: no PBO; one set: no DSR.
    sw = nse.sweep(one, "sma_cross", {"fast": [2, 3], "slow": [5]})
    assert sw.overfitting["pbo"][0] is None
    assert sw.overfitting["dsr"][0] is not None
    sw = nse.sweep(one, "sma_cross", {"fast": [2], "slow": [5]})
    assert sw.overfitting["dsr"][0] is None
    assert "too few" in sw.overfitting["verdict"][0]
    with pytest.raises(ValueError, match="`n_blocks` must be an even number"):
        nse.sweep(one, "sma_cross", {"fast": [2], "slow": [5]}, n_blocks=5)


def test_docstring_examples() -> None:
    import doctest
    import importlib

    for module in (stats, importlib.import_module("nse_polars.walk_forward")):
        result = doctest.testmod(module)
        assert result.attempted > 0
        assert result.failed == 0, module.__name__

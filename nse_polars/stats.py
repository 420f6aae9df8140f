"""Overfitting guards: is the best backtest of a sweep skill or luck?

Run a thousand variants of a strategy and the best of them looks brilliant by chance alone. The
statistics here, exactly as in REFERENCE.md ("Overfitting guards"), put a probability on it:

- :func:`probabilistic_sharpe_ratio` (PSR, Bailey & Lopez de Prado 2012, J. Risk 15(2)): the
  probability that the true Sharpe ratio exceeds a benchmark, given the track record's length,
  skewness and kurtosis::

      PSR(SR*) = Phi((SR - SR*) sqrt(T - 1) / sqrt(1 - g3 SR + (g4 - 1) / 4 SR^2))

- :func:`minimum_track_record_length` (MinTRL, same paper): the bars needed for the observed
  Sharpe to beat SR* with the given confidence::

      MinTRL = 1 + (1 - g3 SR + (g4 - 1) / 4 SR^2) (z_alpha / (SR - SR*))^2

- :func:`deflated_sharpe_ratio` (DSR, Bailey & Lopez de Prado 2014, J. Portfolio Mgmt 40(5)):
  the PSR against the Sharpe ratio the best of N unskilled trials would show::

      SR0 = sqrt(Var[SR_n]) ((1 - gamma) PhiInv(1 - 1/N) + gamma PhiInv(1 - 1/(N e)))
      DSR = PSR(SR0),   gamma = 0.5772156649 (Euler-Mascheroni)

- :func:`probability_of_backtest_overfitting` (PBO by combinatorially symmetric
  cross-validation, Bailey, Borwein, Lopez de Prado & Zhu 2017, J. Comput. Finance 20(4)): the
  T x N matrix of trial returns is cut into S blocks of consecutive bars; for each of the
  C(S, S/2) ways to pick half of them as in-sample, the trial with the best in-sample Sharpe is
  ranked among all trials out of sample: w = rank / (N + 1), lambda = ln(w / (1 - w)); PBO is
  the share of splits with lambda <= 0. Computed natively (kernels/stats.cpp) from per-block
  sums, in parallel, with a result independent of the thread count.

Conventions (written into every name): ``*_per_bar`` Sharpe ratios are per bar (mean / std of
the per-bar returns, std with ddof 1, the convention of the backtester's metrics);
``*_annualised`` ones are multiplied by ``sqrt(bars_per_year)``. The formulas take per-bar
values: a per-bar SR and an annualised one differ by a factor of up to ~300 for minute bars, and
mixing them silently gives a DSR of 1. Skewness g3 = m3 / m2^1.5 and kurtosis g4 = m4 / m2^2
are the moment estimators with divisor T (``scipy.stats.skew``, ``kurtosis(fisher=False)``;
kurtosis is raw, 3 for normal returns). The variance of the trials' Sharpe ratios uses ddof 1.

Every :func:`nse_polars.sweep` attaches these per symbol (``SweepResult.overfitting``) with a
one-line verdict in its printed summary; :func:`nse_polars.walk_forward` is the other guard
(optimise in-sample, judge only out-of-sample).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from nse_polars import _core

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "EULER_GAMMA",
    "PBOResult",
    "SharpeStatistics",
    "annualised_to_per_bar",
    "deflated_sharpe_ratio",
    "expected_max_sharpe_per_bar",
    "minimum_track_record_length",
    "per_bar_to_annualised",
    "probabilistic_sharpe_ratio",
    "probability_of_backtest_overfitting",
    "sharpe_statistics",
    "verdict",
]

EULER_GAMMA = 0.5772156649015329
_NORMAL = NormalDist()
# Verdict thresholds: a DSR of 0.95 is the papers' usual 5 % significance level.
DSR_SIGNIFICANT = 0.95
DSR_LUCK = 0.5
PBO_LUCK = 0.5


def _real(name: str, value: Any, *, low: float | None = None, strict: bool = False) -> float:
    ok = isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool)
    if not ok:
        msg = f"`{name}` must be a real number, got {value!r}"
        raise TypeError(msg)
    x = float(value)
    if not math.isfinite(x):
        msg = f"`{name}` must be finite, got {value!r}"
        raise ValueError(msg)
    if low is not None and (x <= low if strict else x < low):
        msg = f"`{name}` must be {'>' if strict else '>='} {low:g}, got {value!r}"
        raise ValueError(msg)
    return x


def _count(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        msg = f"`{name}` must be an integer, got {value!r}"
        raise TypeError(msg)
    if value < low:
        msg = f"`{name}` must be >= {low}, got {value!r}"
        raise ValueError(msg)
    return int(value)


def _moment_term(sharpe_per_bar: float, skewness: float, kurtosis: float) -> float:
    """1 - g3 SR + (g4 - 1) / 4 SR^2: positive whenever g4 >= 1 + g3^2, which every
    distribution (and every sample, with these estimators) satisfies."""
    if kurtosis < 1.0 + skewness * skewness - 1e-12:
        msg = (
            f"`kurtosis` ({kurtosis!r}) must be >= 1 + skewness^2 ({1 + skewness * skewness!r}): "
            "no distribution has these moments (is `kurtosis` the excess kurtosis? pass the raw "
            "kurtosis, 3 for normal returns)"
        )
        raise ValueError(msg)
    term = 1.0 - skewness * sharpe_per_bar + (kurtosis - 1.0) / 4.0 * sharpe_per_bar**2
    return max(term, 0.0)


def annualised_to_per_bar(sharpe_annualised: float, bars_per_year: float) -> float:
    """Per-bar Sharpe ratio from an annualised one: ``SR / sqrt(bars_per_year)``."""
    a = _real("bars_per_year", bars_per_year, low=0, strict=True)
    return _real("sharpe_annualised", sharpe_annualised) / math.sqrt(a)


def per_bar_to_annualised(sharpe_per_bar: float, bars_per_year: float) -> float:
    """Annualised Sharpe ratio from a per-bar one: ``SR x sqrt(bars_per_year)``."""
    a = _real("bars_per_year", bars_per_year, low=0, strict=True)
    return _real("sharpe_per_bar", sharpe_per_bar) * math.sqrt(a)


def probabilistic_sharpe_ratio(
    sharpe_per_bar: float,
    n_bars: int,
    *,
    skewness: float = 0.0,
    kurtosis: float = 3.0,
    benchmark_per_bar: float = 0.0,
) -> float:
    """
    Probabilistic Sharpe Ratio: the probability that the true per-bar Sharpe ratio exceeds
    `benchmark_per_bar`, given `n_bars` returns with this skewness and raw kurtosis.

    ``PSR = Phi((SR - SR*) sqrt(T - 1) / sqrt(1 - g3 SR + (g4 - 1) / 4 SR^2))`` (Bailey & Lopez
    de Prado 2012). Every Sharpe ratio here is per bar (see :func:`annualised_to_per_bar`).

    Parameters
    ----------
    sharpe_per_bar
        Observed Sharpe ratio of the per-bar returns (mean / std, ddof 1).
    n_bars
        Number of returns T (>= 2).
    skewness, kurtosis
        g3 and the raw kurtosis g4 of the returns (normal: 0 and 3); g4 >= 1 + g3^2.
    benchmark_per_bar
        SR*, per bar.

    Examples
    --------
    >>> import nse_polars as nse
    >>> round(nse.stats.probabilistic_sharpe_ratio(0.1, 253), 4)  # Phi(0.1 sqrt(252) / sqrt(1.005))
    0.9433
    """
    sr = _real("sharpe_per_bar", sharpe_per_bar)
    t = _count("n_bars", n_bars, 2)
    g3 = _real("skewness", skewness)
    g4 = _real("kurtosis", kurtosis)
    sr_star = _real("benchmark_per_bar", benchmark_per_bar)
    term = _moment_term(sr, g3, g4)
    if term == 0.0:  # a degenerate two-point distribution: the estimate has no spread
        return 1.0 if sr > sr_star else (0.5 if sr == sr_star else 0.0)
    return _NORMAL.cdf((sr - sr_star) * math.sqrt(t - 1) / math.sqrt(term))


def minimum_track_record_length(
    sharpe_per_bar: float,
    *,
    skewness: float = 0.0,
    kurtosis: float = 3.0,
    benchmark_per_bar: float = 0.0,
    confidence: float = 0.95,
) -> float:
    """
    Minimum track record length, in bars: how many returns it takes for an observed per-bar
    Sharpe ratio to reject ``true SR <= benchmark_per_bar`` with probability `confidence`.

    ``MinTRL = 1 + (1 - g3 SR + (g4 - 1) / 4 SR^2) (z / (SR - SR*))^2`` with
    ``z = PhiInv(confidence)`` (Bailey & Lopez de Prado 2012). Returns ``inf`` when the
    observed Sharpe ratio does not exceed the benchmark (no track record is long enough).
    Divide by bars per year for years.

    Examples
    --------
    >>> import nse_polars as nse
    >>> round(nse.stats.minimum_track_record_length(0.1), 1)  # normal returns: 1 + 1.005 z^2/0.01
    272.9
    """
    sr = _real("sharpe_per_bar", sharpe_per_bar)
    g3 = _real("skewness", skewness)
    g4 = _real("kurtosis", kurtosis)
    sr_star = _real("benchmark_per_bar", benchmark_per_bar)
    c = _real("confidence", confidence)
    if not 0.0 < c < 1.0:
        msg = f"`confidence` must be in (0, 1), got {confidence!r}"
        raise ValueError(msg)
    if sr <= sr_star:
        return math.inf
    z = _NORMAL.inv_cdf(c)
    return 1.0 + _moment_term(sr, g3, g4) * (z / (sr - sr_star)) ** 2


def expected_max_sharpe_per_bar(n_trials: int, sharpe_variance_per_bar: float) -> float:
    """
    SR0: the expected largest per-bar Sharpe ratio among `n_trials` unskilled trials whose
    per-bar Sharpe ratios have variance `sharpe_variance_per_bar` (Bailey & Lopez de Prado 2014):
    ``sqrt(V) ((1 - gamma) PhiInv(1 - 1/N) + gamma PhiInv(1 - 1/(N e)))``.

    Examples
    --------
    >>> import nse_polars as nse
    >>> round(nse.stats.expected_max_sharpe_per_bar(100, 0.5 / 250), 4)  # the 2014 paper's SR0
    0.1132
    """
    n = _count("n_trials", n_trials, 2)
    v = _real("sharpe_variance_per_bar", sharpe_variance_per_bar, low=0.0)
    z1 = _NORMAL.inv_cdf(1.0 - 1.0 / n)
    z2 = _NORMAL.inv_cdf(1.0 - 1.0 / (n * math.e))
    return math.sqrt(v) * ((1.0 - EULER_GAMMA) * z1 + EULER_GAMMA * z2)


def deflated_sharpe_ratio(
    sharpe_per_bar: float,
    n_bars: int,
    n_trials: int,
    sharpe_variance_per_bar: float,
    *,
    skewness: float = 0.0,
    kurtosis: float = 3.0,
) -> float:
    """
    Deflated Sharpe Ratio: the probability that the best of `n_trials` trials has a true
    per-bar Sharpe ratio above what the best of as many unskilled trials would show,
    ``PSR(SR0)`` with SR0 from :func:`expected_max_sharpe_per_bar` (Bailey & Lopez de Prado 2014).

    Parameters
    ----------
    sharpe_per_bar
        The selected (best) trial's per-bar Sharpe ratio.
    n_bars
        Its number of returns T.
    n_trials
        Number of trials N the selection was made from (>= 2).
    sharpe_variance_per_bar
        Variance of the trials' per-bar Sharpe ratios (ddof 1 in :func:`nse_polars.sweep`).
    skewness, kurtosis
        Of the selected trial's returns (raw kurtosis).

    Examples
    --------
    The 2014 paper's example: 100 trials, annualised Sharpe 2.5 with variance 0.5 across trials,
    five years of daily returns (250 a year), skewness -3, kurtosis 10:

    >>> import nse_polars as nse
    >>> sr = nse.stats.annualised_to_per_bar(2.5, 250)
    >>> dsr = nse.stats.deflated_sharpe_ratio(sr, 1250, 100, 0.5 / 250, skewness=-3, kurtosis=10)
    >>> round(dsr, 4)
    0.9004
    """
    sr0 = expected_max_sharpe_per_bar(n_trials, sharpe_variance_per_bar)
    return probabilistic_sharpe_ratio(
        sharpe_per_bar, n_bars, skewness=skewness, kurtosis=kurtosis, benchmark_per_bar=sr0
    )


@dataclass(frozen=True)
class SharpeStatistics:
    """What the PSR, MinTRL and DSR need from a return series."""

    sharpe_per_bar: float
    n_bars: int
    skewness: float
    kurtosis: float

    def sharpe_annualised(self, bars_per_year: float) -> float:
        return per_bar_to_annualised(self.sharpe_per_bar, bars_per_year)


def _as_vector(name: str, values: Any) -> np.ndarray:
    if isinstance(values, pl.Series):
        if values.null_count():
            msg = f"`{name}` has {values.null_count()} null value(s); drop or fill them first"
            raise ValueError(msg)
        values = values.to_numpy()
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1:
        msg = f"`{name}` must be one-dimensional, got shape {x.shape}"
        raise ValueError(msg)
    bad = np.flatnonzero(~np.isfinite(x))
    if bad.size:
        msg = f"`{name}` must be finite: element {bad[0]} is {x[bad[0]]!r}"
        raise ValueError(msg)
    return x


def sharpe_statistics(returns: Any, *, rf_per_bar: float = 0.0) -> SharpeStatistics:
    """
    Per-bar Sharpe ratio ``mean(r - rf) / std(r, ddof=1)``, T, skewness and raw kurtosis of
    per-bar returns (a numpy array or a Polars Series without nulls).

    A series with zero variance has a Sharpe ratio of 0 when its excess mean is 0 (a strategy
    that never trades) and +/-inf otherwise; its skewness is 0 and kurtosis 3 (by convention:
    the moments are undefined).

    Examples
    --------
    >>> import numpy as np
    >>> import nse_polars as nse
    >>> s = nse.stats.sharpe_statistics(np.array([0.02, -0.01, 0.04, 0.0]))
    >>> round(s.sharpe_per_bar, 4), s.n_bars, round(s.skewness, 4), round(s.kurtosis, 4)
    (0.5637, 4, 0.278, 1.5734)
    """
    x = _as_vector("returns", returns)
    rf = _real("rf_per_bar", rf_per_bar)
    if x.size < 2:
        msg = f"`returns` needs at least 2 values, got {x.size}"
        raise ValueError(msg)
    mean = float(x.mean())
    d = x - mean
    m2 = float(np.mean(d * d))
    excess = mean - rf
    if m2 == 0.0:
        sr = 0.0 if excess == 0 else math.copysign(math.inf, excess)
        return SharpeStatistics(sr, int(x.size), 0.0, 3.0)
    sd = math.sqrt(m2 * x.size / (x.size - 1))
    g3 = float(np.mean(d**3)) / m2**1.5
    g4 = float(np.mean(d**4)) / m2**2
    return SharpeStatistics(excess / sd, int(x.size), g3, g4)


@dataclass(frozen=True)
class PBOResult:
    """CSCV outcome: ``pbo`` and one row per split in ``splits`` (the in-sample blocks, the
    in-sample best trial, its in-sample and out-of-sample per-bar Sharpe, relative rank w and
    logit), plus ``trial_sharpe_per_bar`` over the whole sample and the summary numbers of the
    paper: ``performance_degradation`` (slope of out-of-sample on in-sample Sharpe of the best
    trial across splits) and ``probability_of_loss`` (share of splits whose best trial has a
    negative out-of-sample Sharpe)."""

    pbo: float
    n_blocks: int
    n_trials: int
    n_bars: int
    splits: pl.DataFrame
    trial_sharpe_per_bar: np.ndarray
    performance_degradation: float
    probability_of_loss: float


def _as_matrix(returns: Any) -> tuple[np.ndarray, list[str] | None]:
    names = None
    if isinstance(returns, pl.DataFrame):
        names = returns.columns
        nulls = [c for c, n in zip(returns.columns, returns.null_count().row(0), strict=True) if n]
        if nulls:
            msg = f"`returns` column {nulls[0]!r} has null values; drop or fill them first"
            raise ValueError(msg)
        returns = returns.cast(pl.Float64).to_numpy()
    x = np.asarray(returns)
    if x.ndim != 2:
        msg = f"`returns` must be 2-dimensional (bars x trials), got shape {x.shape}"
        raise ValueError(msg)
    if x.dtype != np.float64:
        x = x.astype(np.float64)
    return x, names


def probability_of_backtest_overfitting(
    returns: Any, *, n_blocks: int = 16, rf_per_bar: float = 0.0
) -> PBOResult:
    """
    Probability of Backtest Overfitting by combinatorially symmetric cross-validation.

    Parameters
    ----------
    returns
        Per-bar returns, bars x trials: a 2-D numpy array (any memory layout, read in place) or
        a Polars DataFrame with one column per trial. Every value must be finite (NaN is an
        error naming the bar and trial: fill missing returns with 0 for "no position" first).
    n_blocks
        S, even, 2..24: the bars are cut into S blocks, block b holding bars
        ``floor(b T / S) .. floor((b + 1) T / S) - 1``; needs T >= 2 S. S = 16 gives 12,870
        splits.
    rf_per_bar
        Per-bar risk-free rate subtracted from the mean in every Sharpe ratio.

    Notes
    -----
    Performance is the per-bar Sharpe ratio (ddof 1). A trial with zero variance over a set of
    blocks has Sharpe 0 if its excess mean is 0, else +/-inf. The in-sample best is the first
    trial with the largest Sharpe ratio; out-of-sample ranks are mid-ranks (tied trials share
    the mean of their ranks), w = rank / (N + 1), and a split counts as overfit when
    ``ln(w / (1 - w)) <= 0``. Splits are listed in ``itertools.combinations(range(S), S // 2)``
    order of their in-sample blocks.

    Examples
    --------
    >>> import numpy as np
    >>> import nse_polars as nse
    >>> noise = np.random.default_rng(0).normal(0, 0.01, (2000, 50))
    >>> res = nse.stats.probability_of_backtest_overfitting(noise, n_blocks=8)
    >>> res.splits.height, 0.2 < res.pbo < 0.8
    (70, True)
    """
    s = _count("n_blocks", n_blocks, 2)
    rf = _real("rf_per_bar", rf_per_bar)
    x, _names = _as_matrix(returns)
    if x.shape[1] < 2:
        msg = f"`returns` needs at least 2 trials (columns), got {x.shape[1]}"
        raise ValueError(msg)
    out = _core.cscv(x, s, rf)
    return _pbo_result(out, s, x.shape[1], x.shape[0])


def _pbo_result(out: dict[str, Any], n_blocks: int, n_trials: int, n_bars: int) -> PBOResult:
    import itertools

    half = n_blocks // 2
    combos = np.fromiter(
        itertools.chain.from_iterable(itertools.combinations(range(n_blocks), half)),
        dtype=np.int32,
    ).reshape(-1, half)
    is_sr, oos_sr = out["is_sharpe"], out["oos_sharpe"]
    splits = pl.DataFrame(
        {
            "in_sample_blocks": pl.Series(combos).cast(pl.List(pl.Int32)),
            "best_trial": out["best_trial"],
            "is_sharpe_per_bar": is_sr,
            "oos_sharpe_per_bar": oos_sr,
            "oos_relative_rank": out["rank"],
            "logit": out["logit"],
        },
    )
    finite = np.isfinite(is_sr) & np.isfinite(oos_sr)
    slope = math.nan
    if finite.sum() >= 2 and np.ptp(is_sr[finite]) > 0:
        slope = float(np.polyfit(is_sr[finite], oos_sr[finite], 1)[0])
    return PBOResult(
        pbo=float(out["pbo"]),
        n_blocks=n_blocks,
        n_trials=n_trials,
        n_bars=n_bars,
        splits=splits,
        trial_sharpe_per_bar=out["trial_sharpe"],
        performance_degradation=slope,
        probability_of_loss=float(np.mean(oos_sr < 0)),
    )


def verdict(sharpe_annualised: float | None, dsr: float | None, pbo: float | None = None) -> str:
    """
    One line on the best configuration of a sweep: its Sharpe ratio, the deflated Sharpe
    probability, the PBO, and what they say together.

    "no edge" when the best Sharpe is not positive; else "likely luck" when DSR < 0.5 or
    PBO >= 0.5; "unlikely to be luck" when DSR >= 0.95 and PBO (if known) < 0.5; "inconclusive"
    otherwise.

    Examples
    --------
    >>> import nse_polars as nse
    >>> nse.stats.verdict(2.1, 0.31, 0.62)
    'best Sharpe 2.10, deflated Sharpe probability 0.31, PBO 0.62: likely luck'
    """
    if sharpe_annualised is None or dsr is None or not math.isfinite(dsr):
        return "too few trials or bars to judge the best Sharpe (needs 2+ trials)"
    parts = [f"best Sharpe {sharpe_annualised:.2f}", f"deflated Sharpe probability {dsr:.2f}"]
    known_pbo = pbo is not None and math.isfinite(pbo)
    if known_pbo:
        parts.append(f"PBO {pbo:.2f}")
    if sharpe_annualised <= 0:
        word = "no edge"
    elif dsr < DSR_LUCK or (known_pbo and pbo >= PBO_LUCK):
        word = "likely luck"
    elif dsr >= DSR_SIGNIFICANT:
        word = "unlikely to be luck"
    else:
        word = "inconclusive"
    return ", ".join(parts) + ": " + word


# --- the sweep's overfitting columns ---------------------------------------------------------

OVERFITTING_COLUMNS = (
    "n_trials",
    "n_bars",
    "best_sharpe",
    "best_sharpe_per_bar",
    "sharpe_variance_per_bar",
    "expected_max_sharpe_per_bar",
    "psr",
    "dsr",
    "pbo",
    "verdict",
)


class GroupJudge:
    """Collects the overfitting numbers of a sweep, one symbol at a time (the sweep hands each
    symbol's per-set Sharpe ratios and (sets x bars) returns to :meth:`add`, then discards the
    returns), and builds ``SweepResult.overfitting`` with :meth:`frame`.

    Per symbol: the trials are the valid parameter sets; the best is the first set with the
    largest Sharpe (a set whose Sharpe is undefined, e.g. one that never trades, counts as 0);
    PSR is against 0, DSR against SR0 from the variance (ddof 1) of the sets' per-bar Sharpe
    ratios; moments are those of the best set's returns; PBO is CSCV over the sets' returns
    (null with fewer than 2 x n_blocks bars)."""

    def __init__(self, bars_per_year: float, rf_per_bar: float, n_blocks: int) -> None:
        s = _count("n_blocks", n_blocks, 2)
        if s % 2 or s > 24:
            msg = f"`n_blocks` must be an even number in [2, 24], got {n_blocks!r}"
            raise ValueError(msg)
        self.scale = math.sqrt(bars_per_year)
        self.rf_per_bar = rf_per_bar
        self.n_blocks = s
        self.groups: list[dict[str, Any]] = []

    def add(self, sharpe: np.ndarray, returns: np.ndarray) -> None:
        n_sets, n_bars = returns.shape
        row: dict[str, Any] = dict.fromkeys(OVERFITTING_COLUMNS)
        row.update(n_trials=n_sets, n_bars=n_bars, best=0)
        self.groups.append(row)
        if n_sets == 0 or n_bars < 2:
            row["verdict"] = verdict(None, None)
            return
        sr_annual = np.nan_to_num(sharpe, nan=0.0)
        sr = sr_annual / self.scale
        best = int(np.argmax(sr))
        stats = sharpe_statistics(returns[best])
        kw = {"skewness": stats.skewness, "kurtosis": stats.kurtosis}
        row.update(
            best=best,
            best_sharpe=float(sr_annual[best]),
            best_sharpe_per_bar=float(sr[best]),
            psr=probabilistic_sharpe_ratio(float(sr[best]), n_bars, **kw),
        )
        if n_sets >= 2:
            variance = float(np.var(sr, ddof=1))
            sr0 = expected_max_sharpe_per_bar(n_sets, variance)
            row.update(
                sharpe_variance_per_bar=variance,
                expected_max_sharpe_per_bar=sr0,
                dsr=probabilistic_sharpe_ratio(
                    float(sr[best]), n_bars, benchmark_per_bar=sr0, **kw
                ),
            )
            if n_bars >= 2 * self.n_blocks:
                res = _core.cscv(returns.T, self.n_blocks, self.rf_per_bar)
                row["pbo"] = float(res["pbo"])
        row["verdict"] = verdict(row["best_sharpe"], row["dsr"], row["pbo"])

    def frame(
        self, metrics: pl.DataFrame, param_names: Sequence[str], by: str | None
    ) -> pl.DataFrame:
        """One row per symbol: the symbol, the best set's parameters, OVERFITTING_COLUMNS."""
        n_sets = self.groups[0]["n_trials"] if self.groups else 0
        take = [g * n_sets + row["best"] for g, row in enumerate(self.groups)]
        keys = metrics.select(([by] if by is not None else []) + list(param_names))[take]
        numbers = pl.DataFrame(
            [{c: row[c] for c in OVERFITTING_COLUMNS} for row in self.groups],
            schema={
                "n_trials": pl.Int64,
                "n_bars": pl.Int64,
                **{c: pl.Float64 for c in OVERFITTING_COLUMNS[2:-1]},
                "verdict": pl.String,
            },
            orient="row",
        )
        return pl.concat([keys, numbers], how="horizontal")


def format_verdicts(overfitting: pl.DataFrame | None, by: str | None, limit: int = 10) -> str:
    """The printed lines of a sweep summary: one verdict per symbol (the first `limit`)."""
    if overfitting is None or overfitting.height == 0:
        return ""
    lines = []
    for row in overfitting.head(limit).iter_rows(named=True):
        who = f"{row[by]}: " if by is not None else ""
        lines.append(f"  {who}{row['verdict']} ({row['n_trials']} trials)")
    if overfitting.height > limit:
        lines.append(f"  ... {overfitting.height - limit} more symbol(s) in .overfitting")
    return "Overfitting (the best set of each symbol; see .overfitting):\n" + "\n".join(lines)

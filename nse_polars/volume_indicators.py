"""Indicators that read volume or open, session VWAP and statistics against a benchmark
column, as Polars expressions (the source of truth), plus the ``.nse`` namespace methods that
forward to them (mixed into namespace.py).

Inputs follow the multi-input convention of :mod:`nse_polars.hlc_indicators`: each column by
keyword, a name or an expression, with the canonical column name as the default. The
statistics against a benchmark take ``x`` (the series; the expression itself on the Expr
namespace) and ``benchmark``, which has no default.

The null rule of :mod:`nse_polars.functions` applies to every input column together: a row
where any input (VWAP's session key included) is null, NaN or infinite gives a null output,
and the computation runs over the remaining rows as if the dropped ones were not there.

Windowed statistics (MFI's money-flow sums, BETA, CORREL, the rolling covariance, correlation
and beta) are computed in O(N) with sums over blocks of the window grid, each taken relative
to one of the window's own values, and stay within ~1e-13 of an exact two-pass computation at
any price level (TA-Lib's running sums of raw products do not at prices near 1e8).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from nse_polars import _plugin

if TYPE_CHECKING:
    from polars._typing import IntoExpr

__all__ = [
    "ad",
    "adosc",
    "beta",
    "bop",
    "correl",
    "mfi",
    "obv",
    "rolling_beta",
    "rolling_corr",
    "rolling_cov",
    "vwap",
]

# The oracle each function is tested against (tests/test_volume*.py); the docs table is
# generated from it and ``_core.describe()``.
ORACLES: dict[str, str] = {
    "obv": "talib.OBV",
    "ad": "talib.AD",
    "adosc": "talib.ADOSC",
    "mfi": "talib.MFI",
    "bop": "talib.BOP",
    "beta": "talib.BETA (as talib.BETA(benchmark, x)); exact rationals at 1e8 prices",
    "correl": "talib.CORREL; exact rationals at 1e8 prices",
    "vwap": "numpy two-pass per session (exact rationals at 1e8 prices)",
    "rolling_cov": "numpy two-pass (exact rationals)",
    "rolling_corr": "numpy two-pass (exact rationals)",
    "rolling_beta": "numpy two-pass (exact rationals)",
}


def obv(close: IntoExpr = "close", volume: IntoExpr = "volume") -> pl.Expr:
    """
    On-balance volume: a running total that adds the bar's volume when the close rises and
    subtracts it when the close falls (unchanged on an equal close).

    As TA-Lib: the first value is the first bar's volume. Lookback 0.

    Parameters
    ----------
    close, volume
        Columns (names or expressions).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [1.0, 2.0, 2.0, 1.0], "volume": [10, 20, 30, 40]})
    >>> df.select(nse.obv())["close"].to_list()
    [10.0, 30.0, 30.0, -10.0]
    """
    return _plugin.call("obv", [close, volume])


def ad(
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    volume: IntoExpr = "volume",
) -> pl.Expr:
    """
    Chaikin accumulation/distribution line: the running total of
    ``((close - low) - (high - close)) / (high - low) * volume``.

    As TA-Lib, a bar with ``high - low <= 0`` adds nothing. Lookback 0.

    Parameters
    ----------
    high, low, close, volume
        Columns (names or expressions).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame(
    ...     {"high": [2.0, 3.0], "low": [0.0, 1.0], "close": [1.5, 1.0], "volume": [10, 10]}
    ... )
    >>> df.select(nse.ad())["high"].to_list()
    [5.0, -5.0]
    """
    return _plugin.call("ad", [high, low, close, volume])


def adosc(
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    volume: IntoExpr = "volume",
    fast: int = 3,
    slow: int = 10,
) -> pl.Expr:
    """
    Chaikin A/D oscillator: ``EMA(fast) - EMA(slow)`` of the A/D line (:func:`ad`).

    As TA-Lib: ``k = 2 / (period + 1)``, both EMAs seeded with the first bar's A/D value (not
    with an SMA) and computed with TA-Lib's fused multiply-add, so the values equal TA-Lib's
    to the bit; lookback ``max(fast, slow) - 1``. The periods are used as given: TA-Lib
    neither swaps nor rejects ``fast > slow`` (the sign flips), and neither does this.

    Parameters
    ----------
    high, low, close, volume
        Columns (names or expressions).
    fast, slow
        EMA periods, integers >= 1 (TA-Lib: >= 2).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame(
    ...     {"high": [2.0, 3.0, 3.0], "low": [0.0, 1.0, 1.0], "close": [1.5, 1.0, 3.0],
    ...      "volume": [10, 10, 10]}
    ... )
    >>> df.select(nse.adosc(fast=1, slow=2))["high"].round(4).to_list()
    [None, -3.3333, 2.2222]
    """
    return _plugin.call("adosc", [high, low, close, volume], fast=fast, slow=slow)


def mfi(
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    volume: IntoExpr = "volume",
    period: int = 14,
) -> pl.Expr:
    """
    Money flow index, between 0 and 100.

    As TA-Lib: the typical price ``tp = (high + low + close) / 3``; a bar's money flow
    ``tp * volume`` is positive when ``tp`` rose from the previous bar, negative when it fell,
    and none when it moved by at most 1e-14 of ``|tp| + |tp_prev|`` (TA-Lib's scaled dead
    zone); ``MFI = 100 * P / (P + N)`` over the flows of the last `period` bars, and 0 when
    ``P + N = 0`` (no flow in the window). Lookback ``period``. The window sums are exact
    block sums (TA-Lib keeps a running sum that adds and subtracts; on ordinary data the two
    agree to ~1e-14 of 100, and TA-Lib's may leave a residue of ~1e-14 where the exact value
    is 0).

    Parameters
    ----------
    high, low, close, volume
        Columns (names or expressions); volume is expected to be non-negative.
    period
        Number of flows in the window, an integer >= 1 (TA-Lib: >= 2).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame(
    ...     {"high": [1.0, 2.0, 1.0], "low": [1.0, 2.0, 1.0], "close": [1.0, 2.0, 1.0],
    ...      "volume": [1, 1, 2]}
    ... )
    >>> df.select(nse.mfi(period=2))["high"].to_list()
    [None, None, 50.0]
    """
    return _plugin.call("mfi", [high, low, close, volume], period=period)


def bop(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
) -> pl.Expr:
    """
    Balance of power: ``(close - open) / (high - low)``, and 0 when ``high - low <= 0``.

    As TA-Lib (whose zero test is exact in the TA-Lib build used as the oracle). Lookback 0.

    Parameters
    ----------
    open, high, low, close
        Columns (names or expressions).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame(
    ...     {"open": [1.0, 2.0], "high": [3.0, 2.0], "low": [1.0, 2.0], "close": [2.0, 2.0]}
    ... )
    >>> df.select(nse.bop())["open"].to_list()
    [0.5, 0.0]
    """
    return _plugin.call("bop", [open, high, low, close])


def beta(x: IntoExpr, benchmark: IntoExpr, period: int = 5) -> pl.Expr:
    """
    TA-Lib's BETA: the beta of `x` against `benchmark` from their one-bar returns,
    ``cov(r_x, r_b) / var(r_b)`` over the last `period` returns.

    Returns are TA-Lib's ``(p - p_prev) / p_prev``, and 0 when ``|p_prev| < 1e-14``. TA-Lib's
    ``BETA(real0, real1)`` is the slope of real1's returns on real0's (real0 is the market), so
    this equals ``talib.BETA(benchmark, x)``. Lookback ``period``. A window in which the
    benchmark's returns are all equal (zero variance) gives 0, TA-Lib's value. The sums are
    anchored block sums, not TA-Lib's running sums; the values agree with TA-Lib to ~1e-10 at
    ordinary price levels and with an exact computation to ~1e-13 everywhere.

    Parameters
    ----------
    x
        The series (name or expression): prices, not returns.
    benchmark
        The benchmark's prices (name or expression).
    period
        Number of returns in the window, an integer >= 1.

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"stock": [100.0, 102.0, 99.96, 101.9592],
    ...                    "index": [100.0, 101.0, 99.99, 100.9899]})
    >>> df.select(nse.beta("stock", "index", 3).round(6))["stock"].to_list()
    [None, None, None, 2.0]
    """
    return _plugin.call("beta", [x, benchmark], period=period)


def correl(x: IntoExpr, benchmark: IntoExpr, period: int = 30) -> pl.Expr:
    """
    TA-Lib's CORREL: Pearson's correlation of `x` and `benchmark` over the last `period`
    values (as given, not returns). Lookback ``period - 1``.

    A window in which either column is constant gives 0, TA-Lib's value; the result is clamped
    to [-1, 1]. Same values as :func:`rolling_corr` (TA-Lib's default period here). TA-Lib
    keeps running sums of raw products and loses digits when prices are large (about 1e-7
    relative near zero correlation at prices of 1e3, nothing left at 1e8); this stays within
    ~1e-13 of an exact computation.

    Parameters
    ----------
    x, benchmark
        Columns (names or expressions).
    period
        Window length, an integer >= 1.

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 4.0, 6.0, 5.0]})
    >>> df.select(nse.correl("a", "b", 3).round(6))["a"].to_list()
    [None, None, 1.0, 0.5]
    """
    return _plugin.call("correl", [x, benchmark], period=period)


def rolling_cov(x: IntoExpr, benchmark: IntoExpr, period: int = 20, *, ddof: int = 0) -> pl.Expr:
    """
    Rolling covariance of `x` and `benchmark` over the last `period` values, as given (pass
    returns to get the covariance of returns).

    ``sum((x - mean_x) (b - mean_b)) / (period - ddof)``: ``ddof=0`` (the default) is the
    population covariance, ``ddof=1`` the sample covariance (needs ``period >= 2``). A
    constant window gives 0. Lookback ``period - 1``.

    Parameters
    ----------
    x, benchmark
        Columns (names or expressions).
    period
        Window length, an integer >= 1.
    ddof
        0 (population) or 1 (sample).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, 3.0, 2.0]})
    >>> df.select(nse.rolling_cov("a", "b", 3))["a"].round(6).to_list()
    [None, None, 0.333333]
    >>> df.select(nse.rolling_cov("a", "b", 3, ddof=1))["a"].to_list()
    [None, None, 0.5]
    """
    return _plugin.call("rolling_cov", [x, benchmark], period=period, ddof=ddof)


def rolling_corr(x: IntoExpr, benchmark: IntoExpr, period: int = 20) -> pl.Expr:
    """
    Rolling Pearson correlation of `x` and `benchmark` over the last `period` values, as
    given. Lookback ``period - 1``.

    The ratio does not depend on ddof. A window in which either column is constant gives 0
    (as TA-Lib's CORREL); the result is clamped to [-1, 1]. Equal to :func:`correl`.

    Parameters
    ----------
    x, benchmark
        Columns (names or expressions).
    period
        Window length, an integer >= 1.

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 2.0, 1.0]})
    >>> df.select(nse.rolling_corr("a", "b", 2))["a"].to_list()
    [None, -1.0, -1.0]
    """
    return _plugin.call("rolling_corr", [x, benchmark], period=period)


def rolling_beta(x: IntoExpr, benchmark: IntoExpr, period: int = 20) -> pl.Expr:
    """
    Rolling beta of `x` against `benchmark` over the last `period` values, as given (pass
    returns for the usual beta of returns): ``cov(x, b) / var(b)``, the least-squares slope
    of `x` on `benchmark`. Lookback ``period - 1``.

    The ratio does not depend on ddof. A window in which the benchmark is constant gives 0
    (as TA-Lib's BETA).

    Parameters
    ----------
    x, benchmark
        Columns (names or expressions).
    period
        Window length, an integer >= 1.

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"a": [1.0, 3.0, 5.0], "b": [1.0, 2.0, 3.0]})
    >>> df.select(nse.rolling_beta("a", "b", 2))["a"].to_list()
    [None, 2.0, 2.0]
    """
    return _plugin.call("rolling_beta", [x, benchmark], period=period)


def session_key(ts: IntoExpr = "ts", session: IntoExpr | None = None) -> pl.Expr:
    """The session key VWAP resets on: `session` as its physical integers when given (dates,
    categoricals, integers), otherwise the calendar date of `ts` in the column's own time zone
    (days since 1970-01-01)."""
    if session is not None:
        column = pl.col(session) if isinstance(session, str) else session
        return column.to_physical()
    column = pl.col(ts) if isinstance(ts, str) else ts
    return column.dt.date().to_physical()


def vwap(
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    volume: IntoExpr = "volume",
    *,
    ts: IntoExpr = "ts",
    session: IntoExpr | None = None,
) -> pl.Expr:
    """
    Volume-weighted average price that resets every session.

    The typical price ``(high + low + close) / 3`` weighted by volume, accumulated from the
    first bar of the session to the current one. A new session starts wherever the session
    key differs from the previous row's: by default the calendar date of `ts` in that
    column's own time zone (``pl.col(ts).dt.date()``: convert the column to
    ``Asia/Kolkata`` first if it is stored in UTC), or the `session` column when given
    (compared as its physical integers, e.g. a Date or an integer session id; keys must be
    below 2**53 in magnitude). While the session's volume so far is 0 the value is the bar's
    typical price. Lookback 0 (TA-Lib has no VWAP).

    The session key is an input like the others: a row with a null key is dropped by the null
    rule (null output, not part of any session). Rows are taken in frame order; a frame that
    is not sorted by time starts a new session at every change of date.

    Parameters
    ----------
    high, low, close, volume
        Columns (names or expressions).
    ts
        Timestamp (Datetime or Date) column the session date is taken from.
    session
        A ready-made session key column instead of `ts` (name or expression).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame(
    ...     {"high": [2.0, 4.0, 6.0], "low": [2.0, 4.0, 6.0], "close": [2.0, 4.0, 6.0],
    ...      "volume": [1, 3, 0], "day": [1, 1, 2]}
    ... )
    >>> df.select(nse.vwap(session="day"))["high"].to_list()
    [2.0, 3.5, 6.0]
    """
    return _plugin.call("vwap", [high, low, close, volume, session_key(ts, session)])


class VolumeExprMethods:
    """Mixed into the Expr ``.nse`` namespace; ``self._expr`` is the column."""

    _expr: pl.Expr

    def obv(self, *, volume: IntoExpr = "volume") -> pl.Expr:
        """On-balance volume of this close column; see :func:`nse_polars.obv`."""
        return obv(self._expr, volume)

    def ad(
        self, *, high: IntoExpr = "high", low: IntoExpr = "low", volume: IntoExpr = "volume"
    ) -> pl.Expr:
        """Chaikin A/D line of this close column; see :func:`nse_polars.ad`."""
        return ad(high, low, self._expr, volume)

    def adosc(
        self,
        fast: int = 3,
        slow: int = 10,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        volume: IntoExpr = "volume",
    ) -> pl.Expr:
        """Chaikin A/D oscillator of this close column; see :func:`nse_polars.adosc`."""
        return adosc(high, low, self._expr, volume, fast=fast, slow=slow)

    def mfi(
        self,
        period: int = 14,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        volume: IntoExpr = "volume",
    ) -> pl.Expr:
        """Money flow index of this close column; see :func:`nse_polars.mfi`."""
        return mfi(high, low, self._expr, volume, period=period)

    def bop(
        self,
        *,
        open: IntoExpr = "open",
        high: IntoExpr = "high",
        low: IntoExpr = "low",
    ) -> pl.Expr:
        """Balance of power of this close column; see :func:`nse_polars.bop`."""
        return bop(open, high, low, self._expr)

    def beta(self, period: int = 5, *, benchmark: IntoExpr) -> pl.Expr:
        """TA-Lib's BETA of this column against `benchmark`; see :func:`nse_polars.beta`."""
        return beta(self._expr, benchmark, period)

    def correl(self, period: int = 30, *, benchmark: IntoExpr) -> pl.Expr:
        """TA-Lib's CORREL with `benchmark`; see :func:`nse_polars.correl`."""
        return correl(self._expr, benchmark, period)

    def rolling_cov(self, period: int = 20, *, benchmark: IntoExpr, ddof: int = 0) -> pl.Expr:
        """Rolling covariance with `benchmark`; see :func:`nse_polars.rolling_cov`."""
        return rolling_cov(self._expr, benchmark, period, ddof=ddof)

    def rolling_corr(self, period: int = 20, *, benchmark: IntoExpr) -> pl.Expr:
        """Rolling correlation with `benchmark`; see :func:`nse_polars.rolling_corr`."""
        return rolling_corr(self._expr, benchmark, period)

    def rolling_beta(self, period: int = 20, *, benchmark: IntoExpr) -> pl.Expr:
        """Rolling beta against `benchmark`; see :func:`nse_polars.rolling_beta`."""
        return rolling_beta(self._expr, benchmark, period)

    def vwap(
        self,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        volume: IntoExpr = "volume",
        ts: IntoExpr = "ts",
        session: IntoExpr | None = None,
    ) -> pl.Expr:
        """Session VWAP with this close column; see :func:`nse_polars.vwap`."""
        return vwap(high, low, self._expr, volume, ts=ts, session=session)


class VolumeFrameMethods:
    """Mixed into the DataFrame/LazyFrame ``.nse`` namespace (``self._add`` adds columns)."""

    def obv(
        self, *, close: IntoExpr = "close", volume: IntoExpr = "volume", by: str | None = None
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``obv``; see :func:`nse_polars.obv`."""
        return self._add("obv", [close, volume], ["obv"], by)

    def ad(
        self,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        close: IntoExpr = "close",
        volume: IntoExpr = "volume",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``ad``; see :func:`nse_polars.ad`."""
        return self._add("ad", [high, low, close, volume], ["ad"], by)

    def adosc(
        self,
        fast: int = 3,
        slow: int = 10,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        close: IntoExpr = "close",
        volume: IntoExpr = "volume",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``adosc_<fast>_<slow>``; see :func:`nse_polars.adosc`."""
        return self._add(
            "adosc", [high, low, close, volume], [f"adosc_{fast}_{slow}"], by, fast=fast, slow=slow
        )

    def mfi(
        self,
        period: int = 14,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        close: IntoExpr = "close",
        volume: IntoExpr = "volume",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``mfi_<period>``; see :func:`nse_polars.mfi`."""
        return self._add("mfi", [high, low, close, volume], [f"mfi_{period}"], by, period=period)

    def bop(
        self,
        *,
        open: IntoExpr = "open",
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        close: IntoExpr = "close",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``bop``; see :func:`nse_polars.bop`."""
        return self._add("bop", [open, high, low, close], ["bop"], by)

    def beta(
        self,
        period: int = 5,
        *,
        benchmark: IntoExpr,
        x: IntoExpr = "close",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``beta_<period>``; see :func:`nse_polars.beta`."""
        return self._add("beta", [x, benchmark], [f"beta_{period}"], by, period=period)

    def correl(
        self,
        period: int = 30,
        *,
        benchmark: IntoExpr,
        x: IntoExpr = "close",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``correl_<period>``; see :func:`nse_polars.correl`."""
        return self._add("correl", [x, benchmark], [f"correl_{period}"], by, period=period)

    def rolling_cov(
        self,
        period: int = 20,
        *,
        benchmark: IntoExpr,
        x: IntoExpr = "close",
        ddof: int = 0,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``rolling_cov_<period>``; see :func:`nse_polars.rolling_cov`."""
        return self._add(
            "rolling_cov", [x, benchmark], [f"rolling_cov_{period}"], by, period=period, ddof=ddof
        )

    def rolling_corr(
        self,
        period: int = 20,
        *,
        benchmark: IntoExpr,
        x: IntoExpr = "close",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``rolling_corr_<period>``; see :func:`nse_polars.rolling_corr`."""
        return self._add(
            "rolling_corr", [x, benchmark], [f"rolling_corr_{period}"], by, period=period
        )

    def rolling_beta(
        self,
        period: int = 20,
        *,
        benchmark: IntoExpr,
        x: IntoExpr = "close",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``rolling_beta_<period>``; see :func:`nse_polars.rolling_beta`."""
        return self._add(
            "rolling_beta", [x, benchmark], [f"rolling_beta_{period}"], by, period=period
        )

    def vwap(
        self,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        close: IntoExpr = "close",
        volume: IntoExpr = "volume",
        ts: IntoExpr = "ts",
        session: IntoExpr | None = None,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``vwap`` (per session, and per group of `by`); see :func:`nse_polars.vwap`."""
        key = session_key(ts, session)
        return self._add("vwap", [high, low, close, volume, key], ["vwap"], by)

"""Deterministic synthetic OHLCV bars on an NSE trading calendar.

The generator exists so that demos, documentation and tests can run without
market data. Bars follow the NSE cash-market session (09:15-15:30 IST), prices
follow a geometric Brownian motion with fat-tailed innovations, an overnight
gap and a U-shaped intraday volatility profile, and everything is rounded to
the NSE tick size of 0.05.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence

import numpy as np
import polars as pl

__all__ = ["TICK_SIZE", "generate_ohlcv", "nse_session_bars"]

TICK_SIZE = 0.05
SESSION_MINUTES = 375
TRADING_DAYS_PER_YEAR = 252

_SESSION_OPEN_MINUTE = 9 * 60 + 15
# Prices are rounded as integer tick counts divided by 20, because k / 20 is the
# double nearest to k * 0.05 while k * 0.05 itself can be off by an ulp.
_TICKS_PER_RUPEE = 20
_US_PER_MINUTE = 60_000_000
_US_PER_DAY = 1440 * _US_PER_MINUTE
# IST has been a fixed UTC+05:30 since 1945, so local labels convert to UTC exactly.
_IST_OFFSET_US = 330 * _US_PER_MINUTE

# Share of the daily return variance realised between the previous close and the open.
_OVERNIGHT_VARIANCE_SHARE = 0.2
# Student-t with 5 degrees of freedom: visibly fat tails, yet a finite kurtosis.
_T_DOF = 5
_VOLATILITY_SMILE = 1.5
_VOLUME_SMILE = 3.0
_MEDIAN_DAILY_TURNOVER = 2e9  # rupees
_INTERVAL_RE = re.compile(r"([0-9]+)(m|h|d)")


def _parse_interval(interval: str) -> tuple[int, bool]:
    """Return ``(minutes per bar, is_daily)``; a daily bar is one 375-minute bar."""
    match = _INTERVAL_RE.fullmatch(interval.strip().lower()) if isinstance(interval, str) else None
    if match is None:
        raise ValueError(f"`interval` must look like '5m', '1h' or '1d', got {interval!r}")
    count, unit = int(match.group(1)), match.group(2)
    if unit == "d":
        if count != 1:
            raise ValueError(f"`interval` only supports '1d' for daily bars, got {interval!r}")
        return SESSION_MINUTES, True
    minutes = count * 60 if unit == "h" else count
    if not 1 <= minutes <= SESSION_MINUTES:
        raise ValueError(
            f"`interval` must be between 1 and {SESSION_MINUTES} minutes, got {interval!r}"
        )
    return minutes, False


def nse_session_bars(interval: str) -> int:
    """Return the number of bars in one NSE cash-market session (09:15-15:30 IST).

    Bars are anchored at 09:15; when the bar length does not divide the
    375-minute session (e.g. ``"30m"``, ``"1h"``) the last bar is shorter and
    ends at 15:30, as on exchange and broker charts.

    Parameters
    ----------
    interval : str
        Bar length such as ``"1m"``, ``"5m"``, ``"1h"`` or ``"1d"``.

    Returns
    -------
    int
        Bars per session.

    Examples
    --------
    >>> nse_session_bars("5m"), nse_session_bars("1h"), nse_session_bars("1d")
    (75, 7, 1)
    """
    minutes, _ = _parse_interval(interval)
    return -(-SESSION_MINUTES // minutes)


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        kind = "a positive integer" if minimum == 1 else "a non-negative integer"
        raise ValueError(f"`{name}` must be {kind}, got {value!r}")
    return int(value)


def _check_real(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"`{name}` must be a real number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"`{name}` must be finite, got {value!r}")
    return float(value)


def _check_symbols(symbols: int | Sequence[str]) -> list[str]:
    if isinstance(symbols, (int, np.integer)) and not isinstance(symbols, bool):
        return [f"SYM{i:03d}" for i in range(_check_int("symbols", symbols, 1))]
    if isinstance(symbols, (str, bytes)):
        raise ValueError(
            f"`symbols` must be an int or a sequence of names, got the single string {symbols!r};"
            " wrap it in a list"
        )
    try:
        names = list(symbols)
    except TypeError:
        raise ValueError(
            f"`symbols` must be an int or a sequence of names, got {symbols!r}"
        ) from None
    if not names:
        raise ValueError("`symbols` must not be empty")
    if not all(isinstance(name, str) and name for name in names):
        raise ValueError(f"`symbols` must contain non-empty strings, got {names!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"`symbols` must be unique, got {names!r}")
    return names


def _check_start(start: str | dt.date) -> np.datetime64:
    if isinstance(start, dt.datetime):
        start = start.date()
    elif isinstance(start, str):
        try:
            start = dt.date.fromisoformat(start)
        except ValueError:
            raise ValueError(
                f"`start` must be an ISO date like '2024-01-01', got {start!r}"
            ) from None
    elif not isinstance(start, dt.date):
        raise ValueError(f"`start` must be a date or an ISO date string, got {start!r}")
    return np.datetime64(start, "D")


def _check_start_prices(
    start_price: float | Sequence[float] | None, n_symbols: int
) -> list[float | None]:
    if start_price is None:
        return [None] * n_symbols
    if isinstance(start_price, (str, bytes)):
        raise ValueError(
            f"`start_price` must be a number or a sequence of numbers, got {start_price!r}"
        )
    if isinstance(start_price, (int, float, np.integer, np.floating)):
        prices = [start_price] * n_symbols
    else:
        prices = list(start_price)
        if len(prices) != n_symbols:
            raise ValueError(
                f"`start_price` must be a number or have one entry per symbol ({n_symbols}),"
                f" got {len(prices)} entries"
            )
    checked = [_check_real("start_price", price) for price in prices]
    if min(checked) <= 0:
        raise ValueError(f"`start_price` must be positive, got {start_price!r}")
    return checked


def _check_time_zone(time_zone: str) -> str:
    if not isinstance(time_zone, str):
        raise ValueError(f"`time_zone` must be a time zone name, got {time_zone!r}")
    try:
        pl.Series(dtype=pl.Int64).cast(pl.Datetime("us", time_zone))
    except pl.exceptions.PolarsError as exc:
        raise ValueError(f"`time_zone` is not a known time zone: {time_zone!r}") from exc
    return time_zone


def _u_shape(offsets: np.ndarray, durations: np.ndarray, strength: float) -> np.ndarray:
    """Per-bar intensity, high at the open and close, averaging 1 over the session."""
    middle = (offsets + durations / 2) / SESSION_MINUTES
    shape = 1.0 + strength * (2.0 * middle - 1.0) ** 2
    return shape * durations.sum() / (shape * durations).sum()


def _symbol_rngs(seed: int, name: str) -> list[np.random.Generator]:
    """Independent streams keyed by the symbol name (not its position) and by purpose.

    Keying by name makes a symbol's series independent of which other symbols
    were requested; one stream per purpose, each drawn day by day, makes the
    first ``n`` days identical whatever ``days`` is.
    """
    encoded = name.encode("utf-8")
    key = (len(encoded), *encoded)
    return [
        np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(*key, purpose)))
        for purpose in range(4)
    ]


def _simulate_symbol(
    rngs: list[np.random.Generator],
    start_price: float | None,
    days: int,
    bar_variance: np.ndarray,
    bar_drift: np.ndarray,
    overnight_sd: float,
    overnight_drift: float,
    volume_per_bar: np.ndarray,
) -> tuple[np.ndarray, ...]:
    static_rng, return_rng, range_rng, volume_rng = rngs
    # Always draw the defaults so the other streams never depend on `start_price`.
    default_price = math.exp(static_rng.uniform(math.log(50.0), math.log(5000.0)))
    turnover = _MEDIAN_DAILY_TURNOVER * math.exp(static_rng.normal(0.0, 1.0))
    price0 = default_price if start_price is None else start_price
    n_bars = bar_variance.size

    # Column 0 is the overnight gap; rescale the t draws to unit variance.
    shocks = return_rng.standard_t(_T_DOF, size=(days, n_bars + 1)) * math.sqrt(
        (_T_DOF - 2) / _T_DOF
    )
    gap = overnight_drift + overnight_sd * shocks[:, 0]
    gap[0] = 0.0  # the series starts at `start_price`, there is no previous close
    moves = bar_drift + np.sqrt(bar_variance) * shocks[:, 1:]
    moves[:, 0] += gap

    log_close = math.log(price0) + np.cumsum(moves)
    log_open = np.empty_like(log_close)
    log_open[0] = math.log(price0)
    log_open[1:] = log_close[:-1]
    log_open[::n_bars] += gap

    # Sample the bar extremes from the exact law of a Brownian bridge between
    # open and close: P(max > m) = exp(-2 (m - open)(m - close) / variance).
    uniforms = 1.0 - range_rng.random(size=(days, n_bars, 2))
    variance = np.broadcast_to(bar_variance, (days, n_bars)).ravel()
    centre = log_open + log_close
    spread = (log_close - log_open) ** 2
    log_high = 0.5 * (centre + np.sqrt(spread - 2.0 * variance * np.log(uniforms[..., 0].ravel())))
    log_low = 0.5 * (centre - np.sqrt(spread - 2.0 * variance * np.log(uniforms[..., 1].ravel())))

    def to_ticks(log_price: np.ndarray) -> np.ndarray:
        return np.maximum(np.rint(np.exp(log_price) * _TICKS_PER_RUPEE), 1.0)

    open_t, close_t = to_ticks(log_open), to_ticks(log_close)
    high_t = np.maximum(to_ticks(log_high), np.maximum(open_t, close_t))
    low_t = np.minimum(to_ticks(log_low), np.minimum(open_t, close_t))

    # Lognormal noise per day and per bar, mean-corrected so the U-shape sets the average.
    noise = volume_rng.normal(size=(days, n_bars + 1))
    day_factor = np.exp(0.3 * noise[:, :1] - 0.5 * 0.3**2)
    bar_factor = np.exp(0.6 * noise[:, 1:] - 0.5 * 0.6**2)
    shares_per_minute = turnover / price0 / SESSION_MINUTES
    volume = np.maximum(np.rint(shares_per_minute * volume_per_bar * day_factor * bar_factor), 1.0)

    return (
        open_t / _TICKS_PER_RUPEE,
        high_t / _TICKS_PER_RUPEE,
        low_t / _TICKS_PER_RUPEE,
        close_t / _TICKS_PER_RUPEE,
        volume.ravel(),
    )


def generate_ohlcv(
    symbols: int | Sequence[str] = 3,
    *,
    days: int = 20,
    interval: str = "5m",
    start: str | dt.date = "2024-01-01",
    seed: int = 0,
    start_price: float | Sequence[float] | None = None,
    annual_volatility: float = 0.25,
    annual_drift: float = 0.08,
    time_zone: str = "Asia/Kolkata",
) -> pl.DataFrame:
    """Generate realistic, reproducible OHLCV bars on the NSE session calendar.

    Trading days are the weekdays from `start` onwards (exchange holidays are
    not modelled). Intraday bars are anchored at 09:15 IST and cover the
    session up to 15:30; a final bar that would overrun 15:30 is truncated.
    Prices follow a geometric Brownian motion with Student-t (5 d.o.f.)
    innovations, an overnight gap carrying 20 % of the daily variance and a
    U-shaped intraday volatility profile. Highs and lows are sampled from a
    Brownian bridge between open and close. All prices lie on the 0.05 tick
    grid. Volume is lognormal with a U-shaped intraday profile.

    Each symbol draws from random streams keyed by `seed` and its own name, so
    a symbol's series does not depend on the other symbols requested, and the
    first ``n`` days do not depend on `days`.

    Parameters
    ----------
    symbols : int or sequence of str, default 3
        Number of symbols, named ``"SYM000"``, ``"SYM001"``, ..., or their names.
    days : int, default 20
        Number of trading days.
    interval : str, default "5m"
        Bar length: ``"<n>m"`` or ``"<n>h"`` with 1 to 375 minutes, or ``"1d"``.
    start : str or datetime.date, default "2024-01-01"
        First calendar day; rolled forward to a weekday.
    seed : int, default 0
        Non-negative seed; identical arguments give identical frames.
    start_price : float or sequence of float, optional
        First open per symbol (one value for all, or one per symbol in the
        order of `symbols`). By default drawn log-uniformly from [50, 5000].
    annual_volatility : float, default 0.25
        Annualised volatility of log returns (252 sessions of 375 minutes).
    annual_drift : float, default 0.08
        Annualised drift of the price.
    time_zone : str, default "Asia/Kolkata"
        Time zone of the ``ts`` column. Sessions always follow IST; other zones
        express the same instants.

    Returns
    -------
    polars.DataFrame
        Columns ``symbol`` (String), ``ts`` (Datetime("us", `time_zone`), bar
        start; midnight IST for daily bars), ``open``, ``high``, ``low``,
        ``close`` and ``volume`` (all Float64, volume integral), sorted by
        ``symbol`` then ``ts``.

    Raises
    ------
    ValueError
        If an argument is invalid; the message names the parameter.

    Examples
    --------
    >>> df = generate_ohlcv(2, days=5, interval="15m", seed=42)
    >>> df.shape
    (250, 7)
    >>> df.columns
    ['symbol', 'ts', 'open', 'high', 'low', 'close', 'volume']
    >>> generate_ohlcv(["INFY", "TCS"], days=3, interval="1d", start_price=[1500.0, 3500.0])[
    ...     "open"
    ... ].to_list()[::3]
    [1500.0, 3500.0]
    """
    names = _check_symbols(symbols)
    days = _check_int("days", days, 1)
    minutes, daily = _parse_interval(interval)
    first_day = _check_start(start)
    seed = _check_int("seed", seed, 0)
    prices = _check_start_prices(start_price, len(names))
    sigma = _check_real("annual_volatility", annual_volatility)
    if sigma < 0:
        raise ValueError(f"`annual_volatility` must be non-negative, got {annual_volatility!r}")
    mu = _check_real("annual_drift", annual_drift)
    time_zone = _check_time_zone(time_zone)

    offsets = np.arange(0, SESSION_MINUTES, minutes, dtype=np.float64)
    durations = np.minimum(float(minutes), SESSION_MINUTES - offsets)
    session_fraction = durations / SESSION_MINUTES
    daily_variance = sigma**2 / TRADING_DAYS_PER_YEAR
    daily_drift = (mu - 0.5 * sigma**2) / TRADING_DAYS_PER_YEAR
    intraday = 1.0 - _OVERNIGHT_VARIANCE_SHARE
    bar_weight = _u_shape(offsets, durations, _VOLATILITY_SMILE) * session_fraction
    volume_per_bar = _u_shape(offsets, durations, _VOLUME_SMILE) * durations

    sessions = np.busday_offset(first_day, np.arange(days), roll="forward")
    local_us = sessions.astype(np.int64)[:, None] * _US_PER_DAY
    if not daily:
        local_us = local_us + ((_SESSION_OPEN_MINUTE + offsets) * _US_PER_MINUTE).astype(np.int64)
    utc_us = (local_us - _IST_OFFSET_US).ravel()

    order = sorted(range(len(names)), key=names.__getitem__)
    columns = [
        _simulate_symbol(
            _symbol_rngs(seed, names[i]),
            prices[i],
            days,
            bar_variance=daily_variance * intraday * bar_weight,
            bar_drift=daily_drift * intraday * bar_weight,
            overnight_sd=math.sqrt(daily_variance * _OVERNIGHT_VARIANCE_SHARE),
            overnight_drift=daily_drift * _OVERNIGHT_VARIANCE_SHARE,
            volume_per_bar=volume_per_bar,
        )
        for i in order
    ]
    rows = utc_us.size
    return pl.DataFrame(
        {
            "symbol": pl.Series([names[i] for i in order], dtype=pl.String).gather(
                np.repeat(np.arange(len(names)), rows)
            ),
            "ts": pl.Series(np.tile(utc_us, len(names))).cast(pl.Datetime("us", time_zone)),
            **{
                field: np.concatenate([col[j] for col in columns])
                for j, field in enumerate(("open", "high", "low", "close", "volume"))
            },
        }
    )

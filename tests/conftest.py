"""Shared fixtures and oracles for the indicator tests.

The helpers are plain functions (importable with ``from conftest import ...``) so that
hypothesis tests can use them without function-scoped fixtures; thin fixtures expose the
ones that are handy as fixtures.

Oracles:

* :func:`talib_reference`: TA-Lib run over the valid (non-null, non-NaN) subsequence and
  scattered back, NaN elsewhere; the documented null rule of nse_polars.
* :func:`ema_first_reference`: the ``seed="first"`` EMA recurrence in plain Python.
* :func:`exact_rolling_mean_var`: exact per-window mean and population variance with
  ``fractions.Fraction`` on the same doubles.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
import talib
from hypothesis import HealthCheck, settings

# `python -m pytest` puts the working directory (the repository root) first on sys.path, and
# the source tree's nse_polars/ has no compiled `_core`: drop the root so that the installed
# package (built from this source by `pip install .`) is the one under test.
_REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _REPO_ROOT]

# When a hypothesis test fails, its pytest plugin imports hypothesis.extra._patching, which
# imports libcst, which triggers a DeprecationWarning from mypy_extensions; with
# filterwarnings=error that turns a test failure into an INTERNALERROR that stops the run.
# Import it once here, quietly, so that failures are reported as failures.
with warnings.catch_warnings(), contextlib.suppress(ImportError):
    warnings.simplefilter("ignore", DeprecationWarning)
    import hypothesis.extra._patching  # noqa: F401

# The fuzz profile (test_fuzz.py): examples per property and indicator. Bounded for CI: 150
# per property spread over the indicators of the native table, at least 5 each (with 65
# indicators: 5 each, about 2,300 examples over the 7 properties); raise it locally, e.g.
# NSE_FUZZ_EXAMPLES=2000. The failing example's reproduction blob is printed, since nothing is
# stored between runs.


def _default_fuzz_examples() -> int:
    from nse_polars import _core  # here: after the source folder left sys.path (above)

    return max(5, 150 // len(_core.describe()))


FUZZ_EXAMPLES = int(os.environ.get("NSE_FUZZ_EXAMPLES", _default_fuzz_examples()))
settings.register_profile(
    "fuzz",
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
FUZZ = settings.get_profile("fuzz")

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
NSE_FO_5MIN = SHARED_DATA / "nse-fo-5min" / "csv"

SINGLE_OUTPUT = ("sma", "ema", "rsi")
OUTPUT_FIELDS: dict[str, tuple[str, ...]] = {
    "sma": ("sma",),
    "ema": ("ema",),
    "rsi": ("rsi",),
    "macd": ("macd", "signal", "hist"),
    "bbands": ("upper", "middle", "lower"),
}


# --- data -------------------------------------------------------------------------------------


def random_walk(
    n: int, seed: int = 0, start: float = 100.0, sigma: float = 0.01, band: float = 2.0
) -> np.ndarray:
    """Prices near `start` with lognormal steps (log-returns ~ N(0, sigma)), seeded.

    The log-price walk is reflected at log(start / band) and log(start * band), so a long
    series (1e6 rows) stays near `start` instead of drifting over orders of magnitude, where
    TA-Lib's own running sums would stop being a 1e-9 oracle.
    """
    rng = np.random.default_rng(seed)
    w = np.cumsum(rng.normal(0.0, sigma, n))
    a = math.log(band)
    folded = a - np.abs(np.mod(w + a, 4 * a) - 2 * a)
    return start * np.exp(folded)


def real_5min_files() -> list[Path]:
    if not NSE_FO_5MIN.is_dir():
        return []
    return sorted(NSE_FO_5MIN.glob("*.csv.gz"))


def real_5min_closes() -> Iterator[tuple[str, np.ndarray]]:
    """(symbol, close as stored in the file, in file order) for every nse-fo-5min file.

    Skips the calling test when the data folder is absent.
    """
    files = real_5min_files()
    if not files:
        pytest.skip(f"real data not found under {NSE_FO_5MIN}")
    schema = {
        "date": pl.String,
        "open": pl.Float64,
        "high": pl.Float64,
        "low": pl.Float64,
        "close": pl.Float64,
        "volume": pl.Int64,
    }
    for path in files:
        df = pl.read_csv(path, schema=schema)
        assert df.columns == list(schema)
        symbol = path.name.removesuffix(".csv.gz")
        yield symbol, df["close"].to_numpy()


@pytest.fixture
def walk():
    """The random-walk generator, as a fixture."""
    return random_walk


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return SHARED_DATA


# --- parameters -------------------------------------------------------------------------------


def lookback(name: str, params: dict[str, Any]) -> int:
    """Documented number of leading null rows (dense input) for every output of `name`."""
    if name in ("sma", "bbands"):
        return params.get("period", 20) - 1
    if name == "ema":
        return 0 if params.get("seed", "sma") == "first" else params.get("period", 20) - 1
    if name == "rsi":
        return params.get("period", 14)
    if name == "macd":
        return params.get("slow", 26) + params.get("signal", 9) - 2
    raise KeyError(name)


def talib_accepts(name: str, params: dict[str, Any]) -> bool:
    """Whether TA-Lib implements `name` with these parameters (TA-Lib's own ranges)."""
    if name in ("sma", "ema", "rsi", "bbands"):
        if name == "ema" and params.get("seed", "sma") != "sma":
            return False
        return params.get("period", 20) >= 2
    if name == "macd":
        return params.get("fast", 12) >= 2 and params.get("slow", 26) >= 2
    return False


# --- oracles ----------------------------------------------------------------------------------


def _talib_dense(name: str, x: np.ndarray, params: dict[str, Any]) -> tuple[np.ndarray, ...]:
    if name == "sma":
        return (talib.SMA(x, timeperiod=params["period"]),)
    if name == "ema":
        return (talib.EMA(x, timeperiod=params["period"]),)
    if name == "rsi":
        return (talib.RSI(x, timeperiod=params["period"]),)
    if name == "macd":
        return tuple(
            talib.MACD(
                x,
                fastperiod=params["fast"],
                slowperiod=params["slow"],
                signalperiod=params["signal"],
            )
        )
    if name == "bbands":
        k = params["num_std"]
        return tuple(talib.BBANDS(x, timeperiod=params["period"], nbdevup=k, nbdevdn=k, matype=0))
    raise KeyError(name)


def with_defaults(name: str, params: dict[str, Any]) -> dict[str, Any]:
    defaults: dict[str, dict[str, Any]] = {
        "sma": {"period": 20},
        "ema": {"period": 20, "seed": "sma"},
        "rsi": {"period": 14},
        "macd": {"fast": 12, "slow": 26, "signal": 9},
        "bbands": {"period": 20, "num_std": 2.0},
    }
    return {**defaults[name], **params}


def valid_mask(values: Any) -> np.ndarray:
    x = as_float_array(values, check_no_nan_values=False)
    return ~np.isnan(x)


def talib_reference(name: str, values: Any, **params: Any) -> tuple[np.ndarray, ...]:
    """TA-Lib over the valid rows of `values`, scattered back (NaN = null), one array per output.

    With fewer valid values than the lookback + 1 every output is all NaN (TA-Lib returns
    all-NaN or raises there). ``ema`` with ``seed="first"`` uses :func:`ema_first_reference`.
    """
    params = with_defaults(name, params)
    x = as_float_array(values, check_no_nan_values=False)
    mask = ~np.isnan(x)
    compact = np.ascontiguousarray(x[mask])
    n_out = len(OUTPUT_FIELDS[name])
    if name == "ema" and params["seed"] == "first":
        dense: tuple[np.ndarray, ...] = (ema_first_reference(compact, params["period"]),)
    elif len(compact) <= lookback(name, params):
        dense = tuple(np.full(len(compact), np.nan) for _ in range(n_out))
    else:
        dense = _talib_dense(name, compact, params)
    return scatter_rows(mask, dense)


def scatter_rows(mask: np.ndarray, dense: Sequence[np.ndarray]) -> tuple[np.ndarray, ...]:
    """Put results computed on the valid rows back in place; missing rows become NaN."""
    out = []
    for d in dense:
        full = np.full(len(mask), np.nan)
        full[mask] = d
        out.append(full)
    return tuple(out)


def ema_first_reference(x: Sequence[float], period: int) -> np.ndarray:
    """EMA seeded with the first value (pandas ewm(adjust=False)), TA-Lib's operation order."""
    k = 2.0 / (period + 1)
    out = np.full(len(x), np.nan)
    prev = math.nan
    for i, v in enumerate(x):
        prev = float(v) if i == 0 else (float(v) - prev) * k + prev
        out[i] = prev
    return out


def exact_rolling_mean_var(
    x: Sequence[float], period: int
) -> tuple[list[Fraction | None], list[Fraction | None]]:
    """Exact mean and population variance (ddof=0) of every full window, two-pass, on the doubles.

    Positions before the first full window are None.
    """
    fx = [Fraction(float(v)) for v in x]
    means: list[Fraction | None] = [None] * len(fx)
    variances: list[Fraction | None] = [None] * len(fx)
    for t in range(period - 1, len(fx)):
        window = fx[t - period + 1 : t + 1]
        mean = sum(window, Fraction(0)) / period
        var = sum(((v - mean) ** 2 for v in window), Fraction(0)) / period
        means[t] = mean
        variances[t] = var
    return means, variances


def exact_sqrt(value: Fraction) -> float:
    """sqrt of an exact rational, correctly rounded float() then correctly rounded sqrt."""
    return math.sqrt(float(value))


# --- comparison -------------------------------------------------------------------------------


def as_float_array(values: Any, *, check_no_nan_values: bool = True) -> np.ndarray:
    """float64 numpy copy of `values` with nulls as NaN.

    For Polars and Arrow inputs (which mark missing rows as null), a NaN among the non-null
    values fails the check: the library promises nulls, not NaN.
    """
    if isinstance(values, pl.Series):
        if check_no_nan_values and values.dtype.is_float():
            n_nan = values.is_nan().sum()
            assert not n_nan, f"{n_nan} NaN values (not null) in Series {values.name!r}"
        return values.cast(pl.Float64).to_numpy(allow_copy=True).astype(np.float64, copy=True)
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return as_float_array(pl.Series(values), check_no_nan_values=check_no_nan_values)
    array = np.asarray(values)
    if array.dtype == object:
        array = np.array([np.nan if v is None else v for v in array], dtype=np.float64)
    return np.array(array, dtype=np.float64, copy=True)


def assert_matches(actual: Any, expected: Any, rtol: float = 1e-9, *, label: str = "") -> None:
    """Same length, identical null/NaN positions, values equal to `rtol` relative.

    Values whose reference is ~0 (e.g. MACD hist) get an absolute floor of
    ``1e-12 * max(1, |expected|)``.
    """
    a = as_float_array(actual)
    e = as_float_array(expected, check_no_nan_values=False)
    prefix = f"{label}: " if label else ""
    assert a.shape == e.shape, f"{prefix}length {a.shape} != expected {e.shape}"
    a_null = np.isnan(a)
    e_null = np.isnan(e)
    if not np.array_equal(a_null, e_null):
        diff = np.flatnonzero(a_null != e_null)
        raise AssertionError(
            f"{prefix}null positions differ at {diff.size} rows, first {diff[:10].tolist()}: "
            f"actual null={a_null[diff[:10]].tolist()}, expected null={e_null[diff[:10]].tolist()}"
        )
    ok = ~e_null
    av = a[ok]
    ev = e[ok]
    tol = np.maximum(rtol * np.abs(ev), 1e-12 * np.maximum(1.0, np.abs(ev)))
    err = np.abs(av - ev)
    bad = ~(err <= tol)
    if bad.any():
        rows = np.flatnonzero(ok)[bad]
        i = int(np.argmax(np.where(bad, err / np.maximum(np.abs(ev), 1e-300), 0.0)))
        raise AssertionError(
            f"{prefix}{int(bad.sum())} of {ev.size} values differ beyond rtol={rtol}; "
            f"first rows {rows[:5].tolist()}; worst row {int(np.flatnonzero(ok)[i])}: "
            f"actual={av[i]!r}, expected={ev[i]!r}, rel err={err[i] / max(abs(ev[i]), 1e-300):.3e}"
        )


def struct_fields(series: pl.Series) -> list[pl.Series]:
    """The fields of a struct Series, in order (a single-output Series as a 1-list)."""
    if series.dtype == pl.Struct:
        return [series.struct.field(f.name) for f in series.dtype.fields]
    return [series]

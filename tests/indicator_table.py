"""Every indicator of the native table, and one way to call it through each door.

The reliability suites (fuzz, concurrency, determinism, leaks) are driven by
``nse_polars._core.describe()``, so an indicator added to the C++ table is covered by them as
soon as it is built, with no test edit. Inputs are made from the input names the table gives
(``close``, ``high``, ``low``, ``open``, ``volume``, anything else): a consistent bar set
(low <= open, close <= high; volume > 0) around a random walk.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from nse_polars import _core, _plugin
from nse_polars import kernels as _kernels

INDICATORS: dict[str, dict[str, Any]] = {d["name"]: d for d in _core.describe()}
NAMES: list[str] = sorted(INDICATORS)


@cache
def choices(name: str, param: str) -> tuple[str, ...]:
    """The accepted strings of a choice parameter, read from the error the table gives for a
    value that is not one of them (``describe()`` only gives the default)."""
    try:
        _core.check_params(name, {param: "\x00not a choice"})
    except ValueError as exc:
        listed = re.search(r"must be one of (.*), got", str(exc))
        assert listed, f"`{name}.{param}`: unexpected error text {exc}"
        return tuple(re.findall(r"'([^']*)'", listed.group(1)))
    raise AssertionError(f"`{name}.{param}` accepted a value that is not a choice")


def defaults(name: str) -> dict[str, Any]:
    """The table's defaults (always a valid set), as Python values."""
    return _core.check_params(name, {})


def make_valid(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """`params` if the table accepts them together; else the same with parameters reset to
    their defaults one at a time, in table order, until the cross-parameter rules hold (for
    example MACD's fast < slow). Every parameter is validated by the table either way."""
    params = dict(params)
    for spec in INDICATORS[name]["params"]:
        try:
            return _core.check_params(name, params)
        except ValueError:
            params.pop(spec["name"], None)
    return _core.check_params(name, params)


def bar_inputs(name: str, n: int, seed: int, scale: float = 100.0) -> dict[str, np.ndarray]:
    """One float64 array per input of `name`: prices near `scale`, volumes near 1e5."""
    rng = np.random.default_rng(seed)
    close = scale * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
    return bars_around(name, close, rng)


def bars_around(
    name: str, close: np.ndarray, rng: np.random.Generator, volume_scale: float = 1e5
) -> dict[str, np.ndarray]:
    """The inputs of `name` as a consistent bar set around `close` (positive): high >= open,
    close >= low > 0, volume >= 1 in units of `volume_scale` / 1e5; other inputs are walks
    of their own at the level of `close`."""
    n = len(close)
    spread = np.abs(rng.normal(0.0, 0.005, (2, n)))
    high = close * (1.0 + spread[0])
    low = close / (1.0 + spread[1])
    by_role = {
        "close": close,
        "high": high,
        "low": low,
        "open": np.clip(low + (high - low) * rng.random(n), low, high),
        "volume": (np.floor(rng.lognormal(0.0, 1.0, n) * 1e5) + 1.0) * (volume_scale / 1e5),
    }
    out = {}
    for i, role in enumerate(INDICATORS[name]["inputs"]):
        if role in by_role:
            out[role] = by_role[role]
        else:  # a second series (a benchmark, another symbol): its own walk
            out[role] = close * np.exp(np.cumsum(rng.normal(0.0, 0.01 * (i + 1), n)))
    return out


def as_tuple(result: Any) -> tuple[Any, ...]:
    return result if isinstance(result, tuple) else (result,)


def output_columns(series: pl.Series) -> list[pl.Series]:
    """The output columns of a plugin result: the struct's fields, or the series itself."""
    if series.dtype == pl.Struct:
        return [series.struct.field(f.name) for f in series.dtype.fields]
    return [series]


def plugin_expr(name: str, params: dict[str, Any], by: str | None = None) -> pl.Expr:
    """The plugin call over the frame's columns named as the indicator's inputs."""
    args = [pl.col(role) for role in INDICATORS[name]["inputs"]]
    key = None if by is None else pl.col(by)
    return _plugin.call(name, args, group_key=key, **params).alias("out")


def run_plugin(frame: pl.DataFrame, name: str, params: dict[str, Any]) -> list[pl.Series]:
    return output_columns(frame.select(plugin_expr(name, params)).to_series())


def run_numpy(inputs: dict[str, Any], name: str, params: dict[str, Any]) -> tuple[np.ndarray, ...]:
    return as_tuple(_kernels._compute_many(name, inputs, **params))


def run_arrow(inputs: dict[str, Any], name: str, params: dict[str, Any]) -> tuple[pa.Array, ...]:
    return as_tuple(_kernels._compute_many(name, inputs, **params))


def as_nan_array(values: Any) -> np.ndarray:
    """float64 copy with nulls as NaN (Polars Series, pyarrow arrays, numpy arrays)."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        values = pl.Series(values)
    if isinstance(values, pl.Series):
        return values.cast(pl.Float64).fill_null(np.nan).to_numpy().astype(np.float64)
    return np.array(values, dtype=np.float64)


def bits(values: Any) -> np.ndarray:
    """The float64 bit patterns, every NaN (and null) as one canonical NaN: equal bits means
    the same values, the same missing rows and the same signs of zero."""
    x = as_nan_array(values)
    return np.where(np.isnan(x), np.nan, x).view(np.uint64)


def assert_same_bits(actual: Any, expected: Any, label: str) -> None:
    a, e = bits(actual), bits(expected)
    assert a.shape == e.shape, f"{label}: length {a.shape} != {e.shape}"
    differ = np.flatnonzero(a != e)
    if differ.size:
        i = differ[0]
        raise AssertionError(
            f"{label}: {differ.size} of {a.size} rows differ, first row {i}: "
            f"{a.view(np.float64)[i]!r} != {e.view(np.float64)[i]!r}"
        )

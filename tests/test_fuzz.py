"""Fuzzing (hypothesis) of every indicator of the native table and of the plugin entry points.

Table-driven from ``nse_polars._core.describe()``: each property runs for every indicator, so
new indicators are fuzzed when they land. Examples per property and indicator:
``NSE_FUZZ_EXAMPLES`` (default in tests/conftest.py), e.g. ``NSE_FUZZ_EXAMPLES=2000`` locally.

Inputs: lengths 0, 1, SIMD widths +/- 1 and random up to 300; null, NaN, +inf and -inf rows
in random patterns (sparse to all-missing); random chunking and slicing; Float32 and integer
columns; parameters inside their table ranges (over the full range, huge periods included)
and outside them.

Properties:

* no crash (a crash, or a sanitizer finding under .ci/sanitize, ends the run);
* output length = input length; a row with any input missing is null in every output;
* the three doors agree bit for bit: the Polars plugin (chunked, sliced, lazy, streaming,
  ``.over``, ``by=``), the numpy function and the Arrow function;
* finite input gives finite output, on the *finite domain*: prices (and every other input)
  positive in [1e-150, 1e150], volumes in [1, 1e150] or 0, real parameters in (min, 100],
  missing rows anywhere. Every non-null output value is then finite (no NaN, no inf): an
  undefined value (say 0/0 on a flat window) must come out null. Beyond that domain
  (magnitudes up to 1.8e308, subnormals, zeros, negative prices, inconsistent bars, real
  parameters up to their maximum) an indicator may overflow, e.g. a variance at 1e300: there
  the property is no crash, the right length and agreeing doors, with any value or null;
* an invalid parameter (out of range, wrong type, unknown name, not a choice) raises
  ``ValueError`` at expression-build time naming the parameter in backticks and the
  indicator; the plugin entry point given the same kwargs directly reports the same error;
  any bytes given as pickled kwargs give an error message, never a crash.
"""

from __future__ import annotations

import ctypes
import itertools
import math
import pickle
import re
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from conftest import FUZZ
from hypothesis import assume, given
from hypothesis import strategies as st
from indicator_table import (
    INDICATORS,
    NAMES,
    as_nan_array,
    assert_same_bits,
    bars_around,
    choices,
    make_valid,
    output_columns,
    plugin_expr,
    run_numpy,
)
from polars.plugins import register_plugin_function

from nse_polars import _plugin

FINITE_EXPONENT = 150  # the finite domain: magnitudes in [1e-150, 1e150]
MAX_ROWS = 300
EDGE_LENGTHS = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65]
SPECIAL = [
    0.0,
    -0.0,
    5e-324,
    -5e-324,
    2.2250738585072014e-308,
    1e-300,
    1.0,
    -1.0,
    1e150,
    1e300,
    -1e300,
    1.7976931348623157e308,
    -1.7976931348623157e308,
]
INTEGER_TYPES = {
    pl.Int64: np.int64,
    pl.Int32: np.int32,
    pl.UInt32: np.uint32,
    pl.Int16: np.int16,
    pl.UInt8: np.uint8,
}
MISSING = {"null": None, "nan": math.nan, "inf": math.inf, "-inf": -math.inf}

# --- strategies ---------------------------------------------------------------------------


def lengths() -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from(EDGE_LENGTHS), st.integers(0, MAX_ROWS))


@st.composite
def valid_params(draw: st.DrawFn, name: str, real_cap: float | None = 100.0) -> dict[str, Any]:
    """Values inside each parameter's table range (reals within +-`real_cap` when given),
    then made consistent with the cross-parameter rules by :func:`make_valid`."""
    params: dict[str, Any] = {}
    for spec in INDICATORS[name]["params"]:
        if not draw(st.booleans()):
            continue  # leave it at its default
        lo, hi = spec["min"], spec["max"]
        if spec["kind"] == "int":
            lo, hi = int(lo), int(hi)
            params[spec["name"]] = draw(
                st.one_of(
                    st.integers(lo, min(hi, lo + 40)),
                    st.integers(lo, min(hi, lo + MAX_ROWS + 5)),
                    st.integers(lo, hi),
                    st.just(hi),
                )
            )
        elif spec["kind"] == "float":
            # Capped at both ends: a range reaching down to -1e300 (stddev's nbdev) overflows too.
            top = hi if real_cap is None else min(hi, real_cap)
            lo = lo if real_cap is None else max(lo, -real_cap)
            value = draw(
                st.one_of(
                    st.floats(lo, min(top, lo + 10.0)),
                    st.floats(lo, top),
                    st.just(top),
                )
            )
            assume(value > lo or not spec["min_exclusive"])
            params[spec["name"]] = value
        else:
            params[spec["name"]] = draw(st.sampled_from(choices(name, spec["name"])))
    return make_valid(name, params)


@st.composite
def missing_rows(draw: st.DrawFn, n: int, n_inputs: int) -> list[dict[int, str]]:
    """For each input, the rows made missing and how (null, NaN, +inf, -inf)."""
    out: list[dict[int, str]] = [{} for _ in range(n_inputs)]
    if n == 0 or not draw(st.booleans()):
        return out
    rate = draw(st.sampled_from([0.02, 0.2, 0.5, 0.95, 1.0]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kinds = draw(st.lists(st.sampled_from(sorted(MISSING)), min_size=1, max_size=4, unique=True))
    shared = draw(st.booleans())  # the same rows in every input, or rows of their own
    rows = np.flatnonzero(rng.random(n) < rate)
    for k in range(n_inputs):
        if not shared and k:
            rows = np.flatnonzero(rng.random(n) < rate)
        out[k] = {int(r): kinds[int(rng.integers(len(kinds)))] for r in rows}
    return out


@st.composite
def finite_inputs(draw: st.DrawFn, name: str) -> dict[str, np.ndarray]:
    """Bars in the finite domain: a walk, a flat series or regime jumps at random scales."""
    n = draw(lengths())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["walk", "flat", "jumps"]))
    margin = 3  # spreads and walks stay inside the domain
    exponent = st.integers(-FINITE_EXPONENT + margin, FINITE_EXPONENT - margin)
    if kind == "walk":
        close = 10.0 ** draw(exponent) * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
    elif kind == "flat":
        close = np.full(n, 10.0 ** draw(exponent))
    else:
        levels = 10.0 ** np.array(draw(st.lists(exponent, min_size=1, max_size=4)), dtype=float)
        close = levels[rng.integers(len(levels), size=n)] * (1.0 + 0.01 * rng.random(n))
    volume_scale = 10.0 ** draw(st.integers(0, FINITE_EXPONENT - 10))
    inputs = bars_around(name, close, rng, volume_scale)
    if kind == "flat":
        inputs = {role: np.full(n, v[0]) if n else v for role, v in inputs.items()}
    if "volume" in inputs and n and draw(st.booleans()):
        inputs["volume"][rng.random(n) < draw(st.sampled_from([0.1, 0.5, 1.0]))] = 0.0
    return inputs


@st.composite
def extreme_inputs(draw: st.DrawFn, name: str) -> dict[str, np.ndarray]:
    """Anything finite: special values, magnitudes up to 1.8e308, subnormals, signs mixed,
    inputs unrelated to each other (high below low, negative volume)."""
    n = draw(lengths())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    out = {}
    for role in INDICATORS[name]["inputs"]:
        kind = draw(st.sampled_from(["special", "scaled", "mixed"]))
        if kind == "special":
            pool = np.array(draw(st.lists(st.sampled_from(SPECIAL), min_size=1, max_size=5)))
            out[role] = pool[rng.integers(len(pool), size=n)]
        elif kind == "scaled":
            scale = 10.0 ** draw(st.integers(-320, 307))
            out[role] = scale * rng.normal(1.0, 0.5, n)
        else:
            exponents = rng.uniform(-320.0, 308.0, n)
            out[role] = np.sign(rng.normal(size=n)) * 10.0**exponents
    return out


def with_missing(
    inputs: dict[str, np.ndarray], missing: list[dict[int, str]]
) -> dict[str, pa.Array]:
    """pyarrow float64 arrays: the values with the chosen rows null, NaN or infinite."""
    out = {}
    for (role, values), rows in zip(inputs.items(), missing, strict=True):
        v = values.astype(np.float64, copy=True)
        mask = np.zeros(len(v), dtype=bool)
        for row, kind in rows.items():
            if kind == "null":
                mask[row] = True
            else:
                v[row] = MISSING[kind]
        out[role] = pa.array(v, type=pa.float64(), mask=mask)
    return out


def missing_mask(columns: dict[str, pa.Array]) -> np.ndarray:
    """Rows where any input is null, NaN or infinite."""
    n = len(next(iter(columns.values()))) if columns else 0
    mask = np.zeros(n, dtype=bool)
    for column in columns.values():
        mask |= ~np.isfinite(as_nan_array(column))
    return mask


def chunked(array: pa.Array, cuts: list[int]) -> pa.ChunkedArray:
    bounds = [0, *sorted({c for c in cuts if 0 < c < len(array)}), len(array)]
    return pa.chunked_array(
        [array.slice(lo, hi - lo) for lo, hi in itertools.pairwise(bounds)],
        type=array.type,
    )


@st.composite
def layouts(draw: st.DrawFn, n: int) -> tuple[list[int], int, int]:
    """Chunk boundaries, and the rows padded before and after (then sliced off)."""
    cuts = draw(st.lists(st.integers(1, max(1, n - 1)), max_size=5)) if n > 1 else []
    return cuts, draw(st.sampled_from([0, 1, 3, 8, 13])), draw(st.sampled_from([0, 1, 5]))


def polars_frame(columns: dict[str, pa.Array], cuts: list[int], before: int, after: int):
    """A frame of the columns in chunks, read through a slice of a longer frame: validity
    bitmaps and values then start at an offset."""
    n = len(next(iter(columns.values())))
    parts = []
    for role, array in columns.items():
        padded = pa.concat_arrays(
            [pa.array([1.0] * before, type=pa.float64()), array, pa.nulls(after, pa.float64())]
        )
        pieces = chunked(padded, [c + before for c in cuts] + [before]).chunks
        parts.append(pl.concat([pl.Series(role, c) for c in pieces], rechunk=False))
    frame = pl.DataFrame(parts).slice(before, n)
    assert frame.height == n
    return frame


def run_all_doors(
    name: str, params: dict[str, Any], columns: dict[str, pa.Array], layout
) -> list[pl.Series]:
    """Plugin (chunked and sliced frame) vs numpy vs Arrow (chunked): bit-identical; returns
    the plugin's output columns."""
    cuts, before, after = layout
    n = len(next(iter(columns.values())))
    frame = polars_frame(columns, cuts, before, after)
    plugin = output_columns(frame.select(plugin_expr(name, params)).to_series())
    outputs = INDICATORS[name]["outputs"]
    assert len(plugin) == len(outputs)
    numpy = run_numpy({r: as_nan_array(c) for r, c in columns.items()}, name, params)
    arrow = run_numpy({r: chunked(c, cuts) for r, c in columns.items()}, name, params)
    for k, field in enumerate(outputs):
        label = f"{name}{params}.{field}"
        assert len(plugin[k]) == n, f"{label}: {len(plugin[k])} rows out, {n} in"
        assert plugin[k].dtype == pl.Float64, f"{label}: dtype {plugin[k].dtype}"
        assert_same_bits(numpy[k], plugin[k], f"{label} numpy door vs plugin")
        assert_same_bits(arrow[k], plugin[k], f"{label} Arrow door vs plugin")
    return plugin


def assert_missing_rows_null(
    name: str, params: dict[str, Any], plugin: list[pl.Series], missing: np.ndarray
) -> None:
    for field, column in zip(INDICATORS[name]["outputs"], plugin, strict=True):
        not_null = np.flatnonzero(missing & column.is_not_null().to_numpy())
        assert not not_null.size, (
            f"{name}{params}.{field}: rows {not_null[:5].tolist()} have a value although an "
            f"input is missing there"
        )


# --- properties ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_finite_input_gives_finite_output(name: str, data: st.DataObject) -> None:
    params = data.draw(valid_params(name), label="params")
    inputs = data.draw(finite_inputs(name), label="inputs")
    n = len(next(iter(inputs.values())))
    missing = data.draw(missing_rows(n, len(inputs)), label="missing")
    columns = with_missing(inputs, missing)
    plugin = run_all_doors(name, params, columns, data.draw(layouts(n), label="layout"))
    assert_missing_rows_null(name, params, plugin, missing_mask(columns))
    for field, column in zip(INDICATORS[name]["outputs"], plugin, strict=True):
        values = column.drop_nulls().to_numpy()
        bad = np.flatnonzero(~np.isfinite(values))
        assert not bad.size, (
            f"{name}{params}.{field}: {bad.size} non-null values are not finite, e.g. "
            f"{values[bad[:3]].tolist()}, on finite input"
        )


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_extreme_input_never_crashes(name: str, data: st.DataObject) -> None:
    params = data.draw(valid_params(name, real_cap=None), label="params")
    inputs = data.draw(extreme_inputs(name), label="inputs")
    n = len(next(iter(inputs.values())))
    missing = data.draw(missing_rows(n, len(inputs)), label="missing")
    columns = with_missing(inputs, missing)
    plugin = run_all_doors(name, params, columns, data.draw(layouts(n), label="layout"))
    assert_missing_rows_null(name, params, plugin, missing_mask(columns))


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_dtypes_lazy_and_streaming(name: str, data: st.DataObject) -> None:
    """Float32 and integer columns compute as their float64 values; lazy and streaming
    collect give the eager result."""
    params = data.draw(valid_params(name), label="params")
    inputs = data.draw(finite_inputs(name), label="inputs")
    n = len(next(iter(inputs.values())))
    dtype = data.draw(st.sampled_from([pl.Float32, *INTEGER_TYPES]))
    frame = pl.DataFrame(inputs)
    if dtype == pl.Float32:
        frame = frame.cast(pl.Float32)
    else:  # integer prices and volumes (say, in paise), inside the dtype's range
        top = min(np.iinfo(INTEGER_TYPES[dtype]).max, 2**53)
        frame = frame.select(pl.col(c).clip(0, top).round().cast(dtype) for c in inputs)
    if n and data.draw(st.booleans()):
        frame = frame.with_columns(
            pl.when(pl.int_range(pl.len()) % 3 == 0).then(None).otherwise(pl.col(c)).alias(c)
            for c in inputs
        )
    want = frame.cast(pl.Float64).select(plugin_expr(name, params))
    expr = plugin_expr(name, params)
    got = frame.select(expr)
    assert got.schema == want.schema
    for field, g, w in zip(
        INDICATORS[name]["outputs"],
        output_columns(got.to_series()),
        output_columns(want.to_series()),
        strict=True,
    ):
        assert_same_bits(g, w, f"{name}{params}.{field} {dtype} vs Float64")
    lazy = frame.lazy().select(expr)
    assert lazy.collect_schema() == got.schema
    assert lazy.collect().equals(got)
    assert lazy.collect(engine="streaming").equals(got)


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_grouped_equals_each_group_alone(name: str, data: st.DataObject) -> None:
    """`by=` (one native call, groups in parallel) and `.over()` give, for every group, what
    the group gives on its own."""
    params = data.draw(valid_params(name), label="params")
    inputs = data.draw(finite_inputs(name), label="inputs")
    n = len(next(iter(inputs.values())))
    missing = data.draw(missing_rows(n, len(inputs)), label="missing")
    columns = with_missing(inputs, missing)
    n_groups = data.draw(st.integers(1, 6))
    keys = data.draw(st.lists(st.integers(0, n_groups - 1), min_size=n, max_size=n))
    if data.draw(st.booleans()):
        keys = sorted(keys)  # grouped frame: read in place
    key_type = data.draw(st.sampled_from(["int", "str", "null"]))
    if key_type == "str":  # longer than 12 bytes: out-of-line string views
        key = pl.Series("key", [f"symbol-{k:020d}" for k in keys], dtype=pl.String)
    else:  # with "null", group 0 is the null key
        key = pl.Series("key", [None if key_type == "null" and k == 0 else k for k in keys])
        key = key.cast(pl.Int64)
    frame = pl.DataFrame([pl.Series(r, c) for r, c in columns.items()]).with_columns(key)
    frame = frame.with_row_index("row")
    by = frame.select(plugin_expr(name, params, by="key")).to_series()
    over = frame.select(plugin_expr(name, params).over("key")).to_series()
    alone = (
        pl.concat(
            [
                group.select("row", plugin_expr(name, params))
                for _, group in frame.group_by("key", maintain_order=True)
            ]
        ).sort("row")["out"]
        if n
        else over
    )
    for field, b, o, a in zip(
        INDICATORS[name]["outputs"],
        output_columns(by),
        output_columns(over),
        output_columns(alone),
        strict=True,
    ):
        assert_same_bits(b, a, f"{name}{params}.{field} by= vs each group alone")
        assert_same_bits(o, a, f"{name}{params}.{field} .over vs each group alone")


# --- invalid parameters ---------------------------------------------------------------------

NOT_A_NUMBER = ["12", None, [1], (1,), {"a": 1}, b"1", 1j]
# A NUL in a name or string value is test_nul_in_a_parameter_is_reported below.
NO_NUL = st.characters(exclude_characters="\x00")
# Keyword names the Python functions take themselves: never fuzzed as parameter names.
RESERVED = {"name", "args", "group_key", "inputs", "values"}


@st.composite
def invalid_params(draw: st.DrawFn, name: str) -> tuple[dict[str, Any], str]:
    """One parameter set to something the table must reject; returns it and the name the
    error must mention."""
    specs = INDICATORS[name]["params"]
    if not specs or draw(st.integers(0, 5)) == 0:
        known = {p["name"] for p in specs} | RESERVED
        text = st.text(NO_NUL, min_size=1, max_size=12)
        bad = draw(text.filter(lambda s: s not in known))
        return {bad: draw(st.integers())}, bad
    spec = draw(st.sampled_from(specs))
    lo, hi = spec["min"], spec["max"]
    if spec["kind"] == "int":
        value = draw(
            st.one_of(
                st.integers(max_value=int(lo) - 1),
                st.integers(min_value=int(hi) + 1),
                st.just(2**64),
                st.just(-(2**63) - 1),
                st.floats(allow_nan=True),  # a float is not an integer, even 5.0
                st.booleans(),
                st.sampled_from(NOT_A_NUMBER),
            )
        )
    elif spec["kind"] == "float":
        below = (
            st.floats(max_value=lo, allow_nan=False)
            if spec["min_exclusive"]
            else st.floats(max_value=lo, exclude_max=True, allow_nan=False)
        )
        value = draw(
            st.one_of(
                below,
                st.floats(min_value=hi, exclude_min=True),
                st.sampled_from([math.nan, math.inf, -math.inf]),
                st.booleans(),
                st.sampled_from(NOT_A_NUMBER),
                st.just(2**70),
            )
        )
    else:
        accepted = choices(name, spec["name"])
        value = draw(
            st.one_of(
                st.text(NO_NUL, max_size=8).filter(lambda s: s not in accepted),
                st.sampled_from([None, 0, 1.0, True, [accepted[0]]]),
                st.sampled_from([c.upper() + "_" for c in accepted]),
            )
        )
    return {spec["name"]: value}, spec["name"]


@pytest.mark.parametrize(
    ("name", "params"), [("sma", {"a\x00b": 1}), ("ema", {"seed": "a\x00b"})], ids=["name", "value"]
)
def test_nul_in_a_parameter_is_reported(name: str, params: dict[str, Any]) -> None:
    # The NUL is escaped as \x00 (a raw NUL cut the message where it crossed a C string).
    with pytest.raises(ValueError, match=re.escape(printable("a\x00b")) + f".*`{name}`"):
        plugin_expr(name, params)


def printable(text: str) -> str:
    """Text as parameter errors quote it: control characters and the bytes of what is not
    well-formed UTF-8 (a lone surrogate, as pickle encodes it) as \\xNN."""
    out = []
    for c in text:
        raw = c.encode("utf-8", "surrogatepass")
        if ord(c) < 0x20 or ord(c) == 0x7F or 0xD800 <= ord(c) <= 0xDFFF:
            out.append("".join(f"\\x{b:02x}" for b in raw))
        else:
            out.append(c)
    return "".join(out)


def _native_kwargs_ok(value: Any) -> bool:
    """Values Polars can pickle and the native reader understands the type of."""
    return value is None or isinstance(value, (bool, int, float, str))


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_invalid_parameters_give_the_documented_error(name: str, data: st.DataObject) -> None:
    bad, param = data.draw(invalid_params(name), label="bad")
    value = next(iter(bad.values()))
    where = re.escape(f"`{printable(param)}`")
    with pytest.raises((ValueError, TypeError), match=where) as build:
        plugin_expr(name, bad)
    if _native_kwargs_ok(value):
        assert build.type is ValueError, build.value
        assert f"`{name}`" in str(build.value)
        with pytest.raises(ValueError, match=where):
            run_numpy({r: np.ones(3) for r in INDICATORS[name]["inputs"]}, name, bad)
        # The entry point itself, given the kwargs with no Python-side check, says the same.
        raw = register_plugin_function(
            plugin_path=_plugin.LIBRARY_PATH,
            function_name=name,
            args=[pl.col(r) for r in INDICATORS[name]["inputs"]],
            kwargs=bad,
            is_elementwise=False,
            use_abs_path=True,
        )
        frame = pl.DataFrame({r: [1.0, 2.0, 3.0] for r in INDICATORS[name]["inputs"]})
        with pytest.raises(pl.exceptions.ComputeError, match=where):
            frame.select(raw)


# --- the plugin entry points, called directly with arbitrary kwargs bytes ---------------------


class _ArrowSchema(ctypes.Structure):
    pass


_ArrowSchema._fields_ = [
    ("format", ctypes.c_char_p),
    ("name", ctypes.c_char_p),
    ("metadata", ctypes.c_char_p),
    ("flags", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("children", ctypes.c_void_p),
    ("dictionary", ctypes.c_void_p),
    ("release", ctypes.CFUNCTYPE(None, ctypes.POINTER(_ArrowSchema))),
    ("private_data", ctypes.c_void_p),
]

_LIBRARY = ctypes.CDLL(str(_plugin.LIBRARY_PATH))
_LIBRARY._polars_plugin_get_last_error_message.restype = ctypes.c_char_p


def field_entry(name: str, fields: list[pa.Field], kwargs: bytes) -> tuple[str | None, str]:
    """Calls _polars_plugin_field_<name> as Polars would; returns (output format or None,
    the last error message)."""
    function = getattr(_LIBRARY, f"_polars_plugin_field_{name}")
    function.restype = None
    inputs = (_ArrowSchema * max(1, len(fields)))()
    for i, field in enumerate(fields):
        field._export_to_c(ctypes.addressof(inputs[i]))
    out = _ArrowSchema()
    buffer = ctypes.create_string_buffer(kwargs, len(kwargs))
    try:
        function(inputs, ctypes.c_size_t(len(fields)), ctypes.byref(out), buffer, len(kwargs))
        message = _LIBRARY._polars_plugin_get_last_error_message().decode(errors="replace")
        result = out.format.decode() if out.release else None
    finally:
        if out.release:
            out.release(ctypes.byref(out))
        for i in range(len(fields)):
            if inputs[i].release:
                inputs[i].release(ctypes.pointer(inputs[i]))
    return result, message


def _mutations(draw: st.DrawFn, valid: bytes) -> bytes:
    data = bytearray(valid)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "cut", "insert"]))
        if op == "flip" and data:
            i = draw(st.integers(0, len(data) - 1))
            data[i] = draw(st.integers(0, 255))
        elif op == "cut" and data:
            i = draw(st.integers(0, len(data)))
            data = data[:i] + data[i + draw(st.integers(0, 9)) :]
        else:
            i = draw(st.integers(0, len(data)))
            data = data[:i] + draw(st.binary(max_size=12)) + data[i:]
    return bytes(data)


@st.composite
def kwargs_bytes(draw: st.DrawFn, name: str) -> tuple[bytes, dict | None]:
    """Random bytes, valid pickles of random dicts (returned with the dict), and valid
    pickles with mutations."""
    value = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10))
    names = [p["name"] for p in INDICATORS[name]["params"]] or ["period"]
    mapping = draw(st.dictionaries(st.one_of(st.sampled_from(names), st.text(max_size=6)), value))
    valid = pickle.dumps(mapping, protocol=draw(st.integers(2, 5)))
    kind = draw(st.sampled_from(["valid", "mutated", "random"]))
    if kind == "valid":
        return valid, mapping
    if kind == "mutated":
        return _mutations(draw, valid), None
    return draw(st.binary(max_size=64)), None


def accepted_natively(kwargs: bytes, mapping: dict | None, name: str) -> bool:
    """Whether `kwargs` pickles `mapping` as Polars does (protocol 4 or 5) and the table
    accepts it: the entry point must then succeed. (The bytes are never unpickled: a
    mutated length could ask for gigabytes.)"""
    if mapping is None or kwargs[:2] not in (b"\x80\x04", b"\x80\x05"):
        return False
    try:
        _plugin.validate(name, **mapping)
    except (ValueError, TypeError):
        return False
    return True


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_plugin_entry_points_survive_any_kwargs_bytes(name: str, data: st.DataObject) -> None:
    kwargs, mapping = data.draw(kwargs_bytes(name), label="kwargs")
    grouped = data.draw(st.booleans())
    fields = [pa.field(r, pa.float64()) for r in INDICATORS[name]["inputs"]]
    if grouped:
        fields.append(pa.field("key", pa.int64()))
    # Sometimes the wrong number of inputs or a non-numeric one.
    shape = data.draw(st.sampled_from(["right", "fewer", "more", "string"]))
    if shape == "fewer":
        fields = fields[: data.draw(st.integers(0, len(fields) - 1))]
    elif shape == "more":
        fields = [*fields, pa.field("extra", pa.float64())]
    elif shape == "string":
        fields = [pa.field(f.name, pa.string()) for f in fields]
    suffix = "_by" if grouped else ""
    result, message = field_entry(name + suffix, fields, kwargs)
    if result is None:
        assert message.startswith(f"nse_polars.{name}: "), message
    else:
        assert result == ("g" if len(INDICATORS[name]["outputs"]) == 1 else "+s")
    if shape == "right" and accepted_natively(kwargs, mapping, name):
        assert result is not None, message


# --- the numpy door with odd arrays -----------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_numpy_door_any_dtype_and_layout(name: str, data: st.DataObject) -> None:
    params = data.draw(valid_params(name), label="params")
    inputs = data.draw(finite_inputs(name), label="inputs")
    dtype = data.draw(
        st.sampled_from(["float64", "float32", "float16", "int64", "int32", "uint16", "int8"])
    )
    step = data.draw(st.sampled_from([1, 2, 3, -1]))
    odd = {}
    for role, values in inputs.items():
        if dtype.startswith("float"):
            with np.errstate(over="ignore"):  # too large for float16: inf, a missing row
                v = values.astype(dtype)
        else:
            v = np.clip(values, 0, 100).astype(dtype)
        if step > 0:  # a strided view holding the same values
            odd[role] = np.repeat(v, step)[::step]
        else:  # a reversed view of a reversed copy
            odd[role] = v[::-1].copy()[::-1]
    want = run_numpy({r: np.asarray(v, dtype=np.float64) for r, v in odd.items()}, name, params)
    got = run_numpy(odd, name, params)
    for field, g, w in zip(INDICATORS[name]["outputs"], got, want, strict=True):
        assert_same_bits(g, w, f"{name}{params}.{field} {dtype} step {step}")


@pytest.mark.parametrize("name", NAMES)
def test_numpy_door_rejects_bad_shapes(name: str) -> None:
    roles = INDICATORS[name]["inputs"]
    with pytest.raises(ValueError, match="1-D"):
        run_numpy({r: np.ones((3, 2)) for r in roles}, name, {})
    with pytest.raises(TypeError, match="numeric"):
        run_numpy({r: np.array(["a", "b"]) for r in roles}, name, {})
    if len(roles) > 1:
        with pytest.raises(ValueError, match="differ in length"):
            run_numpy({r: np.ones(3 + i) for i, r in enumerate(roles)}, name, {})
    # Arrow: a Null-typed column is all missing; a string column is refused with its name.
    nulls = run_numpy({r: pa.nulls(4) for r in roles}, name, {})
    assert all(o.null_count == 4 for o in nulls)
    # (An unnamed pyarrow array is named by its position.)
    with pytest.raises(ValueError, match=f"`({roles[0]}|input 0)`.*String"):
        run_numpy({r: pa.array(["a"], type=pa.string()) for r in roles}, name, {})

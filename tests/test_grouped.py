"""`by=` on the frame namespace: one native call over all groups equals `.over()` per group."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap

import numpy as np
import polars as pl
import pytest

import nse_polars as nse

METHODS = {
    "sma": ({"period": 7}, lambda: nse.sma("close", 7), ["sma_7"]),
    "ema": ({"period": 5}, lambda: nse.ema("close", 5), ["ema_5"]),
    "rsi": ({"period": 6}, lambda: nse.rsi("close", 6), ["rsi_6"]),
    "macd": (
        {"fast": 3, "slow": 8, "signal": 4},
        lambda: nse.macd("close", 3, 8, 4),
        ["macd", "macd_signal", "macd_hist"],
    ),
    "bbands": (
        {"period": 9, "num_std": 1.5},
        lambda: nse.bbands("close", 9, 1.5),
        ["bb_upper", "bb_middle", "bb_lower"],
    ),
}


def make_frame(groups: int = 6, seed: int = 0) -> pl.DataFrame:
    """Groups of very different lengths (0 rows is not representable; 1, 2, ... 300)."""
    rng = np.random.default_rng(seed)
    lengths = [1, 2, 5, 40, 300, 120][:groups]
    frames = []
    for g, n in enumerate(lengths):
        close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
        frames.append(pl.DataFrame({"symbol": [f"S{g}"] * n, "close": close}))
    return pl.concat(frames)


def over_reference(frame: pl.DataFrame, build, names: list[str]) -> pl.DataFrame:
    expr = build().over("symbol")
    if len(names) == 1:
        return frame.with_columns(expr.alias(names[0]))
    return frame.with_columns(expr.struct.rename_fields(names).alias("s")).unnest("s")


@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize("layout", ["contiguous", "shuffled", "interleaved"])
def test_by_equals_over(method: str, layout: str) -> None:
    params, build, names = METHODS[method]
    frame = make_frame()
    if layout == "shuffled":
        frame = frame.sample(fraction=1.0, shuffle=True, seed=3)
    elif layout == "interleaved":
        frame = frame.with_row_index("i").sort(pl.col("i") % 7, "i").drop("i")
    got = getattr(frame.nse, method)("close", **params, by="symbol")
    want = over_reference(frame, build, names)
    assert got.columns == want.columns
    assert got.equals(want)  # bit for bit, row order kept


def test_by_overlay_lazy_and_streaming() -> None:
    frame = make_frame().sample(fraction=1.0, shuffle=True, seed=5)
    eager = frame.nse.overlay(by="symbol")
    lazy = frame.lazy().nse.overlay(by="symbol")
    assert lazy.collect_schema() == eager.schema
    assert lazy.collect().equals(eager)
    assert lazy.collect(engine="streaming").equals(eager)
    want = frame.with_columns(nse.overlay("close").over("symbol").alias("s")).unnest("s")
    assert eager.equals(want)


@pytest.mark.parametrize(
    "key",
    [
        pl.Series("symbol", [1, 1, 2, 2, 2, None, None, 1], dtype=pl.Int64),
        pl.Series("symbol", [1, 1, 2, 2, 2, None, None, 1], dtype=pl.UInt8),
        pl.Series("symbol", ["a", "a", "b", "b", "b", None, None, "a"]),
        pl.Series("symbol", ["a", "a", "b", "b", "b", None, None, "a"], dtype=pl.Categorical),
        pl.Series("symbol", [1.5, 1.5, 2.0, 2.0, 2.0, None, None, 1.5]),
        pl.Series("symbol", [2**63 - 1, 2**63 - 1, 0, 0, 0, None, None, 2**63 - 1]),
        pl.Series("symbol", [True, True, False, False, False, None, None, True]),
        pl.Series("symbol", [3, 3, 4, 4, 4, None, None, 3]).cast(pl.Date),
        # longer than 12 bytes: Arrow string views keep these out of line
        pl.Series(
            "symbol",
            ["NIFTY-BANK-FUT-A"] * 2 + ["NIFTY-BANK-FUT-B"] * 3 + [None] * 2 + ["NIFTY-BANK-FUT-A"],
        ),
    ],
)
def test_key_dtypes_and_null_keys(key: pl.Series) -> None:
    """Null keys are one group of their own, as in `.over()`; any key dtype works."""
    frame = pl.DataFrame({"symbol": key, "close": [1.0, 2.0, 4.0, 3.0, 5.0, 7.0, 6.0, 8.0]})
    got = frame.nse.sma("close", 2, by="symbol")
    want = frame.with_columns(nse.sma("close", 2).over("symbol").alias("sma_2"))
    assert got.equals(want)
    # Worked example: group a = rows 0, 1, 7 -> (1, 2, 8): null, 1.5, 5.0
    if key.dtype == pl.String:
        assert got["sma_2"].to_list() == [None, 1.5, None, 3.5, 4.0, None, 6.5, 5.0]


@pytest.mark.parametrize(
    "dtype", [pl.Int8, pl.UInt8, pl.Int16, pl.UInt16, pl.Int32, pl.UInt32, pl.Int64, pl.UInt64]
)
@pytest.mark.parametrize("sliced", [False, True])
def test_integer_keys_without_nulls(dtype, sliced: bool) -> None:
    """Keys without nulls skip each run in one tight loop; runs of 1 to 40 rows, a group that
    comes back later, and a sliced key column (an offset into its buffers)."""
    rng = np.random.default_rng(7)
    lengths = [1, 40, 2, 1, 7, 1, 13, 3]
    keys = [5, 9, 2, 9, 120, 7, 5, 1]
    symbol = np.repeat(keys, lengths)
    frame = pl.DataFrame(
        {
            "symbol": pl.Series(symbol).cast(dtype),
            "close": 100.0 + np.cumsum(rng.normal(size=symbol.size)),
        }
    )
    if sliced:
        frame = frame.slice(3)
    got = frame.nse.sma("close", 3, by="symbol")
    want = frame.with_columns(nse.sma("close", 3).over("symbol").alias("sma_3"))
    assert got.equals(want)


@pytest.mark.parametrize("sliced", [False, True])
def test_string_keys_without_nulls_inline_and_out_of_line(sliced: bool) -> None:
    """String views: short keys are inline; long ones point into data buffers, and equal long
    keys built in separate series have different views (the byte comparison decides)."""
    long_a, long_b = "NIFTY-BANK-FUT-A", "NIFTY-BANK-FUT-B"
    parts = [
        pl.Series("symbol", [long_a] * 5),
        pl.Series("symbol", [long_a] * 4),  # the same run, other views
        pl.Series("symbol", ["s"] * 3 + [long_b] * 6 + ["s"] * 2 + [long_a]),
    ]
    symbol = pl.concat(parts, rechunk=True)
    frame = pl.DataFrame({"symbol": symbol, "close": np.arange(1.0, symbol.len() + 1.0) ** 1.5})
    if sliced:
        frame = frame.slice(2)
    got = frame.nse.sma("close", 2, by="symbol")
    want = frame.with_columns(nse.sma("close", 2).over("symbol").alias("sma_2"))
    assert got.equals(want)
    # Worked example on the unsliced frame: the first nine rows are one run of long_a.
    if not sliced:
        close = frame["close"].to_numpy()
        assert got["sma_2"][8] == (close[7] + close[8]) / 2.0


def test_chunked_key_column() -> None:
    """Runs that continue across chunks of the key column stay one run."""
    parts = [
        pl.DataFrame({"symbol": ["a", "a", "b"], "close": [1.0, 2.0, 3.0]}),
        pl.DataFrame({"symbol": ["b", "b", "a"], "close": [4.0, 5.0, 6.0]}),
    ]
    frame = pl.concat(parts, rechunk=False)
    assert frame.n_chunks() == 2
    got = frame.nse.sma("close", 2, by="symbol")
    assert got["sma_2"].to_list() == [None, 1.5, None, 3.5, 4.5, 4.0]


def test_missing_values_inside_groups() -> None:
    close = [1.0, None, 3.0, float("nan"), 5.0, 6.0, None, 8.0, 9.0, 10.0]
    frame = pl.DataFrame({"symbol": ["x"] * 5 + ["y"] * 5, "close": close})
    got = frame.nse.ema("close", 2, by="symbol")
    want = frame.with_columns(nse.ema("close", 2).over("symbol").alias("ema_2"))
    assert got.equals(want)
    # x: valid (1, 3, 5) -> seed 2 at row 2, then 5 * 2/3 + 2 / 3 = 4 at row 4
    assert got["ema_2"].to_list()[:5] == [None, None, 2.0, None, 4.0]


def test_empty_frame_and_single_group() -> None:
    empty = pl.DataFrame(
        {"symbol": [], "close": []}, schema={"symbol": pl.String, "close": pl.Float64}
    )
    assert empty.nse.overlay(by="symbol").height == 0
    one = make_frame(groups=5).filter(pl.col("symbol") == "S4")
    assert one.nse.rsi(by="symbol").equals(one.nse.rsi())


def test_bad_by() -> None:
    frame = make_frame()
    with pytest.raises(ValueError, match="`by`"):
        frame.nse.overlay(by="ticker")
    with pytest.raises(TypeError, match="`by`"):
        frame.nse.sma(by=["symbol"])  # type: ignore[arg-type]
    with pytest.raises(pl.exceptions.ComputeError, match=r"`close`.*String"):
        frame.with_columns(pl.col("close").cast(pl.String)).nse.sma(by="symbol")


SCRIPT = textwrap.dedent(
    """
    import hashlib, numpy as np, polars as pl, nse_polars as nse
    frame = nse.generate_ohlcv(40, days=3, seed=9)
    frame = frame.sample(fraction=1.0, shuffle=True, seed=2)
    out = frame.nse.overlay(by="symbol")
    digest = hashlib.sha256()
    for name in out.columns[7:]:
        digest.update(out[name].fill_null(-1.0).to_numpy().tobytes())
    print(digest.hexdigest())
    """
)


def test_bit_identical_whatever_the_thread_count(tmp_path) -> None:
    digests = set()
    for threads in ("1", "2", "3"):
        env = {**os.environ, "OMP_NUM_THREADS": threads}
        proc = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        digests.add(proc.stdout.strip())
    assert len(digests) == 1
    assert len(next(iter(digests))) == len(hashlib.sha256().hexdigest())


def test_plugin_entry_point_checks_its_inputs() -> None:
    """The `_by` entry points reject a non-integer key and a wrong number of inputs."""
    from polars.plugins import register_plugin_function

    from nse_polars import _plugin

    def call(args: list[pl.Expr]) -> pl.Expr:
        return register_plugin_function(
            plugin_path=_plugin.LIBRARY_PATH,
            function_name="sma_by",
            args=args,
            kwargs={"period": 2},
            is_elementwise=False,
            use_abs_path=True,
        )

    frame = make_frame()
    with pytest.raises(pl.exceptions.ComputeError, match="group column `close` has dtype Float64"):
        frame.select(call([pl.col("close"), pl.col("close")]))
    with pytest.raises(pl.exceptions.ComputeError, match="takes 2 input column"):
        frame.select(call([pl.col("close")]))

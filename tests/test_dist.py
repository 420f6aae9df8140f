"""nse_polars.dist: batch sweeps over a hive-partitioned Parquet dataset, locally and on Dask.

The oracle is ``nse_polars.sweep`` over the whole frame in memory (one native call, its own
bars_per_year inference), sorted by symbol: ``dist.run`` on a LocalCluster and ``dist.run_local``
must both return that table bit for bit, however the work is split. Datasets are small synthetic
ones written to tmp_path; one LocalCluster of 2 worker processes serves the module.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import distributed  # the `dist` extra is part of `test`: a missing Dask fails loudly here
import numpy as np
import polars as pl
import pytest

import nse_polars as nse
from nse_polars import dist

GRID = {"fast": [3, 5, 8, 40], "slow": [20, 30, 40]}  # (40, 20), (40, 30), (40, 40) are skipped
CLUSTER = {"threads_per_worker": 1, "dashboard_address": ":0"}


def assert_bitwise(actual: pl.DataFrame, expected: pl.DataFrame) -> None:
    """Same schema, rows, nulls and values; floats compared bit for bit (-0.0 != 0.0)."""
    assert actual.schema == expected.schema
    assert actual.height == expected.height
    for name in expected.columns:
        a, e = actual.get_column(name), expected.get_column(name)
        assert a.is_null().equals(e.is_null()), name
        if e.dtype.is_float():
            bits_a = a.fill_null(0.0).to_numpy().view(np.uint64)
            bits_e = e.fill_null(0.0).to_numpy().view(np.uint64)
            assert np.array_equal(bits_a, bits_e), name
        else:
            assert a.equals(e), name


def oracle(bars: pl.DataFrame, strategy: str = "sma_cross", grid=GRID, **kw) -> nse.SweepResult:
    res = nse.sweep(bars, strategy, grid, by="symbol", **kw)
    res.metrics = res.metrics.sort("symbol", maintain_order=True)
    return res


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, processes=True, **CLUSTER) as c:
        yield c


@pytest.fixture
def client(cluster):
    with distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def bars() -> pl.DataFrame:
    # Across a year end, so that the year partitions split every symbol's series in two.
    return nse.generate_ohlcv(["INFY", "M&M", "BAJAJ-AUTO", "TCS", "SBIN"], days=12, seed=5,
                              start="2023-12-22")  # fmt: skip


@pytest.fixture(scope="module")
def dataset(bars, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("bars") / "by_symbol_year"
    dist.write_dataset(bars, root, by_year=True)
    return root


# --- same results ---------------------------------------------------------------------------


def test_dask_equals_local_and_sweep_bit_for_bit(client, bars, dataset):
    parts = dist.list_partitions(dataset)
    assert [p.symbol for p in parts] == sorted(bars["symbol"].unique())
    assert all(len(p.files) == 2 for p in parts)  # year=2023 and year=2024
    expected = oracle(bars)
    local = dist.run_local(dataset, strategy="sma_cross", grid=GRID)
    remote = dist.run(dataset, strategy="sma_cross", grid=GRID, client=client)
    for res in (local, remote):
        assert_bitwise(res.metrics, expected.metrics)
        assert res.bars_per_year == expected.bars_per_year == 18_900.0
        assert res.skipped == expected.skipped == 3
        assert res.errors.height == 0
    assert remote.partitions == 5
    assert remote.tasks == 10  # a spacing task and a sweep task per partition
    # Parameter sets split over tasks: still the same bits, in the same order.
    for per_task in (1, 4):
        split = dist.run(dataset, strategy="sma_cross", grid=GRID, client=client,
                         sets_per_task=per_task)  # fmt: skip
        assert split.tasks == 5 + 5 * -(-9 // per_task)
        assert_bitwise(split.metrics, expected.metrics)
    # Partitions batched into tasks (one native sweep per batch): the same bits and order.
    for per_task in (2, 5):
        batched = dist.run(dataset, strategy="sma_cross", grid=GRID, client=client,
                           partitions_per_task=per_task)  # fmt: skip
        assert batched.tasks == 2 * -(-5 // per_task)
        assert_bitwise(batched.metrics, expected.metrics)


@pytest.mark.parametrize(
    ("strategy", "grid", "options"),
    [
        ("ema_cross", {"fast": [4, 9], "slow": [21, 34]}, {"costs": "nse_intraday"}),
        ("rsi", {"period": [7, 14], "lower": [25, 30], "upper": [70]}, {"fill": "next_close"}),
        ("macd_cross", {"fast": [8, 12], "slow": [26], "signal": [9]}, {"costs": 5.0}),
        ("bbands", {"period": [10, 20], "num_std": [1.5, 2.0]}, {"size": 0.5}),
    ],
)
def test_every_strategy_and_options(client, bars, dataset, strategy, grid, options):
    expected = oracle(bars, strategy, grid, bars_per_year=252.0, **options)
    remote = dist.run(dataset, strategy=strategy, grid=grid, client=client, bars_per_year=252.0,
                      **options)  # fmt: skip
    assert remote.tasks == 5  # bars_per_year given: no spacing pass
    assert_bitwise(remote.metrics, expected.metrics)
    assert remote.config == {**expected.config}


def test_bars_per_year_is_the_whole_datasets(client, tmp_path):
    """Partitions at different spacings: each task gets the dataset's value, not its own."""
    five = nse.generate_ohlcv(["A", "B"], days=6, interval="5m", seed=1)
    fifteen = nse.generate_ohlcv(["C"], days=6, interval="15m", seed=2)
    bars = pl.concat([five, fifteen])
    dist.write_dataset(bars, tmp_path / "ds")
    expected = oracle(bars)
    assert expected.bars_per_year == 18_900.0
    assert nse.sweep(fifteen, "sma_cross", GRID).bars_per_year == 6_300.0  # what C alone infers
    remote = dist.run(tmp_path / "ds", strategy="sma_cross", grid=GRID, client=client)
    local = dist.run_local(tmp_path / "ds", strategy="sma_cross", grid=GRID)
    for res in (remote, local):
        assert res.bars_per_year == 18_900.0
        assert_bitwise(res.metrics, expected.metrics)


def test_one_or_two_workers_same_bits(bars, dataset):
    """In-process clusters (threads) of one and two workers give the same table."""
    results = []
    for n in (1, 2):
        with distributed.LocalCluster(n_workers=n, processes=False, **CLUSTER) as c:
            with distributed.Client(c) as cl:
                results.append(dist.run(dataset, strategy="sma_cross", grid=GRID, client=cl))
    assert_bitwise(results[0].metrics, results[1].metrics)
    assert_bitwise(results[0].metrics, oracle(bars).metrics)


# --- failures -------------------------------------------------------------------------------


def _write_partition(root: Path, symbol: str, frame: pl.DataFrame) -> Path:
    directory = root / f"symbol={symbol}"
    directory.mkdir(parents=True)
    frame.write_parquet(directory / "part-0.parquet")
    return directory


@pytest.fixture(scope="module")
def bad_dataset(bars, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The good symbols plus one partition per kind of bad data, and the words its error
    must contain."""
    root = tmp_path_factory.mktemp("bad") / "ds"
    dist.write_dataset(bars, root)
    one = bars.filter(pl.col("symbol") == "TCS").drop("symbol")
    cases = {
        "NEG": (one.with_columns(pl.when(pl.int_range(pl.len()) == 50).then(-1.0)
                                 .otherwise(pl.col("close")).alias("close")),
                "`close`: 1 price(s) in column 'close' are <= 0"),
        "NOCLOSE": (one.drop("close"), "`close`: no column 'close'"),
        "TEXT": (one.with_columns(pl.col("close").cast(pl.String)),
                 "column 'close' has dtype String"),
        "DUP": (pl.concat([one, one.head(1)]), "duplicate time"),
        "INF": (one.with_columns(pl.when(pl.int_range(pl.len()) == 7).then(float("inf"))
                                 .otherwise(pl.col("open")).alias("open")),
                "`open`: 1 price(s) in column 'open' are <= 0 or infinite"),
    }  # fmt: skip
    words = {}
    for symbol, (frame, message) in cases.items():
        words[str(_write_partition(root, symbol, frame))] = message
    return root, words


@pytest.mark.parametrize("where", ["dask", "dask, 3 partitions per task", "local"])
def test_failing_partitions_named_and_the_rest_kept(client, bars, bad_dataset, where):
    root, words = bad_dataset

    def call(**kw):
        if where.startswith("dask"):
            per_task = 3 if "3 partitions" in where else None  # bad ones batched with good ones
            return dist.run(root, strategy="sma_cross", grid=GRID, client=client,
                            partitions_per_task=per_task, **kw)  # fmt: skip
        return dist.run_local(root, strategy="sma_cross", grid=GRID, **kw)

    with pytest.raises(dist.PartitionError) as info:
        call()
    message = str(info.value)
    assert message.startswith("5 of 10 partition(s) failed")
    for path, expected_words in words.items():
        assert repr(path) in message
        assert expected_words in message
    result = info.value.result
    assert sorted(result.errors["partition"]) == sorted(words)
    # The good partitions' rows, as the oracle computes them on the good symbols alone.
    expected = oracle(bars)
    assert_bitwise(result.metrics, expected.metrics)
    assert result.bars_per_year == expected.bars_per_year
    collected = call(on_error="collect")
    assert_bitwise(collected.metrics, expected.metrics)
    assert collected.errors.equals(result.errors)


def test_transient_failure_retried_by_dask(bars, dataset, monkeypatch):
    """A storage error on a partition's first read: retried by Dask and then fine, or, without
    retries, that partition reported and the others kept. In-process workers (threads) so
    that the patched reader is the one the tasks call."""
    calls: dict[str, int] = {}
    real_read = dist._read_partition

    def flaky(part, spec, *, prices):
        if part.symbol == "M&M" and prices:
            calls[part.symbol] = calls.get(part.symbol, 0) + 1
            if calls[part.symbol] == 1:
                raise OSError("connection reset while reading")
        return real_read(part, spec, prices=prices)

    monkeypatch.setattr(dist, "_read_partition", flaky)
    expected = oracle(bars)
    with distributed.LocalCluster(n_workers=2, processes=False, **CLUSTER) as c:
        with distributed.Client(c) as cl:
            ok = dist.run(dataset, strategy="sma_cross", grid=GRID, client=cl, retries=1)
            assert calls["M&M"] == 2
            assert_bitwise(ok.metrics, expected.metrics)
            calls.clear()
            res = dist.run(dataset, strategy="sma_cross", grid=GRID, client=cl, retries=0,
                           on_error="collect")  # fmt: skip
    assert res.errors.rows() == [
        (str(dataset / "symbol=M&M"), "M&M", "OSError: connection reset while reading")
    ]
    assert_bitwise(res.metrics, expected.metrics.filter(pl.col("symbol") != "M&M"))


# --- clients, progress, output --------------------------------------------------------------


def _children() -> set[int]:
    import psutil

    return {p.pid for p in psutil.Process().children(recursive=True)}


def test_client_none_starts_and_closes_a_local_cluster(bars, dataset, cluster):
    before = _children()
    res = dist.run(dataset, strategy="sma_cross", grid=GRID,
                   cluster_options={"n_workers": 2, "threads_per_worker": 1})  # fmt: skip
    assert_bitwise(res.metrics, oracle(bars).metrics)
    assert _children() <= before  # its worker processes are gone


def test_client_given_as_scheduler_address(cluster, bars, dataset):
    res = dist.run(dataset, strategy="sma_cross", grid=GRID, client=cluster.scheduler_address)
    assert_bitwise(res.metrics, oracle(bars).metrics)


def test_progress_and_output(client, dataset, tmp_path, capsys):
    seen: list[tuple[int, int, int]] = []
    out = tmp_path / "metrics.parquet"
    res = dist.run(dataset, strategy="sma_cross", grid=GRID, client=client,
                   progress=lambda *a: seen.append(a), output=out)  # fmt: skip
    assert [s[0] for s in seen] == list(range(1, res.tasks + 1))
    assert {s[1] for s in seen} == {res.tasks}
    assert {s[2] for s in seen} == {0}
    assert_bitwise(pl.read_parquet(out), res.metrics)
    dist.run(dataset, strategy="sma_cross", grid=GRID, client=client, progress=True)
    err = capsys.readouterr().err
    assert err.endswith(f"nse_polars.dist: {res.tasks}/{res.tasks} tasks done\n")


def test_fsspec_dataset(bars):
    """A dataset on an fsspec filesystem (memory://, visible to in-process workers)."""
    fsspec = pytest.importorskip("fsspec")
    fs = fsspec.filesystem("memory")
    for (symbol,), frame in bars.partition_by("symbol", as_dict=True).items():
        with fs.open(f"/nse_dist_test/symbol={symbol}/part-0.parquet", "wb") as f:
            frame.write_parquet(f)
    try:
        parts = dist.list_partitions("memory://nse_dist_test")
        assert parts[1].path == "memory:///nse_dist_test/symbol=INFY"
        expected = oracle(bars)
        local = dist.run_local("memory://nse_dist_test", strategy="sma_cross", grid=GRID)
        assert_bitwise(local.metrics, expected.metrics)
        with distributed.LocalCluster(n_workers=2, processes=False, **CLUSTER) as c:
            with distributed.Client(c) as cl:
                res = dist.run("memory://nse_dist_test", strategy="sma_cross", grid=GRID,
                               client=cl)  # fmt: skip
        assert_bitwise(res.metrics, expected.metrics)
    finally:
        fs.rm("/nse_dist_test", recursive=True)


# --- bad arguments (raised before any task runs) --------------------------------------------


def test_bad_arguments(dataset, tmp_path, client):
    def go(**kw):
        args = {"strategy": "sma_cross", "grid": GRID, "client": client, **kw}
        return dist.run(args.pop("dataset", dataset), **args)

    with pytest.raises(ValueError, match="`strategy`: unknown 'smacross'"):
        go(strategy="smacross")
    with pytest.raises(ValueError, match="missing \\['slow'\\]"):
        go(grid={"fast": [5]})
    with pytest.raises(TypeError, match="costz"):
        go(costz=5)
    with pytest.raises(ValueError, match="`costs`: unknown preset 'nse'"):
        go(costs="nse")
    with pytest.raises(ValueError, match="`bars_per_year` must be a positive number"):
        go(bars_per_year=-1)
    with pytest.raises(ValueError, match="`retries` must be an integer >= 0"):
        go(retries=-1)
    with pytest.raises(ValueError, match="`sets_per_task`"):
        go(sets_per_task=0)
    with pytest.raises(ValueError, match="`partitions_per_task`"):
        go(partitions_per_task=0)
    with pytest.raises(ValueError, match="`on_error` must be one of"):
        go(on_error="ignore")
    with pytest.raises(TypeError, match="`client` must be None"):
        go(client=42)
    with pytest.raises(FileNotFoundError, match="not found"):
        go(dataset=tmp_path / "nowhere")
    flat = tmp_path / "flat"
    flat.mkdir()
    pl.DataFrame({"close": [1.0]}).write_parquet(flat / "x.parquet")
    with pytest.raises(ValueError, match=r"not partitioned by `symbol`: .*x\.parquet"):
        go(dataset=flat)
    twice = tmp_path / "twice"
    for name in ("symbol=A B", "symbol=A%20B"):
        (twice / name).mkdir(parents=True)
        pl.DataFrame({"close": [1.0]}).write_parquet(twice / name / "x.parquet")
    with pytest.raises(ValueError, match="symbol 'A B' has two partitions"):
        dist.list_partitions(twice)
    with pytest.raises(FileExistsError):
        dist.write_dataset(pl.DataFrame({"symbol": ["A"], "ts": [dt.date(2024, 1, 1)]}), twice)


def test_clear_error_without_dask(dataset, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"pip install 'nse_polars\[dist\]'"):
        dist.run(dataset, strategy="sma_cross", grid=GRID)
    # The local run needs no Dask.
    assert dist.run_local(dataset, strategy="sma_cross", grid=GRID).metrics.height == 45


def test_docstring_examples():
    import doctest

    assert doctest.testmod(dist, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0

"""read_ohlcv / scan_ohlcv / validate_ohlcv: formats, detection, rules, bad input, real data.

Small files are written by the tests; every expected instant is computed independently with
``datetime`` (UTC arithmetic by hand), every expected report row is named by its line.
"""

from __future__ import annotations

import datetime as dt
import gzip
import re
import warnings
from pathlib import Path

import polars as pl
import pytest
from conftest import SHARED_DATA

import nse_polars as nse
from nse_polars.ohlcv import OHLCVReadError, symbol_from_path
from nse_polars.ohlcv_validate import DataQualityWarning, OHLCVValidationError

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))
UTC = dt.timezone.utc
BARS = "100,101,99,100.5,10\n100.5,102,100,101,20\n101,101.5,100.5,101.2,30\n"


def bars_with(stamps: list[str], header: str = "ts,open,high,low,close,volume") -> str:
    rows = BARS.strip().split("\n")
    return header + "\n" + "".join(f"{s},{rows[i % 3]}\n" for i, s in enumerate(stamps))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def utc_instants(df: pl.DataFrame) -> list[dt.datetime]:
    return [t.astimezone(UTC) for t in df["ts"].to_list()]


# --- timestamp formats ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stamps", "kwargs", "expected_utc"),
    [
        (  # ISO with one offset
            ["2024-01-02 09:15:00+05:30", "2024-01-02 09:20:00+05:30"],
            {},
            [
                dt.datetime(2024, 1, 2, 3, 45, tzinfo=UTC),
                dt.datetime(2024, 1, 2, 3, 50, tzinfo=UTC),
            ],
        ),
        (  # ISO with differing explicit offsets: each converted exactly
            ["2024-01-02T09:15:00+05:30", "2024-01-02T04:00:00Z", "2024-01-02T00:05:00-04:00"],
            {},
            [
                dt.datetime(2024, 1, 2, 3, 45, tzinfo=UTC),
                dt.datetime(2024, 1, 2, 4, 0, tzinfo=UTC),
                dt.datetime(2024, 1, 2, 4, 5, tzinfo=UTC),
            ],
        ),
        (  # naive ISO: read in Asia/Kolkata
            ["2024-01-02 09:15", "2024-01-02 09:20"],
            {},
            [
                dt.datetime(2024, 1, 2, 3, 45, tzinfo=UTC),
                dt.datetime(2024, 1, 2, 3, 50, tzinfo=UTC),
            ],
        ),
        (  # naive ISO read in another zone
            ["2024-07-02 09:30:00", "2024-07-02 09:35:00"],
            {"time_zone": "America/New_York"},
            [
                dt.datetime(2024, 7, 2, 13, 30, tzinfo=UTC),
                dt.datetime(2024, 7, 2, 13, 35, tzinfo=UTC),
            ],
        ),
        (  # dd-mm-yyyy, settled by a day above 12
            ["13-01-2024", "14-01-2024", "02-02-2024"],
            {},
            [
                dt.datetime(2024, 1, 12, 18, 30, tzinfo=UTC),
                dt.datetime(2024, 1, 13, 18, 30, tzinfo=UTC),
                dt.datetime(2024, 2, 1, 18, 30, tzinfo=UTC),
            ],
        ),
        (  # m/d/yyyy unpadded, settled by a day above 12
            ["1/2/2024 9:15", "1/13/2024 9:20", "12/31/2024 15:25"],
            {},
            [
                dt.datetime(2024, 1, 2, 3, 45, tzinfo=UTC),
                dt.datetime(2024, 1, 13, 3, 50, tzinfo=UTC),
                dt.datetime(2024, 12, 31, 9, 55, tzinfo=UTC),
            ],
        ),
        (  # dd.mm.yyyy HH:MM:SS.fff (explicit order)
            ["02.01.2024 09:15:00.250", "02.01.2024 09:15:01.000"],
            {"date_format": "dmy"},
            [
                dt.datetime(2024, 1, 2, 3, 45, 0, 250000, tzinfo=UTC),
                dt.datetime(2024, 1, 2, 3, 45, 1, tzinfo=UTC),
            ],
        ),
        (  # dd-Mon-yyyy (NSE bhavcopy style)
            ["02-Jan-2024", "03-Jan-2024"],
            {},
            [
                dt.datetime(2024, 1, 1, 18, 30, tzinfo=UTC),
                dt.datetime(2024, 1, 2, 18, 30, tzinfo=UTC),
            ],
        ),
        (  # epoch seconds
            ["1704166200", "1704166500"],
            {},
            [
                dt.datetime(2024, 1, 2, 3, 30, tzinfo=UTC),
                dt.datetime(2024, 1, 2, 3, 35, tzinfo=UTC),
            ],
        ),
        (  # epoch milliseconds
            ["1704166200000", "1704166500123"],
            {},
            [
                dt.datetime(2024, 1, 2, 3, 30, tzinfo=UTC),
                dt.datetime(2024, 1, 2, 3, 35, 0, 123000, tzinfo=UTC),
            ],
        ),
        (  # epoch microseconds
            ["1704166200000000", "1704166500000001"],
            {},
            [
                dt.datetime(2024, 1, 2, 3, 30, tzinfo=UTC),
                dt.datetime(2024, 1, 2, 3, 35, 0, 1, tzinfo=UTC),
            ],
        ),
        (  # epoch nanoseconds
            ["1704166200000000000", "1704166500000002000"],
            {},
            [
                dt.datetime(2024, 1, 2, 3, 30, tzinfo=UTC),
                dt.datetime(2024, 1, 2, 3, 35, 0, 2, tzinfo=UTC),
            ],
        ),
        (  # epoch unit given: 1e10 would be detected as seconds
            ["10000000000", "10000300000"],
            {"epoch_unit": "ms"},
            [
                dt.datetime(1970, 4, 26, 17, 46, 40, tzinfo=UTC),
                dt.datetime(1970, 4, 26, 17, 51, 40, tzinfo=UTC),
            ],
        ),
    ],
)
def test_timestamp_formats(tmp_path, stamps, kwargs, expected_utc):
    path = write(tmp_path, "X.csv", bars_with(stamps))
    df = nse.read_ohlcv(path, **kwargs)
    assert df.schema["ts"] == pl.Datetime("us", kwargs.get("time_zone", "Asia/Kolkata"))
    assert utc_instants(df) == sorted(expected_utc)
    assert df["symbol"].to_list() == ["X"] * len(stamps)


def test_separate_date_and_time_columns_and_case_insensitive_names(tmp_path):
    text = (
        "DATE,Time,O,H,L,C,V\n20240102,09:15,100,101,99,100.5,10\n20240102,9:20,100,101,99,100,0\n"
    )
    df = nse.read_ohlcv(write(tmp_path, "ACME.txt", text))
    assert utc_instants(df) == [
        dt.datetime(2024, 1, 2, 3, 45, tzinfo=UTC),
        dt.datetime(2024, 1, 2, 3, 50, tzinfo=UTC),
    ]
    assert df.columns == ["symbol", "ts", "open", "high", "low", "close", "volume"]
    assert df["close"].to_list() == [100.5, 100.0]


def test_headerless_vendor_file(tmp_path):
    text = (
        "SBIN,20240102,09:15,600.5,601,599.5,600,1200,0\n"
        "SBIN,20240102,09:16,600,600.5,599,599.5,800,0\n"
    )
    df = nse.read_ohlcv(write(tmp_path, "feed.txt", text), keep_extra=True)
    assert df["symbol"].to_list() == ["SBIN", "SBIN"]
    assert df["oi"].to_list() == [0.0, 0.0]
    assert df["ts"][0] == dt.datetime(2024, 1, 2, 9, 15, tzinfo=IST)
    assert df["volume"].to_list() == [1200.0, 800.0]


def test_output_time_zone_and_bar_end_labels(tmp_path):
    path = write(tmp_path, "X.csv", bars_with(["2024-01-02 09:20", "2024-01-02 09:25"]))
    df = nse.read_ohlcv(path, label="end", bar_length="5m", output_time_zone="UTC")
    assert df.schema["ts"] == pl.Datetime("us", "UTC")
    assert df["ts"].to_list() == [
        dt.datetime(2024, 1, 2, 3, 45, tzinfo=dt.timezone.utc),
        dt.datetime(2024, 1, 2, 3, 50, tzinfo=dt.timezone.utc),
    ]
    with pytest.raises(ValueError, match="bar_length"):
        nse.read_ohlcv(path, label="end")


def test_volume_absent_is_null_and_mapping_overrides(tmp_path):
    text = "when,first,top,bottom,last_px\n2024-01-02 09:15,1,2,0.5,1.5\n"
    df = nse.read_ohlcv(
        write(tmp_path, "Y.csv", text),
        columns={"ts": "when", "open": "first", "high": "top", "low": "bottom", "close": "last_px"},
    )
    assert df["volume"].to_list() == [None]
    assert df.schema["volume"] == pl.Float64
    assert df["close"].to_list() == [1.5]


def test_symbol_column_and_naming(tmp_path):
    text = (
        "symbol,date,open,high,low,close,volume\nB,2024-01-02,1,2,1,2,5\nA,2024-01-02,3,4,3,4,6\n"
    )
    df = nse.read_ohlcv(write(tmp_path, "whatever.csv", text))
    assert df["symbol"].to_list() == ["A", "B"]  # sorted by (symbol, ts)
    assert symbol_from_path(Path("M&M_2020-10-01_to_2025-09-30.csv")) == "M&M"
    assert symbol_from_path(Path("RELIANCE.csv.gz")) == "RELIANCE"
    assert symbol_from_path(Path("BAJAJ-AUTO.parquet")) == "BAJAJ-AUTO"


# --- containers and sources --------------------------------------------------------------------


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "Datetime": [dt.datetime(2024, 1, 2, 9, 15), dt.datetime(2024, 1, 2, 9, 20)],
            "Open": [10.0, 11.0],
            "High": [11.0, 12.0],
            "Low": [9.0, 10.0],
            "Close": [10.5, 11.5],
            "Volume": [1, 2],
        }
    )


def test_parquet_ipc_gzip_glob_directory_list(tmp_path):
    frame = _frame()
    (tmp_path / "data").mkdir()
    frame.write_parquet(tmp_path / "data" / "AAA.parquet")
    frame.write_ipc(tmp_path / "data" / "BBB.arrow")
    with gzip.open(tmp_path / "data" / "CCC.csv.gz", "wt") as handle:
        handle.write(frame.write_csv())
    frame.with_columns(pl.col("Datetime").dt.replace_time_zone("UTC")).write_parquet(
        tmp_path / "data" / "DDD.parquet"
    )
    # Documentation beside the data (as in ../shared/data) is skipped when searching a directory.
    (tmp_path / "data" / "PROVENANCE.txt").write_text("Source: an exchange, 2024\n")
    (tmp_path / "data" / "readme.md.txt").write_text("notes\n")
    df = nse.read_ohlcv(tmp_path / "data")
    assert df["symbol"].unique().sort().to_list() == ["AAA", "BBB", "CCC", "DDD"]
    with pytest.raises(OHLCVReadError, match="PROVENANCE"):
        nse.read_ohlcv(tmp_path / "data" / "PROVENANCE.txt")  # named explicitly: read, rejected
    naive_start = dt.datetime(2024, 1, 2, 9, 15, tzinfo=IST)
    by_symbol = {s: g["ts"].to_list() for (s,), g in df.group_by("symbol")}
    for symbol in ("AAA", "BBB", "CCC"):
        assert by_symbol[symbol][0] == naive_start
    assert by_symbol["DDD"][0] == dt.datetime(2024, 1, 2, 9, 15, tzinfo=UTC)  # aware: kept
    assert nse.read_ohlcv(str(tmp_path / "data" / "*.parquet"))["symbol"].n_unique() == 2
    listed = nse.read_ohlcv([tmp_path / "data" / "AAA.parquet", tmp_path / "data" / "BBB.arrow"])
    assert listed.height == 4


def test_hive_partitioned_parquet(tmp_path):
    for symbol, scale in (("INFY", 1.0), ("TCS", 2.0)):
        part = tmp_path / "ds" / f"symbol={symbol}"
        part.mkdir(parents=True)
        _frame().with_columns(pl.col("Open", "High", "Low", "Close") * scale).write_parquet(
            part / "part-0.parquet"
        )
    df = nse.read_ohlcv(tmp_path / "ds", provenance=True)
    assert df["symbol"].to_list() == ["INFY", "INFY", "TCS", "TCS"]
    assert df["close"].to_list() == [10.5, 11.5, 21.0, 23.0]
    assert df["line"].to_list() == [1, 2, 1, 2]


def test_scan_ohlcv_is_lazy_and_streams(tmp_path):
    path = write(tmp_path, "X.csv", bars_with(["2024-01-02 09:20", "2024-01-02 09:15"]))
    lf = nse.scan_ohlcv(path, provenance=True)
    assert isinstance(lf, pl.LazyFrame)
    out = lf.collect(engine="streaming")
    assert out["line"].to_list() == [2, 3]  # file order, not validated or sorted
    result = nse.validate_ohlcv(out, on_invalid="drop")
    assert result.report["rule"].to_list() == ["time_sorted"]
    assert result.report["line"].to_list() == [3]
    assert result.report["source"].to_list() == [str(path)]


# --- ambiguity and bad input -------------------------------------------------------------------


def test_ambiguous_day_month_needs_evidence_or_date_format(tmp_path):
    path = write(tmp_path, "X.csv", bars_with(["03-04-2024", "05-04-2024"]))
    with pytest.raises(OHLCVReadError, match="date_format='dmy' or 'mdy'"):
        nse.read_ohlcv(path)
    assert nse.read_ohlcv(path, date_format="mdy")["ts"][0] == dt.datetime(2024, 3, 4, tzinfo=IST)
    assert nse.read_ohlcv(path, date_format="dmy")["ts"][0] == dt.datetime(2024, 4, 3, tzinfo=IST)


def test_day_month_evidence_beyond_the_sample(tmp_path):
    stamps = [f"{1 + i % 12:02d}-03-2024" for i in range(400)] + ["25-03-2024"]
    text = "date,open,high,low,close\n" + "".join(f"{s},1,2,1,2\n" for s in stamps)
    df = nse.read_ohlcv(write(tmp_path, "X.csv", text), on_invalid="drop", return_report=True)
    assert df.data["ts"].max() == dt.datetime(2024, 3, 25, tzinfo=IST)  # day-first, not 2025


def test_mixed_naive_and_aware_is_an_error_naming_the_line(tmp_path):
    stamps = ["2024-01-02 09:15:00+05:30"] * 1 + ["2024-01-02 09:20:00+05:30"] * 1
    stamps += [f"2024-01-02 1{i % 6}:{i % 60:02d}:00+05:30" for i in range(300)]
    stamps += ["2024-01-03 09:15:00"]
    path = write(tmp_path, "X.csv", bars_with(stamps))
    line = len(stamps) + 1
    with pytest.raises(OHLCVReadError, match=rf"X\.csv line {line}: .*mixed naive and aware"):
        nse.read_ohlcv(path, on_invalid="drop")
    path2 = write(tmp_path, "Y.csv", bars_with(["2024-01-02 09:15", "2024-01-02 09:20+05:30"]))
    with pytest.raises(OHLCVReadError, match="mixes timestamps with a UTC offset"):
        nse.read_ohlcv(path2)


def test_unparseable_timestamp_names_file_line_and_format(tmp_path):
    stamps = ["2024-01-02 09:15", "2024-01-02 09:20", "2024-13-02 09:25"]
    path = write(tmp_path, "X.csv", bars_with(stamps))
    with pytest.raises(OHLCVReadError, match=r"X\.csv line 4: cannot read timestamp '2024-13-02"):
        nse.read_ohlcv(path)
    with pytest.raises(OHLCVReadError, match=r"line 4"):
        nse.scan_ohlcv(path).collect()


def test_epoch_magnitude_mix_is_an_error(tmp_path):
    path = write(tmp_path, "X.csv", bars_with(["1704166200", "1704166500", "1704166800000"]))
    # the sample's largest value says milliseconds; the seconds rows are then out of band
    with pytest.raises(OHLCVReadError, match=r"line 2: .*epoch unit.*2 bad rows"):
        nse.read_ohlcv(path)


def test_bad_number_names_line_and_column(tmp_path):
    text = bars_with(["2024-01-02 09:15", "2024-01-02 09:20", "2024-01-02 09:25"])
    text = text.replace("101,101.5,100.5", "101,1o1.5,100.5")
    with pytest.raises(OHLCVReadError, match=r"X\.csv line 4: column 'high' holds '1o1\.5'"):
        nse.read_ohlcv(write(tmp_path, "X.csv", text))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", "", "is empty"),
        ("header.csv", "date,open,high,low,close\n", "header but no data rows"),
        ("cols.csv", "when,a,b\n2024-01-02,1,2\n", "no timestamp column"),
        ("prices.csv", "date,open,high\n2024-01-02,1,2\n", r"no column for \['low', 'close'\]"),
        ("two.csv", "date,close,c,open,high,low\n2024-01-02,1,1,1,1,1\n", "both look like"),
        ("words.csv", "date,open,high,low,close\nsoon,1,2,1,2\n", "cannot recognise"),
    ],
)
def test_bad_files_raise_naming_the_file(tmp_path, name, content, message):
    path = write(tmp_path, name, content)
    with pytest.raises(OHLCVReadError, match=message) as info:
        nse.read_ohlcv(path)
    assert str(path) in str(info.value)


def test_binary_and_missing_files(tmp_path):
    path = tmp_path / "blob.csv"
    path.write_bytes(b"\x00\x01\x02garbage")
    with pytest.raises(OHLCVReadError, match="not a text file"):
        nse.read_ohlcv(path)
    with pytest.raises(OHLCVReadError, match="no such file"):
        nse.read_ohlcv(tmp_path / "absent.csv")
    with pytest.raises(OHLCVReadError, match="matches no file"):
        nse.read_ohlcv(str(tmp_path / "*.parquet"))


def test_empty_files_can_be_skipped_with_a_warning(tmp_path):
    write(tmp_path / "d", "A.csv", bars_with(["2024-01-02 09:15"]))
    write(tmp_path / "d", "B.csv", "date,open,high,low,close\n")
    with pytest.warns(DataQualityWarning, match="B.csv: has a header but no data rows"):
        df = nse.read_ohlcv(tmp_path / "d", on_empty="skip")
    assert df["symbol"].to_list() == ["A"]


def test_blank_lines_keep_physical_line_numbers(tmp_path):
    text = bars_with(["2024-01-02 09:15", "2024-01-02 09:20"]) + "\n\n"
    text += "2024-01-02 09:25,100,99,99.5,100,5\n"  # high < open: line 6
    path = write(tmp_path, "X.csv", text)
    assert path.read_text().splitlines()[5].startswith("2024-01-02 09:25")
    with pytest.raises(OHLCVValidationError, match=r"X\.csv line 6: high_ge_open_close"):
        nse.read_ohlcv(path)


def test_parameters_are_checked():
    with pytest.raises(ValueError, match="`on_invalid`"):
        nse.read_ohlcv("x.csv", on_invalid="ignore")
    with pytest.raises(ValueError, match="`time_zone`"):
        nse.read_ohlcv("x.csv", time_zone="Mars/Olympus")
    with pytest.raises(ValueError, match="`epoch_unit`"):
        nse.read_ohlcv("x.csv", epoch_unit="days")


# --- validation rules --------------------------------------------------------------------------

RULE_FILE = """date,open,high,low,close,volume
2024-01-02 09:15,100,101,99,100.5,10
2024-01-02 09:20,100,99,101,100,10
2024-01-02 09:25,102,101,99,100,10
2024-01-02 09:30,100,101,99.5,99,10
2024-01-02 09:35,100,101,99,-1,10
2024-01-02 09:40,100,101,99,100,-5
2024-01-02 09:45,100,101,99,100,10
2024-01-02 09:45,100,101,99,100,10
2024-01-02 09:50,100,101,99,100,10
2024-01-02 09:50,100,101,99,100.5,10
2024-01-02 09:55,100,101,99,100,nan
2024-01-02 09:17,100,101,99,100,10
"""
# line -> (rules, action under "repair")
EXPECTED = {
    3: ("high_ge_low,high_ge_open_close,low_le_open_close", "dropped"),
    4: ("high_ge_open_close", "repaired"),
    5: ("low_le_open_close", "repaired"),
    6: ("price_finite_positive", "dropped"),
    7: ("volume_non_negative", "dropped"),
    9: ("duplicate_exact", "dropped"),
    10: ("duplicate_conflict", "dropped"),
    11: ("duplicate_conflict", "dropped"),
    12: ("volume_non_negative", "dropped"),
    13: ("time_sorted", "reordered"),
}


def test_each_rule_is_named_in_the_report(tmp_path):
    path = write(tmp_path, "R.csv", RULE_FILE)
    result = nse.read_ohlcv(path, on_invalid="repair", return_report=True)
    report = result.report
    assert (
        dict(zip(report["line"], zip(report["rule"], report["action"], strict=True), strict=True))
        == EXPECTED
    )
    assert set(report["source"]) == {str(path)}
    repaired = report.filter(pl.col("action") == "repaired")
    assert repaired["new_open"].to_list() == [101.0, 100.0]
    assert repaired["new_close"].to_list() == [100.0, 99.5]
    kept = result.data
    assert kept.height == 12 - 7  # lines 3, 6, 7, 9, 10, 11, 12 dropped; line 13 moved
    assert kept["ts"].is_sorted()
    assert kept.filter(pl.col("ts").dt.minute() == 25)["open"].to_list() == [101.0]
    # every input row is either kept or in the report as dropped
    assert kept.height + report.filter(pl.col("action") == "dropped").height == 12


def test_drop_policy_drops_instead_of_repairing_and_warns(tmp_path):
    path = write(tmp_path, "R.csv", RULE_FILE)
    with pytest.warns(DataQualityWarning, match=r"dropped 9 rows .*reordered 1 rows"):
        df = nse.read_ohlcv(path, on_invalid="drop")
    assert df.height == 3


def test_raise_policy_names_file_line_rule_and_values(tmp_path):
    path = write(tmp_path, "R.csv", RULE_FILE)
    with pytest.raises(OHLCVValidationError) as info:
        nse.read_ohlcv(path)
    message = str(info.value)
    assert re.search(
        r"R\.csv line 3: high_ge_low \(high >= low\): .*high=99\.0, low=101\.0", message
    )
    assert "duplicate_conflict" in message and "on_invalid='drop' or 'repair'" in message
    assert info.value.report.height == len(EXPECTED)
    assert set(info.value.report["action"]) == {"rejected"}


def test_validate_ohlcv_on_a_frame_without_provenance():
    frame = pl.DataFrame(
        {
            "symbol": ["A", "A", None],
            "ts": [dt.datetime(2024, 1, 1, 9, 20), dt.datetime(2024, 1, 1, 9, 15), None],
            "open": [1.0, 1.0, 1.0],
            "high": [1.0, 1.0, 1.0],
            "low": [1.0, 1.0, 1.0],
            "close": [1.0, float("inf"), 1.0],
            "volume": [None, 1.0, 1.0],
        }
    )
    result = nse.validate_ohlcv(frame.lazy(), on_invalid="drop")
    assert result.report.select("line", "rule", "action").rows() == [
        (2, "price_finite_positive", "dropped"),
        (3, "key_present", "dropped"),
    ]
    assert result.report["source"].to_list() == [None, None]
    assert result.data.height == 1
    with pytest.raises(ValueError, match="missing"):
        nse.validate_ohlcv(frame.drop("volume"))


# --- the real data -----------------------------------------------------------------------------

FIVE_MIN = SHARED_DATA / "nse-fo-5min"
DAILY = SHARED_DATA / "nifty50-daily"


@pytest.fixture(scope="module")
def five_minute():
    if not (FIVE_MIN / "csv").is_dir():
        pytest.skip(f"real data not found under {FIVE_MIN}")
    return nse.read_ohlcv(FIVE_MIN / "csv", on_invalid="repair", return_report=True)


def _provenance_number(text: str, pattern: str) -> int:
    match = re.search(pattern, text)
    assert match, pattern
    return int(match.group(1).replace(",", ""))


@pytest.mark.realdata
def test_five_minute_set_duplicates_and_bad_bars(five_minute):
    data, report = five_minute
    provenance = (FIVE_MIN / "PROVENANCE.txt").read_text()
    total = _provenance_number(provenance, r"([\d,]+) rows incl\. duplicates")
    duplicates = _provenance_number(provenance, r"-> ([\d,]+) duplicated timestamps")
    bad_open = _provenance_number(provenance, r"on the 2024-06-25 09:15 bar in\s+(\d+)\s+files")
    by_rule = dict(report.group_by("rule").len().iter_rows())
    assert by_rule.pop("duplicate_exact") == duplicates
    repaired = report.filter(pl.col("action") == "repaired")
    assert repaired.height == bad_open
    assert set(by_rule) <= {"high_ge_open_close", "low_le_open_close"}
    assert sum(by_rule.values()) == bad_open
    assert repaired["symbol"].n_unique() == bad_open
    assert set(repaired["ts"].dt.strftime("%Y-%m-%d %H:%M")) == {"2024-06-25 09:15"}
    assert data.height == total - duplicates
    assert data["symbol"].n_unique() == 181
    packed = data.select(pl.col("symbol").is_sorted(), pl.col("ts").diff().over("symbol").min())
    assert packed.item(0, 0) and packed.item(0, 1) > dt.timedelta(0)
    # IOC o=166.98 h=166.82 (PROVENANCE): reported with its source line, repaired to the high
    ioc = repaired.filter(pl.col("symbol") == "IOC").row(0, named=True)
    assert (ioc["open"], ioc["high"], ioc["new_open"]) == (166.98, 166.82, 166.82)
    with gzip.open(ioc["source"], "rt") as handle:
        line = handle.read().splitlines()[ioc["line"] - 1]
    assert line.startswith("2024-06-25 09:15:00+05:30,166.98,166.82")


@pytest.mark.realdata
def test_five_minute_set_fills_on_the_nse_grid(five_minute):
    data, _ = five_minute
    sample = data.filter(pl.col("symbol").is_in(["RELIANCE", "IDEA"]))
    filled = nse.fill_gaps(sample, "5m")
    regular = filled.filter(pl.col("ts").dt.weekday() <= 5)
    per_day = regular.group_by("symbol", pl.col("ts").dt.date()).len()
    assert per_day["len"].max() == 75
    # 2023-07-20: RELIANCE starts at 10:00 (66 of 75 bars); 09:15..09:55 have no earlier bar
    # that day to fill from, so they are empty rows, never filled from the day before.
    day = filled.filter(
        (pl.col("ts").dt.date() == dt.date(2023, 7, 20)) & (pl.col("symbol") == "RELIANCE")
    )
    assert day.height == 75 and not day["filled"].any()
    empty = day.filter(pl.col("close").is_null())
    assert empty["ts"].dt.strftime("%H:%M").to_list() == [f"09:{m}" for m in range(15, 60, 5)]
    muhurat = filled.filter(pl.col("ts").dt.date() == dt.date(2023, 11, 12))
    assert muhurat["ts"].dt.hour().min() == 18  # special session: no 09:15 grid
    assert muhurat.height == 24 and not muhurat["filled"].any()
    # every original bar is kept unchanged
    original = filled.filter(pl.col("close").is_not_null() & ~pl.col("filled")).drop("filled")
    assert original.equals(sample)


@pytest.mark.realdata
def test_daily_set_keeps_weekend_sessions():
    if not DAILY.is_dir():
        pytest.skip(f"real data not found under {DAILY}")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = nse.read_ohlcv(str(DAILY / "*.csv"), keep_extra=True)
    provenance = (DAILY / "PROVENANCE.txt").read_text()
    assert df.height == _provenance_number(provenance, r"\(([\d,]+) rows\)")
    weekend = df.filter(pl.col("ts").dt.weekday() >= 6)["ts"].dt.date().unique().sort()
    listed = provenance.split("weekend sessions (", 1)[1].split(")", 1)[0]
    expected = [dt.date.fromisoformat(d) for d in re.findall(r"\d{4}-\d{2}-\d{2}", listed)]
    assert len(expected) == 6
    assert weekend.to_list() == sorted(expected)
    assert df.filter(pl.col("symbol") == "JIOFIN").height == 526
    assert df.filter(pl.col("symbol") == "ETERNAL").height == 1041
    assert (df["oi"] == 0).all()


@pytest.mark.parametrize("policy", ["raise", "drop", "repair"])
def test_validate_ohlcv_integer_prices_become_float64(policy: str) -> None:
    """Integer prices and volume are read as the canonical Float64 (they failed with a
    SchemaError when the report joined old Int64 and repaired Float64 values)."""
    bars = pl.DataFrame(
        {
            "symbol": ["A", "A", "A"],
            "ts": [
                dt.datetime(2024, 1, 1, 9, 15),
                dt.datetime(2024, 1, 1, 9, 20),
                dt.datetime(2024, 1, 1, 9, 25),
            ],
            "open": [10, 14, 12],  # row 2: open above high
            "high": [11, 13, 13],
            "low": [9, 9, 11],
            "close": [10, 11, 12],
            "volume": [1, 2, 3],
        }
    )
    if policy == "raise":
        with pytest.raises(nse.OHLCVValidationError, match="high_ge_open_close"):
            nse.validate_ohlcv(bars, on_invalid=policy)
        return
    result = nse.validate_ohlcv(bars, on_invalid=policy)
    for name in ("open", "high", "low", "close", "volume"):
        assert result.data.schema[name] == pl.Float64
    row = result.report.row(0, named=True)
    assert (row["line"], row["rule"], row["open"]) == (2, "high_ge_open_close", 14.0)
    if policy == "repair":
        assert row["new_open"] == 13.0
        assert result.data["open"].to_list() == [10.0, 13.0, 12.0]
    else:
        assert result.data["open"].to_list() == [10.0, 12.0]

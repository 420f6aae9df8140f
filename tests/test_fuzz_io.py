"""Fuzzed bytes into the CSV reader and the REST service.

Properties:

* ``read_ohlcv`` on any bytes either returns bars or raises one of its documented errors
  (``OHLCVReadError`` for what it cannot read, ``OHLCVValidationError`` for bars that break a
  rule); no other exception type, no crash;
* the service answers any upload with a 2xx or 4xx status and a JSON ``error`` message, never
  500, and stays up.

Inputs: arbitrary bytes; a valid CSV with random byte-level mutations (insertions, deletions,
replacements, truncation) so that most examples get past the format detection; and
hand-written edge cases (empty, BOM only, NUL bytes, a header only, one column, very long
lines). Examples per property: ``NSE_IO_FUZZ_EXAMPLES`` (default 60).
"""

from __future__ import annotations

import os
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nse_polars as nse
from nse_polars.ohlcv_validate import DataQualityWarning

EXAMPLES = int(os.environ.get("NSE_IO_FUZZ_EXAMPLES", "60"))
IO_FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

VALID_CSV = (
    b"symbol,ts,open,high,low,close,volume\n"
    b"INFY,2024-01-02 09:15:00,100.0,101.0,99.5,100.5,1200\n"
    b"INFY,2024-01-02 09:20:00,100.5,101.5,100.0,101.0,900\n"
    b"INFY,2024-01-02 09:25:00,101.0,101.2,100.1,100.2,1500\n"
    b"TCS,2024-01-02 09:15:00,3500,3510,3490,3505,300\n"
    b"TCS,2024-01-02 09:20:00,3505,3520,3500,3518,410\n"
)

EDGE_CASES = [
    b"",
    b"\xef\xbb\xbf",
    b"\x00" * 64,
    b"symbol,ts,open,high,low,close,volume\n",
    b"close\n1\n2\n3\n",
    b"ts,close\n" + b"2024-01-02 09:15:00," + b"9" * 5000 + b"\n",
    b"a" * 100_000,
    b"symbol,ts,open,high,low,close\n" + b",,,,,\n" * 50,
    b"PAR1\x00\x00garbage",
    b"\x1f\x8b\x08\x00garbage",
    VALID_CSV.replace(b"\n", b"\r"),
    VALID_CSV.replace(b",", b";"),
    VALID_CSV.replace(b"100.5", b"1e309"),
    VALID_CSV.replace(b"100.5", b"-nan"),
    VALID_CSV.replace(b"2024-01-02", b"2024-02-30"),
]


@st.composite
def mutated_csv(draw: st.DrawFn) -> bytes:
    data = bytearray(VALID_CSV)
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["insert", "delete", "replace", "truncate"]))
        if kind == "insert":
            chunk = draw(st.binary(min_size=1, max_size=8) | st.sampled_from([b",", b"\n", b'"']))
            data[at:at] = chunk
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 12))]
        elif kind == "replace":
            data[at] = draw(st.integers(0, 255))
        else:
            del data[at:]
    return bytes(data)


ANY_BYTES = st.one_of(st.sampled_from(EDGE_CASES), mutated_csv(), st.binary(max_size=2_000))
READER_ERRORS = (nse.OHLCVReadError, nse.OHLCVValidationError)


@pytest.mark.parametrize("on_invalid", ["raise", "repair"])
@IO_FUZZ
@given(payload=ANY_BYTES)
def test_reader_on_fuzzed_bytes(tmp_path_factory, on_invalid, payload):
    path = tmp_path_factory.mktemp("fuzz") / "BARS.csv"
    path.write_bytes(payload)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)  # repair says what it dropped
            bars = nse.read_ohlcv(path, on_invalid=on_invalid)
    except READER_ERRORS as exc:
        assert str(exc), "an error without a message"
        return
    # Read: the documented frame, every bar valid when repaired.
    assert {"symbol", "ts", "close"} <= set(bars.columns)
    if on_invalid == "repair" and bars.height:
        assert nse.validate_ohlcv(bars).report.height == 0


@pytest.fixture(scope="module")
def client():
    testclient = pytest.importorskip("fastapi.testclient")
    from nse_polars import server

    with testclient.TestClient(server.create_app(), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("endpoint", ["/v1/indicators", "/v1/backtest"])
@IO_FUZZ
@given(payload=ANY_BYTES, name=st.sampled_from(["bars.csv", "bars.csv.gz", "bars.parquet", "x"]))
def test_service_never_answers_500(client, endpoint, payload, name):
    r = client.post(endpoint, files={"file": (name, payload)})
    assert r.status_code < 500, (r.status_code, r.text[:300])
    if r.status_code >= 400:
        assert r.json()["error"], r.text[:300]
    assert client.get("/healthz").status_code == 200

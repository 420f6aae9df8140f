"""The REST service, driven over HTTP: a real uvicorn on 127.0.0.1 (started with
``nse-polars serve`` in a subprocess, always stopped), httpx as the client."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import talib

import nse_polars as nse

pytest.importorskip("fastapi", reason="needs the server extra")
httpx = pytest.importorskip("httpx")

MAX_UPLOAD = 4_000_000  # bytes, set through the environment as the service documents
MAX_ROWS = 30_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(env_extra: dict[str, str], cwd: Path):
    """``python -m nse_polars serve`` on a free port; yields the base URL; always stopped."""
    port = _free_port()
    env = {**os.environ, **env_extra}
    proc = subprocess.Popen(
        [sys.executable, "-m", "nse_polars", "serve", "--port", str(port), "--log-level", "error"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                pytest.fail(f"server exited with {proc.returncode}: {out[-2000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("server did not start within 60 s")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    env = {
        "NSE_POLARS_MAX_UPLOAD_MB": str(MAX_UPLOAD / 1e6),
        "NSE_POLARS_MAX_ROWS": str(MAX_ROWS),
    }
    with serve(env, tmp_path_factory.mktemp("server")) as base:
        yield base


@pytest.fixture(scope="module")
def client(url):
    with httpx.Client(base_url=url, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def bars():
    """Two symbols of 5-minute bars, 3,000 rows, with a symbol column."""
    return nse.generate_ohlcv(["TCS", "INFY"], days=20, seed=4)


def _csv(frame: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.write_csv(buf)
    return buf.getvalue()


def _alive(client) -> None:
    assert client.get("/healthz").json()["status"] == "ok"


def _local_backtest(frame: pl.DataFrame, strategy, costs="nse_delivery") -> pl.DataFrame:
    return nse.backtest(frame, strategy, by="symbol", costs=costs).metrics


def _assert_metrics_equal(got: list[dict], want: pl.DataFrame) -> None:
    assert [r["symbol"] for r in got] == want["symbol"].to_list()
    for row, expected in zip(got, want.iter_rows(named=True), strict=True):
        for key, value in expected.items():
            if isinstance(value, float):
                assert row[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key
            else:
                assert row[key] == value, key


# --- the happy paths --------------------------------------------------------------------------


def test_health_and_openapi(client):
    health = client.get("/healthz").json()
    assert health["max_upload_bytes"] == MAX_UPLOAD and health["max_rows"] == MAX_ROWS
    spec = client.get("/openapi.json").json()
    assert {"/v1/backtest", "/v1/indicators", "/healthz"} <= set(spec["paths"])
    body = spec["paths"]["/v1/backtest"]["post"]["requestBody"]["content"]
    assert {"multipart/form-data", "application/json"} <= set(body)
    assert client.get("/docs").status_code == 200


def test_backtest_csv_upload_equals_the_library(client, bars):
    r = client.post(
        "/v1/backtest",
        files={"file": ("bars.csv", _csv(bars), "text/csv")},
        data={
            "strategy": "sma_cross",
            "params": '{"fast": 10, "slow": 40}',
            "costs": "nse_delivery",
        },
    )
    assert r.status_code == 200, r.text
    doc = r.json()
    # The service reads the upload with the strict reader: symbols sorted, times in IST.
    want = _local_backtest(bars.sort("symbol", "ts"), nse.strategies.sma_cross(10, 40))
    _assert_metrics_equal(doc["metrics"], want)
    assert doc["strategy"] == {"name": "sma_cross", "params": {"fast": 10, "slow": 40}}
    assert doc["bars_per_year"] == 18_900 and doc["rows"] == bars.height
    assert (
        len(doc["trades"])
        == doc["n_trades_listed"]
        == sum(want["n_trades"]) + sum(1 for t in doc["trades"] if t["is_open"])
    )
    assert "overlay" not in doc


def test_json_rows_columns_and_parquet_agree(client, bars):
    one = bars.filter(pl.col("symbol") == "TCS").drop("symbol")
    rows = json.loads(one.write_json())  # ISO-8601 times with the +05:30 offset
    columns = {c: one[c].to_list() for c in ("open", "high", "low", "close", "volume")}
    columns["ts"] = [r["ts"] for r in rows]
    buf = io.BytesIO()
    one.write_parquet(buf)
    payloads = [
        {"json": {"bars": rows, "strategy": "rsi", "symbol": "TCS"}},
        {"json": {"bars": columns, "strategy": "rsi", "symbol": "TCS"}},
        {
            "files": {"file": ("x.parquet", buf.getvalue())},
            "data": {"strategy": "rsi", "symbol": "TCS"},
        },
        {
            "files": {"file": ("x.csv.gz", gzip.compress(_csv(one)))},
            "data": {"strategy": "rsi", "symbol": "TCS"},
        },
    ]
    want = _local_backtest(one.with_columns(symbol=pl.lit("TCS")), nse.strategies.rsi())
    for payload in payloads:
        r = client.post("/v1/backtest", **payload)
        assert r.status_code == 200, r.text
        _assert_metrics_equal(r.json()["metrics"], want)


def test_indicators_match_talib(client, bars):
    r = client.post("/v1/indicators", files={"file": ("b.csv", _csv(bars))})
    assert r.status_code == 200, r.text
    overlay = pl.DataFrame(r.json()["overlay"])
    assert overlay.columns == [*bars.columns, *nse.overlay_columns()]
    for symbol in ("INFY", "TCS"):
        part = overlay.filter(pl.col("symbol") == symbol)
        close = part["close"].to_numpy()
        np.testing.assert_allclose(part["rsi_14"].to_numpy(), talib.RSI(close, 14), rtol=1e-9)
        _, signal, _ = talib.MACD(close, 12, 26, 9)
        np.testing.assert_allclose(part["macd_signal"].to_numpy(), signal, rtol=1e-9)
    csv = client.post(
        "/v1/indicators", files={"file": ("b.csv", _csv(bars))}, data={"format": "csv"}
    )
    assert csv.headers["content-type"].startswith("text/csv")
    assert pl.read_csv(io.BytesIO(csv.content)).height == bars.height


def test_backtest_options_overlay_equity_and_html(client, bars):
    r = client.post(
        "/v1/backtest",
        files={"file": ("b.csv", _csv(bars))},
        data={"strategy": "bbands", "include_overlay": "true", "include_equity": "1",
              "include_trades": "false", "costs": "5", "fill": "next_close"},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    doc = r.json()
    assert "trades" not in doc and doc["costs"] == 5.0 and doc["fill"] == "next_close"
    assert len(doc["overlay"]["bb_upper"]) == len(doc["equity"]["equity"]) == bars.height
    html = client.post(
        "/v1/backtest", files={"file": ("b.csv", _csv(bars))}, data={"format": "html"}
    )
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "Plotly.newPlot" in html.text and "<script src=" not in html.text


# --- bad input --------------------------------------------------------------------------------


def _error(r, status: int, *fragments: str) -> dict:
    assert r.status_code == status, r.text
    doc = r.json()
    assert set(doc) >= {"error"}
    for fragment in fragments:
        assert fragment in doc["error"], doc["error"]
    assert "Traceback" not in r.text and "nse_polars_upload_" not in r.text  # no temp paths
    return doc


def test_bad_uploads_get_clear_errors_and_the_server_stays_up(client, bars):
    cases = [
        (b"", 422, ["up.csv", "empty"]),
        (b"a,b,c\n1,2,3\n", 422, ["up.csv", "no timestamp column"]),
        (bytes(range(256)) * 400, 422, ["up.csv", "not a text file"]),
        (b"\x89PNG\r\n\x1a\n" + b"\xff" * 5000, 422, ["up.csv"]),
        (b"PAR1 but not parquet", 422, ["Parquet"]),
    ]
    for content, status, fragments in cases:
        _error(client.post("/v1/backtest", files={"file": ("up.csv", content)}), status, *fragments)
        _alive(client)


def test_invalid_bars_return_the_row_level_report(client):
    text = (
        "ts,open,high,low,close,volume\n"
        "2024-01-02 09:15,10,11,9,10,5\n"
        "2024-01-02 09:20,10,9.5,10.5,10,5\n"  # high < low
        "2024-01-02 09:25,10,11,9,10,-1\n"  # negative volume
    )
    r = client.post("/v1/backtest", files={"file": ("bad.csv", text.encode())})
    doc = _error(r, 422, "2 rows break validation rules", "high_ge_low: 1", "on_invalid")
    assert doc["report_rows"] == 2
    assert [(row["source"], row["line"]) for row in doc["report"]] == [
        ("bad.csv", 3),
        ("bad.csv", 4),
    ]
    assert "high_ge_low" in doc["report"][0]["rule"]
    assert doc["report"][1]["rule"] == "volume_non_negative"
    # The same bars as JSON: rows are numbered as bars (1-based), not CSV lines.
    names = ("ts", "open", "high", "low", "close", "volume")
    rows = [dict(zip(names, line.split(","), strict=True)) for line in text.splitlines()[1:]]
    doc = _error(client.post("/v1/backtest", json={"bars": rows}), 422, "validation")
    assert [row["bar"] for row in doc["report"]] == [2, 3]
    # on_invalid=drop goes on without them and says so.
    ok = client.post("/v1/backtest", files={"file": ("bad.csv", text.encode())},
                     data={"on_invalid": "drop"})  # fmt: skip
    assert ok.status_code == 200 and ok.json()["rows"] == 1
    assert "dropped 2 rows" in ok.json()["data_quality"]["summary"]


class _LazyZeros:
    """A file-like object of `size` zero bytes made as they are read (a 100 MB upload without
    100 MB in the test process); no length is known up front, so it is sent chunked."""

    def __init__(self, size: int) -> None:
        self.left = size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return b"0" * n


def test_body_limits_are_enforced_while_streaming(client):
    # A declared 100 MB body is refused before it is read.
    def hundred_mb():
        chunk = b"0" * (1 << 20)
        for _ in range(100):
            yield chunk

    start = time.monotonic()
    r = client.post(
        "/v1/backtest",
        content=hundred_mb(),
        headers={
            "Content-Type": "multipart/form-data; boundary=x",
            "Content-Length": str(100 << 20),
        },
    )
    _error(r, 413, "too large", f"{MAX_UPLOAD:,}")
    assert time.monotonic() - start < 30
    _alive(client)
    # Sent chunked, without a length: counted as it arrives and cut off past the limit.
    r = client.post(
        "/v1/backtest", content=hundred_mb(), headers={"Content-Type": "application/json"}
    )
    _error(r, 413, "too large")
    _alive(client)
    r = client.post("/v1/backtest", files={"file": ("big.csv", _LazyZeros(100 << 20))})
    _error(r, 413, "too large")
    _alive(client)


def test_row_limit(client):
    big = nse.generate_ohlcv(["BIG"], days=410, seed=1)  # 30,750 bars > 30,000
    one = big.head(MAX_ROWS + 1).drop("symbol")
    for name, content in (("b.csv", _csv(one)), ("b.csv.gz", gzip.compress(_csv(one)))):
        _error(client.post("/v1/backtest", files={"file": (name, content)}), 413, "too many bars")
    buf = io.BytesIO()
    one.write_parquet(buf)
    _error(client.post("/v1/indicators", files={"file": ("b.pq", buf.getvalue())}), 413, "30,001")
    rows = json.loads(one.write_json())
    _error(client.post("/v1/backtest", json={"bars": rows}), 413, "too many bars")
    _alive(client)


def test_malformed_requests(client, bars):
    small = _csv(bars.head(200))

    def upload(**fields):
        return {"files": {"file": ("b.csv", small)}, "data": fields}

    checks = [
        ({"files": {"upload": ("b.csv", small)}}, 400, "no `file` part"),
        ({"data": {"strategy": "rsi"}}, 415, "multipart/form-data with a `file` part"),
        (upload(strategy="nope"), 400, "unknown 'nope'"),
        (upload(strategy="sma_cross", params='{"fast": 50, "slow": 10}'), 400, "fast < slow"),
        (upload(params="fast=1"), 400, "`params`"),
        (upload(params='{"fats": 3}'), 400, "unknown ['fats']"),
        (upload(costs="free"), 400, "`costs`"),
        (upload(on_invalid="ignore"), 400, "`on_invalid`"),
        (upload(bogus="1"), 400, "unknown field"),
        ({"content": b"{not", "headers": {"content-type": "application/json"}}, 400, "not valid"),
        ({"json": {"strategy": "rsi"}}, 400, "`bars`"),
        ({"json": {"bars": "/etc/passwd"}}, 400, "`bars` must be"),
        ({"json": {"bars": {"ts": [1, 2], "close": [1.0]}}}, 422, "differ in length"),
        ({"content": b"x", "headers": {"content-type": "text/plain"}}, 415, "content type"),
    ]
    for kwargs, status, fragment in checks:
        _error(client.post("/v1/backtest", **kwargs), status, fragment)
    _error(client.get("/v1/nothing"), 404, "Not Found")
    _error(client.get("/v1/backtest"), 405, "Method Not Allowed")
    _alive(client)


def test_client_file_names_are_never_opened(client, bars):
    # The upload's name is only a label: the bytes are read from the server's own temp file.
    r = client.post("/v1/backtest", files={"file": ("/etc/passwd", b"a,b\n1,2\n")})
    doc = _error(r, 422, "passwd")
    assert "/etc/passwd" not in doc["error"]
    r = client.post("/v1/backtest", files={"file": ("../../x.csv", _csv(bars.head(300)))})
    assert r.status_code == 200, r.text


def test_cpu_work_stays_off_the_event_loop(url):
    """/healthz keeps answering while a heavy request computes: with the work on the event
    loop, some health check would wait about as long as the whole heavy request."""
    heavy = _csv(nse.generate_ohlcv(["H"], days=390, seed=3).drop("symbol"))  # 29,250 bars
    done: dict[str, float] = {}

    def post() -> None:
        t0 = time.perf_counter()
        with httpx.Client(base_url=url, timeout=120) as c:
            r = c.post("/v1/backtest", files={"file": ("h.csv", heavy)}, data={"format": "html"})
        done["status"] = r.status_code
        done["seconds"] = time.perf_counter() - t0

    thread = threading.Thread(target=post)
    worst = 0.0
    with httpx.Client(base_url=url, timeout=120) as c:
        thread.start()
        while thread.is_alive():
            t0 = time.perf_counter()
            assert c.get("/healthz").status_code == 200
            worst = max(worst, time.perf_counter() - t0)
            time.sleep(0.01)
    thread.join()
    assert done["status"] == 200
    assert worst < 0.5 * done["seconds"], (worst, done["seconds"])


def test_concurrent_clients_short_load(url, bars):
    """Eight clients for two seconds: every request succeeds (the benchmark runs 30 s)."""
    payload = _csv(bars)
    errors: list[str] = []
    counts = [0] * 8
    stop = time.monotonic() + 2.0

    def worker(i: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as c:
            while time.monotonic() < stop:
                r = c.post(
                    "/v1/backtest",
                    files={"file": ("b.csv", payload)},
                    data={"strategy": "macd_cross"},
                )
                if r.status_code != 200:
                    errors.append(r.text[:200])
                counts[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(n >= 1 for n in counts)

"""Load test of the REST service on loopback: concurrent CSV uploads to ``POST /v1/backtest``.

The server runs as ``nse-polars serve`` (one uvicorn process) in a subprocess; this process runs
`--clients` threads, each with its own httpx client, posting the same multipart CSV upload
(`--bars` 5-minute bars of one symbol, encoded once) back to back for `--seconds`. Each request
is the whole service path: upload, strict reader (detection, parsing, validation), MACD-cross
strategy, backtest, metrics and trades serialised to JSON. Before timing, one response is
checked against ``nse.backtest`` run in this process on the same bars.

    python benchmarks/bench_server.py [--seconds 30] [--clients 8] [--bars 100000] [--write-readme]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time

import httpx
import polars as pl
from bench_indicators import cpu_model, write_readme

import nse_polars as nse

START, END = "<!-- bench:server:start -->", "<!-- bench:server:end -->"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _multipart(csv: bytes, fields: dict[str, str]) -> tuple[bytes, str]:
    """One multipart body, built once so that the clients spend no CPU encoding it."""
    boundary = "nsepolarsbench7f3a"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="bars.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n".encode()
        + csv
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--bars", type=int, default=100_000)
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args()

    bars = nse.generate_ohlcv(["BENCH"], days=args.bars // 75 + 1, seed=17).head(args.bars)
    buf = io.BytesIO()
    bars.drop("symbol").write_csv(buf)
    csv = buf.getvalue()
    fields = {"strategy": "macd_cross", "costs": "nse_delivery", "symbol": "BENCH"}
    body, content_type = _multipart(csv, fields)

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "nse_polars", "serve", "--port", str(port), "--log-level", "error"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                print("the server did not start", file=sys.stderr)
                return 1
            time.sleep(0.1)

        headers = {"Content-Type": content_type}
        with httpx.Client(base_url=url, timeout=120) as c:
            check = c.post("/v1/backtest", content=body, headers=headers)
        check.raise_for_status()
        got = pl.DataFrame(check.json()["metrics"])
        want = nse.backtest(
            bars, nse.strategies.macd_cross(), by="symbol", costs="nse_delivery"
        ).metrics
        for col in ("sharpe", "total_return", "final_equity", "n_trades"):
            a, b = got[col][0], want[col][0]
            if not (a == b or abs(a - b) <= 1e-9 * max(1.0, abs(b))):
                print(f"response differs from nse.backtest in {col}: {a} != {b}", file=sys.stderr)
                return 1

        latencies: list[float] = []
        server_ms: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        load_before = os.getloadavg()[0]
        start = time.perf_counter()
        stop_at = start + args.seconds
        last_done = [start]

        def client() -> None:
            with httpx.Client(base_url=url, timeout=120) as c:
                while time.perf_counter() < stop_at:
                    t0 = time.perf_counter()
                    try:
                        r = c.post("/v1/backtest", content=body, headers=headers)
                        ok = r.status_code == 200
                        note = "" if ok else f"{r.status_code} {r.text[:120]}"
                        elapsed = r.json().get("elapsed_ms") if ok else None
                    except httpx.HTTPError as exc:
                        ok, note, elapsed = False, f"{type(exc).__name__}: {exc}", None
                    t1 = time.perf_counter()
                    with lock:
                        latencies.append(t1 - t0)
                        last_done[0] = max(last_done[0], t1)
                        if ok:
                            server_ms.append(float(elapsed))
                        else:
                            errors.append(note)

        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = last_done[0] - start
        load_after = os.getloadavg()[0]
        alive = httpx.get(f"{url}/healthz", timeout=5).status_code == 200
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()

    lat = sorted(latencies)
    n = len(lat)

    def pct(p: float) -> float:
        return lat[min(n - 1, max(0, round(p / 100 * n + 0.5) - 1))] * 1e3

    quantiles = {p: pct(p) for p in (50, 90, 99)}
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    versions = ", ".join(
        f"{m} {__import__(m).__version__}" for m in ("fastapi", "uvicorn", "httpx", "polars")
    )
    lines = [
        f"Run {today} (UTC) on {os.cpu_count()} cores, {cpu_model()}, shared with other jobs (load "
        f"average {load_before:.1f} before, {load_after:.1f} after); {versions}, nse_polars "
        f"{nse.__version__}, Python {platform.python_version()}; one uvicorn process on "
        f"127.0.0.1, {args.clients} client threads in another process, {args.seconds:g} s.",
        "",
        "| request | upload | requests | errors | req/s | p50 ms | p90 ms | p99 ms | max ms "
        "| server ms (median) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| `POST /v1/backtest`, CSV of {args.bars:,} 5-minute bars, MACD 12/26/9, "
        f"nse_delivery | {len(body) / 1e6:.1f} MB | {n:,} | {len(errors)} | {n / wall:.2f} | "
        f"{quantiles[50]:.0f} | {quantiles[90]:.0f} | {quantiles[99]:.0f} | {lat[-1] * 1e3:.0f} "
        f"| {statistics.median(server_ms) if server_ms else float('nan'):.0f} |",
        "",
        "Latency is per request at the client (upload, reading and validating the CSV, the "
        "strategy, the backtest, the JSON response with metrics and every trade), with "
        f"{args.clients} requests in flight; server ms is the service's own `elapsed_ms` (from "
        "the parsed upload to the serialised response, without the upload and multipart "
        "parsing). The response was checked against `nse.backtest` in this process before "
        f"timing; the server {'answered /healthz after the run' if alive else 'DID NOT answer'}.",
    ]
    if errors:
        lines.append("")
        lines.append(f"First error: {errors[0]}")
    block = "\n".join(lines)
    print(block)
    if args.write_readme:
        if not write_readme(block + "\n", start_marker=START, end_marker=END):
            return 1
    return 0 if not errors and alive else 1


if __name__ == "__main__":
    sys.exit(main())

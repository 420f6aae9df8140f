"""REST service: bars in (CSV/Parquet/IPC upload or JSON), overlay, backtest and metrics out.

``nse-polars serve`` runs :func:`create_app` under uvicorn (extra ``server``). Endpoints:

- ``POST /v1/indicators``: the five-indicator overlay of the bars (JSON columns, or CSV).
- ``POST /v1/backtest``: the strict reader, a named strategy and the backtest; metrics, trades
  and optionally the overlay columns as JSON, or the HTML report (``format=html``).
- ``GET /healthz``; OpenAPI at ``/openapi.json`` and ``/docs``.

A request is either ``multipart/form-data`` with the bars in a ``file`` part (CSV plain or gzip,
Parquet or Arrow IPC, told apart by their first bytes) and the options as form fields, or
``application/json`` with the bars under ``"bars"`` (a list of row objects or an object of
columns, with the same column names the reader detects in files) and the options as keys.

Status codes: 200; 400 for a malformed request or option (bad JSON, no ``file`` part, unknown
strategy or parameter); 413 past the upload size or row limits (``NSE_POLARS_MAX_UPLOAD_MB``,
default 64; ``NSE_POLARS_MAX_ROWS``, default 2,000,000; or :func:`create_app`'s arguments);
415 for another content type; 422 when the bars cannot be read (empty, unknown columns, not
CSV/Parquet/IPC) or break a validation rule (with the reader's row-level report); 500 without
details for anything unexpected. Errors are JSON ``{"error": "..."}``, never a stack trace.

The body limit is enforced while the body streams in: a ``Content-Length`` past it is refused
before any byte is read, and a body sent without one is counted and refused as soon as it
passes. Uploads are written to a fresh temporary directory under a server-chosen name; no path
from the client is ever opened. Reading, computing and rendering run in worker threads, off
the event loop.
"""

from __future__ import annotations

import gzip
import json
import logging
import math
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from nse_polars import __version__, strategies
from nse_polars.backtest import COST_PRESETS, backtest
from nse_polars.ohlcv import OHLCVReadError, OHLCVValidationError, read_ohlcv

try:
    import anyio
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import HTMLResponse, JSONResponse, Response
    from starlette.exceptions import HTTPException as StarletteHTTPException
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    msg = "nse_polars.server needs the server extra: pip install 'nse_polars[server]'"
    raise ImportError(msg) from exc

__all__ = ["Limits", "create_app"]

logger = logging.getLogger("nse_polars.server")

DEFAULT_MAX_UPLOAD_MB = 64.0
DEFAULT_MAX_ROWS = 2_000_000
DEFAULT_MAX_TRADES = 10_000
DEFAULT_MAX_CONCURRENT_JOBS = 4  # CPU jobs at once; more wait (the kernels use every core)
GZIP_EXPANSION_LIMIT = 20  # a gzip upload may inflate to at most 20 x the upload limit
REPORT_ROWS = 100  # rows of the reader's report returned with a 422


@dataclass(frozen=True)
class Limits:
    """Per-request limits: body bytes, bars, trades listed in a response, concurrent jobs."""

    max_upload_bytes: int
    max_rows: int
    max_trades: int = DEFAULT_MAX_TRADES
    max_concurrent_jobs: int = DEFAULT_MAX_CONCURRENT_JOBS

    @classmethod
    def from_env(cls, **overrides: Any) -> Limits:
        """Defaults, then ``NSE_POLARS_MAX_UPLOAD_MB`` / ``NSE_POLARS_MAX_ROWS``, then the
        arguments that are not None."""
        upload = int(_env_number("NSE_POLARS_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB) * 1e6)
        rows = int(_env_number("NSE_POLARS_MAX_ROWS", DEFAULT_MAX_ROWS))
        values = {"max_upload_bytes": upload, "max_rows": rows}
        values.update({k: v for k, v in overrides.items() if v is not None})
        for name, value in values.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                msg = f"`{name}` must be a positive integer, got {value!r}"
                raise ValueError(msg)
        return cls(**values)


def _env_number(name: str, default: float) -> float:
    text = os.environ.get(name)
    if text is None or not text.strip():
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        msg = f"environment variable {name} must be a positive number, got {text!r}"
        raise ValueError(msg)
    return value


# --- errors -----------------------------------------------------------------------------------


class ApiError(Exception):
    """An error for the client: status code, one message, optional extra JSON fields."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


class _BodyTooLarge(Exception):
    pass


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    headers = {"Connection": "close"} if status == 413 else None
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)


class _BodyLimit:
    """ASGI middleware: refuse a declared Content-Length past the limit before reading, and
    count the bytes of every body as it streams in (chunked uploads declare no length)."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = None
        for key, value in scope.get("headers", ()):
            if key == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
        if declared is not None and declared > self.limit:
            response = _error(413, _too_large_message(self.limit, declared))
            await response(scope, receive, send)
            return
        seen = 0

        async def counted() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _BodyTooLarge
            return message

        await self.app(scope, counted, send)


def _too_large_message(limit: int, size: int | None = None) -> str:
    got = f" ({size:,} bytes)" if size is not None else ""
    return f"request body too large{got}: the limit is {limit:,} bytes (NSE_POLARS_MAX_UPLOAD_MB)"


# --- request parsing ----------------------------------------------------------------------------


@dataclass
class _Job:
    """One request's bars (a file the server wrote) and options."""

    path: Path
    workdir: tempfile.TemporaryDirectory[str]
    options: dict[str, Any]
    from_json: bool
    filename: str


_OPTION_NAMES = (
    "strategy",
    "params",
    "costs",
    "fill",
    "symbol",
    "on_invalid",
    "initial_capital",
    "include_overlay",
    "include_trades",
    "include_equity",
    "format",
)


async def _read_request(request: Request, limits: Limits) -> _Job:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    workdir = tempfile.TemporaryDirectory(prefix="nse_polars_upload_")
    path = Path(workdir.name) / "bars"
    try:
        if ctype == "multipart/form-data":
            return await _read_multipart(request, limits, workdir, path)
        if ctype in ("application/json", "") or ctype.endswith("+json"):
            return await _read_json(request, limits, workdir, path)
    except BaseException:
        workdir.cleanup()
        raise
    workdir.cleanup()
    raise ApiError(
        415,
        f"unsupported content type {ctype!r}: send multipart/form-data with a `file` part, "
        "or application/json with `bars`",
    )


async def _read_multipart(
    request: Request, limits: Limits, workdir: tempfile.TemporaryDirectory[str], path: Path
) -> _Job:
    try:
        form = await request.form(max_files=1, max_fields=len(_OPTION_NAMES) + 1)
    except StarletteHTTPException as exc:  # the multipart parser's own complaints
        raise ApiError(400, f"malformed multipart body: {exc.detail}") from None
    try:
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ApiError(400, "multipart body has no `file` part with the bars")
        options = {k: v for k, v in form.items() if k != "file"}
        unknown = sorted(set(options) - set(_OPTION_NAMES))
        if unknown:
            raise ApiError(400, f"unknown field(s) {unknown}; known: {list(_OPTION_NAMES)}")
        filename = os.path.basename(upload.filename or "upload")[:200] or "upload"

        def copy() -> None:
            upload.file.seek(0)
            with open(path, "wb") as out:
                shutil.copyfileobj(upload.file, out, 1 << 20)

        await anyio.to_thread.run_sync(copy)
    finally:
        await form.close()
    return _Job(path, workdir, options, from_json=False, filename=filename)


async def _read_json(
    request: Request, limits: Limits, workdir: tempfile.TemporaryDirectory[str], path: Path
) -> _Job:
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
    if not body:
        raise ApiError(400, "empty request body: send bars as multipart `file` or JSON `bars`")

    def parse() -> dict[str, Any]:
        try:
            doc = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ApiError(400, f"body is not valid JSON: {exc}") from None
        if not isinstance(doc, dict) or "bars" not in doc:
            raise ApiError(400, "JSON body must be an object with `bars` (rows or columns)")
        unknown = sorted(set(doc) - {"bars", *_OPTION_NAMES})
        if unknown:
            raise ApiError(400, f"unknown key(s) {unknown}; known: ['bars', *{_OPTION_NAMES}]")
        _json_bars_to_csv(doc.pop("bars"), path, limits)
        return doc

    options = await anyio.to_thread.run_sync(parse)
    return _Job(path, workdir, options, from_json=True, filename="bars")


def _json_bars_to_csv(bars: Any, path: Path, limits: Limits) -> None:
    """JSON bars -> a CSV file for the strict reader (same detection and rules as uploads)."""
    try:
        if isinstance(bars, list):
            if not all(isinstance(r, dict) for r in bars):
                raise ApiError(400, "`bars` as a list must hold one object per bar")
            frame = pl.DataFrame(bars, infer_schema_length=None)
        elif isinstance(bars, dict):
            if not all(isinstance(v, list) for v in bars.values()):
                raise ApiError(400, "`bars` as an object must map column names to lists")
            lengths = {k: len(v) for k, v in bars.items()}
            if len(set(lengths.values())) > 1:
                raise ApiError(422, f"`bars` columns differ in length: {lengths}")
            frame = pl.DataFrame(bars)
        else:
            raise ApiError(400, "`bars` must be a list of row objects or an object of columns")
    except (pl.exceptions.PolarsError, TypeError, ValueError) as exc:
        if isinstance(exc, ApiError):
            raise
        raise ApiError(422, f"`bars` cannot be read as a table: {_first_line(exc)}") from None
    if frame.height > limits.max_rows:
        raise ApiError(413, _rows_message(frame.height, limits))
    bad = [c for c, t in frame.schema.items() if isinstance(t, (pl.List, pl.Struct, pl.Array))]
    if bad:
        raise ApiError(422, f"`bars` columns {bad} hold lists or objects, not values")
    frame.write_csv(path)


# --- options ------------------------------------------------------------------------------------


def _opt_bool(options: dict[str, Any], name: str, default: bool) -> bool:
    value = options.get(name, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise ApiError(400, f"`{name}` must be true or false, got {value!r}")


def _opt_choice(options: dict[str, Any], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = options.get(name, default)
    if value not in choices:
        raise ApiError(400, f"`{name}` must be one of {list(choices)}, got {value!r}")
    return str(value)


def _opt_params(options: dict[str, Any]) -> dict[str, Any]:
    value = options.get("params")
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ApiError(
                400, f'`params` must be a JSON object such as {{"fast": 12}}, got {value!r}'
            ) from None
    if not isinstance(value, dict):
        raise ApiError(400, f"`params` must be an object of parameter -> number, got {value!r}")
    for k, v in value.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ApiError(400, f"`params`: {k} must be a number, got {v!r}")
    return value


def _opt_costs(options: dict[str, Any]) -> str | float:
    value = options.get("costs", "nse_delivery")
    if isinstance(value, str) and value in COST_PRESETS:
        return value
    try:
        bps = float(value)
    except (TypeError, ValueError):
        bps = math.nan
    if not (math.isfinite(bps) and 0 <= bps < 10_000):
        raise ApiError(
            400,
            f"`costs` must be a preset {sorted(COST_PRESETS)} or basis points in [0, 10000), "
            f"got {value!r}",
        )
    return bps


def _opt_capital(options: dict[str, Any]) -> float:
    value = options.get("initial_capital", 100_000.0)
    try:
        capital = float(value)
    except (TypeError, ValueError):
        capital = math.nan
    if not (math.isfinite(capital) and capital > 0):
        raise ApiError(400, f"`initial_capital` must be a positive number, got {value!r}")
    return capital


def _opt_symbol(options: dict[str, Any]) -> str:
    value = options.get("symbol", "UPLOAD")
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise ApiError(
            400, f"`symbol` must be a non-empty string of at most 64 characters, got {value!r}"
        )
    return value.strip()


# --- work (runs in a worker thread) -------------------------------------------------------------


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _rows_message(rows: int, limits: Limits) -> str:
    return f"too many bars: {rows:,} (the limit is {limits.max_rows:,}; NSE_POLARS_MAX_ROWS)"


def _count_rows(path: Path, limits: Limits) -> None:
    """Refuse an upload with more bars than the limit before parsing it (a small compressed
    file can hold many rows); gzip is inflated in a stream with a cap on its size."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(b"PAR1") or head.startswith(b"ARROW1") or head[:4] == b"\xff\xff\xff\xff":
        try:
            if head.startswith(b"PAR1"):
                rows = pl.scan_parquet(path).select(pl.len()).collect().item()
            else:
                rows = pl.scan_ipc(path).select(pl.len()).collect().item()
        except pl.exceptions.PolarsError as exc:
            raise ApiError(
                422, f"upload is not a readable Parquet/IPC file: {_first_line(exc)}"
            ) from None
        if rows > limits.max_rows:
            raise ApiError(413, _rows_message(rows, limits))
        return
    cap = limits.max_upload_bytes * GZIP_EXPANSION_LIMIT
    lines = 0
    size = 0
    opener = gzip.open if head.startswith(b"\x1f\x8b") else open
    try:
        with opener(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                lines += chunk.count(b"\n")
                size += len(chunk)
                if lines > limits.max_rows + 1:  # + the header line
                    raise ApiError(413, _rows_message(lines - 1, limits) + " (at least)")
                if size > cap:
                    raise ApiError(413, f"upload inflates past {cap:,} bytes")
    except (OSError, EOFError) as exc:
        raise ApiError(422, f"upload cannot be read: {exc}") from None


def _public(text: str, job: _Job) -> str:
    """A message with the server's temporary path replaced by the client's name for the file."""
    return text.replace(str(job.path), job.filename).replace(job.workdir.name, ".")


def _read_bars(job: _Job, limits: Limits) -> tuple[pl.DataFrame, pl.DataFrame]:
    _count_rows(job.path, limits)
    on_invalid = _opt_choice(job.options, "on_invalid", "raise", ("raise", "drop", "repair"))
    symbol = _opt_symbol(job.options)
    try:
        data, report = read_ohlcv(
            job.path, on_invalid=on_invalid, return_report=True, symbol=symbol
        )
    except OHLCVValidationError as exc:
        raise ApiError(
            422,
            _public(str(exc).splitlines()[0].split("; first of each")[0], job)
            + "; every such row is in `report` (send on_invalid=drop or repair to go on)",
            report=_report_json(exc.report, job),
            report_rows=exc.report.height,
        ) from None
    except OHLCVReadError as exc:
        raise ApiError(422, _public(_first_line(exc), job)) from None
    except pl.exceptions.PolarsError as exc:
        raise ApiError(422, f"the bars cannot be read: {_public(_first_line(exc), job)}") from None
    if data.height > limits.max_rows:
        raise ApiError(413, _rows_message(data.height, limits))
    if data.height == 0:
        raise ApiError(422, "no bars left to compute on")
    return data, report


def _report_json(report: pl.DataFrame, job: _Job) -> list[dict[str, Any]]:
    """The reader's row-level report for a client: the file is named as the client named it,
    and JSON bars are numbered by their position (1-based) instead of a CSV line."""
    rows = report.head(REPORT_ROWS).with_columns(pl.lit(job.filename).alias("source"))
    if job.from_json:
        rows = (
            rows.drop("source")
            .with_columns((pl.col("line") - 1).alias("line"))
            .rename({"line": "bar"})
        )
    return json.loads(rows.write_json())


def _frame_json(frame: pl.DataFrame, *, columns: bool = False) -> str:
    """Polars' own JSON writer (nulls for NaN, ISO-8601 times): rows, or an object of columns."""
    if columns:
        if frame.height == 0:
            return json.dumps({c: [] for c in frame.columns})
        return frame.select(pl.all().implode()).write_json()[1:-1]
    return frame.write_json()


def _compose(fields: dict[str, Any], frames: dict[str, str]) -> str:
    """One JSON object from plain fields and pre-serialised frames (no re-parsing)."""
    head = json.dumps(fields, default=str, allow_nan=False)
    if not frames:
        return head
    tail = ",".join(f"{json.dumps(k)}:{v}" for k, v in frames.items())
    return head[:-1] + ("," if fields else "") + tail + "}"


def _quality(report: pl.DataFrame, job: _Job) -> dict[str, Any] | None:
    if report.height == 0:
        return None
    from nse_polars.ohlcv_validate import summarize

    return {
        "summary": summarize(report),
        "rows": report.height,
        "report": _report_json(report, job),
    }


def _run_indicators(job: _Job, limits: Limits) -> tuple[str, str]:
    start = time.perf_counter()
    fmt = _opt_choice(job.options, "format", "json", ("json", "csv"))
    data, report = _read_bars(job, limits)
    overlay = data.nse.overlay(by="symbol")
    if fmt == "csv":
        return overlay.write_csv(), "text/csv"
    fields = {
        "rows": overlay.height,
        "symbols": overlay.get_column("symbol").unique(maintain_order=True).to_list(),
        "data_quality": _quality(report, job),
        "elapsed_ms": round((time.perf_counter() - start) * 1e3, 3),
    }
    return _compose(fields, {"overlay": _frame_json(overlay, columns=True)}), "application/json"


def _run_backtest(job: _Job, limits: Limits) -> tuple[str, str]:
    start = time.perf_counter()
    options = job.options
    try:
        strategy = strategies.from_name(
            str(options.get("strategy", "macd_cross")), _opt_params(options)
        )
    except (ValueError, TypeError) as exc:
        raise ApiError(400, _first_line(exc)) from None
    costs = _opt_costs(options)
    fill = _opt_choice(options, "fill", "next_open", ("next_open", "next_close"))
    fmt = _opt_choice(options, "format", "json", ("json", "html"))
    capital = _opt_capital(options)
    include_overlay = _opt_bool(options, "include_overlay", False)
    include_trades = _opt_bool(options, "include_trades", True)
    include_equity = _opt_bool(options, "include_equity", False)
    data, report = _read_bars(job, limits)
    overlay = data.nse.overlay(by="symbol") if (include_overlay or fmt == "html") else None
    try:
        result = backtest(
            data, strategy, by="symbol", costs=costs, fill=fill, initial_capital=capital
        )
    except (ValueError, TypeError) as exc:
        raise ApiError(422, _public(_first_line(exc), job)) from None
    if fmt == "html":
        from nse_polars.report import build_report

        title = f"nse_polars backtest: {strategy.name} {strategy.params} on {job.filename}"
        return build_report(data, result, overlay=overlay, title=title), "text/html"
    trades = result.trades
    fields = {
        "rows": data.height,
        "symbols": result.metrics.get_column("symbol").to_list(),
        "strategy": {"name": strategy.name, "params": strategy.params},
        "costs": costs,
        "fill": fill,
        "initial_capital": capital,
        "bars_per_year": result.bars_per_year,
        "data_quality": _quality(report, job),
        "n_trades_listed": min(trades.height, limits.max_trades) if include_trades else 0,
        "trades_truncated": include_trades and trades.height > limits.max_trades,
    }
    frames = {"metrics": _frame_json(result.metrics)}
    if include_trades:
        frames["trades"] = _frame_json(trades.head(limits.max_trades))
    if include_equity:
        frames["equity"] = _frame_json(result.equity, columns=True)
    if overlay is not None:
        frames["overlay"] = _frame_json(overlay, columns=True)
    fields["elapsed_ms"] = round((time.perf_counter() - start) * 1e3, 3)
    return _compose(fields, frames), "application/json"


# --- the app ------------------------------------------------------------------------------------

_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "bars: CSV (plain or gzip), Parquet or Arrow IPC",
                        },
                        "strategy": {"type": "string", "enum": sorted(strategies.STRATEGIES)},
                        "params": {"type": "string", "description": 'JSON, e.g. {"fast": 12}'},
                        "costs": {"type": "string", "description": "preset or basis points"},
                        "fill": {"type": "string", "enum": ["next_open", "next_close"]},
                        "symbol": {"type": "string", "description": "for files without one"},
                        "on_invalid": {"type": "string", "enum": ["raise", "drop", "repair"]},
                        "initial_capital": {"type": "number"},
                        "include_overlay": {"type": "boolean"},
                        "include_trades": {"type": "boolean"},
                        "include_equity": {"type": "boolean"},
                        "format": {"type": "string", "enum": ["json", "html", "csv"]},
                    },
                }
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["bars"],
                    "properties": {
                        "bars": {
                            "description": "rows [{ts, open, high, low, close, volume}, ...] "
                            "or columns {ts: [...], open: [...], ...}",
                        },
                        "strategy": {"type": "string"},
                        "params": {"type": "object"},
                        "costs": {},
                    },
                }
            },
        },
    },
    "responses": {
        "400": {"description": "malformed request or option"},
        "413": {"description": "body or bars past the limits"},
        "422": {"description": "bars unreadable or invalid (with the row-level report)"},
    },
}


def create_app(
    *,
    max_upload_bytes: int | None = None,
    max_rows: int | None = None,
    max_trades: int | None = None,
    max_concurrent_jobs: int | None = None,
) -> Any:
    """
    The ASGI application: a FastAPI app wrapped in the streaming body-size limit.

    Parameters
    ----------
    max_upload_bytes
        Largest request body (default: ``NSE_POLARS_MAX_UPLOAD_MB`` x 1e6, else 64 MB).
    max_rows
        Most bars per request (default: ``NSE_POLARS_MAX_ROWS``, else 2,000,000).
    max_trades
        Most trades listed in a response (``trades_truncated`` says when more exist).
    max_concurrent_jobs
        Requests computing at once; later ones wait their turn.

    Returns
    -------
    An ASGI app for uvicorn (``uvicorn.run(create_app(), ...)``); the FastAPI app is its
    ``.app`` attribute.
    """
    limits = Limits.from_env(
        max_upload_bytes=max_upload_bytes,
        max_rows=max_rows,
        max_trades=max_trades,
        max_concurrent_jobs=max_concurrent_jobs,
    )
    app = FastAPI(
        title="nse_polars",
        version=__version__,
        description="Indicators and backtests over uploaded OHLCV bars. " + _LIMITS_DOC,
    )
    app.state.limits = limits
    jobs = anyio.CapacityLimiter(limits.max_concurrent_jobs)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.message, **exc.extra)

    @app.exception_handler(_BodyTooLarge)
    async def _too_large(request: Request, exc: _BodyTooLarge) -> JSONResponse:
        return _error(413, _too_large_message(limits.max_upload_bytes))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _error(400, f"invalid request: {where}: {first.get('msg', 'invalid')}")

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("internal error on %s %s", request.method, request.url.path)
        return _error(500, "internal error (logged on the server)")

    async def run(request: Request, work: Any) -> Response:
        job = await _read_request(request, limits)
        try:
            body, media = await anyio.to_thread.run_sync(work, job, limits, limiter=jobs)
        finally:
            await anyio.to_thread.run_sync(job.workdir.cleanup)
        if media == "text/html":
            return HTMLResponse(body)
        return Response(body, media_type=media)

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        """Liveness and the limits in force."""
        return {
            "status": "ok",
            "version": __version__,
            "max_upload_bytes": limits.max_upload_bytes,
            "max_rows": limits.max_rows,
        }

    @app.post("/v1/indicators", openapi_extra=_BODY_DOC)
    async def indicators(request: Request) -> Response:
        """The five-indicator overlay (SMA 20, EMA 20, RSI 14, MACD 12/26/9, Bollinger 20/2)
        per symbol, as JSON columns (``format=csv`` for CSV)."""
        return await run(request, _run_indicators)

    @app.post("/v1/backtest", openapi_extra=_BODY_DOC)
    async def backtest_endpoint(request: Request) -> Response:
        """Read and validate the bars, run a named strategy per symbol and return the metrics,
        the trades and optionally the equity and overlay columns (``format=html``: the
        report)."""
        return await run(request, _run_backtest)

    return _BodyLimit(app, limits.max_upload_bytes)


_LIMITS_DOC = (
    "Limits: NSE_POLARS_MAX_UPLOAD_MB (request body), NSE_POLARS_MAX_ROWS (bars); 413 past "
    "them, 422 with the reader's row-level report for invalid bars."
)

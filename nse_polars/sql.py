"""SQL over Parquet through DuckDB: every indicator and the backtester as SQL functions.

Two ways in, the same kernels:

- **List functions, pure SQL.** :func:`connect` (or :func:`register` on a connection you
  already have) adds ``nse_<indicator>(...)`` for every indicator of the native table and
  ``nse_backtest(...)``. They take DuckDB lists, one series per row, so grouped by symbol they
  give one row per symbol::

      SELECT symbol, nse_rsi(list(close ORDER BY ts), 14) AS rsi
      FROM read_parquet('bars/**/*.parquet', hive_partitioning = true)
      GROUP BY symbol

  A batch of rows (DuckDB hands a Python UDF up to 2,048 at a time) is computed in one native
  call: the lists' flat values are read in place, each list is its own series (the segmented
  path of ``df.nse.overlay(by=...)``, lists in parallel, the GIL released), and the result
  lists share the input's offsets. Multi-output indicators (``nse_macd``, ``nse_bbands``, ...)
  return a STRUCT of lists named after the outputs. Parameters are named with defaults
  (DuckDB macros in ``sql/indicators.sql``): ``nse_macd(x, fast := 12, slow := 26, signal :=
  9)``; DuckDB 2.0 accepts both ``name := value`` and ``name => value``, and positional values.
- **The fast path, whole tables.** :func:`run` executes a query, hands the rows to the
  segmented kernels through Arrow (``df.nse.overlay(by=...)``, :func:`nse_polars.backtest`) and
  registers the results as DuckDB views ``bars_overlay``, ``backtest_metrics``, ``trades`` and
  ``backtest_equity`` for more SQL.

Rules of the list functions (the null rule of the Polars expressions, list by list):

- Each list is one series in list order (``list(x ORDER BY ts)``): output lists have the input's
  length; warm-up entries are NULL; a NULL (or NaN) inside a list gives a NULL entry and the
  indicator carries its state over it; an empty list gives an empty list; a list shorter than
  the lookback gives a list of NULLs; a NULL list (or any NULL argument) gives NULL.
- Multi-input functions (``nse_atr(high, low, close)``) need lists of equal length in each row;
  otherwise an error names the row of the batch and the lengths.
- Parameters are usually constants, but may differ between rows (a parameter grid joined to
  the symbols): the rows of each distinct parameter set are computed together. A bad value
  raises an error naming the parameter, as the Polars expressions do.

``nse_backtest(open, close, entries, exits, costs := 'none', ...)`` runs one account per row
(REFERENCE.md semantics, as :func:`nse_polars.backtest`) and returns a STRUCT of the metrics of
:attr:`nse_polars.BacktestResult.metrics` (same names). ``costs`` is a preset name
(``'nse_delivery'``, ``'nse_intraday'``, ``'none'``) or a number of basis points per side as
text (``'10'``); ``bars_per_year`` defaults to 252 (daily bars): give 18900 for NSE 5-minute
bars.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
import pyarrow as pa

from nse_polars import _core, _plugin
from nse_polars import strategies as _strategies

# The module, not the function of the same name that nse_polars re-exports.
_backtest = importlib.import_module("nse_polars.backtest")

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "SqlRun",
    "compute_lists",
    "connect",
    "macro_sql",
    "query",
    "register",
    "run",
]

# The repository's sql/ folder, installed next to this module (CMakeLists.txt installs it);
# a source checkout is found too.
_SQL_DIRS = (
    Path(__file__).resolve().parent / "sql_files",
    Path(__file__).resolve().parents[1] / "sql",
)
GENERATED_MACROS = "indicators.sql"

# DuckDB types of the parameters, by the native table's kinds.
_PARAM_SQL = {"int": "BIGINT", "float": "DOUBLE", "choice": "VARCHAR"}


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - the sql extra is part of test
        msg = "nse_polars.sql needs DuckDB: pip install 'nse_polars[sql]'"
        raise ImportError(msg) from exc
    return duckdb


def _sql_dir() -> Path:
    for d in _SQL_DIRS:
        if (d / GENERATED_MACROS).is_file():
            return d
    looked = ", ".join(str(d) for d in _SQL_DIRS)
    msg = f"nse_polars.sql: the SQL macro files were not found (looked in {looked})"
    raise FileNotFoundError(msg)


# --- lists in, lists out -------------------------------------------------------------------


def _as_list_array(x: Any, function: str, role: str) -> pa.Array:
    """One LIST/LARGE_LIST array of numbers or booleans (a ChunkedArray is combined)."""
    if isinstance(x, pa.ChunkedArray):
        x = x.chunk(0) if x.num_chunks == 1 else x.combine_chunks()
    elif not isinstance(x, pa.Array):
        x = pa.array(x)
    t = x.type
    if not (pa.types.is_list(t) or pa.types.is_large_list(t)):
        msg = f"`{function}`: `{role}` must be a list of numbers (one series per row), got {t}"
        raise TypeError(msg)
    v = t.value_type
    if not (
        pa.types.is_floating(v)
        or pa.types.is_integer(v)
        or pa.types.is_boolean(v)
        or pa.types.is_null(v)
    ):
        msg = f"`{function}`: `{role}` must be a list of numbers, got a list of {v}"
        raise TypeError(msg)
    return x


def _segments(
    function: str, roles: list[str], arrays: list[pa.Array]
) -> tuple[list[pa.Array], np.ndarray, np.ndarray | None]:
    """Flat values of every input, aligned, with the common offsets (from 0) and the row
    validity (None when no row is null). Rows that are null in any input are empty segments."""
    n = len(arrays[0])
    for role, a in zip(roles, arrays, strict=True):
        if len(a) != n:  # pragma: no cover - DuckDB always passes equal batches
            msg = f"`{function}`: `{role}` has {len(a)} rows, `{roles[0]}` {n}"
            raise ValueError(msg)
    valid: np.ndarray | None = None
    for a in arrays:
        if a.null_count:
            v = a.is_valid().to_numpy(zero_copy_only=False)
            valid = v if valid is None else valid & v
    raw = [a.offsets.to_numpy().astype(np.int64, copy=False) for a in arrays]
    raw_lengths = [np.diff(o) for o in raw]
    lengths = raw_lengths if valid is None else [np.where(valid, n_, 0) for n_ in raw_lengths]
    for role, k in zip(roles[1:], lengths[1:], strict=True):
        bad = np.flatnonzero(k != lengths[0])
        if bad.size:
            row = int(bad[0])
            msg = (
                f"`{function}`: row {row} of the batch has lists of different lengths "
                f"(`{roles[0]}`: {int(lengths[0][row])}, `{role}`: {int(k[row])}); every "
                "input needs one value per bar"
            )
            raise ValueError(msg)
    flat = []
    for a, o, raw_n, n_ in zip(arrays, raw, raw_lengths, lengths, strict=True):
        if raw_n is n_ or np.array_equal(raw_n, n_):  # contiguous: a view of the child values
            flat.append(a.values.slice(int(o[0]), int(o[-1] - o[0])))
        else:  # null rows backed by values: keep the valid rows' values only
            starts = o[:-1][n_ > 0]
            keep = n_[n_ > 0]
            before = np.concatenate(([0], np.cumsum(keep)[:-1]))
            index = np.arange(int(keep.sum()), dtype=np.int64) + np.repeat(starts - before, keep)
            flat.append(a.values.take(pa.array(index)))
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths[0], out=offsets[1:])
    return flat, offsets, valid


def _list_array(offsets: np.ndarray, values: pa.Array, mask: pa.Array | None) -> pa.Array:
    if offsets[-1] <= np.iinfo(np.int32).max:
        return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), values, mask=mask)
    return pa.LargeListArray.from_arrays(pa.array(offsets), values, mask=mask)


def compute_lists(name: str, *inputs: Any, allow_threads: bool = True, **params: Any) -> pa.Array:
    """
    An indicator over Arrow list arrays: each list is its own series.

    This is what the SQL functions run (``nse_<name>``), usable from Python on any pyarrow
    list arrays.

    Parameters
    ----------
    name
        An indicator of the native table (``nse_polars._core.describe()``), e.g. ``"rsi"``.
    *inputs
        One list array per input of the indicator (``close``; ``high, low, close`` ...), all
        with lists of the same length in each row.
    allow_threads
        Compute the lists in parallel (OpenMP).
    **params
        The indicator's parameters (validated natively; defaults filled in).

    Returns
    -------
    A LIST<DOUBLE> array for a single-output indicator, else a STRUCT of such arrays named
    after the outputs; null where any input list is null.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from nse_polars.sql import compute_lists
    >>> compute_lists("sma", pa.array([[1.0, 2.0, 3.0], [], None, [4.0, None, 6.0]]), period=2)
    ... # doctest: +ELLIPSIS
    <pyarrow.lib.ListArray object at ...>
    [
      [
        null,
        1.5,
        2.5
      ],
      [],
      null,
      [
        null,
        null,
        5
      ]
    ]
    """
    desc = _describe()[name]
    function = f"nse_{name}"
    roles = list(desc["inputs"])
    if len(inputs) != len(roles):
        msg = f"`{function}` takes {len(roles)} list(s) ({', '.join(roles)}), got {len(inputs)}"
        raise TypeError(msg)
    arrays = [_as_list_array(x, function, r) for x, r in zip(inputs, roles, strict=True)]
    kwargs = _core.check_params(name, params)
    flat, offsets, valid = _segments(function, roles, arrays)
    flat = [v.cast(pa.float64()) if v.type != pa.float64() else v for v in flat]
    out = _core.compute_segments(
        name, [v.__arrow_c_array__() for v in flat], offsets, kwargs, allow_threads
    )
    mask = None if valid is None else pa.array(~valid)
    lists = [_list_array(offsets, pa.Array._import_from_c_capsule(*o), mask) for o in out]
    if len(lists) == 1:
        return lists[0]
    return pa.StructArray.from_arrays(lists, names=list(desc["outputs"]), mask=mask)


_DESCRIBE: dict[str, dict[str, Any]] = {}


def _describe() -> dict[str, dict[str, Any]]:
    if not _DESCRIBE:
        _DESCRIBE.update({d["name"]: d for d in _core.describe()})
    return _DESCRIBE


def _by_parameter_set(
    compute: Any, lists: tuple[Any, ...], names: list[str], values: tuple[Any, ...]
) -> pa.Array:
    """Run `compute(*lists, **params)` once per distinct parameter set of the batch (DuckDB
    passes each parameter as a column, one value per row: a constant in the common case, or
    e.g. a grid joined to the symbols), and put the results back in row order."""
    columns = [
        v.to_pylist() if isinstance(v, (pa.ChunkedArray, pa.Array)) else [v] * len(lists[0])
        for v in values
    ]
    rows_of: dict[tuple[Any, ...], list[int]] = {}
    for row, combo in enumerate(zip(*columns, strict=True)):
        rows_of.setdefault(combo, []).append(row)
    if len(rows_of) <= 1:
        combo = next(iter(rows_of), ())
        return compute(*lists, **dict(zip(names, combo, strict=True)))
    arrays = [_as_chunk(x) for x in lists]
    parts, order = [], []
    for combo, rows in rows_of.items():
        take = pa.array(rows, type=pa.int64())
        part = compute(*(a.take(take) for a in arrays), **dict(zip(names, combo, strict=True)))
        parts.append(part)
        order.extend(rows)
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[np.asarray(order)] = np.arange(len(order))
    return pa.concat_arrays(parts).take(pa.array(inverse))


def _as_chunk(x: Any) -> Any:
    if isinstance(x, pa.ChunkedArray):
        return x.chunk(0) if x.num_chunks == 1 else x.combine_chunks()
    return x


def _indicator_udf(name: str, n_inputs: int, params: list[str]) -> Any:
    def compute(*lists: Any, **kwargs: Any) -> pa.Array:
        return compute_lists(name, *lists, **kwargs)

    def udf(*args: Any) -> pa.Array:
        return _by_parameter_set(compute, args[:n_inputs], params, args[n_inputs:])

    udf.__name__ = f"_nse_{name}"
    return _with_arity(udf, n_inputs + len(params))


def _with_arity(fn: Any, n: int) -> Any:
    """DuckDB counts a UDF's parameters from its signature: give a ``*args`` function ``n``."""
    import inspect

    kind = inspect.Parameter.POSITIONAL_ONLY
    fn.__signature__ = inspect.Signature([inspect.Parameter(f"a{i}", kind) for i in range(n)])
    return fn


# --- the backtest as a list function -----------------------------------------------------------

_BACKTEST_PARAMS: tuple[tuple[str, str, str], ...] = (
    # (name, DuckDB type, default as SQL)
    ("costs", "VARCHAR", "'none'"),
    ("fill", "VARCHAR", "'next_open'"),
    ("bars_per_year", "DOUBLE", "252"),
    ("initial_capital", "DOUBLE", "100000"),
    ("slippage_bps", "DOUBLE", "0"),
    ("fixed_fee", "DOUBLE", "0"),
    ("risk_free", "DOUBLE", "0"),
    ("mar", "DOUBLE", "0"),
)
_BACKTEST_INPUTS = ("open", "close", "entries", "exits")
_METRIC_NAMES: list[str] = []


def _metric_names() -> list[str]:
    if not _METRIC_NAMES:
        one = np.ones(1)
        out = _core.backtest_run(
            one, one, np.array([0, 1], dtype=np.int64), {}, {"costs": {}}, want_trades=False
        )
        _METRIC_NAMES.extend(out["metric_names"])
    return _METRIC_NAMES


def _costs(text: str) -> Any:
    """A preset name, or basis points per side written as a number."""
    if text in _backtest.COST_PRESETS:
        return text
    try:
        bps = float(text)
    except ValueError:
        msg = (
            f"`costs`: unknown preset {text!r}; expected one of "
            f"{sorted(_backtest.COST_PRESETS)} or a number of basis points such as '10'"
        )
        raise ValueError(msg) from None
    return bps


def backtest_lists(
    open: Any,
    close: Any,
    entries: Any,
    exits: Any,
    *,
    costs: str = "none",
    fill: str = "next_open",
    bars_per_year: float = 252.0,
    initial_capital: float = 100_000.0,
    slippage_bps: float = 0.0,
    fixed_fee: float = 0.0,
    risk_free: float = 0.0,
    mar: float = 0.0,
) -> pa.StructArray:
    """
    One backtest per row of list arrays (what ``nse_backtest`` runs): a STRUCT of metrics.

    ``open``/``close`` are lists of prices, ``entries``/``exits`` lists of booleans (NULL =
    false), of equal length in each row; the semantics and metric names are those of
    :func:`nse_polars.backtest` (one account per row). A NULL list gives a NULL row; an empty
    list gives 0 bars and NULL ratios.
    """
    function = "nse_backtest"
    roles = list(_BACKTEST_INPUTS)
    lists = (open, close, entries, exits)
    arrays = [_as_list_array(x, function, r) for x, r in zip(lists, roles, strict=True)]
    for r, a in zip(roles[2:], arrays[2:], strict=True):
        if not pa.types.is_boolean(a.type.value_type) and not pa.types.is_null(a.type.value_type):
            msg = f"`{function}`: `{r}` must be a list of booleans, got {a.type}"
            raise TypeError(msg)
    for name, value in (
        ("bars_per_year", bars_per_year),
        ("initial_capital", initial_capital),
    ):
        _backtest._check_number(name, value, positive=True)
    for name, value in (("risk_free", risk_free), ("mar", mar)):
        _backtest._check_number(name, value)
    model = _backtest._cost_model(_costs(costs), fixed_fee, slippage_bps)
    config = _backtest._config(
        fill=fill,
        size=1.0,
        size_type="percent",
        lot_size=None,
        allow_short=False,
        initial_capital=initial_capital,
        bars_per_year=bars_per_year,
        risk_free=risk_free,
        mar=mar,
        model=model,
    )
    flat, offsets, valid = _segments(function, roles, arrays)

    def prices(v: pa.Array) -> np.ndarray:
        return v.cast(pa.float64()).to_numpy(zero_copy_only=False)

    def flags(v: pa.Array) -> np.ndarray:
        return v.cast(pa.bool_()).fill_null(False).to_numpy(zero_copy_only=False).view(np.uint8)

    out = _core.backtest_run(
        prices(flat[0]),
        prices(flat[1]),
        offsets,
        {"entries": flags(flat[2]), "exits": flags(flat[3])},
        config,
        want_trades=False,
    )
    values = out["metrics"]
    names = list(out["metric_names"])
    mask = None if valid is None else pa.array(~valid)
    fields = []
    for k, name in enumerate(names):
        column = values[:, k]
        if name in _backtest.METRIC_DTYPES_INT:
            fields.append(pa.array(column.astype(np.int64)))
        else:
            fields.append(pa.array(column, mask=np.isnan(column)))
    return pa.StructArray.from_arrays(fields, names=names, mask=mask)


def _backtest_udf(*args: Any) -> pa.StructArray:
    n = len(_BACKTEST_INPUTS)
    names = [p for p, _, _ in _BACKTEST_PARAMS]
    return _by_parameter_set(backtest_lists, args[:n], names, args[n:])


# --- registration --------------------------------------------------------------------------


def _sql_default(param: dict[str, Any]) -> str:
    if param["kind"] == "choice":
        return "'" + str(param["default"]).replace("'", "''") + "'"
    if param["kind"] == "int":
        return str(int(param["default"]))
    return repr(float(param["default"]))


def macro_sql() -> str:
    """The text of ``sql/indicators.sql``: one macro per indicator of the native table, with
    named parameters and their defaults, over the list UDFs that :func:`register` adds."""
    lines = [
        "-- Generated from nse_polars._core.describe() by nse_polars.sql.macro_sql(); do not edit",
        "-- (tests/test_sql.py checks that this file matches). One macro per indicator: lists in",
        "-- (one series per row), named parameters with defaults (`name := value` or",
        "-- `name => value`), over the UDF `_nse_<name>` that nse_polars.sql.register() adds.",
        "",
    ]
    for name, d in _describe().items():
        inputs = list(d["inputs"])
        params = d["params"]
        signature = ", ".join(inputs + [f"{p['name']} := {_sql_default(p)}" for p in params])
        call = ", ".join(inputs + [p["name"] for p in params])
        outputs = ", ".join(d["outputs"])
        lines.append(f"-- {name}: {outputs}")
        lines.append(f"CREATE OR REPLACE MACRO nse_{name}({signature}) AS _nse_{name}({call});")
    signature = ", ".join(
        list(_BACKTEST_INPUTS) + [f"{p} := {default}" for p, _, default in _BACKTEST_PARAMS]
    )
    call = ", ".join(list(_BACKTEST_INPUTS) + [p for p, _, _ in _BACKTEST_PARAMS])
    lines.append("-- backtest: a STRUCT of the metrics of nse_polars.BacktestResult.metrics")
    lines.append(f"CREATE OR REPLACE MACRO nse_backtest({signature}) AS _nse_backtest({call});")
    return "\n".join(lines) + "\n"


def _create_function(con: Any, name: str, fn: Any, params: list[Any], returns: Any) -> None:
    duckdb = _duckdb()
    try:
        con.remove_function(name)
    except duckdb.InvalidInputException:
        pass  # not registered yet
    con.create_function(name, fn, params, returns, type="arrow", side_effects=False)


def register(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """
    Add every nse_polars SQL function and macro to a DuckDB connection (idempotent).

    Registers the list UDFs (``_nse_<indicator>``, ``_nse_backtest``), then runs every
    ``*.sql`` file of the package's ``sql`` folder in name order (``indicators.sql``: the
    ``nse_<indicator>`` and ``nse_backtest`` macros with named parameters; other files:
    helper and table macros). Returns the connection.
    """
    duckdb = _duckdb()
    double_list = duckdb.list_type("DOUBLE")
    bool_list = duckdb.list_type("BOOLEAN")
    for name, d in _describe().items():
        params = [p["name"] for p in d["params"]]
        arg_types = [double_list] * len(d["inputs"]) + [_PARAM_SQL[p["kind"]] for p in d["params"]]
        outputs = list(d["outputs"])
        returns = (
            double_list
            if len(outputs) == 1
            else duckdb.struct_type({o: double_list for o in outputs})
        )
        udf = _indicator_udf(name, len(d["inputs"]), params)
        _create_function(con, f"_nse_{name}", udf, arg_types, returns)
    metric_types = {
        m: ("BIGINT" if m in _backtest.METRIC_DTYPES_INT else "DOUBLE") for m in _metric_names()
    }
    _create_function(
        con,
        "_nse_backtest",
        _with_arity(_backtest_udf, len(_BACKTEST_INPUTS) + len(_BACKTEST_PARAMS)),
        [double_list, double_list, bool_list, bool_list] + [t for _, t, _ in _BACKTEST_PARAMS],
        duckdb.struct_type(metric_types),
    )
    for path in sorted(_sql_dir().glob("*.sql")):
        con.execute(path.read_text(encoding="utf-8"))
    return con


def connect(
    database: str = ":memory:", *, time_zone: str | None = "Asia/Kolkata", **kwargs: Any
) -> duckdb.DuckDBPyConnection:
    """
    A DuckDB connection with every nse_polars function registered.

    Parameters
    ----------
    database
        As for ``duckdb.connect`` (a file, or ``":memory:"``).
    time_zone
        The connection's ``TimeZone`` setting: how TIMESTAMPTZ values are shown and returned
        (Arrow, Polars) and in which zone ``ts::DATE`` or ``date_trunc('day', ts)`` take the
        day. NSE by default; None keeps DuckDB's default (the machine's zone).
    **kwargs
        Passed to ``duckdb.connect`` (``read_only``, ``config``).

    Examples
    --------
    >>> from nse_polars import sql
    >>> con = sql.connect()
    >>> con.sql("SELECT nse_sma([1.0, 2.0, 3.0, 4.0], period := 2) AS s").fetchall()
    [([None, 1.5, 2.5, 3.5],)]
    """
    con = _duckdb().connect(database, **kwargs)
    if time_zone is not None:
        con.execute("SET TimeZone = ?", [time_zone])
    return register(con)


def query(sql_text: str, database: str = ":memory:") -> pl.DataFrame:
    """Connect, register, run `sql_text` and return its result as a Polars frame (what
    ``nse-polars sql "SELECT ..."`` prints)."""
    con = connect(database)
    try:
        relation = con.sql(sql_text)
        if relation is None:  # a statement without a result (CREATE, SET, ...)
            return pl.DataFrame()
        return _frame(relation)
    finally:
        con.close()


# --- the fast path: a query's rows through the frame API -------------------------------------


def _frame(relation: Any) -> pl.DataFrame:
    """A relation's rows as a Polars frame, through Arrow (DuckDB 2 names the method
    ``to_arrow_table``, DuckDB 1 ``fetch_arrow_table``)."""
    fetch = getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table
    df = pl.from_arrow(fetch(), rechunk=False)  # the native calls read chunks as they are
    return df if isinstance(df, pl.DataFrame) else df.to_frame()


@dataclass
class SqlRun:
    """What :func:`run` computed (also registered as DuckDB views): ``bars_overlay`` (the
    query's rows with the overlay columns), and with a strategy the
    :class:`~nse_polars.BacktestResult` (``backtest_metrics``, ``trades``,
    ``backtest_equity``)."""

    bars_overlay: pl.DataFrame
    backtest: _backtest.BacktestResult | None
    views: tuple[str, ...]


def _strategy(strategy: Any) -> _strategies.Strategy:
    if isinstance(strategy, _strategies.Strategy):
        return strategy
    if isinstance(strategy, str) and strategy in _strategies.STRATEGIES:
        return getattr(_strategies, strategy)()
    msg = (
        f"`strategy` must be a nse_polars.strategies.Strategy or one of "
        f"{sorted(_strategies.STRATEGIES)}, got {strategy!r}"
    )
    raise ValueError(msg)


def run(
    con: duckdb.DuckDBPyConnection,
    query: str,
    *,
    overlay: bool | dict[str, Any] = True,
    strategy: Any = None,
    entries: Any = None,
    exits: Any = None,
    by: str | None = "symbol",
    ts: str = "ts",
    close: str = "close",
    open: str | None = "open",
    register_views: bool = True,
    **backtest_options: Any,
) -> SqlRun:
    """
    Run a query and compute over its rows in native calls: the fast path for many symbols.

    The query's result comes to Polars through Arrow; rows are put in ``(by, ts)`` order
    (unless they already are); the overlay is computed per symbol in one native call
    (``df.nse.overlay(by=...)``) and the strategy is backtested per symbol
    (:func:`nse_polars.backtest`). The results are registered as DuckDB views for more SQL:
    ``bars_overlay``, and with a strategy ``backtest_metrics`` (one row per symbol), ``trades``
    and ``backtest_equity``.

    Parameters
    ----------
    con
        A connection (from :func:`connect` or any DuckDB connection).
    query
        A SELECT giving bars: `by`, `ts`, `close` (and `open` for a strategy filling at the
        next open) columns, e.g. ``SELECT * FROM read_parquet('bars/**/*.parquet',
        hive_partitioning = true) WHERE ...``.
    overlay
        True for the five-indicator overlay with default periods, a dict of its options
        (``{"sma": 50, "rsi": 7}``), or False.
    strategy
        A :class:`~nse_polars.strategies.Strategy`, a strategy name (default parameters) or
        None (no backtest).
    entries, exits
        Instead of a strategy: signal columns of the query (names or Polars expressions),
        e.g. computed in SQL; null counts as false.
    by, ts, close, open
        Column names; ``by=None`` treats the rows as one series.
    register_views
        Register the results as views on `con`.
    **backtest_options
        Passed to :func:`nse_polars.backtest` (``costs``, ``fill``, ``bars_per_year``, ...).

    Examples
    --------
    >>> import nse_polars as nse
    >>> from nse_polars import sql
    >>> con = sql.connect()
    >>> bars = nse.generate_ohlcv(3, days=5, seed=1)
    >>> con.register("bars", bars)  # doctest: +ELLIPSIS
    <...>
    >>> out = sql.run(con, "SELECT * FROM bars", strategy=nse.strategies.rsi(14, 30, 70))
    >>> con.sql("SELECT count(*) FROM backtest_metrics").fetchall()
    [(3,)]
    """
    if not isinstance(query, str):
        msg = f"`query` must be SQL text, got {type(query).__name__}"
        raise TypeError(msg)
    strat = None if strategy is None else _strategy(strategy)
    if overlay is not True and overlay is not False and not isinstance(overlay, dict):
        msg = f"`overlay` must be True, False or a dict of overlay options, got {overlay!r}"
        raise TypeError(msg)
    if strat is not None and (entries is not None or exits is not None):
        msg = "give either `strategy` or `entries`/`exits`, not both"
        raise ValueError(msg)
    signals = strat is not None or entries is not None
    if not overlay and not signals:
        msg = "nothing to compute: give overlay=True, a strategy, or entries/exits"
        raise ValueError(msg)
    relation = con.sql(query)
    if relation is None:
        msg = "`query` must return rows (a SELECT), it returned no result"
        raise ValueError(msg)
    df = _frame(relation)
    fill = backtest_options.get("fill", "next_open")
    needed = {"by": by, "ts": ts, "close": close}
    if signals and fill == "next_open":
        needed["open"] = open
    for role, signal in (("entries", entries), ("exits", exits)):
        if isinstance(signal, str):
            needed[role] = signal
    missing = [f"`{col}` ({role})" for role, col in needed.items() if col and col not in df.columns]
    if missing:
        msg = (
            f"the query's result has no column {', '.join(missing)}; sql.run needs "
            f"{', '.join(repr(c) for c in needed.values() if c)} (columns: {', '.join(df.columns)})"
        )
        raise ValueError(msg)
    keys = [by, ts] if by is not None else [ts]
    if not _is_sorted(df, by, ts):
        df = df.sort(keys, maintain_order=True, nulls_last=True)
    result = df
    if overlay:
        options = overlay if isinstance(overlay, dict) else {}
        result = df.nse.overlay(close, by=by, **options)
    bt = None
    if signals:
        if strat is not None:
            entries, exits = _grouped_signals(df, strat, by)
        open_column = open if open in df.columns else None
        bt = _backtest.backtest(
            df, entries, exits, by=by, ts=ts, close=close, open=open_column, **backtest_options
        )
        if strat is not None:
            bt.config["strategy"] = {"name": strat.name, **strat.params}
    views: list[str] = []
    if register_views:  # replaces views of an earlier run
        con.register("bars_overlay", result)
        views.append("bars_overlay")
        if bt is not None:
            for name, frame in (
                ("backtest_metrics", bt.metrics),
                ("trades", bt.trades),
                ("backtest_equity", bt.equity),
            ):
                con.register(name, frame)
                views.append(name)
    return SqlRun(result, bt, tuple(views))


def _grouped_signals(
    df: pl.DataFrame, strategy: _strategies.Strategy, by: str | None
) -> tuple[pl.Expr, pl.Expr]:
    """A strategy's (entries, exits) with its indicators computed per symbol in one native call
    each (the ``by=`` path) instead of Polars' ``.over(by)``, which calls the kernel once per
    symbol; the same values (nse_polars.strategies' definitions, a cross never on a symbol's
    first row)."""
    key = None if by is None else _plugin.group_key(df.schema, by)
    close = pl.col(strategy.close) if isinstance(strategy.close, str) else strategy.close
    p = strategy.params

    def indicator(name: str, **params: Any) -> pl.Expr:
        return _plugin.call(name, [close], group_key=key, **params)

    same = pl.lit(value=True) if by is None else pl.col(by).eq_missing(pl.col(by).shift(1))

    def crosses_above(a: pl.Expr, b: pl.Expr) -> pl.Expr:
        return (a > b) & (a.shift(1) <= b.shift(1)) & same

    if strategy.name in ("sma_cross", "ema_cross"):
        kind = strategy.name.removesuffix("_cross")
        fast, slow = indicator(kind, period=p["fast"]), indicator(kind, period=p["slow"])
        entries, exits = crosses_above(fast, slow), crosses_above(slow, fast)
    elif strategy.name == "rsi":
        r = indicator("rsi", period=p["period"])
        entries, exits = r < p["lower"], r > p["upper"]
    elif strategy.name == "macd_cross":
        m = indicator("macd", fast=p["fast"], slow=p["slow"], signal=p["signal"])
        line, signal = m.struct.field("macd"), m.struct.field("signal")
        entries, exits = crosses_above(line, signal), crosses_above(signal, line)
    else:  # bbands
        b = indicator("bbands", period=p["period"], num_std=p["num_std"])
        entries, exits = close > b.struct.field("upper"), close < b.struct.field("middle")
    return entries.fill_null(False), exits.fill_null(False)


def _is_sorted(df: pl.DataFrame, by: str | None, ts: str) -> bool:
    """Rows already in (by, ts) order: the key column sorted (each symbol one run) and time
    never decreasing within a symbol (time may only go back where the symbol changes)."""
    if df.height < 2:
        return True
    t = df.get_column(ts)
    if t.null_count():
        return False  # sorted with the nulls last (backtests then name the row)
    if by is not None and not df.get_column(by).is_sorted(nulls_last=True):
        return False
    values = t.to_physical().to_numpy()
    back = np.flatnonzero(values[1:] < values[:-1]) + 1
    if back.size == 0:
        return True
    if by is None:
        return False
    key = df.get_column(by)
    return bool(key.gather(back).ne_missing(key.gather(back - 1)).all())

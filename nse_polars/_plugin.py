"""The one place that turns an indicator call into a Polars plugin expression."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from polars.plugins import register_plugin_function

try:
    from nse_polars import _core
except ImportError as exc:  # pragma: no cover - depends on how Python was started
    msg = (
        "nse_polars: the compiled module nse_polars._core was not found. If you are running "
        "Python from the repository root, the source folder shadows the installed package: "
        "run from another directory (or use the `nse-polars` command), or install in place "
        "with `pip install -e .`"
    )
    raise ImportError(msg) from exc

if TYPE_CHECKING:
    import polars as pl
    from polars._typing import IntoExpr

# The Python layer speaks this plugin ABI major version; Polars checks the same number when it
# loads the library and refuses an unknown one with an error (never a crash).
SUPPORTED_ABI_MAJOR = 0

_abi_major, _abi_minor = _core.plugin_abi_version()
if _abi_major != SUPPORTED_ABI_MAJOR:  # pragma: no cover - a broken build, not a user error
    msg = (
        f"nse_polars: the compiled module implements Polars plugin ABI {_abi_major}.{_abi_minor}, "
        f"but this Python package expects major version {SUPPORTED_ABI_MAJOR}; reinstall nse_polars"
    )
    raise ImportError(msg)

LIBRARY_PATH = Path(os.path.realpath(_core.__file__))


def validate(name: str, **params: Any) -> dict[str, Any]:
    """Check `params` against the indicator's table; raise ValueError naming the parameter."""
    return _core.check_params(name, params)


def call(
    name: str, args: list[IntoExpr], *, group_key: pl.Expr | None = None, **params: Any
) -> pl.Expr:
    """Validate the parameters now (at expression-build time), then build the plugin call.

    Every indicator is path dependent, so it is registered as not elementwise: the streaming
    engine and ``.over()`` hand it whole columns or whole groups, never arbitrary chunks. With
    `group_key` (an integer expression), one native call computes every group on its own rows,
    in parallel (the ``<name>_by`` entry points).
    """
    kwargs = validate(name, **params)
    expr = register_plugin_function(
        plugin_path=LIBRARY_PATH,
        function_name=name if group_key is None else f"{name}_by",
        args=args if group_key is None else [*args, group_key],
        kwargs=kwargs,
        is_elementwise=False,
        use_abs_path=True,
    )
    return _named_after_close(name, args, expr)


def _input_names(name: str) -> list[str]:
    if not _INPUT_NAMES:
        _INPUT_NAMES.update({d["name"]: list(d["inputs"]) for d in _core.describe()})
    return _INPUT_NAMES.get(name, [])


_INPUT_NAMES: dict[str, list[str]] = {}


def _named_after_close(name: str, args: list[IntoExpr], expr: pl.Expr) -> pl.Expr:
    """Polars names a result after its first input; a multi-input indicator that reads close
    (``atr(high, low, close)``) is named after its close input instead, so that
    ``pl.col("close").nse.atr(14)`` gives a column called ``close`` as every single-input
    indicator does."""
    inputs = _input_names(name)
    if "close" not in inputs or inputs.index("close") == 0:
        return expr
    close = args[inputs.index("close")]
    if isinstance(close, str):
        return expr.alias(close)
    meta = getattr(close, "meta", None)
    out = meta.output_name(raise_if_undetermined=False) if meta is not None else None
    return expr.alias(out) if out else expr


def group_key(schema: pl.Schema, by: str) -> pl.Expr:
    """The key column for `by` as the native code reads it: integers or strings, as they are
    (no hashing in Polars: the native call compares neighbouring rows and hashes run starts)."""
    import polars as pl

    if not isinstance(by, str):
        msg = f"`by` must be a column name, got {by!r}"
        raise TypeError(msg)
    if by not in schema:
        msg = f"`by`: no column {by!r} in the frame (columns: {', '.join(schema.names())})"
        raise ValueError(msg)
    dtype = schema[by]
    column = pl.col(by)
    if dtype.is_integer() or dtype == pl.String:
        return column
    if isinstance(dtype, (pl.Categorical, pl.Enum)) or dtype.is_temporal():
        return column.to_physical()  # codes and time stamps are integers, one per value
    if dtype == pl.Boolean:
        return column.cast(pl.UInt8)
    return column.cast(pl.String)

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


def call(name: str, args: list[IntoExpr], **params: Any) -> pl.Expr:
    """Validate the parameters now (at expression-build time), then build the plugin call.

    Every indicator is path dependent, so it is registered as not elementwise: the streaming
    engine and ``.over()`` hand it whole columns or whole groups, never arbitrary chunks.
    """
    kwargs = validate(name, **params)
    return register_plugin_function(
        plugin_path=LIBRARY_PATH,
        function_name=name,
        args=args,
        kwargs=kwargs,
        is_elementwise=False,
        use_abs_path=True,
    )

"""Indicators on numpy and Arrow arrays, through pybind11 (no Polars involved).

numpy in, numpy out: a float64, C-contiguous 1-D array is read in place (other dtypes and
layouts are converted once); NaN marks missing input rows and null output rows. Arrow in
(anything with ``__arrow_c_array__`` or ``__arrow_c_stream__``: pyarrow arrays and chunked
arrays, Polars Series), pyarrow out, with nulls as nulls. Multi-output indicators return a
tuple in the documented field order. The GIL is released while the kernel runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nse_polars import _core, _plugin

__all__ = [
    "bbands",
    "ema",
    "free_cached_buffers",
    "isa",
    "macd",
    "overlay",
    "rsi",
    "sma",
    "supported_isas",
]


def isa() -> str:
    """The instruction set the SIMD kernels run on: ``"baseline"``, ``"avx2"`` or ``"avx512"``.

    Chosen at import as the best this CPU supports; the environment variable
    ``NSE_POLARS_ISA`` caps it (a request above what the CPU has falls back to the best
    available). Every path gives bit-identical results.
    """
    return _core.isa()


def free_cached_buffers() -> int:
    """Return the output buffers nse_polars keeps for reuse to the system; returns the bytes freed.

    Large result buffers released by Polars or pyarrow are kept (up to ``NSE_POLARS_POOL_MB``,
    by default an eighth of physical memory and at most 4 GB) so that the next call of the same
    size does not pay for fresh pages.
    """
    cached, _limit = _core.pool_stats()
    _core.pool_trim()
    return cached


def supported_isas() -> list[str]:
    """The instruction sets this CPU and build can run, best last."""
    return _core.supported_isas()


def _to_numpy(name: str, values: Any, role: str = "values") -> np.ndarray:
    try:
        array = np.asarray(values)
    except Exception as exc:
        msg = f"`{role}` for `{name}` must be a 1-D numeric array: {exc}"
        raise TypeError(msg) from exc
    if array.ndim != 1:
        msg = f"`{role}` for `{name}` must be 1-D, got shape {array.shape}"
        raise ValueError(msg)
    if array.dtype.kind not in "fiu":
        msg = f"`{role}` for `{name}` must be numeric, got dtype {array.dtype}"
        raise TypeError(msg)
    return np.ascontiguousarray(array, dtype=np.float64)


class _ArrowCapsules:
    """Carries one exported (schema, array) capsule pair into ``pyarrow.array``."""

    def __init__(self, capsules: tuple[Any, Any]) -> None:
        self._capsules = capsules

    def __arrow_c_array__(self, requested_schema: Any = None) -> tuple[Any, Any]:
        return self._capsules


def _is_arrow(values: Any) -> bool:
    return hasattr(values, "__arrow_c_stream__") or hasattr(values, "__arrow_c_array__")


def _compute_many(name: str, inputs: dict[str, Any], **params: Any) -> Any:
    """Run indicator `name` over the named input arrays (all numpy-like or all Arrow)."""
    kwargs = _plugin.validate(name, **params)
    arrow = [_is_arrow(v) for v in inputs.values()]
    if any(arrow) and not all(arrow):
        msg = f"`{name}`: pass every input as Arrow or every input as numpy, not a mix"
        raise TypeError(msg)
    if all(arrow) and arrow:
        import pyarrow as pa

        capsules = [
            v.__arrow_c_array__() if hasattr(v, "__arrow_c_array__") else v.__arrow_c_stream__()
            for v in inputs.values()
        ]
        exported = _core.compute_arrow(name, capsules, kwargs)
        outputs = [pa.array(_ArrowCapsules(c)) for c in exported]
    else:
        arrays = [_to_numpy(name, v, role) for role, v in inputs.items()]
        lengths = {len(a) for a in arrays}
        if len(lengths) > 1:
            sizes = ", ".join(f"{role}={len(a)}" for role, a in zip(inputs, arrays, strict=True))
            msg = f"`{name}`: input arrays differ in length ({sizes})"
            raise ValueError(msg)
        outputs = _core.compute_numpy(name, arrays, kwargs)
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


def _compute(name: str, values: Any, **params: Any) -> Any:
    return _compute_many(name, {"values": values}, **params)


def sma(values: Any, period: int = 20) -> Any:
    """Simple moving average; see :func:`nse_polars.sma`."""
    return _compute("sma", values, period=period)


def ema(values: Any, period: int = 20, *, seed: str = "sma") -> Any:
    """Exponential moving average; see :func:`nse_polars.ema`."""
    return _compute("ema", values, period=period, seed=seed)


def rsi(values: Any, period: int = 14) -> Any:
    """Relative strength index (Wilder); see :func:`nse_polars.rsi`."""
    return _compute("rsi", values, period=period)


def macd(values: Any, fast: int = 12, slow: int = 26, signal: int = 9) -> Any:
    """MACD as a tuple (macd, signal, hist); see :func:`nse_polars.macd`."""
    return _compute("macd", values, fast=fast, slow=slow, signal=signal)


def bbands(values: Any, period: int = 20, num_std: float = 2.0) -> Any:
    """Bollinger Bands as a tuple (upper, middle, lower); see :func:`nse_polars.bbands`."""
    return _compute("bbands", values, period=period, num_std=num_std)


def overlay(
    values: Any,
    *,
    sma: int = 20,
    ema: int = 20,
    rsi: int = 14,
    macd: tuple[int, int, int] = (12, 26, 9),
    bbands: tuple[int, float] = (20, 2.0),
) -> Any:
    """All five in one pass, as a tuple of nine arrays in the order of
    :func:`nse_polars.overlay_columns`; see :func:`nse_polars.overlay`."""
    return _compute(
        "overlay",
        values,
        sma_period=sma,
        ema_period=ema,
        rsi_period=rsi,
        macd_fast=macd[0],
        macd_slow=macd[1],
        macd_signal=macd[2],
        bb_period=bbands[0],
        bb_num_std=bbands[1],
    )


# The indicator families beyond the core five add their numpy/Arrow functions here.
from nse_polars._kernels_hlc import *  # noqa: E402, F403
from nse_polars._kernels_hlc import __all__ as _hlc_all  # noqa: E402
from nse_polars._kernels_price import *  # noqa: E402, F403
from nse_polars._kernels_price import __all__ as _price_all  # noqa: E402
from nse_polars._kernels_volume import *  # noqa: E402, F403
from nse_polars._kernels_volume import __all__ as _volume_all  # noqa: E402

__all__ += _price_all + _hlc_all + _volume_all

"""The package's public surface: optional modules on first use, the exported errors."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import nse_polars as nse


@pytest.mark.parametrize("name", ["cli", "dist", "report", "server", "sql"])
def test_optional_modules_are_attributes(name):
    assert getattr(nse, name) is importlib.import_module(f"nse_polars.{name}")


def test_optional_modules_are_not_imported_with_the_package():
    code = (
        "import sys, nse_polars\n"
        "heavy = [m for m in ('duckdb', 'dask', 'fastapi', 'plotly') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/"
    )
    assert out.stdout.strip() == ""


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="'nope'"):
        _ = nse.nope


def test_reader_errors_are_exported():
    with pytest.raises(nse.OHLCVReadError):
        nse.read_ohlcv("/nonexistent/bars.csv")
    assert issubclass(nse.OHLCVValidationError, ValueError)

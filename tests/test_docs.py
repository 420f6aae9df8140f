"""docs/INDICATORS.md is generated from the native table; it must match the built module."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nse_polars

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_indicators", DOCS / "gen_indicators.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_indicator_table_is_current():
    gen = _generator()
    assert (DOCS / "INDICATORS.md").read_text(encoding="utf-8") == gen.render(), (
        "docs/INDICATORS.md is out of date: run python docs/gen_indicators.py"
    )


def test_every_indicator_has_an_oracle_and_three_doors():
    gen = _generator()
    known = gen.oracles()
    for d in nse_polars._core.describe():
        name = d["name"]
        assert name in known, f"{name}: no oracle listed in its family's ORACLES"
        assert hasattr(nse_polars, name), f"{name}: no free function nse_polars.{name}"
        assert hasattr(nse_polars.kernels, name), f"{name}: no nse_polars.kernels.{name}"

"""Determinism: every indicator's results are bit-identical across runs, processes, thread
counts (OpenMP and Polars) and instruction-set paths (baseline, AVX2, AVX-512 where the CPU
has them), through every door.

Table-driven from ``nse_polars._core.describe()``. tests/test_isa.py checks the core five
against each other on many lengths and scales; this adds every indicator, the Arrow door,
``by=``, ``.over`` and the thread counts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nse_polars as nse

TESTS = Path(__file__).resolve().parent

SCRIPT = textwrap.dedent(
    """
    import hashlib, json, sys
    sys.path.insert(0, {tests!r})
    import numpy as np
    import polars as pl
    import pyarrow as pa
    from indicator_table import (
        INDICATORS, NAMES, bar_inputs, defaults, make_valid, output_columns, plugin_expr,
        run_numpy,
    )
    import nse_polars as nse

    def short(name):
        params = defaults(name)
        for i, spec in enumerate(INDICATORS[name]["params"]):
            if spec["kind"] == "int":
                params[spec["name"]] = max(int(spec["min"]), min(int(spec["default"]), 2 + i))
        return make_valid(name, params)

    def digest_of(name):
        digest = hashlib.sha256()
        def add(values):
            x = pl.Series(values).cast(pl.Float64).fill_null(np.nan).to_numpy()
            digest.update(np.where(np.isnan(x), np.nan, x).tobytes())
        cases = ((0, 1.0, defaults), (1, 1.0, short), (33, 1e8, short),
                 (2_000, 1.0, defaults), (12_000, 100.0, short))
        for n, scale, choose in cases:
            params = choose(name)
            inputs = bar_inputs(name, n, seed=n + 1, scale=scale)
            rng = np.random.default_rng(n)
            for v in inputs.values():
                v[rng.random(n) < 0.03] = np.nan
            for out in run_numpy(inputs, name, params):
                add(out)
            arrow = {{r: pa.array(v, from_pandas=True) for r, v in inputs.items()}}
            for out in run_numpy(arrow, name, params):
                add(out)
            frame = pl.DataFrame(arrow).with_columns(
                pl.Series("key", rng.integers(0, 16, n), dtype=pl.Int64)
            )
            exprs = [plugin_expr(name, params)]
            if n >= 2_000:  # groups run in parallel (OpenMP) or on Polars' pool
                exprs += [
                    plugin_expr(name, params, by="key"),
                    plugin_expr(name, params).over("key"),
                ]
            for expr in exprs:
                for out in output_columns(frame.select(expr).to_series()):
                    add(out)
        return digest.hexdigest()

    first = {{name: digest_of(name) for name in NAMES}}
    again = {{name: digest_of(name) for name in NAMES}}  # the same process, buffers reused
    changed = sorted(name for name in NAMES if first[name] != again[name])
    print(json.dumps({{"isa": nse.kernels.isa(), "digests": first, "changed": changed}}))
    """
).format(tests=str(TESTS))


def run(tmp_path: Path, **env: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=tmp_path,  # not the repository root, whose source folder would shadow the package
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


# Each against the reference run (the best ISA the CPU has, default thread counts).
CONFIGS = [
    {"NSE_POLARS_ISA": "baseline", "OMP_NUM_THREADS": "1", "POLARS_MAX_THREADS": "1"},
    {"NSE_POLARS_ISA": "avx2", "OMP_NUM_THREADS": "3", "POLARS_MAX_THREADS": "3"},
]


def test_bit_identical_across_runs_threads_and_isas(tmp_path: Path) -> None:
    reference = run(tmp_path)
    supported = nse.kernels.supported_isas()
    assert reference["isa"] == supported[-1]
    assert reference["changed"] == [], f"a second call in one process differs: {reference}"
    names = sorted(reference["digests"])
    assert names == sorted(i["name"] for i in nse._core.describe())
    configs = [c for c in CONFIGS if c["NSE_POLARS_ISA"] in supported]
    for config in configs:
        got = run(tmp_path, **config)
        assert got["isa"] == config["NSE_POLARS_ISA"]  # the requested path is the one that ran
        assert got["changed"] == [], f"a second call in one process differs: {got}"
        differ = [n for n in names if got["digests"][n] != reference["digests"][n]]
        assert not differ, (
            f"{differ} differ under {config} from the run on {reference['isa']} with default "
            f"thread counts"
        )

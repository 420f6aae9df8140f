"""Every instruction-set path gives bit-identical results (NSE_POLARS_ISA forces a path)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import nse_polars as nse

SCRIPT = textwrap.dedent(
    """
    import hashlib
    import numpy as np
    import polars as pl
    import nse_polars as nse

    rng = np.random.default_rng(11)
    digest = hashlib.sha256()
    for n in (0, 1, 19, 20, 79, 80, 81, 161, 1_003, 100_003):
        walk = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
        walk[rng.random(n) < 0.01] = np.nan
        for scale in (1.0, 1e8):
            x = walk * scale
            for period in (1, 2, 3, 4, 5, 14, 20, 33, 250):
                for out in nse.kernels.bbands(x, period, 2.0):
                    digest.update(out.tobytes())
                digest.update(nse.kernels.sma(x, period).tobytes())
                digest.update(nse.kernels.ema(x, period).tobytes())
                digest.update(nse.kernels.rsi(x, period).tobytes())
            frame = pl.DataFrame({"close": x}).nse.overlay()
            for column in frame.columns:
                digest.update(frame[column].fill_null(-1.0).to_numpy().tobytes())
    print(nse.kernels.isa(), digest.hexdigest())
    """
)


def run_with(isa: str, tmp_path) -> tuple[str, str]:
    env = {**os.environ, "NSE_POLARS_ISA": isa}
    # Not from the repository root, whose source folder would shadow the installed package.
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=True,
    )
    active, digest = proc.stdout.split()
    return active, digest


def test_isa_reporting() -> None:
    supported = nse.kernels.supported_isas()
    assert supported[0] == "baseline"
    assert nse.kernels.isa() in supported


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
def test_every_path_is_bit_identical_to_baseline(isa: str, tmp_path) -> None:
    if isa not in nse.kernels.supported_isas():
        pytest.skip(f"this CPU has no {isa}")
    base_isa, base = run_with("baseline", tmp_path)
    active, digest = run_with(isa, tmp_path)
    assert base_isa == "baseline"
    assert active == isa
    assert digest == base


def test_unsupported_request_falls_back(tmp_path) -> None:
    active, _ = run_with("no-such-isa", tmp_path)
    assert active == nse.kernels.supported_isas()[-1]

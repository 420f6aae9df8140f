"""``python -m nse_polars`` (outside the source tree): the ``nse-polars`` command line.

The commands live in :mod:`nse_polars.cli`; ``main`` stays importable from here because the
console script points at it.
"""

from __future__ import annotations

import sys

from nse_polars.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())

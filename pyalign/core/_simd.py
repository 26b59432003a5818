"""pyalign.core: the SIMD level of the resize and colour-conversion kernels.

The portable C++ loops are the reference; SSE4.1 / AVX2 (x86-64) and NEON (aarch64) kernels give
the same bytes and are picked at start-up (the best the CPU has, or the environment variable
``PYALIGN_SIMD``). Selecting a level by hand is for comparing them.
"""
from __future__ import annotations

from typing import List

__all__ = ["simd_level", "simd_levels", "set_simd_level"]


def simd_level() -> str:
    """The level in use: ``"portable"``, ``"sse4.1"``, ``"avx2"`` or ``"neon"``."""
    from .. import _core

    return str(_core.simd_level())


def simd_levels() -> List[str]:
    """The levels this build and CPU can run, ``"portable"`` first, the best last."""
    from .. import _core

    return list(_core.simd_levels())


def set_simd_level(level: str) -> None:
    """Use ``level`` for every later call (process-wide). Raises ``ValueError`` if not in :func:`simd_levels`."""
    from .. import _core

    if not isinstance(level, str):
        raise ValueError(f"level must be a string, got {level!r}")
    _core.set_simd_level(level)

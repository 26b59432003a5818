"""Fixtures shared by the test modules."""
from __future__ import annotations

from typing import Iterator

import cv2
import pytest

from pyalign.core import set_simd_level, simd_level, simd_levels


@pytest.fixture
def ipp_off() -> Iterator[None]:
    """OpenCV's own float algorithms: IPP disabled for the test, the previous setting restored.

    The x86 wheels' IPP float resize differs from OpenCV's portable path (docs/preprocessing-resize.md).
    """
    previous = cv2.ipp.useIPP()
    cv2.ipp.setUseIPP(False)
    try:
        yield
    finally:
        cv2.ipp.setUseIPP(previous)


@pytest.fixture(params=simd_levels())
def every_simd_level(request: pytest.FixtureRequest) -> Iterator[str]:
    """Runs the test once per SIMD level of the kernels this build and CPU have (portable first),
    the level selected process-wide for the test and the previous one restored."""
    previous = simd_level()
    set_simd_level(request.param)
    try:
        yield request.param
    finally:
        set_simd_level(previous)

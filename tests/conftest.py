"""Fixtures shared by the test modules."""
from __future__ import annotations

from typing import Iterator

import cv2
import pytest


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

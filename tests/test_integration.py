"""Cross-cutting agreements between the Python reference and the C++ core."""
import numpy as np
import pytest

import pyalign.core as core
from pyalign.reference.preprocess import letterbox_geometry


@pytest.mark.parametrize("style", ["ultralytics", "center"])
def test_degenerate_letterbox_is_an_error_on_both_sides(style):
    # A 1x2000 strip into 640x640 would need a 0-pixel-wide resized image: cv2.resize cannot do it,
    # so the reference and the core both refuse with a message naming the empty size.
    img = np.zeros((2000, 1, 3), np.uint8)
    with pytest.raises(ValueError, match="empty image"):
        letterbox_geometry(1, 2000, 640, 640, style)
    with pytest.raises(ValueError, match="empty image"):
        core.letterbox(img, (640, 640), style=style)


@pytest.mark.parametrize("pad", [float("inf"), float("-inf"), float("nan"), 256, -1, 1.5])
def test_letterbox_rejects_unusable_uint8_pad_values(pad):
    img = np.zeros((10, 20, 3), np.uint8)
    with pytest.raises(ValueError, match="pad_value"):
        core.letterbox(img, (32, 32), pad_value=pad)

"""Deterministic synthetic test images: edges, gradients, text and noise, no third-party data."""
from __future__ import annotations

import cv2
import numpy as np


def synthetic_image(height: int = 480, width: int = 640, seed: int = 0) -> np.ndarray:
    """Return a BGR uint8 image with features that expose preprocessing differences.

    The image holds a colour gradient (exposes channel order and mean/std), sharp
    rectangles and circles (expose resize kernels and off-by-one offsets), text
    (high-frequency detail) and a band of noise (exposes rounding).

    Parameters
    ----------
    height, width : int
        Image size in pixels; both at least 8.
    seed : int
        Seed of the noise and the placement of shapes; same seed, same image.

    Returns
    -------
    numpy.ndarray
        ``(height, width, 3)`` uint8, BGR.
    """
    if height < 8 or width < 8:
        raise ValueError(f"synthetic image must be at least 8x8, got {height}x{width}")
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.empty((height, width, 3), np.uint8)
    img[..., 0] = (255 * x / max(width - 1, 1)).astype(np.uint8)
    img[..., 1] = (255 * y / max(height - 1, 1)).astype(np.uint8)
    img[..., 2] = (127.5 + 127.5 * np.sin((x + y) / max(width, height) * 6.0)).astype(np.uint8)
    for _ in range(6):
        x0, y0 = int(rng.integers(0, width - 4)), int(rng.integers(0, height - 4))
        x1 = min(width - 1, x0 + int(rng.integers(4, max(5, width // 3))))
        y1 = min(height - 1, y0 + int(rng.integers(4, max(5, height // 3))))
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        cv2.rectangle(img, (x0, y0), (x1, y1), color, -1 if rng.random() < 0.5 else 2)
    for _ in range(3):
        c = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        r = int(rng.integers(2, max(3, min(width, height) // 5)))
        cv2.circle(img, c, r, tuple(int(v) for v in rng.integers(0, 256, 3)), -1, lineType=cv2.LINE_AA)
    scale = max(0.3, min(width, height) / 400.0)
    cv2.putText(img, "pyalign 0123", (width // 20, height // 2), cv2.FONT_HERSHEY_SIMPLEX, scale,
                (255, 255, 255), max(1, int(scale * 2)), cv2.LINE_AA)
    band = slice(height * 3 // 4, height * 3 // 4 + max(1, height // 10))
    noise = rng.integers(0, 256, img[band].shape, dtype=np.uint8)
    img[band] = noise
    return img

"""pyalign.core.normalize / swap_rb / to_layout against numpy, bit for bit."""
from __future__ import annotations

import numpy as np
import pytest

from pyalign.core import normalize, swap_rb, to_layout

LAYOUTS = ["HWC", "CHW", "NHWC", "NCHW"]


def numpy_normalize(img: np.ndarray, mean, std, swap: bool, layout: str) -> np.ndarray:
    x = img if img.ndim == 3 else img[..., None]
    if swap:
        x = x[..., [2, 1, 0] + list(range(3, x.shape[2]))]
    if mean is not None or std is not None:
        m = np.asarray(0.0 if mean is None else mean, np.float32)
        s = np.asarray(1.0 if std is None else std, np.float32)
        x = (x.astype(np.float32) - m) / s
    else:
        x = x.astype(np.float32)
    if layout == "HW":
        x = x[..., 0]
    if layout in ("CHW", "NCHW"):
        x = x.transpose(2, 0, 1)
    if layout.startswith("N"):
        x = x[None]
    return np.ascontiguousarray(x)


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_random_uint8_images_match_numpy_exactly() -> None:
    rng = np.random.default_rng(0)
    for _ in range(400):
        h, w, c = int(rng.integers(1, 40)), int(rng.integers(1, 700)), int(rng.choice([1, 2, 3, 4]))
        img = rng.integers(0, 256, (h, w, c), dtype=np.uint8)
        n = c if rng.random() < 0.7 else 1
        mean = list(rng.uniform(-300, 300, n))
        std = list(rng.uniform(1e-3, 300, n) * rng.choice([-1, 1], n))
        swap = c >= 3 and bool(rng.random() < 0.5)
        layout = str(rng.choice(LAYOUTS))
        got = normalize(img, mean, std, swap_rb=swap, layout=layout)
        assert same_bits(got, numpy_normalize(img, mean, std, swap, layout)), (h, w, c, layout, swap)


def test_float32_images_match_numpy_exactly() -> None:
    rng = np.random.default_rng(1)
    for _ in range(100):
        h, w, c = int(rng.integers(1, 30)), int(rng.integers(1, 100)), int(rng.choice([1, 3, 4]))
        img = rng.normal(0, 100, (h, w, c)).astype(np.float32)
        mean, std = list(rng.uniform(-5, 5, c)), list(rng.uniform(0.01, 5, c))
        swap = c >= 3 and bool(rng.random() < 0.5)
        layout = str(rng.choice(LAYOUTS))
        got = normalize(img, mean, std, swap_rb=swap, layout=layout)
        assert same_bits(got, numpy_normalize(img, mean, std, swap, layout))


def test_imagenet_constants_division_not_reciprocal() -> None:
    # (x - mean) / std differs from (x - mean) * (1/std) for some x: pyalign must give numpy's division.
    img = np.arange(256, dtype=np.uint8).reshape(16, 16, 1).repeat(3, axis=2)
    mean, std = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]
    got = normalize(img, mean, std, swap_rb=True, layout="NCHW")
    want = numpy_normalize(img, mean, std, True, "NCHW")
    assert same_bits(got, want)
    recip = np.ascontiguousarray(((img[..., ::-1].astype(np.float32) - np.float32(mean))
                                  * (np.float32(1) / np.float32(std))).transpose(2, 0, 1)[None])
    assert not same_bits(got, recip)  # the check above is not vacuous


def test_uint8_pass_through_and_helpers() -> None:
    rng = np.random.default_rng(2)
    img = rng.integers(0, 256, (7, 9, 3), dtype=np.uint8)
    for layout in LAYOUTS:
        out = normalize(img, layout=layout, dtype="uint8")
        want = numpy_normalize(img, None, None, False, layout).astype(np.uint8)
        assert out.dtype == np.uint8 and np.array_equal(out, want)
    assert np.array_equal(swap_rb(img), img[..., ::-1])
    assert np.array_equal(to_layout(img, "NCHW"), img.transpose(2, 0, 1)[None])
    f = img.astype(np.float32)
    assert same_bits(swap_rb(f), np.ascontiguousarray(f[..., ::-1]))
    assert same_bits(normalize(img), img.astype(np.float32))


def test_gray_images() -> None:
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, (5, 6), dtype=np.uint8)
    out = normalize(img, 127.5, 127.5)
    assert out.shape == (5, 6) and same_bits(out, (img.astype(np.float32) - np.float32(127.5)) / np.float32(127.5))
    assert normalize(img, 0, 1, layout="NCHW").shape == (1, 1, 5, 6)
    assert normalize(img, layout="HWC", dtype="uint8").shape == (5, 6, 1)


def test_four_channels_keep_alpha_in_place() -> None:
    img = np.array([[[1, 2, 3, 4]]], np.uint8)
    assert swap_rb(img).tolist() == [[[3, 2, 1, 4]]]
    assert normalize(img, [1, 1, 1, 0], [1, 1, 1, 2], swap_rb=True, layout="CHW").reshape(-1).tolist() == [2, 1, 0, 2]


@pytest.mark.parametrize("kwargs,match", [
    (dict(src=np.zeros((2, 2, 3), np.uint8), mean=[1, 2]), "mean has 2 values"),
    (dict(src=np.zeros((2, 2, 3), np.uint8), std=[1, 2, 3, 4]), "std has 4 values"),
    (dict(src=np.zeros((2, 2, 3), np.uint8), std=0), "non-zero"),
    (dict(src=np.zeros((2, 2, 3), np.uint8), std=[1, 0, 1]), "std\\[1\\]"),
    (dict(src=np.zeros((2, 2, 3), np.uint8), mean=float("inf")), "not finite"),
    (dict(src=np.zeros((2, 2, 3), np.uint8), mean=[]), "empty"),
    (dict(src=np.zeros((2, 2, 3), np.uint8), layout="WHC"), "unknown layout"),
    (dict(src=np.zeros((2, 2, 3), np.uint8), layout="HW"), "HW needs 1 channel"),
    (dict(src=np.zeros((2, 2), np.uint8), swap_rb=True), "swap_rb needs 3 or 4"),
    (dict(src=np.zeros((2, 2, 5), np.uint8)), "1 to 4 channels"),
    (dict(src=np.zeros((2, 2, 3, 1), np.uint8)), "shaped"),
    (dict(src=np.zeros((2,), np.uint8)), "shaped"),
    (dict(src=np.zeros((0, 2, 3), np.uint8)), "empty"),
    (dict(src=np.zeros((2, 2, 3), np.float64)), "uint8 or float32"),
    (dict(src=np.zeros((2, 2, 3), np.int16)), "uint8 or float32"),
    (dict(src=np.zeros((2, 4, 3), np.uint8)[:, ::2]), "C-contiguous"),
    (dict(src=np.zeros((2, 2, 3), np.uint8), mean=1, dtype="uint8"), "need dtype 'float32'"),
    (dict(src=np.zeros((2, 2, 3), np.float32), dtype="uint8"), "cannot give a uint8"),
    (dict(src=np.zeros((2, 2, 3), np.uint8), dtype="float16"), "dtype must be"),
    (dict(src=[[1, 2]]), "numpy array"),
])
def test_bad_arguments_raise_value_error(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        normalize(**kwargs)


def test_every_simd_level_matches_numpy_exactly(every_simd_level: str) -> None:
    """The normalisation kernels (a corrected reciprocal where it gives the quotient's bits for all
    256 inputs, the division otherwise) at each SIMD level, against numpy's division."""
    rng = np.random.default_rng(12)
    cases = [([0, 0, 0], [255, 255, 255]), ([123.675, 116.28, 103.53], [58.395, 57.12, 57.375]),
             ([3e38, -3e38, 0.5], [1e-10, 1e-10, 1e30])]  # the last overflows: the kernels must not be used
    for i in range(120):
        h, w, c = int(rng.integers(1, 6)), int(rng.integers(1, 700)), [1, 3, 4, 3][i % 4]
        img = rng.integers(0, 256, (h, w, c), dtype=np.uint8)
        if i < 3 * len(LAYOUTS) and c == 3:
            mean, std = cases[i % 3]
        else:
            mean, std = list(rng.uniform(-300, 300, c)), list(rng.uniform(1e-3, 300, c) * rng.choice([-1, 1], c))
        layout = LAYOUTS[i % len(LAYOUTS)]
        with np.errstate(over="ignore"):
            want = numpy_normalize(img, mean, std, bool(i % 2) and c >= 3, layout)
        got = normalize(img, mean, std, swap_rb=bool(i % 2) and c >= 3, layout=layout)
        assert same_bits(got, want), (every_simd_level, c, layout, mean, std)

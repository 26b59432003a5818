"""pyalign.core.resize against cv2.resize (the oracle), byte for byte on uint8."""
from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyalign.core import resize

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _image(rng: np.random.Generator, h: int, w: int, cn: int, dtype=np.uint8) -> np.ndarray:
    shape = (h, w) if cn == 0 else (h, w, cn)  # cn 0: a 2-D image
    if dtype == np.uint8:
        return rng.integers(0, 256, shape, dtype=np.uint8)
    return (rng.random(shape, dtype=np.float32) * 255).astype(np.float32)


def _size_cases(rng: np.random.Generator, n: int):
    """(src_w, src_h, dst_w, dst_h) covering the edge families the issue lists, then random sizes."""
    kinds = ["one_pixel", "row", "column", "up16", "down16", "down2", "same", "odd", "random", "random"]
    for i in range(n):
        kind = kinds[i % len(kinds)]
        if kind == "one_pixel":
            sw = sh = 1
            dw, dh = rng.integers(1, 40, 2)
        elif kind == "row":
            sw, sh = int(rng.integers(1, 60)), 1
            dw, dh = rng.integers(1, 60, 2)
        elif kind == "column":
            sw, sh = 1, int(rng.integers(1, 60))
            dw, dh = rng.integers(1, 60, 2)
        elif kind == "up16":
            sw, sh = rng.integers(1, 6, 2)
            dw, dh = sw * 16, sh * 16
        elif kind == "down16":
            dw, dh = rng.integers(1, 5, 2)
            sw, sh = dw * 16, dh * 16
        elif kind == "down2":
            dw, dh = rng.integers(1, 30, 2)
            sw, sh = dw * 2, dh * 2
        elif kind == "same":
            sw, sh = rng.integers(1, 40, 2)
            dw, dh = sw, sh
        elif kind == "odd":
            sw, sh, dw, dh = (2 * rng.integers(0, 25, 4) + 1)
        else:
            sw, sh = rng.integers(1, 64, 2)
            dw, dh = rng.integers(1, 64, 2)
        yield int(sw), int(sh), int(dw), int(dh)


def test_uint8_linear_matches_cv2_random_cases():
    """2,400 random uint8 cases (1/2/3/4 channels, 2-D and HxWx1) are byte-identical to cv2."""
    rng = np.random.default_rng(20261125)
    channels = [0, 1, 2, 3, 4, 3]
    failures = []
    count = 0
    for i, (sw, sh, dw, dh) in enumerate(_size_cases(rng, 2400)):
        cn = channels[i % len(channels)]
        src = _image(rng, sh, sw, cn)
        expected = cv2.resize(src, (dw, dh), interpolation=cv2.INTER_LINEAR)
        actual = resize(src, (dw, dh))
        count += 1
        if actual.shape != expected.shape or not np.array_equal(actual, expected):
            failures.append((sw, sh, dw, dh, cn))
    assert count >= 2000
    assert failures == []


def test_uint8_linear_mid_size_random_match_cv2():
    """Larger random sizes (up to 2000 px per side): float rounding of far coordinates."""
    rng = np.random.default_rng(31)
    for i in range(120):
        sw, sh = (int(v) for v in rng.integers(1, 2000, 2))
        dw, dh = (int(v) for v in rng.integers(1, 700, 2))
        if i % 2:
            sw, dw = dw, sw
        src = _image(rng, sh, 7 if i % 3 == 0 else min(sw, 64), [1, 3, 4][i % 3])
        src = cv2.resize(src, (sw, sh), interpolation=cv2.INTER_NEAREST)  # cheap large image...
        ramp = (np.add.outer(np.arange(sh) * 13, np.arange(sw) * 7) % 256).astype(np.uint8)
        src = src + (ramp if src.ndim == 2 else ramp[:, :, None])  # ...whose neighbours all differ
        np.testing.assert_array_equal(resize(src, (dw, dh)), cv2.resize(src, (dw, dh)),
                                      err_msg=f"{sw}x{sh}->{dw}x{dh}")


def test_uint8_linear_large_images_match_cv2():
    rng = np.random.default_rng(1)
    for (sw, sh), (dw, dh), cn in [
        ((1920, 1080), (640, 640), 3),
        ((1280, 720), (641, 359), 4),
        ((333, 517), (1000, 999), 1),
        ((640, 480), (320, 240), 3),
        ((97, 1033), (13, 71), 2),
    ]:
        src = _image(rng, sh, sw, cn)
        np.testing.assert_array_equal(resize(src, (dw, dh)), cv2.resize(src, (dw, dh)))


def test_uint8_linear_extreme_values_match_cv2():
    """All-255 and checkerboard 0/255 images: the saturating vertical pass is exact too."""
    for src in (
        np.full((37, 23, 3), 255, np.uint8),
        (np.indices((41, 29)).sum(axis=0) % 2 * 255).astype(np.uint8),
    ):
        for dsize in [(5, 7), (100, 3), (46, 82), (23, 37), (11, 20)]:
            np.testing.assert_array_equal(resize(src, dsize), cv2.resize(src, dsize))


@settings(max_examples=150, deadline=None)
@given(
    sw=st.integers(1, 48), sh=st.integers(1, 48), dw=st.integers(1, 96), dh=st.integers(1, 96),
    cn=st.sampled_from([0, 1, 2, 3, 4]), seed=st.integers(0, 2**32 - 1),
)
def test_uint8_linear_hypothesis(sw, sh, dw, dh, cn, seed):
    src = _image(np.random.default_rng(seed), sh, sw, cn)
    np.testing.assert_array_equal(resize(src, (dw, dh)), cv2.resize(src, (dw, dh)))


def test_nearest_matches_cv2_uint8_and_float32():
    rng = np.random.default_rng(7)
    for i, (sw, sh, dw, dh) in enumerate(_size_cases(rng, 600)):
        cn = [0, 1, 3, 4][i % 4]
        dtype = np.uint8 if i % 2 else np.float32
        src = _image(rng, sh, sw, cn, dtype)
        expected = cv2.resize(src, (dw, dh), interpolation=cv2.INTER_NEAREST)
        actual = resize(src, (dw, dh), interpolation="nearest")
        assert actual.dtype == expected.dtype
        np.testing.assert_array_equal(actual, expected, err_msg=f"{sw}x{sh}->{dw}x{dh} cn={cn}")


def _ulp_diff(a: np.ndarray, b: np.ndarray) -> int:
    """Largest distance in units in the last place between two float32 arrays (same sign)."""
    ia = a.view(np.int32).astype(np.int64)
    ib = b.view(np.int32).astype(np.int64)
    ia = np.where(ia < 0, -(ia & 0x7FFFFFFF), ia)
    ib = np.where(ib < 0, -(ib & 0x7FFFFFFF), ib)
    return int(np.abs(ia - ib).max()) if a.size else 0


def test_float32_linear_within_one_ulp_of_opencv(ipp_off):
    rng = np.random.default_rng(99)
    worst = 0
    for i, (sw, sh, dw, dh) in enumerate(_size_cases(rng, 800)):
        cn = [0, 1, 2, 3, 4][i % 5]
        src = _image(rng, sh, sw, cn, np.float32)
        if i % 3 == 0:  # signed data with a wide range
            src = (src - 128.0) * np.float32(1e3)
        expected = cv2.resize(src, (dw, dh), interpolation=cv2.INTER_LINEAR)
        actual = resize(src, (dw, dh))
        assert actual.shape == expected.shape and actual.dtype == np.float32
        worst = max(worst, _ulp_diff(actual, expected))
    assert worst <= 1


def test_float32_special_values_match_opencv_bitwise(ipp_off):
    """inf, nan, -0.0: same bits as OpenCV's own algorithm (nan compares as nan)."""
    rng = np.random.default_rng(12)
    values = np.array([0.0, -0.0, 1.0, -2.5, np.inf, -np.inf, np.nan, 3.25], np.float32)
    for _ in range(300):
        sw, sh = (int(v) for v in rng.integers(1, 20, 2))
        dw, dh = (int(v) for v in rng.integers(1, 40, 2))
        cn = int(rng.integers(1, 5))
        src = rng.choice(values, size=(sh, sw, cn))
        expected = cv2.resize(src, (dw, dh)).reshape(dh, dw, cn)
        actual = resize(src, (dw, dh)).reshape(dh, dw, cn)
        same = (expected.view(np.uint32) == actual.view(np.uint32)) | (np.isnan(expected) & np.isnan(actual))
        assert same.all(), (sw, sh, dw, dh, cn)


def test_float32_large_within_one_ulp(ipp_off):
    rng = np.random.default_rng(5)
    src = _image(rng, 1080, 1920, 3, np.float32)
    for dsize in [(640, 640), (960, 540), (1921, 1081)]:
        assert _ulp_diff(resize(src, dsize), cv2.resize(src, dsize)) <= 1


def test_float32_ipp_is_the_difference():
    """cv2's default x86 float path (IPP) is not OpenCV's own algorithm; pyalign follows the latter."""
    rng = np.random.default_rng(3)
    src = _image(rng, 101, 157, 3, np.float32)
    previous = cv2.ipp.useIPP()
    try:
        cv2.ipp.setUseIPP(False)
        own = cv2.resize(src, (64, 71))
        cv2.ipp.setUseIPP(True)
        with_ipp = cv2.resize(src, (64, 71))
        ipp_active = cv2.ipp.useIPP()
    finally:
        cv2.ipp.setUseIPP(previous)
    assert _ulp_diff(resize(src, (64, 71)), own) <= 1
    if ipp_active:  # x86 wheels: the IPP result differs measurably (up to ~1e-3 here)
        assert np.abs(with_ipp - own).max() > 1e-5


def test_non_contiguous_inputs_are_copied():
    rng = np.random.default_rng(11)
    base = _image(rng, 60, 80, 4)
    for view in (base[::2, 1::3, :3], base[:, :, 1], base.transpose(1, 0, 2), np.asfortranarray(base[:, :, 0])):
        assert not view.flags.c_contiguous
        np.testing.assert_array_equal(resize(view, (33, 17)), cv2.resize(np.ascontiguousarray(view), (33, 17)))


def test_misaligned_float_input_is_copied_and_rejected_by_the_raw_binding(ipp_off):
    from pyalign import _core

    raw = np.zeros(4 * 12 * 10 + 1, np.uint8)
    misaligned = raw[1:].view(np.float32).reshape(12, 10)
    misaligned[...] = np.arange(120, dtype=np.float32).reshape(12, 10)
    assert not misaligned.flags.aligned
    np.testing.assert_array_equal(resize(misaligned, (7, 5)), cv2.resize(np.array(misaligned), (7, 5)))
    with pytest.raises(ValueError, match="aligned"):
        _core.resize(misaligned, 7, 5, "linear")


def test_output_is_a_new_contiguous_array_and_input_untouched():
    src = _image(np.random.default_rng(0), 9, 7, 3)
    before = src.copy()
    out = resize(src, (7, 9))
    assert out.flags.c_contiguous and out.flags.writeable
    assert not np.shares_memory(out, src)
    np.testing.assert_array_equal(out, before)
    np.testing.assert_array_equal(src, before)


def test_dsize_accepts_tuples_lists_and_numpy_ints():
    src = _image(np.random.default_rng(0), 9, 7, 3)
    expected = cv2.resize(src, (5, 4))
    for dsize in [(5, 4), [5, 4], (np.int64(5), np.int32(4)), np.array([5, 4])]:
        np.testing.assert_array_equal(resize(src, dsize), expected)


@pytest.mark.parametrize(
    "src, dsize, kwargs, message",
    [
        (np.zeros((0, 5, 3), np.uint8), (4, 4), {}, "empty"),
        (np.zeros((5, 0), np.uint8), (4, 4), {}, "empty"),
        (np.zeros((5, 5, 0), np.uint8), (4, 4), {}, "empty"),
        (np.zeros((5, 5, 3), np.uint8), (0, 4), {}, "positive"),
        (np.zeros((5, 5, 3), np.uint8), (4, -1), {}, "positive"),
        (np.zeros((5, 5, 3), np.uint8), (4,), {}, "pair"),
        (np.zeros((5, 5, 3), np.uint8), 4, {}, "pair"),
        (np.zeros((5, 5, 3), np.uint8), (4.5, 4), {}, "integers"),
        (np.zeros((5, 5, 3), np.uint8), (True, 4), {}, "integers"),
        (np.zeros((5, 5, 3), np.uint8), (1 << 21, 4), {}, "too large"),
        (np.zeros((5, 5, 3), np.uint8), (100000, 100000), {}, "too large"),
        (np.zeros((5, 5, 3), np.float64), (4, 4), {}, "dtype"),
        (np.zeros((5, 5, 3), np.int16), (4, 4), {}, "dtype"),
        (np.zeros((5, 5, 3), bool), (4, 4), {}, "dtype"),
        (np.zeros(5, np.uint8), (4, 4), {}, "dimensions"),
        (np.zeros((2, 5, 5, 3), np.uint8), (4, 4), {}, "dimensions"),
        (np.zeros((5, 5, 5), np.uint8), (4, 4), {}, "channels"),
        (np.zeros((5, 5, 3), np.uint8), (4, 4), {"interpolation": "cubic"}, "interpolation"),
        ([[1, 2], [3, 4]], (4, 4), {}, "numpy array"),
    ],
)
def test_invalid_arguments_raise_value_error(src, dsize, kwargs, message):
    with pytest.raises(ValueError, match=message):
        resize(src, dsize, **kwargs)


def test_core_binding_rejects_bad_arrays_without_crashing():
    """The raw binding validates on its own too (no Python wrapper in front)."""
    from pyalign import _core

    with pytest.raises(ValueError, match="C-contiguous"):
        _core.resize(np.zeros((6, 6, 3), np.uint8)[:, ::2], 3, 3, "linear")
    with pytest.raises(ValueError, match="dtype"):
        _core.resize(np.zeros((6, 6), np.int32), 3, 3, "linear")
    with pytest.raises(ValueError, match="dsize"):
        _core.resize(np.zeros((6, 6), np.uint8), 0, 3, "linear")
    with pytest.raises(ValueError, match="empty"):
        _core.resize(np.zeros((0, 6), np.uint8), 3, 3, "linear")
    with pytest.raises(ValueError, match="channels"):
        _core.resize(np.zeros((6, 6, 7), np.uint8), 3, 3, "linear")
    with pytest.raises(ValueError, match="dimensions"):
        _core.resize(np.zeros((6,), np.uint8), 3, 3, "linear")


def test_threads_resize_concurrently_with_identical_results():
    """The C++ runs without the GIL; concurrent calls must not interfere."""
    rng = np.random.default_rng(8)
    images = [_image(rng, 300 + 7 * i, 400 - 5 * i, 3) for i in range(6)]
    expected = [cv2.resize(im, (211, 173)) for im in images]
    results: list = [None] * len(images)

    def work(i: int) -> None:
        for _ in range(3):
            results[i] = resize(images[i], (211, 173))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(images))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r, e in zip(results, expected):
        np.testing.assert_array_equal(r, e)


def test_uint8_linear_every_simd_level_matches_cv2(every_simd_level):
    """Each SIMD level of the row kernels (portable, SSE4.1, AVX2 / NEON) against cv2 on random
    sizes, 1..4 channels and scales (exact 2x, up to x4 up, /8 down), rows long enough for every
    kernel block."""
    rng = np.random.default_rng(20261202)
    for i in range(240):
        cn = [0, 1, 2, 3, 4][i % 5]
        sw, sh = int(rng.integers(1, 700)), int(rng.integers(1, 24))
        kind = i % 4
        if kind == 0:  # exact 2x (OpenCV's area path)
            dw, dh = max(1, sw // 2), max(1, sh // 2)
            sw, sh = 2 * dw, 2 * dh
        elif kind == 1:  # upscale
            dw, dh = int(sw * rng.uniform(1, 4)) + 1, int(rng.integers(1, 60))
        else:  # downscale
            dw, dh = max(1, int(sw / rng.uniform(1, 8))), int(rng.integers(1, 24))
        src = _image(rng, sh, sw, cn)
        np.testing.assert_array_equal(resize(src, (dw, dh)), cv2.resize(src, (dw, dh)),
                                      err_msg=f"{every_simd_level}: {sw}x{sh}->{dw}x{dh} cn={cn}")
    for (sw, sh), (dw, dh) in [((1920, 1080), (640, 640)), ((1280, 720), (640, 640)), ((1000, 1000), (333, 333)),
                               ((1920, 1080), (224, 224)), ((1280, 720), (640, 360))]:
        for cn in (1, 3, 4):
            src = _image(rng, sh, sw, cn)
            np.testing.assert_array_equal(resize(src, (dw, dh)), cv2.resize(src, (dw, dh)))


@pytest.mark.parametrize("interpolation", ["linear", "nearest"])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_threads_option_gives_the_single_threaded_result(interpolation, dtype, ipp_off):
    rng = np.random.default_rng(11)
    for i in range(24):
        sw, sh = int(rng.integers(1, 500)), int(rng.integers(1, 400))
        dw, dh = int(rng.integers(1, 500)), int(rng.integers(1, 400))
        if i % 4 == 0:
            sw, sh = 2 * dw, 2 * dh
        src = _image(rng, sh, sw, [0, 1, 3, 4][i % 4], dtype)
        one = resize(src, (dw, dh), interpolation, threads=1)
        for t in (2, 3, 8, 0):
            np.testing.assert_array_equal(resize(src, (dw, dh), interpolation, threads=t), one)
        flag = cv2.INTER_LINEAR if interpolation == "linear" else cv2.INTER_NEAREST
        if dtype == np.uint8 or interpolation == "nearest":
            np.testing.assert_array_equal(one, cv2.resize(src, (dw, dh), interpolation=flag))


def test_letterbox_threads_give_the_single_threaded_result():
    from pyalign.core import letterbox

    img = _image(np.random.default_rng(3), 1080, 1920, 3)
    one, info = letterbox(img, (640, 640))
    for t in (2, 5):
        many, info2 = letterbox(img, (640, 640), threads=t)
        np.testing.assert_array_equal(many, one)
        assert info2 == info


@pytest.mark.parametrize("threads", [-1, 1.5, True, "2", 257])
def test_bad_threads_raise_value_error(threads):
    with pytest.raises(ValueError, match="threads"):
        resize(np.zeros((4, 4, 3), np.uint8), (2, 2), threads=threads)

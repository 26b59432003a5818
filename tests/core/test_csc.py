"""pyalign.core.csc against cv2.cvtColor (opencv mode) and a numpy formula (float modes)."""
from __future__ import annotations

import zlib
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest

from pyalign.core import FULL_RANGE_MATRIX, LIMITED_RANGE_MATRIX, csc

YUV2 = {
    ("YUV420SP", "BGR"): cv2.COLOR_YUV2BGR_NV12,
    ("YUV420SP", "RGB"): cv2.COLOR_YUV2RGB_NV12,
    ("YVU420SP", "BGR"): cv2.COLOR_YUV2BGR_NV21,
    ("YVU420SP", "RGB"): cv2.COLOR_YUV2RGB_NV21,
    ("YUYV422", "BGR"): cv2.COLOR_YUV2BGR_YUY2,
    ("YUYV422", "RGB"): cv2.COLOR_YUV2RGB_YUY2,
    ("UYVY422", "BGR"): cv2.COLOR_YUV2BGR_UYVY,
    ("UYVY422", "RGB"): cv2.COLOR_YUV2RGB_UYVY,
}
YUV_FORMATS = ("YUV420SP", "YVU420SP", "YUYV422", "UYVY422")


def seed(*parts: str) -> int:
    """A stable per-test seed (hash() of strings changes between runs)."""
    return zlib.crc32("/".join(parts).encode())


def random_frame(rng: np.random.Generator, fmt: str, w: int, h: int) -> np.ndarray:
    shape = (h * 3 // 2, w) if fmt in ("YUV420SP", "YVU420SP") else (h, w, 2)
    return rng.integers(0, 256, shape, dtype=np.uint8)


def random_even_size(rng: np.random.Generator, max_w: int = 96, max_h: int = 64) -> tuple:
    return 2 * int(rng.integers(1, max_w // 2 + 1)), 2 * int(rng.integers(1, max_h // 2 + 1))


def cv2_from_bgr(img: np.ndarray, src: str, dst: str) -> np.ndarray:
    """OpenCV's rules for BGR/RGB -> YUV formats (I420 with U, V interleaved for 4:2:0)."""
    h, w = img.shape[:2]
    rgb = src == "RGB"
    if dst in ("YUYV422", "UYVY422"):
        code = {("YUYV422", False): cv2.COLOR_BGR2YUV_YUY2, ("YUYV422", True): cv2.COLOR_RGB2YUV_YUY2,
                ("UYVY422", False): cv2.COLOR_BGR2YUV_UYVY, ("UYVY422", True): cv2.COLOR_RGB2YUV_UYVY}[(dst, rgb)]
        return cv2.cvtColor(img, code)
    i420 = cv2.cvtColor(img, cv2.COLOR_RGB2YUV_I420 if rgb else cv2.COLOR_BGR2YUV_I420).reshape(-1)
    q = (h // 2) * (w // 2)
    u, v = i420[h * w:h * w + q], i420[h * w + q:]
    out = np.empty((h * 3 // 2, w), np.uint8)
    out[:h] = i420[:h * w].reshape(h, w)
    uv = out[h:].reshape(-1)
    uv[0::2], uv[1::2] = (u, v) if dst == "YUV420SP" else (v, u)
    return out


def numpy_matrix_csc(frame: np.ndarray, fmt: str, to: str, m: np.ndarray) -> np.ndarray:
    """The documented float definition, written independently with numpy."""
    if fmt in ("YUV420SP", "YVU420SP"):
        h = frame.shape[0] // 3 * 2
        y = frame[:h].astype(np.float64)
        c = frame[h:].astype(np.float64)
        first, second = c[:, 0::2], c[:, 1::2]
        u, v = (first, second) if fmt == "YUV420SP" else (second, first)
        u = np.kron(u, np.ones((2, 2)))
        v = np.kron(v, np.ones((2, 2)))
    else:
        yi, ci = (0, 1) if fmt == "YUYV422" else (1, 0)
        y = frame[..., yi].astype(np.float64)
        c = frame[..., ci].astype(np.float64)
        u = np.repeat(c[:, 0::2], 2, axis=1)
        v = np.repeat(c[:, 1::2], 2, axis=1)
    m = np.asarray(m, np.float64).reshape(3, 4)
    planes = []
    for k in range(3):  # R, G, B
        x = m[k, 0] * y + m[k, 1] * u + m[k, 2] * v + m[k, 3] * 256.0
        planes.append(np.clip(np.floor(x + 0.5), 0, 255).astype(np.uint8))
    r, g, b = planes
    return np.stack([r, g, b] if to == "RGB" else [b, g, r], axis=-1)


# ---------------------------------------------------------------------------- opencv mode vs cv2


@pytest.mark.parametrize("src,dst", sorted(YUV2))
def test_yuv_to_bgr_matches_cv2_random_small(src: str, dst: str) -> None:
    rng = np.random.default_rng(seed(src, dst))
    for _ in range(60):
        w, h = random_even_size(rng)
        frame = random_frame(rng, src, w, h)
        got = csc(frame, src, dst)
        want = cv2.cvtColor(frame, YUV2[(src, dst)])
        assert got.dtype == np.uint8 and got.shape == (h, w, 3)
        np.testing.assert_array_equal(got, want, err_msg=f"{src}->{dst} {w}x{h}")


@pytest.mark.parametrize("src,dst", sorted(YUV2))
def test_yuv_to_bgr_matches_cv2_large(src: str, dst: str) -> None:
    rng = np.random.default_rng(7)
    for w, h in [(1920, 1080), (2 * int(rng.integers(400, 960)), 2 * int(rng.integers(200, 540)))]:
        frame = random_frame(rng, src, w, h)
        np.testing.assert_array_equal(csc(frame, src, dst), cv2.cvtColor(frame, YUV2[(src, dst)]))


def test_yuv_to_bgr_every_yuv_triple() -> None:
    # A YUY2 frame holding every (Y, U, V) combination: row = (U, V), the 256 pixels of a row = Y.
    uv = np.arange(65536)
    frame = np.empty((65536, 256, 2), np.uint8)
    frame[..., 0] = np.arange(256, dtype=np.uint8)[None, :]
    frame[:, 0::2, 1] = (uv >> 8).astype(np.uint8)[:, None]
    frame[:, 1::2, 1] = (uv & 255).astype(np.uint8)[:, None]
    np.testing.assert_array_equal(csc(frame, "YUYV422", "BGR"), cv2.cvtColor(frame, cv2.COLOR_YUV2BGR_YUY2))


@pytest.mark.parametrize("src", ["BGR", "RGB"])
@pytest.mark.parametrize("dst", YUV_FORMATS)
def test_bgr_to_yuv_matches_opencv_rules(src: str, dst: str) -> None:
    rng = np.random.default_rng(seed(src, dst, "rev"))
    sizes = [random_even_size(rng) for _ in range(40)] + [(1920, 1080), (2 * int(rng.integers(300, 700)), 2 * int(rng.integers(100, 300)))]
    for w, h in sizes:
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        got = csc(img, src, dst)
        np.testing.assert_array_equal(got, cv2_from_bgr(img, src, dst), err_msg=f"{src}->{dst} {w}x{h}")


def test_bgr_to_yuv_every_colour() -> None:
    # All 2^24 colours in a 4096x4096 image, through both chroma rules.
    c = np.arange(1 << 24, dtype=np.uint32)
    img = np.stack([(c >> 16) & 255, (c >> 8) & 255, c & 255], axis=-1).astype(np.uint8).reshape(4096, 4096, 3)
    np.testing.assert_array_equal(csc(img, "BGR", "YUV420SP"), cv2_from_bgr(img, "BGR", "YUV420SP"))
    np.testing.assert_array_equal(csc(img, "BGR", "YUYV422"), cv2.cvtColor(img, cv2.COLOR_BGR2YUV_YUY2))


def test_odd_height_422_matches_cv2() -> None:
    rng = np.random.default_rng(3)
    frame = random_frame(rng, "UYVY422", 10, 7)
    np.testing.assert_array_equal(csc(frame, "UYVY422", "RGB"), cv2.cvtColor(frame, cv2.COLOR_YUV2RGB_UYVY))


def test_bgr_rgb_swap_and_aliases() -> None:
    rng = np.random.default_rng(4)
    img = rng.integers(0, 256, (5, 6, 3), dtype=np.uint8)
    np.testing.assert_array_equal(csc(img, "BGR", "RGB"), img[..., ::-1])
    np.testing.assert_array_equal(csc(img, "RGB", "RGB"), img)
    frame = random_frame(rng, "YUV420SP", 6, 4)
    np.testing.assert_array_equal(csc(frame, "NV12", "BGR"), csc(frame, "YUV420SP", "BGR"))
    np.testing.assert_array_equal(csc(frame, "NV21", "BGR"), cv2.cvtColor(frame, cv2.COLOR_YUV2BGR_NV21))


def test_roundtrip_is_close() -> None:
    # Not an oracle, a sanity check: BGR -> NV12 -> BGR stays near the original on smooth images.
    x = np.linspace(40, 200, 64)
    img = np.stack([*np.meshgrid(x, x), np.full((64, 64), 120.0)], axis=-1).astype(np.uint8)
    back = csc(csc(img, "BGR", "YUV420SP"), "YUV420SP", "BGR")
    assert np.abs(back.astype(int) - img).max() <= 8


# ---------------------------------------------------------------------------- float modes


@pytest.mark.parametrize("fmt", YUV_FORMATS)
@pytest.mark.parametrize("mode", ["full_range", "limited_range", "matrix"])
def test_float_modes_match_numpy_formula(fmt: str, mode: str) -> None:
    rng = np.random.default_rng(seed(fmt, mode))
    for i in range(25):
        w, h = random_even_size(rng)
        frame = random_frame(rng, fmt, w, h)
        to = "RGB" if i % 2 else "BGR"
        if mode == "matrix":
            m = rng.uniform(-4, 4, 12)
            got = csc(frame, fmt, to, "matrix", m)
        else:
            m = np.asarray(FULL_RANGE_MATRIX if mode == "full_range" else LIMITED_RANGE_MATRIX)
            got = csc(frame, fmt, to, mode)
        np.testing.assert_array_equal(got, numpy_matrix_csc(frame, fmt, to, m))


def test_float_modes_match_python_reference() -> None:
    ref = pytest.importorskip("pyalign.reference.preprocess")
    rng = np.random.default_rng(11)
    for fmt in YUV_FORMATS:
        frame = random_frame(rng, fmt, 64, 32)
        for mode in ("full_range", "limited_range"):
            np.testing.assert_array_equal(csc(frame, fmt, "RGB", mode), ref.yuv_to_bgr(frame, fmt, "RGB", mode))


def test_limited_range_documented_values() -> None:
    # Y, U, V = 16, 128, 128 is black and 235, 128, 128 white in BT.601 limited range.
    frame = np.array([[16, 235], [16, 235], [128, 128]], np.uint8)  # NV12, 2x2
    out = csc(frame, "YUV420SP", "RGB", "limited_range")
    assert out[0, 0].tolist() == [0, 0, 0]
    assert out[0, 1].tolist() == [255, 255, 255]  # 1.164 * 219 = 254.9 -> 255
    full = csc(np.array([[128, 128], [128, 128], [128, 128]], np.uint8), "YUV420SP", "BGR", "full_range")
    assert (full == 128).all()


def test_matrix_rounds_half_up_and_saturates() -> None:
    # m = 0.5 * identity: x = Y/2 exactly, ties go up (round half away from zero on x >= 0).
    m = [0.5, 0, 0, 0, 0, 0.5, 0, 0, 0, 0, 0.5, 0]
    frame = np.array([[3, 5, 254, 255], [1, 7, 0, 0], [9, 11, 13, 15]], np.uint8)  # NV12 4x2
    out = csc(frame, "YUV420SP", "RGB", "matrix", m)
    assert out[0, :, 0].tolist() == [2, 3, 127, 128]      # R = Y/2: 1.5->2, 2.5->3, 127, 127.5->128
    assert out[0, :, 1].tolist() == [5, 5, 7, 7]          # G = U/2: 4.5->5, 6.5->7
    assert out[0, :, 2].tolist() == [6, 6, 8, 8]          # B = V/2: 5.5->6, 7.5->8
    big = [4, 0, 0, 0, 0, 0, 0, -1, 0, 0, 0, 0.001]
    out = csc(frame, "YUV420SP", "RGB", "matrix", big)
    assert out[..., 0].max() == 255 and out[..., 1].max() == 0 and (out[..., 2] == 0).all()


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize("args,match", [
    ((np.zeros((3, 5), np.uint8), "YUV420SP", "BGR"), "even width"),
    ((np.zeros((4, 3, 2), np.uint8), "YUYV422", "BGR"), "even width"),
    ((np.zeros((4, 4), np.uint8), "YUV420SP", "BGR"), "multiple of 3"),
    ((np.zeros((6, 4, 3), np.uint8), "YUV420SP", "BGR"), "shaped"),
    ((np.zeros((4, 4), np.uint8), "UYVY422", "BGR"), "shaped"),
    ((np.zeros((4, 4, 4), np.uint8), "BGR", "YUV420SP"), "shaped"),
    ((np.zeros((0, 4), np.uint8), "YUV420SP", "BGR"), "empty"),
    ((np.zeros((4, 0, 3), np.uint8), "BGR", "YUYV422"), "empty"),
    ((np.zeros((6, 4), np.float32), "YUV420SP", "BGR"), "dtype uint8"),
    ((np.zeros((6, 8), np.uint8)[:, ::2], "YUV420SP", "BGR"), "C-contiguous"),
    ((np.zeros((6, 4), np.uint8), "I420", "BGR"), "unknown pixel format"),
    ((np.zeros((6, 4), np.uint8), "YUV420SP", "GRAY"), "only to BGR or RGB"),
    ((np.zeros((6, 4), np.uint8), "YUV420SP", "YUYV422"), "only to BGR or RGB"),
    ((np.zeros((4, 4, 3), np.uint8), "BGR", "GRAY"), "converts only"),
    ((np.zeros((4, 4), np.uint8), "GRAY", "BGR"), "unsupported"),
    ((np.zeros((4, 5, 3), np.uint8), "BGR", "YUYV422"), "even width"),
    ((np.zeros((5, 4, 3), np.uint8), "RGB", "YVU420SP"), "even height"),
])
def test_bad_inputs_raise_value_error(args: tuple, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        csc(*args)


def test_bad_modes_and_matrices() -> None:
    f = np.zeros((6, 4), np.uint8)
    img = np.zeros((4, 4, 3), np.uint8)
    with pytest.raises(ValueError, match="unknown csc mode"):
        csc(f, "YUV420SP", "BGR", "bt709")
    with pytest.raises(ValueError, match="needs a matrix"):
        csc(f, "YUV420SP", "BGR", "matrix")
    with pytest.raises(ValueError, match="12 numbers"):
        csc(f, "YUV420SP", "BGR", "matrix", [1.0] * 9)
    with pytest.raises(ValueError, match="only allowed with mode 'matrix'"):
        csc(f, "YUV420SP", "BGR", "opencv", [0.0] * 12)
    with pytest.raises(ValueError, match="finite"):
        csc(f, "YUV420SP", "BGR", "matrix", [float("nan")] + [0.0] * 11)
    with pytest.raises(ValueError, match="finite"):
        csc(f, "YUV420SP", "BGR", "matrix", [1e6] + [0.0] * 11)
    with pytest.raises(ValueError, match="YUV sources only"):
        csc(img, "BGR", "YUV420SP", "full_range")
    with pytest.raises(ValueError, match="numpy array"):
        csc([[1, 2]], "YUV420SP", "BGR")  # type: ignore[arg-type]


def test_threads_give_identical_results() -> None:
    # The conversion releases the GIL and shares no scratch: concurrent calls must agree.
    rng = np.random.default_rng(5)
    frames = [random_frame(rng, "YUV420SP", 640, 480) for _ in range(8)]
    with ThreadPoolExecutor(4) as ex:
        outs = list(ex.map(lambda f: csc(f, "YUV420SP", "RGB"), frames))
    for f, o in zip(frames, outs):
        np.testing.assert_array_equal(o, cv2.cvtColor(f, cv2.COLOR_YUV2RGB_NV12))


@pytest.mark.parametrize("src,dst", sorted(YUV2))
def test_yuv_to_bgr_every_simd_level_matches_cv2(src: str, dst: str, every_simd_level: str) -> None:
    """Each SIMD level of the conversion kernels against cv2: widths around the block sizes
    (16 / 32 pixels), long rows and 1920x1080."""
    rng = np.random.default_rng(seed(src, dst, every_simd_level))
    sizes = [(2, 2), (14, 2), (16, 4), (30, 2), (32, 2), (34, 6), (62, 2), (64, 4), (66, 2), (1920, 1080)]
    sizes += [random_even_size(rng, 1400, 12) for _ in range(24)]
    for w, h in sizes:
        frame = random_frame(rng, src, w, h)
        np.testing.assert_array_equal(csc(frame, src, dst), cv2.cvtColor(frame, YUV2[(src, dst)]),
                                      err_msg=f"{every_simd_level}: {src}->{dst} {w}x{h}")


def test_every_yuv_triple_at_every_simd_level(every_simd_level: str) -> None:
    uv = np.arange(65536)
    frame = np.empty((65536, 256, 2), np.uint8)
    frame[..., 0] = np.arange(256, dtype=np.uint8)[None, :]
    frame[:, 0::2, 1] = (uv >> 8).astype(np.uint8)[:, None]
    frame[:, 1::2, 1] = (uv & 255).astype(np.uint8)[:, None]
    np.testing.assert_array_equal(csc(frame, "YUYV422", "RGB"), cv2.cvtColor(frame, cv2.COLOR_YUV2RGB_YUY2))


@pytest.mark.parametrize("fmt", YUV_FORMATS)
def test_threads_option_gives_the_single_threaded_result(fmt: str) -> None:
    rng = np.random.default_rng(seed("threads", fmt))
    for _ in range(6):
        w, h = random_even_size(rng, 900, 300)
        frame = random_frame(rng, fmt, w, h)
        for mode in ("opencv", "limited_range"):
            one = csc(frame, fmt, "BGR", mode, threads=1)
            for t in (2, 3, 0):
                np.testing.assert_array_equal(csc(frame, fmt, "BGR", mode, threads=t), one)
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        np.testing.assert_array_equal(csc(img, "BGR", fmt, threads=3), csc(img, "BGR", fmt))
    with pytest.raises(ValueError, match="threads"):
        csc(frame, fmt, "BGR", threads=-2)

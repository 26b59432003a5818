"""pyalign.core.resize(..., backend="pil") against Pillow's Image.resize (the oracle), byte for byte."""
from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyalign import _core
from pyalign.core import resize

PIL = pytest.importorskip("PIL")
from PIL import Image  # noqa: E402

_RESAMPLING = getattr(Image, "Resampling", Image)  # Image.Resampling since Pillow 9.1
FILTERS = {
    "nearest": _RESAMPLING.NEAREST,
    "box": _RESAMPLING.BOX,
    "linear": _RESAMPLING.BILINEAR,
    "hamming": _RESAMPLING.HAMMING,
    "cubic": _RESAMPLING.BICUBIC,
    "lanczos": _RESAMPLING.LANCZOS,
}
NAMES = tuple(FILTERS)
VERSION = PIL.__version__
MAJOR_MINOR = tuple(int(v) for v in VERSION.split(".")[:2])


def pillow(src: np.ndarray, dsize, name: str) -> np.ndarray:
    """Image.resize with its defaults; the mode (L, RGB, RGBA) follows from the array shape."""
    return np.asarray(Image.fromarray(src).resize(dsize, FILTERS[name]))


def ours(src: np.ndarray, dsize, name: str) -> np.ndarray:
    return resize(src, dsize, interpolation=name, backend="pil", pillow_version=VERSION)


def image(rng: np.random.Generator, w: int, h: int, cn: int) -> np.ndarray:
    """Random content; for RGBA a third of the alpha values are 0 and a third 255."""
    shape = (h, w) if cn == 1 else (h, w, cn)
    a = rng.integers(0, 256, shape, dtype=np.uint8)
    if cn == 4:
        pick = rng.integers(0, 3, (h, w))
        a[..., 3] = np.where(pick == 0, 0, np.where(pick == 1, 255, a[..., 3]))
    return a


def size_cases(rng: np.random.Generator, n: int):
    """(src_w, src_h, dst_w, dst_h): up, down, mixed, 1 px sides, single rows / columns, tall."""
    kinds = ["random", "down", "up", "mixed", "one_px", "to_one", "row", "column", "tall", "random"]
    for i in range(n):
        kind = kinds[i % len(kinds)]
        sw, sh, dw, dh = (int(v) for v in rng.integers(1, 301, 4))
        if kind == "down":
            dw, dh = int(rng.integers(1, sw + 1)), int(rng.integers(1, sh + 1))
        elif kind == "up":
            sw, sh = int(rng.integers(1, 60)), int(rng.integers(1, 60))
        elif kind == "mixed":
            dw, sh = int(rng.integers(sw, 301)), int(rng.integers(dh, 301))
        elif kind == "one_px":
            sw, sh = 1, 1
        elif kind == "to_one":
            dw, dh = (1, int(dh)) if i % 2 else (int(dw), 1)
        elif kind == "row":
            sh = 1
        elif kind == "column":
            sw = 1
        elif kind == "tall":  # over 100x taller than wide: Pillow 12.2/12.3's own pass order
            sw, sh = int(rng.integers(1, 3)), int(rng.integers(201, 301))
        yield sw, sh, dw, dh


@pytest.mark.parametrize("cn", [1, 3, 4], ids=["L", "RGB", "RGBA"])
def test_random_cases_match_pillow(cn):
    """700 random cases per mode (2,100 in all), all six filters, byte-identical to Pillow."""
    rng = np.random.default_rng(20261125 + cn)
    failures = []
    count = 0
    for i, (sw, sh, dw, dh) in enumerate(size_cases(rng, 700)):
        name = NAMES[i % len(NAMES)]
        src = image(rng, sw, sh, cn)
        expected = pillow(src, (dw, dh), name)
        actual = ours(src, (dw, dh), name)
        count += 1
        if actual.shape != expected.shape or not np.array_equal(actual, expected):
            failures.append((sw, sh, dw, dh, name))
    assert count == 700
    assert failures == []


@pytest.mark.parametrize("name", NAMES)
def test_larger_images_match_pillow(name):
    """A few large sizes (long filters, many tile rows, both pass orders)."""
    rng = np.random.default_rng(len(name))
    for sw, sh, dw, dh, cn in [(640, 480, 224, 224, 3), (1000, 37, 333, 600, 4), (90, 700, 31, 64, 1), (300, 300, 1, 1, 3)]:
        src = image(rng, sw, sh, cn)
        assert np.array_equal(ours(src, (dw, dh), name), pillow(src, (dw, dh), name)), (sw, sh, dw, dh, cn)


def test_pass_order_cases_match_pillow():
    """Sizes at the boundary of Pillow 13's pass-order rule (2 * (sw - dw) vs sh - dh)."""
    rng = np.random.default_rng(13)
    for _ in range(60):
        sw, sh = (int(v) for v in rng.integers(20, 200, 2))
        dh = int(rng.integers(1, sh))
        for delta in (-1, 0, 1):
            dw = sw - (sh - dh) // 2 + delta
            if dw < 1:
                continue
            src = image(rng, sw, sh, 1)
            assert np.array_equal(ours(src, (dw, dh), "lanczos"), pillow(src, (dw, dh), "lanczos")), (sw, sh, dw, dh)


def test_default_is_the_newest_pass_order():
    """pillow_version=None reproduces Pillow 13+; on a size where the releases differ."""
    rng = np.random.default_rng(2)
    src = image(rng, 62, 281, 1)
    newest = resize(src, (166, 174), "hamming", backend="pil")
    older = resize(src, (166, 174), "hamming", backend="pil", pillow_version="12.1.1")
    assert not np.array_equal(newest, older)  # the vertical pass first changes some bytes
    assert np.array_equal(newest, resize(src, (166, 174), "hamming", backend="pil", pillow_version="13.0"))
    if MAJOR_MINOR >= (13, 0):
        assert np.array_equal(newest, pillow(src, (166, 174), "hamming"))
    else:
        assert np.array_equal(ours(src, (166, 174), "hamming"), pillow(src, (166, 174), "hamming"))


@pytest.mark.parametrize("name", NAMES)
def test_same_size_is_a_copy(name):
    """Image.resize returns a copy for an unchanged size, even for RGBA with partial alpha."""
    rng = np.random.default_rng(4)
    src = image(rng, 17, 9, 4)
    out = ours(src, (17, 9), name)
    assert np.array_equal(out, src) and np.array_equal(out, pillow(src, (17, 9), name))
    assert not np.shares_memory(out, src)


@pytest.mark.parametrize("name", NAMES)
def test_edge_sizes_match_pillow(name):
    rng = np.random.default_rng(9)
    sizes = [(1, 1, 1, 300), (1, 1, 300, 1), (1, 300, 300, 1), (300, 1, 1, 300), (300, 1, 1, 1), (1, 300, 1, 1),
             (2, 3, 1, 1), (7, 1, 7, 5), (1, 7, 5, 7), (2, 250, 3, 120)]
    for sw, sh, dw, dh in sizes:
        for cn in (1, 3, 4):
            src = image(rng, sw, sh, cn)
            assert np.array_equal(ours(src, (dw, dh), name), pillow(src, (dw, dh), name)), (sw, sh, dw, dh, cn)


def test_alpha_extremes_match_pillow():
    """Alpha all 0, all 255, and 1 / 254 next to each other (the largest un-premultiply steps)."""
    rng = np.random.default_rng(11)
    for alpha in (0, 255, None):
        src = image(rng, 45, 33, 4)
        if alpha is None:
            src[..., 3] = np.where(rng.integers(0, 2, (33, 45)) == 0, 1, 254)
        else:
            src[..., 3] = alpha
        for name in NAMES:
            for dsize in [(20, 70), (90, 12)]:
                assert np.array_equal(ours(src, dsize, name), pillow(src, dsize, name)), (alpha, name, dsize)


def test_extreme_values_match_pillow():
    """Checkerboards of 0 and 255: the negative lobes drive the sums below 0 and above 255."""
    board = ((np.indices((40, 40)).sum(axis=0) % 2) * 255).astype(np.uint8)
    for name in NAMES:
        for dsize in [(97, 13), (13, 97), (7, 7), (80, 80)]:
            for src in (board, np.dstack([board, 255 - board, board])):
                assert np.array_equal(ours(src, dsize, name), pillow(src, dsize, name)), (name, dsize)


def test_hwc1_and_non_contiguous_inputs():
    rng = np.random.default_rng(5)
    gray = image(rng, 50, 40, 1)
    out = ours(gray[:, :, None], (23, 31), "cubic")
    assert out.shape == (31, 23)
    assert np.array_equal(out, pillow(gray, (23, 31), "cubic"))
    rgb = image(rng, 60, 40, 3)
    view = rgb[::2, 1::2]
    assert np.array_equal(ours(view, (11, 45), "lanczos"), pillow(np.ascontiguousarray(view), (11, 45), "lanczos"))


@settings(max_examples=120, deadline=None)
@given(
    sw=st.integers(1, 48),
    sh=st.integers(1, 48),
    dw=st.integers(1, 48),
    dh=st.integers(1, 48),
    cn=st.sampled_from([1, 3, 4]),
    name=st.sampled_from(NAMES),
    seed=st.integers(0, 2**32 - 1),
)
def test_property_any_size_matches_pillow(sw, sh, dw, dh, cn, name, seed):
    src = image(np.random.default_rng(seed), sw, sh, cn)
    expected = pillow(src, (dw, dh), name)
    actual = ours(src, (dw, dh), name)
    assert actual.shape == expected.shape == ((dh, dw) if cn == 1 else (dh, dw, cn))
    assert np.array_equal(actual, expected)


def test_threads_give_the_same_bytes():
    rng = np.random.default_rng(6)
    src = image(rng, 400, 300, 3)
    expected = pillow(src, (123, 77), "lanczos")
    results = [None] * 4

    def work(i):
        results[i] = ours(src, (123, 77), "lanczos")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(np.array_equal(r, expected) for r in results)


# ---- errors ---------------------------------------------------------------------------------------

IMG = np.zeros((8, 8, 3), np.uint8)


def test_unknown_backend():
    with pytest.raises(ValueError, match=r"backend must be one of \('opencv', 'pil'\), got 'pillow'"):
        resize(IMG, (4, 4), backend="pillow")


@pytest.mark.parametrize("name", ["area", "bicubic", "LINEAR", ""])
def test_interpolation_not_offered_by_pil(name):
    allowed = r"\('nearest', 'box', 'linear', 'hamming', 'cubic', 'lanczos'\)"
    with pytest.raises(ValueError, match=rf"interpolation must be one of {allowed} for backend 'pil', got '{name}'"):
        resize(IMG, (4, 4), interpolation=name, backend="pil")


@pytest.mark.parametrize("name", ["box", "hamming", "cubic", "lanczos"])
def test_pil_only_interpolations_rejected_by_opencv(name):
    with pytest.raises(ValueError, match=rf"\('linear', 'nearest'\) for backend 'opencv', got '{name}'"):
        resize(IMG, (4, 4), interpolation=name)


def test_opencv_backend_is_the_default_and_unchanged():
    rng = np.random.default_rng(8)
    src = image(rng, 33, 21, 3)
    assert np.array_equal(resize(src, (10, 40)), resize(src, (10, 40), "linear", backend="opencv"))


@pytest.mark.parametrize(
    "version, message",
    [
        ("8.4.0", r"pillow_version '8.4.0' is not supported: Pillow 9.0 or later"),
        ("thirteen", r"pillow_version must be a version string such as '12.1'"),
        (13, r"pillow_version must be a version string"),
    ],
)
def test_bad_pillow_version(version, message):
    with pytest.raises(ValueError, match=message):
        resize(IMG, (4, 4), backend="pil", pillow_version=version)


def test_pillow_version_needs_the_pil_backend():
    with pytest.raises(ValueError, match="pillow_version applies to backend 'pil' only"):
        resize(IMG, (4, 4), pillow_version="13.0")


@pytest.mark.parametrize(
    "src, message",
    [
        (np.zeros((8, 8, 2), np.uint8), r"takes 1 \(L\), 3 \(RGB\) or 4 \(RGBA\) channels, got 2"),
        (np.zeros((8, 8, 5), np.uint8), r"1 to 4 channels, got 5"),
        (np.zeros((8, 8, 3), np.float32), r"backend 'pil' takes uint8 images \(modes L, RGB, RGBA\), got dtype float32"),
        (np.zeros((8, 8, 3), np.uint16), r"got dtype uint16"),
        (np.zeros((0, 8), np.uint8), r"empty"),
        (np.zeros((2, 8, 8, 3), np.uint8), r"HxW or HxWxC"),
        ([[1, 2], [3, 4]], r"must be a numpy array"),
    ],
)
def test_bad_images(src, message):
    with pytest.raises(ValueError, match=message):
        resize(src, (4, 4), backend="pil")


@pytest.mark.parametrize("dsize", [(0, 4), (4, -1), (4.5, 4), "44", (1 << 21, 1)])
def test_bad_sizes(dsize):
    with pytest.raises(ValueError, match="dsize"):
        resize(IMG, dsize, backend="pil")


def test_raw_binding_validates_too():
    with pytest.raises(ValueError, match="unknown Pillow interpolation 'cubicc'"):
        _core.resize_pil(IMG, 4, 4, "cubicc")
    with pytest.raises(ValueError, match="uint8"):
        _core.resize_pil(IMG.astype(np.float32), 4, 4, "cubic")
    with pytest.raises(ValueError, match="got 2"):
        _core.resize_pil(np.zeros((4, 4, 2), np.uint8), 4, 4, "cubic")
    with pytest.raises(ValueError, match="C-contiguous"):
        _core.resize_pil(np.zeros((8, 8, 3), np.uint8)[:, ::2], 4, 4, "cubic")
    with pytest.raises(ValueError, match="not supported"):
        _core.resize_pil(IMG, 4, 4, "cubic", 8, 4)
    with pytest.raises(ValueError, match="dsize"):
        _core.resize_pil(IMG, 0, 4, "cubic")

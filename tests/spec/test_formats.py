"""The pixel-format table: pyalign.formats against cv2 itself and against the C++ core's table."""
from __future__ import annotations

from typing import Callable, Iterator, Tuple

import cv2
import numpy as np
import pytest

from pyalign import _core, formats
from pyalign.reference.preprocess import CV_DECODE, CV_ENCODE, to_input_format, yuv_planes, yuv_to_bgr

BASE_SIZES = [(1, 1), (3, 2), (5, 7), (320, 180), (321, 241), (1920, 1080)]


def sizes(f: formats.PixelFormat) -> Iterator[Tuple[int, int]]:
    """Picture sizes the format allows (the base sizes scaled by its subsampling)."""
    sx, sy = f.subsampling
    for w, h in BASE_SIZES:
        yield w * sx, h * sy


def odd_sizes(f: formats.PixelFormat) -> Iterator[Tuple[int, int]]:
    """Sizes the format's subsampling forbids."""
    sx, sy = f.subsampling
    if sx > 1:
        yield 4 * sx + 1, 4 * sy
    if sy > 1:
        yield 4 * sx, 4 * sy + 1


YUV = [formats.lookup(n) for n in formats.YUV_FORMATS]


def frame_of(f: formats.PixelFormat, w: int, h: int, y: int, u: int, v: int) -> np.ndarray:
    """A frame with every Y, U and V byte set, placed where the table says they are."""
    raw = np.zeros(formats.raw_shape(f, w, h), np.uint8)
    yo, uo, vo = f.offsets
    if f.family == formats.SEMI_PLANAR_YUV:
        raw[:h] = y
        pairs = raw[h:].reshape(-1, 2)
        pairs[:, uo], pairs[:, vo] = u, v
    else:
        step = f.bits_per_pixel // 8
        macro = raw.reshape(h, w // f.subsampling[0], f.subsampling[0] * step)
        for k in range(f.subsampling[0]):
            macro[..., yo + k * step] = y
        macro[..., uo], macro[..., vo] = u, v
    return raw


# ------------------------------------------------------------------------------ the table itself


def test_names_and_aliases_are_unique_and_lookup_finds_them():
    names = [n for f in formats.FORMATS for n in (f.name, *f.aliases)]
    assert len(names) == len(set(names))
    for f in formats.FORMATS:
        assert formats.lookup(f.name) is f
        assert all(formats.lookup(a) is f for a in f.aliases)
        assert all(formats.lookup(a, aliases=False) is f for a in [f.name])
    with pytest.raises(ValueError, match=r"unknown pixel format 'I420' \(expected BGR, RGB, GRAY, .* or UYVY422\)"):
        formats.lookup("I420")
    with pytest.raises(ValueError, match="unknown pixel format 'NV12'"):
        formats.lookup("NV12", aliases=False)


def test_public_tuples_are_the_tables():
    from pyalign.spec import INPUT_FORMATS, YUV_FORMATS
    from pyalign.store import COLORS

    assert INPUT_FORMATS == COLORS == formats.FORMAT_NAMES == tuple(f.name for f in formats.FORMATS)
    assert YUV_FORMATS == formats.YUV_FORMATS == tuple(f.name for f in formats.FORMATS if f.is_yuv)
    assert formats.FORMAT_NAMES[:7] == ("BGR", "RGB", "GRAY", "YUV420SP", "YVU420SP", "YUYV422", "UYVY422")
    assert formats.IMAGE_FORMATS == ("BGR", "RGB", "GRAY")
    assert formats.is_yuv("NV12") and not formats.is_yuv("BGR") and not formats.is_yuv(None)
    assert not formats.is_yuv("HSV")


@pytest.mark.parametrize("f", formats.FORMATS, ids=lambda f: f.name)
def test_rows_are_consistent(f):
    sx, sy = f.subsampling
    if f.is_yuv:
        assert f.channels == 3 and len(f.offsets) == 3 and f.chroma_order in ("UV", "VU")
        # 8 bits of luma per pixel plus a U and a V byte per sx x sy block
        assert f.bits_per_pixel == 8 + 16 // (sx * sy)
        assert not f.swapped or formats.lookup(f.swapped).swapped == f.name
    else:
        assert f.offsets == () and (sx, sy) == (1, 1) and f.chroma_order == ""
        assert f.bits_per_pixel == 8 * f.channels
    for w, h in sizes(f):
        formats.check_size(f, w, h)
        shape = formats.raw_shape(f, w, h)
        assert int(np.prod(shape)) == formats.frame_bytes(f, w, h)
        assert formats.size_from_shape(f, shape) == (w, h)
    for w, h in odd_sizes(f):
        with pytest.raises(ValueError, match=f"{f.name} needs an even"):
            formats.check_size(f, w, h)


def test_messages_the_spec_and_reference_give():
    with pytest.raises(ValueError, match=r"^YUV420SP needs an even width and height, got 7x6$"):
        formats.check_size("YUV420SP", 7, 6)
    with pytest.raises(ValueError, match=r"^YUYV422 needs an even width, got 7$"):
        formats.check_size("YUY2", 7, 6)
    formats.check_size("UYVY422", 6, 7)  # 4:2:2: any height
    with pytest.raises(ValueError, match=r"YUV420SP frame must have H\*3/2 rows \(a multiple of 3\)"):
        formats.size_from_shape("NV12", (4, 4))
    with pytest.raises(ValueError, match=r"UYVY422 image must be shaped \(H, W, 2\), got \(4, 4\)"):
        formats.size_from_shape("UYVY422", (4, 4))
    with pytest.raises(ValueError, match=r"GRAY image must be shaped \(H, W\)"):
        formats.size_from_shape("GRAY", (4, 4, 1))


# ------------------------------------------------------------------------------ against cv2


def decoder(f: formats.PixelFormat) -> Callable[[np.ndarray], np.ndarray]:
    """cv2.cvtColor to BGR when OpenCV decodes the format, else the reference's decoding."""
    if f.name in CV_DECODE:
        return lambda raw: cv2.cvtColor(raw, CV_DECODE[f.name][0])
    return lambda raw: yuv_to_bgr(raw, f.name)


def test_cv2_codes_are_for_yuv_formats_only():
    assert set(CV_DECODE) <= set(formats.YUV_FORMATS)
    assert set(CV_ENCODE) <= set(formats.FORMAT_NAMES) - {"BGR"}


@pytest.mark.parametrize("f", YUV, ids=lambda f: f.name)
def test_cv2_decodes_raw_shape(f):
    for w, h in sizes(f):
        raw = np.zeros(formats.raw_shape(f, w, h), np.uint8)
        assert raw.nbytes == formats.frame_bytes(f, w, h)
        for code in CV_DECODE.get(f.name, ()):
            assert cv2.cvtColor(raw, code).shape == (h, w, 3)
        assert decoder(f)(raw).shape == (h, w, 3)


@pytest.mark.parametrize("f", YUV, ids=lambda f: f.name)
def test_reference_codes_are_cv2s_for_the_alias(f):
    # an alias that OpenCV knows is OpenCV's name of the format: the reference must use its codes
    for alias in f.aliases:
        if hasattr(cv2, f"COLOR_YUV2BGR_{alias}"):
            assert CV_DECODE[f.name] == (getattr(cv2, f"COLOR_YUV2BGR_{alias}"),
                                         getattr(cv2, f"COLOR_YUV2RGB_{alias}"))
        if f.name in CV_ENCODE:
            assert CV_ENCODE[f.name] == getattr(cv2, f"COLOR_BGR2YUV_{alias}")
    assert f.name in CV_DECODE or not any(hasattr(cv2, f"COLOR_YUV2BGR_{a}") for a in f.aliases)


@pytest.mark.parametrize("f", YUV, ids=lambda f: f.name)
def test_offsets_are_where_cv2_reads_y_u_v(f):
    w, h = 4 * f.subsampling[0], 2 * f.subsampling[1]
    decode = decoder(f)
    # luma 200 with neutral chroma: grey (OpenCV: (200 - 16) * 1.164 = 214)
    grey = decode(frame_of(f, w, h, 200, 128, 128))
    np.testing.assert_array_equal(grey, np.full((h, w, 3), 214, np.uint8))
    # U high and V low is blue; the other way round, red
    blue = decode(frame_of(f, w, h, 100, 240, 16))
    red = decode(frame_of(f, w, h, 100, 16, 240))
    assert (blue[..., 0] > 200).all() and (blue[..., 2] < 50).all()
    assert (red[..., 2] > 200).all() and (red[..., 0] < 50).all()
    y, u, v = yuv_planes(frame_of(f, w, h, 100, 240, 16), f.name)
    assert (y == 100).all() and (u == 240).all() and (v == 16).all() and y.shape == u.shape == v.shape == (h, w)


@pytest.mark.parametrize("f", formats.FORMATS, ids=lambda f: f.name)
def test_reference_makes_raw_shape(f):
    for w, h in list(sizes(f))[:4]:
        bgr = np.random.default_rng(w * h).integers(0, 256, (h, w, 3), np.uint8)
        raw = to_input_format(bgr, f.name)
        assert raw.shape == formats.raw_shape(f, w, h) and raw.dtype == np.uint8
        if f.name in CV_ENCODE:
            assert cv2.cvtColor(bgr, CV_ENCODE[f.name]).shape == raw.shape
        if f.is_yuv:
            assert yuv_to_bgr(raw, f.name).shape == (h, w, 3)
            assert yuv_to_bgr(raw, f.name, "RGB", "full_range").shape == (h, w, 3)


# ------------------------------------------------------------------------------ against the C++ core


def test_cpp_table_is_the_python_table():
    rows = _core.pixel_formats()
    assert [r["name"] for r in rows] == list(formats.FORMAT_NAMES)
    for r in rows:
        f = formats.lookup(r["name"])
        assert r == {"name": f.name, "aliases": f.aliases, "family": f.family, "channels": f.channels,
                     "bits_per_pixel": f.bits_per_pixel, "subsampling": f.subsampling, "offsets": f.offsets,
                     "is_yuv": f.is_yuv}


@pytest.mark.parametrize("f", formats.FORMATS, ids=lambda f: f.name)
def test_cpp_sizes_are_the_python_sizes(f):
    for name in (f.name, *f.aliases):
        for w, h in sizes(f):
            assert _core.frame_bytes(name, w, h) == formats.frame_bytes(f, w, h)
            assert _core.frame_shape(name, w, h) == formats.raw_shape(f, w, h)
        for w, h in odd_sizes(f):
            with pytest.raises(ValueError, match="needs an even"):
                _core.frame_bytes(name, w, h)
            with pytest.raises(ValueError):
                formats.check_size(f, w, h)


def test_cpp_manifest_colours_are_the_table(tmp_path):
    for i, color in enumerate(formats.COLORS):
        _core.write_capture(str(tmp_path / f"c{i}"), "c", [("raw_input", "image", np.zeros(4, np.uint8), "", color)])
    with pytest.raises(ValueError, match=r"unknown color 'NV12' \(known: (.*)\)") as e:
        _core.write_capture(str(tmp_path / "x"), "x", [("raw_input", "image", np.zeros(4, np.uint8), "", "NV12")])
    assert f"(known: {', '.join(formats.COLORS)})" in str(e.value)


def test_cpp_parses_the_names_python_parses():
    with pytest.raises(ValueError) as cpp:
        _core.frame_bytes("I420", 2, 2)
    with pytest.raises(ValueError) as py:
        formats.lookup("I420")
    assert str(cpp.value) == str(py.value)

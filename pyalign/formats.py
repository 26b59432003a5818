"""Pixel formats: the one table of the colour formats pyalign knows, and what follows from it.

Every fact about a format -- its name and aliases, its family, how many channels it decodes to,
its chroma subsampling and order, where Y, U and V sit in its bytes, the sizes it allows, its
byte size and the array shape ``cv2.cvtColor`` takes it in -- is a field of one row of
:data:`FORMATS` (the model is libyuv's FourCC table). The C++ core has the same table
(``kPixelFormats`` in ``cpp/include/pyalign/csc.hpp``); ``tests/test_formats.py`` checks that
the two agree and that cv2 takes the shapes given here.

Standard library only: the store and the pytest plugin import this module.

Shapes (as ``cv2.cvtColor`` takes them): packed formats ``(H, W, bits_per_pixel/8)`` (``(H, W)``
for one byte per pixel), semi-planar ones ``(H * bits_per_pixel/8, W)``: H rows of Y, then the
rows of interleaved chroma pairs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, Sequence, Tuple, Union

__all__ = [
    "PixelFormat",
    "FORMATS",
    "FORMAT_NAMES",
    "COLORS",
    "YUV_FORMATS",
    "IMAGE_FORMATS",
    "PACKED_RGB",
    "GRAY",
    "SEMI_PLANAR_YUV",
    "PACKED_YUV",
    "lookup",
    "is_yuv",
    "raw_shape",
    "frame_bytes",
    "check_size",
    "size_from_shape",
]

#: Families: how the bytes of a frame are arranged.
PACKED_RGB = "packed_rgb"            # one B, G, R (or R, G, B) triple per pixel
GRAY = "gray"                        # one luma byte per pixel
SEMI_PLANAR_YUV = "semi_planar_yuv"  # a Y plane, then one plane of interleaved U/V pairs
PACKED_YUV = "packed_yuv"            # macro-pixels of luma and chroma bytes (Y0 U Y1 V, ...)


@dataclass(frozen=True)
class PixelFormat:
    """One row of the format table.

    Attributes
    ----------
    name : str
        The canonical name (specs, manifests, error messages).
    aliases : tuple of str
        Other names accepted where a format name is parsed (``pyalign.core.csc``, the C++ core);
        the FourCC / OpenCV names.
    family : str
        :data:`PACKED_RGB`, :data:`GRAY`, :data:`SEMI_PLANAR_YUV` or :data:`PACKED_YUV`.
    channels : int
        Channels of the decoded image: 1 for GRAY, 3 otherwise (a YUV frame decodes to BGR/RGB).
    bits_per_pixel : int
        Average bits per pixel; a frame has ``width * height * bits_per_pixel / 8`` bytes.
    subsampling : (int, int)
        Chroma subsampling ``(x, y)``: ``(2, 2)`` is 4:2:0, ``(2, 1)`` 4:2:2, ``(1, 1)`` none.
        The width must be a multiple of x and the height of y.
    offsets : (int, int, int)
        Byte positions of Y, U and V: in a macro-pixel for packed YUV (``Y0 U Y1 V`` is
        ``(0, 1, 3)``; the second luma byte is 2 after the first), in a chroma pair for
        semi-planar YUV (Y is the plane before, offset 0); ``()`` for formats without chroma.
    swapped : str
        The format whose frames have this one's bytes in the other order (U/V, or luma/chroma
        for packed 4:2:2): the likeliest mix-up. ``""`` when there is none.
    """

    name: str
    aliases: Tuple[str, ...]
    family: str
    channels: int
    bits_per_pixel: int
    subsampling: Tuple[int, int]
    offsets: Tuple[int, ...] = ()
    swapped: str = ""

    @property
    def is_yuv(self) -> bool:
        """True for the YUV families (a ``csc`` op decodes them)."""
        return self.family in (SEMI_PLANAR_YUV, PACKED_YUV)

    @property
    def chroma_order(self) -> str:
        """``"UV"`` or ``"VU"``: which chroma byte comes first; ``""`` without chroma."""
        if not self.offsets:
            return ""
        return "UV" if self.offsets[1] < self.offsets[2] else "VU"

    @property
    def luma_channel(self) -> int:
        """Packed YUV: the channel of the raw array's last axis that holds luma (the other one
        holds U and V, pixel by pixel in turn); 0 for the other formats."""
        return self.offsets[0] % (self.bits_per_pixel // 8) if self.family == PACKED_YUV else 0


#: The table, in the order formats are listed (specs, manifests, messages).
FORMATS: Tuple[PixelFormat, ...] = (
    #           name        aliases    family           ch  bpp  sub (x, y)  Y, U, V offsets  swapped
    PixelFormat("BGR",      (),        PACKED_RGB,      3,  24,  (1, 1)),
    PixelFormat("RGB",      (),        PACKED_RGB,      3,  24,  (1, 1)),
    PixelFormat("GRAY",     (),        GRAY,            1,  8,   (1, 1)),
    PixelFormat("YUV420SP", ("NV12",), SEMI_PLANAR_YUV, 3,  12,  (2, 2),     (0, 0, 1),       "YVU420SP"),
    PixelFormat("YVU420SP", ("NV21",), SEMI_PLANAR_YUV, 3,  12,  (2, 2),     (0, 1, 0),       "YUV420SP"),
    PixelFormat("YUYV422",  ("YUY2",), PACKED_YUV,      3,  16,  (2, 1),     (0, 1, 3),       "UYVY422"),
    PixelFormat("UYVY422",  ("UYVY",), PACKED_YUV,      3,  16,  (2, 1),     (1, 0, 2),       "YUYV422"),
)

_BY_NAME: Dict[str, PixelFormat] = {f.name: f for f in FORMATS}
_BY_ANY_NAME: Dict[str, PixelFormat] = {**{a: f for f in FORMATS for a in f.aliases}, **_BY_NAME}

#: Canonical names of every format (a spec's ``input.format``).
FORMAT_NAMES: Tuple[str, ...] = tuple(f.name for f in FORMATS)
#: The colour names a manifest may give a tensor (every format).
COLORS: Tuple[str, ...] = FORMAT_NAMES
#: The YUV formats (a ``csc`` op decodes them).
YUV_FORMATS: Tuple[str, ...] = tuple(f.name for f in FORMATS if f.is_yuv)
#: The formats that are not YUV: pictures as the model side sees them (BGR, RGB, GRAY).
IMAGE_FORMATS: Tuple[str, ...] = tuple(f.name for f in FORMATS if not f.is_yuv)

Format = Union[str, PixelFormat]
Shape = Sequence[int]


def lookup(fmt: Format, aliases: bool = True) -> PixelFormat:
    """Return the table row of a format.

    Parameters
    ----------
    fmt : str or PixelFormat
        A canonical name (``"YUV420SP"``), an alias (``"NV12"``) or a row.
    aliases : bool
        Accept aliases (default); with False only canonical names.

    Returns
    -------
    PixelFormat

    Raises
    ------
    ValueError
        ``unknown pixel format 'X' (expected BGR, RGB, ... or UYVY422)``, as the C++ core says it.
    """
    if isinstance(fmt, PixelFormat):
        return fmt
    row = (_BY_ANY_NAME if aliases else _BY_NAME).get(fmt) if isinstance(fmt, str) else None
    if row is None:
        expected = ", ".join(FORMAT_NAMES[:-1]) + " or " + FORMAT_NAMES[-1]
        raise ValueError(f"unknown pixel format {fmt!r} (expected {expected})")
    return row


def is_yuv(fmt: Union[Format, None]) -> bool:
    """True when ``fmt`` names a YUV format; False for other formats and for unknown names or None."""
    if isinstance(fmt, PixelFormat):
        return fmt.is_yuv
    row = _BY_ANY_NAME.get(fmt) if isinstance(fmt, str) else None
    return row is not None and row.is_yuv


def _rows_per_line(f: PixelFormat) -> Tuple[int, int]:
    """Array rows per picture row of a semi-planar frame, ``bits_per_pixel / 8`` as a reduced
    fraction ``(numerator, denominator)``, e.g. ``(3, 2)``."""
    g = math.gcd(f.bits_per_pixel, 8)
    return f.bits_per_pixel // g, 8 // g


def _rows_text(f: PixelFormat) -> str:
    num, den = _rows_per_line(f)
    return f"H*{num}" + (f"/{den}" if den > 1 else "")


def raw_shape(fmt: Format, width: int, height: int) -> Tuple[int, ...]:
    """Return the array shape of a ``width`` x ``height`` frame, as ``cv2.cvtColor`` takes it.

    Parameters
    ----------
    fmt : str or PixelFormat
        The format.
    width, height : int
        The picture size (valid for the format, see :func:`check_size`).

    Returns
    -------
    tuple of int
        ``(H, W, 3)`` for BGR/RGB, ``(H, W)`` for GRAY, ``(H*3//2, W)`` for YUV420SP/YVU420SP,
        ``(H, W, 2)`` for YUYV422/UYVY422.
    """
    f = lookup(fmt)
    if f.family == SEMI_PLANAR_YUV:
        num, den = _rows_per_line(f)
        return (height * num // den, width)
    per_pixel = f.bits_per_pixel // 8
    return (height, width) if per_pixel == 1 else (height, width, per_pixel)


def frame_bytes(fmt: Format, width: int, height: int) -> int:
    """Return the byte size of a ``width`` x ``height`` frame (the product of :func:`raw_shape`)."""
    f = lookup(fmt)
    return width * height * f.bits_per_pixel // 8


def _side(n: int, side: str) -> str:
    return f"an even {side}" if n == 2 else f"a {side} divisible by {n}"


def check_size(fmt: Format, width: int, height: int) -> None:
    """Raise ``ValueError`` unless the format's chroma subsampling allows the picture size.

    Parameters
    ----------
    fmt : str or PixelFormat
        The format.
    width, height : int
        The picture size.

    Raises
    ------
    ValueError
        ``YUV420SP needs an even width and height, got 7x6`` (subsampled both ways) or
        ``YUYV422 needs an even width, got 7`` (horizontally only).
    """
    f = lookup(fmt)
    sx, sy = f.subsampling
    if width % sx == 0 and height % sy == 0:
        return
    if sx > 1 and sy > 1:
        what = "an even width and height" if sx == sy == 2 else f"{_side(sx, 'width')} and {_side(sy, 'height')}"
        raise ValueError(f"{f.name} needs {what}, got {width}x{height}")
    if sx > 1:
        raise ValueError(f"{f.name} needs {_side(sx, 'width')}, got {width}")
    raise ValueError(f"{f.name} needs {_side(sy, 'height')}, got {height}")


def size_from_shape(fmt: Format, shape: Shape) -> Tuple[int, int]:
    """Return ``(width, height)`` of the picture in an array of shape ``shape``.

    The inverse of :func:`raw_shape`; the size is not checked against the subsampling
    (:func:`check_size` does that).

    Parameters
    ----------
    fmt : str or PixelFormat
        The format.
    shape : sequence of int
        The array's shape.

    Returns
    -------
    (int, int)

    Raises
    ------
    ValueError
        The shape is not a frame of this format (wrong rank, channel count, or a semi-planar
        row count that is not ``H * bits_per_pixel / 8``).
    """
    f = lookup(fmt)
    shape = tuple(int(s) for s in shape)
    if f.family == SEMI_PLANAR_YUV:
        num, den = _rows_per_line(f)
        if len(shape) != 2:
            raise ValueError(f"{f.name} image must be shaped ({_rows_text(f)}, W), got {shape}")
        if shape[0] % num:
            raise ValueError(f"{f.name} frame must have {_rows_text(f)} rows (a multiple of {num}), got {shape}")
        return shape[1], shape[0] // num * den
    want = raw_shape(f, 1, 1)
    if len(shape) != len(want) or shape[2:] != want[2:]:
        text = "(H, W)" if len(want) == 2 else f"(H, W, {want[2]})"
        raise ValueError(f"{f.name} image must be shaped {text}, got {shape}")
    return shape[1], shape[0]

"""Resize and letterbox, bit-exact with OpenCV or Pillow (C++ in ``cpp/src/resize.cpp`` and
``cpp/src/resize_pil.cpp``).

``resize`` reproduces ``cv2.resize`` with ``INTER_LINEAR`` / ``INTER_NEAREST`` byte for byte on
uint8 images and OpenCV's own float32 algorithm (what cv2 computes with
``cv2.ipp.setUseIPP(False)``) on float32 images; with ``backend="pil"`` it reproduces Pillow's
``Image.resize`` byte for byte (six filters, modes L / RGB / RGBA). ``letterbox`` implements the ultralytics and the Axera ax-samples ("center")
letterbox and returns a :class:`LetterboxInfo` that postprocessing uses to map boxes back.
"""
from __future__ import annotations

import dataclasses
import math
import numbers
import re
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union, cast

import numpy as np

from pyalign import _core

__all__ = ["resize", "letterbox", "letterbox_info", "LetterboxInfo"]

_INTERPOLATIONS = ("linear", "nearest")
_PIL_INTERPOLATIONS = ("nearest", "box", "linear", "hamming", "cubic", "lanczos")
_BACKENDS = ("opencv", "pil")
_STYLES = ("ultralytics", "center")
_MAX_SIDE = 1 << 20
_MAX_THREADS = 256


@dataclasses.dataclass(frozen=True)
class LetterboxInfo:
    """Where the resized image sits inside the letterboxed (or resized) tensor.

    Map a point of the model input back to the original image with
    ``x = (x - pad_left) / scale_x`` and ``y = (y - pad_top) / scale_y``, then clip to
    ``[0, src_width] x [0, src_height]``.

    Attributes
    ----------
    scale_x, scale_y : float
        The gain ``r`` of the letterbox (both equal), or ``dst / src`` per axis for a plain resize.
    pad_left, pad_top, pad_right, pad_bottom : int
        Border widths in pixels.
    resized_width, resized_height : int
        Size of the image content inside the destination.
    src_width, src_height, dst_width, dst_height : int
        Original and destination sizes.
    style : str
        ``"ultralytics"``, ``"center"`` or ``"resize"`` (plain resize, no padding).
    """

    scale_x: float
    scale_y: float
    pad_left: int
    pad_top: int
    pad_right: int
    pad_bottom: int
    resized_width: int
    resized_height: int
    src_width: int
    src_height: int
    dst_width: int
    dst_height: int
    style: str

    def to_dict(self) -> Dict[str, Any]:
        """Return the fields as a plain JSON-serialisable dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "LetterboxInfo":
        """Build from a dict with the field names (``style`` defaults to ``"ultralytics"``).

        Parameters
        ----------
        d : dict
            ``scale_x``, ``scale_y``, ``pad_left``, ``pad_top``, ``pad_right``, ``pad_bottom``,
            ``resized_width``, ``resized_height``, ``src_width``, ``src_height``, ``dst_width``,
            ``dst_height`` and optionally ``style``; other keys are ignored.

        Returns
        -------
        LetterboxInfo

        Raises
        ------
        ValueError
            A field is missing.
        """
        fields = {f.name for f in dataclasses.fields(cls)}
        missing = sorted(fields - set(d) - {"style"})
        if missing:
            raise ValueError(f"letterbox info is missing {', '.join(missing)}")
        kw = {k: d[k] for k in fields if k in d}
        kw.setdefault("style", "ultralytics")
        return cls(**kw)

    @classmethod
    def for_resize(cls, src_size: Tuple[int, int], dsize: Tuple[int, int]) -> "LetterboxInfo":
        """Geometry of a plain resize from ``src_size`` to ``dsize`` (both ``(width, height)``).

        Parameters
        ----------
        src_size : (int, int)
            Source ``(width, height)``.
        dsize : (int, int)
            Destination ``(width, height)``.

        Returns
        -------
        LetterboxInfo
            ``scale_x = dst_width / src_width``, ``scale_y = dst_height / src_height``, no padding,
            style ``"resize"``.

        Raises
        ------
        ValueError
            A size is not a pair of positive integers (or is too large).
        """
        sw, sh = _check_size(src_size, "src_size")
        dw, dh = _check_size(dsize, "dsize")
        return cls(dw / sw, dh / sh, 0, 0, 0, 0, dw, dh, sw, sh, dw, dh, "resize")


def _check_size(size: Any, what: str) -> Tuple[int, int]:
    """Validate a ``(width, height)`` pair of positive ints."""
    try:
        w, h = size
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a (width, height) pair, got {size!r}") from None
    out = []
    for v in (w, h):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Integral, np.integer)):
            if isinstance(v, (float, np.floating)) and float(v).is_integer():
                v = int(v)
            else:
                raise ValueError(f"{what} must hold integers, got {size!r}")
        out.append(int(v))
    w, h = out
    if w <= 0 or h <= 0:
        raise ValueError(f"{what} must be positive, got ({w}, {h})")
    if w > _MAX_SIDE or h > _MAX_SIDE:
        raise ValueError(f"{what} ({w}, {h}) is too large (max {_MAX_SIDE} per side)")
    return w, h


def _check_image(src: Any, dtypes: Sequence[np.dtype], what: str = "src") -> np.ndarray:
    """Validate an image array (HxW or HxWxC, C in 1..4) and return it C-contiguous."""
    if not isinstance(src, np.ndarray):
        raise ValueError(f"{what} must be a numpy array, got {type(src).__name__}")
    if src.dtype not in dtypes:
        names = " or ".join(np.dtype(d).name for d in dtypes)
        raise ValueError(f"{what} dtype must be {names}, got {src.dtype}")
    if src.ndim not in (2, 3):
        raise ValueError(f"{what} must be HxW or HxWxC, got {src.ndim} dimensions (shape {src.shape})")
    if src.shape[0] == 0 or src.shape[1] == 0 or (src.ndim == 3 and src.shape[2] == 0):
        raise ValueError(f"{what} is empty (shape {src.shape})")
    if src.ndim == 3 and src.shape[2] > 4:
        raise ValueError(f"{what} must have 1 to 4 channels, got {src.shape[2]} (shape {src.shape})")
    if src.shape[0] > _MAX_SIDE or src.shape[1] > _MAX_SIDE:
        raise ValueError(f"{what} of shape {src.shape} is too large (max {_MAX_SIDE} per side)")
    # Non-contiguous (slices, transposes) or misaligned arrays are accepted through one copy.
    return np.require(src, requirements=("C_CONTIGUOUS", "ALIGNED"))


def _check_threads(threads: Any) -> int:
    """Validate the ``threads`` option: an int, 0 (one per CPU) or more."""
    if isinstance(threads, (bool, np.bool_)) or not isinstance(threads, (numbers.Integral, np.integer)):
        raise ValueError(f"threads must be an integer, got {threads!r}")
    if not 0 <= int(threads) <= _MAX_THREADS:
        raise ValueError(f"threads must be in 0..{_MAX_THREADS} (0 = one per CPU), got {threads!r}")
    return int(threads)


def _check_dst_bytes(w: int, h: int, src: np.ndarray) -> None:
    cn = src.shape[2] if src.ndim == 3 else 1
    if w * h * cn * src.itemsize > (1 << 34):
        raise ValueError(f"dsize ({w}, {h}) is too large: the result would exceed 16 GiB")


def resize(
    src: np.ndarray,
    dsize: Tuple[int, int],
    interpolation: str = "linear",
    backend: str = "opencv",
    pillow_version: Optional[str] = None,
    threads: int = 1,
) -> np.ndarray:
    """Resize an image exactly as ``cv2.resize`` or as Pillow's ``Image.resize`` does.

    Parameters
    ----------
    src : numpy.ndarray
        ``(H, W)`` or ``(H, W, C)`` image. Backend ``"opencv"``: uint8 or float32, ``C`` in 1..4.
        Backend ``"pil"``: uint8, ``C`` in 1 (mode L), 3 (RGB) or 4 (RGBA). Non-contiguous arrays
        are copied once.
    dsize : (int, int)
        Output size ``(width, height)``, as in cv2 and Pillow.
    interpolation : str
        Backend ``"opencv"``: ``"linear"`` or ``"nearest"`` (``INTER_LINEAR``, ``INTER_NEAREST``).
        Backend ``"pil"``: ``"nearest"``, ``"box"``, ``"linear"``, ``"hamming"``, ``"cubic"`` or
        ``"lanczos"`` (``Image.Resampling.NEAREST``, ``BOX``, ``BILINEAR``, ``HAMMING``,
        ``BICUBIC``, ``LANCZOS``).
    backend : {"opencv", "pil"}
        Whose resize to reproduce.
    pillow_version : str, optional
        Backend ``"pil"`` only: the Pillow release to reproduce, e.g. ``PIL.__version__`` or
        ``"12.1"`` (9.0 or later). Releases differ only in the order of the two passes for some
        sizes; the default (None) is the behaviour of Pillow 13.0 and later.
    threads : int
        Backend ``"opencv"``: split the output rows across this many threads (0: one per CPU). The
        result is the same for every thread count.

    Returns
    -------
    numpy.ndarray
        The resized image, same dtype as ``src``; shape ``(h, w)`` for ``(H, W)`` and, like cv2,
        also for ``(H, W, 1)`` inputs; ``(h, w, C)`` otherwise.

    Raises
    ------
    ValueError
        Bad dtype, shape, size, backend, Pillow version, or an interpolation the backend lacks.

    Notes
    -----
    ``"opencv"``: uint8 results equal cv2's byte for byte. float32 results equal OpenCV's own
    algorithm (``cv2.ipp.setUseIPP(False)``); x86 wheels of OpenCV route float32 linear resize
    through Intel IPP by default, which differs by up to ~1e-2 on 0..255 data.

    ``"pil"``: byte-identical to ``np.asarray(Image.fromarray(src).resize(dsize, filter))`` with
    Pillow's defaults (whole image, no ``reducing_gap``); RGBA is premultiplied around the resize
    as Pillow does (except for nearest). See docs/preprocessing-resize.md.
    """
    if backend not in _BACKENDS:
        raise ValueError(f"backend must be one of {_BACKENDS}, got {backend!r}")
    allowed = _PIL_INTERPOLATIONS if backend == "pil" else _INTERPOLATIONS
    if interpolation not in allowed:
        raise ValueError(f"interpolation must be one of {allowed} for backend {backend!r}, got {interpolation!r}")
    if pillow_version is not None and backend != "pil":
        raise ValueError(f"pillow_version applies to backend 'pil' only, got backend {backend!r}")
    w, h = _check_size(dsize, "dsize")
    threads = _check_threads(threads)
    if backend == "pil":
        major, minor = _parse_pillow_version(pillow_version)
        if isinstance(src, np.ndarray) and src.dtype != np.uint8:
            raise ValueError(f"backend 'pil' takes uint8 images (modes L, RGB, RGBA), got dtype {src.dtype}")
        src = _check_image(src, (np.dtype(np.uint8),))
        if src.ndim == 3 and src.shape[2] not in (1, 3, 4):
            raise ValueError(
                f"backend 'pil' takes 1 (L), 3 (RGB) or 4 (RGBA) channels, got {src.shape[2]} (shape {src.shape})"
            )
        _check_dst_bytes(w, h, src)
        return _drop_single_channel(_core.resize_pil(src, w, h, interpolation, major, minor))
    src = _check_image(src, (np.dtype(np.uint8), np.dtype(np.float32)))
    _check_dst_bytes(w, h, src)
    return _drop_single_channel(_core.resize(src, w, h, interpolation, threads))


def _parse_pillow_version(version: Optional[str]) -> Tuple[int, int]:
    """``"12.1.1"`` -> ``(12, 1)``; None -> the newest behaviour (13, 0)."""
    if version is None:
        return 13, 0
    match = re.match(r"^\s*(\d+)\.(\d+)", version) if isinstance(version, str) else None
    if match is None:
        raise ValueError(f"pillow_version must be a version string such as '12.1' or PIL.__version__, got {version!r}")
    major, minor = int(match.group(1)), int(match.group(2))
    if major < 9:
        raise ValueError(f"pillow_version {version!r} is not supported: Pillow 9.0 or later")
    return major, minor


def _drop_single_channel(a: np.ndarray) -> np.ndarray:
    """cv2 returns 2-D results for single-channel images, also for (H, W, 1) inputs."""
    return a[:, :, 0] if a.ndim == 3 and a.shape[2] == 1 else a


def _pad_values(pad_value: Union[float, Sequence[float]], channels: int, dtype: np.dtype) -> List[Union[int, float]]:
    """Per-channel pad values (a scalar is repeated), validated for the dtype."""
    values: List[object]
    if isinstance(pad_value, (numbers.Real, np.number)) and not isinstance(pad_value, (bool, np.bool_)):
        values = [pad_value] * channels
    else:
        try:  # any iterable the caller passed; its items are checked below
            values = list(cast(Iterable[object], pad_value))
        except TypeError:
            raise ValueError(f"pad_value must be a number or a list, got {pad_value!r}") from None
        if len(values) == 1:
            values = values * channels
        if len(values) != channels:
            raise ValueError(f"pad_value has {len(values)} values for an image with {channels} channels")
    out: List[Union[int, float]] = []
    for v in values:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Real, np.number)):
            raise ValueError(f"pad_value must hold numbers, got {pad_value!r}")
        fv = float(v)
        if dtype == np.uint8:
            if not math.isfinite(fv) or fv != int(fv) or not 0 <= fv <= 255:
                raise ValueError(f"pad_value {v!r} is not an integer in 0..255 (uint8 image)")
            out.append(int(fv))
        else:
            out.append(fv)
    return out


def letterbox_info(src_size: Tuple[int, int], dsize: Tuple[int, int], style: str = "ultralytics") -> LetterboxInfo:
    """Letterbox geometry without an image.

    Parameters
    ----------
    src_size : (int, int)
        Original image size ``(width, height)``.
    dsize : (int, int)
        Letterboxed size ``(width, height)``.
    style : {"ultralytics", "center"}
        ``ultralytics``: ``r = min(H/h, W/w)``, content ``round(w*r) x round(h*r)`` (half to
        even), ``top = round(dh - 0.1)``, ``bottom = round(dh + 0.1)`` with ``dh`` half the
        padding (same for left/right). ``center`` (Axera ax-samples ``get_input_data_letterbox``):
        the ratio stored in a float32, content ``int(ratio * side)`` computed in float32 (so a
        limiting side can be one pixel short, e.g. 100x1101 into 640x640 gives 58x639),
        ``top = d // 2``, ``bottom = d - top``. ``scale_x = scale_y = r`` (double) in both.
        A content size of 0 pixels raises ``ValueError`` (cv2.resize would fail).

    Returns
    -------
    LetterboxInfo
    """
    if style not in _STYLES:
        raise ValueError(f"letterbox style must be one of {_STYLES}, got {style!r}")
    sw, sh = _check_size(src_size, "src_size")
    dw, dh = _check_size(dsize, "dsize")
    return LetterboxInfo(**_core.letterbox_geometry(sw, sh, dw, dh, style), style=style)


def letterbox(
    src: np.ndarray,
    dsize: Tuple[int, int],
    pad_value: Union[float, Sequence[float]] = 114,
    style: str = "ultralytics",
    threads: int = 1,
) -> Tuple[np.ndarray, LetterboxInfo]:
    """Resize keeping the aspect ratio and pad to ``dsize``.

    Parameters
    ----------
    src : numpy.ndarray
        uint8 (or float32) image, ``(H, W)`` or ``(H, W, C)`` with ``C`` in 1..4.
    dsize : (int, int)
        Output size ``(width, height)``.
    pad_value : number or sequence of numbers
        Border value, one for all channels or one per channel (0..255 for uint8).
    style : {"ultralytics", "center"}
        Geometry, see :func:`letterbox_info`. The content is resized with OpenCV-exact
        INTER_LINEAR (skipped when the size is unchanged).
    threads : int
        Threads for the resize of a uint8 image (0: one per CPU); the result does not depend on it.

    Returns
    -------
    (numpy.ndarray, LetterboxInfo)
        The letterboxed image (2-D for single-channel inputs, as cv2 gives) and its geometry.
    """
    if style not in _STYLES:
        raise ValueError(f"letterbox style must be one of {_STYLES}, got {style!r}")
    w, h = _check_size(dsize, "dsize")
    threads = _check_threads(threads)
    src = _check_image(src, (np.dtype(np.uint8), np.dtype(np.float32)))
    _check_dst_bytes(w, h, src)
    cn = src.shape[2] if src.ndim == 3 else 1
    pad = _pad_values(pad_value, cn, src.dtype)
    if src.dtype == np.uint8:
        dst, geo = _core.letterbox(src, w, h, pad, style, threads)
        return _drop_single_channel(dst), LetterboxInfo(**geo, style=style)
    info = letterbox_info((src.shape[1], src.shape[0]), (w, h), style)
    inner = src
    if (info.resized_width, info.resized_height) != (src.shape[1], src.shape[0]):
        inner = _core.resize(src, info.resized_width, info.resized_height, "linear", threads)
    shape = (h, w) + src.shape[2:]
    dst = np.empty(shape, dtype=np.float32)
    dst[...] = np.asarray(pad, dtype=np.float32) if src.ndim == 3 else np.float32(pad[0])
    dst[info.pad_top : info.pad_top + info.resized_height, info.pad_left : info.pad_left + info.resized_width] = inner
    return _drop_single_channel(dst), info

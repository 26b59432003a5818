"""pyalign.core: the fused preprocessing pipeline (C++ in cpp/src/pipeline.cpp).

:func:`preprocess` runs a spec's ``preprocess`` ops on a raw input in one pass
over the output (no full-size intermediate images) and gives exactly what the
ops give when run one by one with cv2 and numpy. The spec goes to C++ as JSON
text, read by the same parser (``pyalign::parse_pipeline_spec``) board code uses.
"""
from __future__ import annotations

import json
from typing import Any, Dict, Mapping, Union

import numpy as np

from ..errors import SpecError

__all__ = ["preprocess", "PipelineSpecError"]


class PipelineSpecError(SpecError, ValueError):
    """An invalid spec given to :func:`preprocess` (both a :class:`SpecError` and a ``ValueError``)."""


def _load(spec: Union[Mapping[str, Any], str]) -> Dict[str, Any]:
    from ..spec import load_spec

    try:
        return load_spec(spec)
    except SpecError as e:  # load_spec raises plain SpecErrors
        raise PipelineSpecError(e.what, e.path) from None


def _spec_json(spec: Any) -> str:
    """The validated spec as the JSON text ``_core.preprocess`` parses (C++ ``parse_pipeline_spec``).

    ``spec`` is what :func:`_load` returns: a plain dict, or an object with a ``to_dict()`` method.
    """
    to_dict = getattr(spec, "to_dict", None)
    return json.dumps(to_dict() if callable(to_dict) else spec)


def _style(spec: Mapping[str, Any]) -> str:
    for op in spec["preprocess"]:
        if op["op"] == "letterbox":
            return str(op["style"])
        if op["op"] == "resize":
            return "resize"
    return "none"


def preprocess(raw: np.ndarray, spec: Union[Mapping[str, Any], str], return_info: bool = False) -> Any:
    """Run a spec's preprocessing on one raw input with the fused C++ pipeline.

    Parameters
    ----------
    raw : numpy.ndarray
        uint8, shaped as ``cv2.cvtColor`` takes the spec's input format:
        BGR/RGB ``(H, W, 3)``, GRAY ``(H, W)``, YUV420SP/YVU420SP ``(H*3//2, W)``,
        YUYV422/UYVY422 ``(H, W, 2)``. Non-contiguous views (crops, flips, padded rows) are
        accepted through one copy (``numpy.ascontiguousarray``), as :func:`pyalign.core.resize` does.
    spec : mapping or path
        A whole pipeline spec or just ``{"input": ..., "preprocess": [...]}`` (validated with
        :func:`pyalign.spec.load_spec`), or the path of a spec JSON file.
    return_info : bool
        Also return the geometry (a :class:`pyalign.core.LetterboxInfo`).

    Returns
    -------
    tensor : numpy.ndarray
        The model input: uint8 without ``normalize``, else float32; layout per the ``layout`` op
        (HWC, or HW for GRAY, without one).
    info : LetterboxInfo
        Only with ``return_info=True``: scale and padding to map boxes back to the raw input.
        ``style`` is the letterbox style, ``"resize"`` or ``"none"``.

    Raises
    ------
    PipelineSpecError
        The spec is invalid (a ``ValueError`` and a :class:`pyalign.errors.SpecError`).
    ValueError
        The raw input does not match the spec's input (dtype, shape).
    """
    from .. import _core

    s = _load(spec)
    if not isinstance(raw, np.ndarray):
        raise ValueError(f"raw input must be a numpy array, got {type(raw).__name__}")
    from ..spec import check_raw_input

    check_raw_input(raw, s)
    # Non-contiguous (crops, flips, padded rows) or misaligned views are accepted through one copy.
    raw = np.require(raw, requirements=("C_CONTIGUOUS", "ALIGNED"))
    tensor, geo = _core.preprocess(raw, _spec_json(s))
    if not return_info:
        return tensor
    from ._resize import LetterboxInfo

    return tensor, LetterboxInfo(style=_style(s), **geo)

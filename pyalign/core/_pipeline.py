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

from pyalign.errors import SpecError

__all__ = ["preprocess", "Preprocessor", "PipelineSpecError"]


class PipelineSpecError(SpecError, ValueError):
    """An invalid spec given to :func:`preprocess` (both a :class:`SpecError` and a ``ValueError``)."""


def _load(spec: Union[Mapping[str, Any], str]) -> Dict[str, Any]:
    from pyalign.spec.model import load_spec

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


class Preprocessor:
    """A spec's preprocessing, validated and prepared once (resize tables, conversion), run per frame.

    ``Preprocessor(spec)(raw)`` gives what :func:`preprocess` gives for ``(raw, spec)``, without
    validating the spec again for every frame.

    Parameters
    ----------
    spec : mapping or path
        As for :func:`preprocess`.

    Attributes
    ----------
    info : LetterboxInfo
        The geometry (the same for every frame).
    input_shape : tuple
        The shape a raw input must have (uint8).

    Raises
    ------
    PipelineSpecError
        The spec is invalid.
    """

    def __init__(self, spec: Union[Mapping[str, Any], str]) -> None:
        from pyalign import _core
        from pyalign.spec.model import raw_input_shape
        from pyalign.core._resize import LetterboxInfo

        self._spec = _load(spec)
        self._pipe = _core.Pipeline(_spec_json(self._spec))
        self.input_shape = tuple(raw_input_shape(self._spec))
        self.info = LetterboxInfo(style=_style(self._spec), **self._pipe.geometry)

    def __call__(self, raw: np.ndarray, threads: int = 1) -> np.ndarray:
        """The model input tensor of one raw frame (see :func:`preprocess` for ``raw`` and ``threads``)."""
        if threads != 1:
            from pyalign.core._resize import _check_threads

            threads = _check_threads(threads)
        if not (isinstance(raw, np.ndarray) and raw.dtype == np.uint8 and raw.shape == self.input_shape
                and raw.flags.c_contiguous and raw.flags.aligned):
            if not isinstance(raw, np.ndarray):
                raise ValueError(f"raw input must be a numpy array, got {type(raw).__name__}")
            from pyalign.spec.model import check_raw_input

            check_raw_input(raw, self._spec)
            # Non-contiguous (crops, flips, padded rows) or misaligned views are accepted through one copy.
            raw = np.require(raw, requirements=("C_CONTIGUOUS", "ALIGNED"))
        return self._pipe.run(raw, threads)


def preprocess(raw: np.ndarray, spec: Union[Mapping[str, Any], str], return_info: bool = False,
               threads: int = 1) -> Any:
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
    threads : int
        Split the output rows across this many threads (0: one per CPU); the tensor is the same
        for every thread count.

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

    Notes
    -----
    For many frames of one spec, :class:`Preprocessor` validates and prepares the spec once.
    """
    from pyalign.core._resize import _check_threads

    threads = _check_threads(threads)
    pre = Preprocessor(spec)
    if not isinstance(raw, np.ndarray):
        raise ValueError(f"raw input must be a numpy array, got {type(raw).__name__}")
    tensor = pre(raw, threads)
    return (tensor, pre.info) if return_info else tensor

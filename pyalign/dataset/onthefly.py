"""The Python reference computed on the fly: no need to store every stage of every case.

``pyalign verify --images DIR --spec S [--board-out DIR]`` (and :func:`pyalign.dataset.verify_images`)
builds each case's reference when it is judged, in a temporary directory removed right
after: the raw input (the image converted to the spec's input format, or a raw frame, or
the ``raw_input`` of a capture set written with ``pyalign capture --stages
raw_input,model_output``), the preprocessed tensor (the cv2/numpy reference), the model
output (the capture set's, or an ONNX model run on the reference tensor) and the
postprocessed result. Only one case's tensors exist at a time, however many cases there
are.

Sources and names: a capture set (a directory with ``manifest.json``) is named like
``pyalign verify`` names it (relative to the root given); an image or raw frame after
its file stem, made unique like ``pyalign capture`` does, so the names line up with the
capture sets and the board's output directories.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from pyalign.dataset.pairing import CaseRef, name_cases
from pyalign.errors import CaptureError, PyalignError, SpecError

__all__ = ["image_sources", "reference_case"]

PathLike = Union[str, "os.PathLike[str]"]


def image_sources(inputs: Sequence[PathLike]) -> List[CaseRef]:
    """The sources of ``--images``: capture sets under a directory that holds some, else image files.

    Parameters
    ----------
    inputs : sequence of path-like
        Image files, raw frames, directories of them, or directories of capture sets.

    Returns
    -------
    list of CaseRef
        Sorted by name.

    Raises
    ------
    PyalignError
        An input does not exist, or nothing usable was found.
    """
    from pyalign.capture import _unique_names, expand_inputs
    from pyalign.store.read import find_cases

    captures: List[PathLike] = []
    files: List[PathLike] = []
    for item in inputs:
        p = Path(os.fspath(item))
        if not p.exists():
            raise PyalignError("no such file or directory", p)
        (captures if p.is_dir() and find_cases(p) else files).append(p)
    refs = name_cases(captures) if captures else []
    paths = expand_inputs(files)
    taken = {r.name for r in refs}
    for name, path in zip(_unique_names(paths), paths):
        base, k = name, 2
        while name in taken:
            name, k = f"{base}_{k}", k + 1
        taken.add(name)
        refs.append(CaseRef(name, path))
    if not refs:
        raise PyalignError("no images, raw frames or capture sets in the --images given")
    return sorted(refs)


def _capture_inputs(path: Path, spec: Optional[Mapping[str, Any]]) -> Tuple[Any, Dict[str, Any], Optional[Dict[str, Any]]]:
    """Raw input, spec and model outputs of a (slim) capture set."""
    from pyalign.spec.model import load_spec
    from pyalign.store.read import read_case

    case = read_case(path)
    if spec is None:
        if not case.spec:
            raise SpecError("the capture has no spec in its manifest: give --spec", case.dir)
        spec = case.spec
    if not case.stage("raw_input"):
        raise CaptureError("the capture has no raw_input to compute the reference from", case.dir)
    outputs = {r.name: r.load() for r in case.stage("model_output")} or None
    return case.get("raw_input").load(), load_spec(spec), outputs


def reference_case(source: Path, name: str, spec: Optional[Mapping[str, Any]], tmp: Path,
                   model: Any = None) -> Tuple[Any, Dict[str, Any], List[str]]:
    """Build the reference of one source in ``tmp``: ``(Case, spec, notes)``.

    Parameters
    ----------
    source : Path
        An image, a raw frame in the spec's input format, or a capture set.
    name : str
        The case name.
    spec : dict, optional
        The spec; a capture set may bring its own.
    tmp : Path
        A directory for the case (the caller removes it).
    model : callable, optional
        ``model(tensor) -> {name: array}`` (an :class:`pyalign.capture.OnnxModel`); a
        capture set's stored model output is used first.

    Raises
    ------
    PyalignError
        The source cannot be read or does not fit the spec.
    """
    from pyalign.capture import capture_image, read_input
    from pyalign.spec.model import load_spec

    outputs: Optional[Dict[str, Any]] = None
    if source.is_dir():
        raw, the_spec, outputs = _capture_inputs(source, spec)
        is_raw = True
    else:
        if spec is None:
            raise SpecError("--images needs --spec (images carry no spec)")
        the_spec = load_spec(spec)
        raw, is_raw = read_input(source, the_spec)
    notes: List[str] = []
    if outputs is None and model is None and the_spec.get("postprocess"):
        notes.append("postprocessed not verified: no model output (a capture set's, or --model)")
    try:
        case = capture_image(raw, the_spec, tmp / "reference", model=None if outputs is not None else model,
                             model_output=outputs, case=name, is_raw=is_raw,
                             extra={"source": str(source)}, durable=False)
    except ValueError as e:
        raise CaptureError(f"does not fit the spec: {str(e).splitlines()[0]}", source) from None
    return case, the_spec, notes

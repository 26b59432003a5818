"""Capture the stages of a Python pipeline as capture sets.

Two ways in:

* :class:`Capture`, a context manager for pipelines that are plain Python code
  (most users'): record each stage as the code produces it; the case is written
  atomically when the block ends, and nothing is written when it raises.
* :func:`capture_image` / :func:`capture_images`, what ``pyalign capture`` runs:
  a spec executed by the reference (:mod:`pyalign.reference`), the model run by
  onnxruntime (or its output read from a file), one case per image.
"""
from __future__ import annotations

import os
import pathlib
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from pyalign import formats
from pyalign.errors import CaptureError, PyalignError, SpecError
from pyalign.spec.model import load_spec, preprocessed_info, raw_input_shape
from pyalign.spec.postprocess import RESULT_KINDS, named_results, result_kind_of, results_of

__all__ = [
    "Capture",
    "CaptureOutcome",
    "capture_image",
    "capture_images",
    "read_image",
    "read_input",
    "expand_inputs",
    "load_model_output",
    "OnnxModel",
    "result_kind",
    "parse_stages",
]

PathLike = Union[str, "os.PathLike[str]"]
ModelOutputs = Union[np.ndarray, Mapping[str, np.ndarray], Sequence[np.ndarray]]


def result_kind(post: Optional[Mapping[str, Any]]) -> str:
    """Return the manifest ``kind`` of a postprocess op's result (``"tensor"`` without an op)."""
    return result_kind_of(post)


def _default_layout(arr: np.ndarray, color: Optional[str]) -> Optional[str]:
    if formats.is_yuv(color):
        return None
    if arr.ndim == 2:
        return "HW"
    if arr.ndim == 3 and arr.shape[2] in (1, 3, 4):
        return "HWC"
    return None


def _named_outputs(out: ModelOutputs) -> List[Tuple[str, np.ndarray]]:
    if isinstance(out, Mapping):
        items = [(str(k), np.asarray(v)) for k, v in out.items()]
    elif isinstance(out, (list, tuple)):
        items = [(f"output{i}", np.asarray(v)) for i, v in enumerate(out)]
    else:
        items = [("output0", np.asarray(out))]
    if not items:
        raise CaptureError("model_output: no tensors given")
    return items


class Capture:
    """Record the stages of one sample and write them as a capture set.

    Parameters
    ----------
    path : path-like
        The case directory (created, or replaced whole on success).
    spec : dict or path, optional
        The pipeline spec, validated and stored in the manifest.
    case : str, optional
        Case name; default the directory name.
    extra : dict, optional
        More top-level manifest keys.
    durable : bool
        Flush the files to the disk before the case appears (default); ``False`` for
        short-lived cases (see :class:`pyalign.store.CaseWriter`).

    Examples
    --------
    >>> with pyalign.Capture("captures/cat") as cap:          # doctest: +SKIP
    ...     cap.raw_input(img, color="BGR")
    ...     cap.preprocessed(tensor, layout="NCHW", color="RGB")
    ...     cap.model_output({"output0": out})
    ...     cap.postprocessed(dets, kind="detections")

    Nothing is written when the block raises; after it ends, :attr:`case` is
    the :class:`pyalign.store.Case` on disk.
    """

    def __init__(self, path: PathLike, spec: Optional[Union[Mapping[str, Any], PathLike]] = None,
                 case: Optional[str] = None, extra: Optional[Mapping[str, Any]] = None,
                 durable: bool = True) -> None:
        from pyalign.store import CaseWriter

        if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
            raise ValueError(f"Capture needs the capture set's directory as a non-empty path, got {path!r}")
        self.path = pathlib.Path(os.fspath(path))
        self.spec = load_spec(spec) if spec is not None else None
        self._writer = CaseWriter(self.path, case=case, spec=self.spec, extra=extra, durable=durable)
        self.case: Any = None

    def __enter__(self) -> "Capture":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()

    def commit(self) -> Any:
        """Write the manifest and swap the case in; return the :class:`~pyalign.store.Case`."""
        if self.case is None:
            self.case = self._writer.commit()
        return self.case

    def abort(self) -> None:
        """Discard everything recorded; nothing is written."""
        self._writer.abort()

    def add(self, stage: str, name: str, array: Any, **meta: Any) -> Any:
        """Record any tensor of any stage (see :meth:`pyalign.store.CaseWriter.add`)."""
        return self._writer.add(stage, name, np.asarray(array), **meta)

    def raw_input(self, image: Any, *, name: str = "image", color: Optional[str] = "BGR",
                  layout: Optional[str] = None, kind: Optional[str] = "image", **extra: Any) -> Any:
        """Record the raw input (default colour BGR; layout inferred: HWC, HW or none for YUV)."""
        arr = np.asarray(image)
        return self.add("raw_input", name, arr, color=color, layout=layout or _default_layout(arr, color),
                        kind=kind, **extra)

    def preprocessed(self, tensor: Any, *, name: str = "images", layout: Optional[str] = None,
                     color: Optional[str] = None, kind: Optional[str] = "tensor", **extra: Any) -> Any:
        """Record the preprocessed tensor (the model's input)."""
        return self.add("preprocessed", name, tensor, layout=layout, color=color, kind=kind, **extra)

    def model_output(self, outputs: ModelOutputs, **meta: Any) -> List[Any]:
        """Record the model's outputs: one array, a list (``output0``, ...) or a dict name -> array."""
        meta.setdefault("kind", "tensor")
        return [self.add("model_output", n, a, **meta) for n, a in _named_outputs(outputs)]

    def postprocessed(self, result: Any, *, kind: Optional[str] = None, name: Optional[str] = None,
                      **extra: Any) -> Any:
        """Record the final result (``kind``: detections, classes, mask or tensor; names it by default)."""
        return self.add("postprocessed", name or kind or "result", result, kind=kind, **extra)


# ----------------------------------------------------------------------------------------------
# spec-driven capture (``pyalign capture``)


class OnnxModel:
    """An onnxruntime session that takes the preprocessed tensor and returns named outputs.

    Raises
    ------
    PyalignError
        onnxruntime is not installed (``pip install pyalign[onnx]``) or the model does not load.
    """

    def __init__(self, path: PathLike) -> None:
        try:
            import onnxruntime as ort
        except ImportError:
            raise PyalignError("--model needs onnxruntime: pip install 'pyalign[onnx]'", path) from None
        self.path = pathlib.Path(os.fspath(path))
        if not self.path.is_file():
            raise PyalignError("no such file", self.path)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(self.path), opts, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own exception types
            raise PyalignError(f"cannot load the ONNX model: {str(e).splitlines()[0]}", self.path) from None
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            raise PyalignError(f"the model has {len(inputs)} inputs; pyalign feeds exactly one", self.path)
        self.input = inputs[0]
        self.output_names = [o.name for o in self.session.get_outputs()]

    def __call__(self, tensor: np.ndarray) -> Dict[str, np.ndarray]:
        want = {"tensor(float)": np.float32, "tensor(uint8)": np.uint8, "tensor(float16)": np.float16,
                "tensor(int8)": np.int8}.get(self.input.type)
        if want is not None and tensor.dtype != want:
            raise PyalignError(f"the model input {self.input.name!r} is {self.input.type} but the spec's "
                               f"preprocessed tensor is {tensor.dtype} (add or remove normalize)", self.path)
        shape = list(self.input.shape)
        if len(shape) != tensor.ndim or any(isinstance(d, int) and d != s for d, s in zip(shape, tensor.shape)):
            raise PyalignError(f"the model input {self.input.name!r} has shape {shape} but the spec's "
                               f"preprocessed tensor is {list(tensor.shape)}", self.path)
        try:
            outs = self.session.run(None, {self.input.name: tensor})
        except Exception as e:
            raise PyalignError(f"inference failed: {str(e).splitlines()[0]}", self.path) from None
        return {n: np.ascontiguousarray(o) for n, o in zip(self.output_names, outs)}


def _check_magic(path: pathlib.Path, magic: bytes, what: str) -> None:
    """Raise a CaptureError unless ``path`` starts with ``magic`` (so garbage is not called a pickle)."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(magic))
    except OSError as e:
        raise CaptureError(f"cannot read: {e.strerror or e}", path) from None
    if head != magic:
        raise CaptureError(f"not {what}", path)


def _numeric_dtype(dtype: Any) -> np.dtype:
    """The little-endian numeric dtype named by ``dtype`` (``--output-dtype``), or a CaptureError."""
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError):
        raise CaptureError(f"--output-dtype {dtype!r}: not a numpy dtype (e.g. float32, int8, uint8)") from None
    if dt.kind not in "biuf":
        raise CaptureError(f"--output-dtype {dtype!r}: a model output is numeric (bool, int, uint or float), "
                           f"not {dt}")
    return dt.newbyteorder("<")


def load_model_output(path: PathLike, shape: Optional[Sequence[int]] = None,
                      dtype: str = "float32") -> Dict[str, np.ndarray]:
    """Read a model output from ``.npy``, ``.npz`` (one output per key) or raw ``.bin`` (needs ``shape``)."""
    p = pathlib.Path(os.fspath(path))
    if not p.is_file():
        raise CaptureError("no such file", p)
    suffix = p.suffix.lower()
    if suffix == ".npy":
        from pyalign.store import load_npy

        _check_magic(p, b"\x93NUMPY", "a .npy file")
        return {"output0": load_npy(p)}
    if suffix == ".npz":
        _check_magic(p, b"PK", "an .npz archive (a zip file)")
        try:
            with np.load(p, allow_pickle=False) as z:
                out = {k: np.ascontiguousarray(z[k]) for k in z.files}
        except (OSError, ValueError) as e:
            raise CaptureError(f"not a readable .npz file: {e}", p) from None
        if not out:
            raise CaptureError("the .npz file holds no arrays", p)
        return out
    if suffix == ".bin":
        if not shape:
            raise CaptureError("a raw .bin model output needs --output-shape (e.g. 1,84,8400)", p)
        dt = _numeric_dtype(dtype)
        n = int(np.prod(shape)) * dt.itemsize
        size = p.stat().st_size
        if size != n:
            raise CaptureError(f"file has {size} bytes, shape {list(shape)} {dtype} needs {n}", p)
        return {"output0": np.fromfile(p, dtype=dt).reshape(tuple(shape)).astype(dtype)}
    raise CaptureError("model output must be a .npy, .npz or .bin file", p)


def read_image(path: PathLike) -> np.ndarray:
    """Read an image file as BGR uint8 (cv2.imread; ``.npy`` holding an image also accepted)."""
    import cv2

    p = pathlib.Path(os.fspath(path))
    if not p.is_file():
        raise CaptureError("no such file", p)
    if p.suffix.lower() == ".npy":
        from pyalign.store import load_npy

        img: np.ndarray = load_npy(p)
    else:
        read = cv2.imread(str(p), cv2.IMREAD_COLOR)
        if read is None:
            raise CaptureError("not an image OpenCV can read", p)
        img = np.asarray(read)
    if img.dtype != np.uint8 or img.ndim not in (2, 3):
        raise CaptureError(f"expected an 8-bit image, got {img.dtype} {img.shape}", p)
    return img


RAW_SUFFIXES = (".bin", ".raw", ".yuv", ".nv12", ".nv21", ".yuyv", ".uyvy")


def read_input(path: PathLike, spec: Mapping[str, Any]) -> Tuple[np.ndarray, bool]:
    """Read one input of ``pyalign capture``: an image file, or a raw frame already in the spec's format.

    Raw frames are ``.npy`` files shaped like the spec's raw input, or headerless files
    (``.bin``, ``.raw``, ``.yuv``, ``.nv12``, ``.nv21``, ``.yuyv``, ``.uyvy``) of exactly its
    byte size (e.g. an NV12 dump from the board's camera).

    Returns
    -------
    (array, is_raw)
    """
    p = pathlib.Path(os.fspath(path))
    want = raw_input_shape(spec)
    if p.suffix.lower() in RAW_SUFFIXES:
        if not p.is_file():
            raise CaptureError("no such file", p)
        inp = spec["input"]
        need = formats.frame_bytes(inp["format"], inp["width"], inp["height"])
        size = p.stat().st_size
        if size != need:
            raise CaptureError(f"file has {size} bytes; a raw {inp['format']} {inp['width']}x{inp['height']} "
                               f"frame has {need}", p)
        return np.fromfile(p, dtype=np.uint8).reshape(want), True
    if p.suffix.lower() == ".npy":
        from pyalign.store import load_npy

        if not p.is_file():
            raise CaptureError("no such file", p)
        arr = load_npy(p)
        if arr.dtype == np.uint8 and arr.shape == want:
            return np.ascontiguousarray(arr), True
    return read_image(p), False


def _postprocess_reference(outputs: Dict[str, np.ndarray], post: Mapping[str, Any], info: Mapping[str, Any]) -> Any:
    from pyalign.reference.postprocess import postprocess

    arrays = list(outputs.values())
    return postprocess(arrays if len(arrays) > 1 else arrays[0], dict(post), dict(info))


def parse_stages(stages: Optional[Union[str, Sequence[str]]]) -> Optional[Tuple[str, ...]]:
    """The stages a capture stores: None (every stage), or a checked tuple in data-path order.

    Parameters
    ----------
    stages : str or sequence of str, optional
        ``"raw_input,model_output"`` or ``["raw_input", "model_output"]``.

    Raises
    ------
    CaptureError
        An unknown stage, or none at all.
    """
    from pyalign.store.format import STAGES

    if stages is None:
        return None
    items = stages.split(",") if isinstance(stages, str) else list(stages)
    wanted = [str(s).strip() for s in items if str(s).strip()]
    bad = [s for s in wanted if s not in STAGES]
    if bad:
        raise CaptureError(f"--stages {bad[0]!r}: unknown stage (stages: {', '.join(STAGES)})")
    if not wanted:
        raise CaptureError(f"--stages: name at least one stage ({', '.join(STAGES)})")
    return tuple(s for s in STAGES if s in wanted)


def capture_image(image: np.ndarray, spec: Mapping[str, Any], out: PathLike, *,
                  model: Optional[Callable[[np.ndarray], Mapping[str, np.ndarray]]] = None,
                  model_output: Optional[ModelOutputs] = None, case: Optional[str] = None,
                  extra: Optional[Mapping[str, Any]] = None, is_raw: bool = False,
                  stages: Optional[Union[str, Sequence[str]]] = None, durable: bool = True) -> Any:
    """Capture one BGR image (or raw input frame) through a spec's reference pipeline.

    Parameters
    ----------
    image : numpy.ndarray
        BGR uint8 image, any size: resized to the spec's input size and
        converted to its input format by OpenCV's rules. With ``is_raw`` it is
        the raw input itself (e.g. an NV12 frame), shaped as the spec says.
    spec : dict
        The (normalised) pipeline spec.
    out : path-like
        The case directory.
    model : callable, optional
        ``model(preprocessed) -> {name: array}`` (e.g. :class:`OnnxModel`).
    model_output : array, list or dict, optional
        The model output to record instead of running a model.
    is_raw : bool
        ``image`` is already the raw input in the spec's format and size.
    stages : str or sequence of str, optional
        Store only these stages (e.g. ``"raw_input,model_output"``, what a board reads);
        every stage is still computed. Default: all.
    durable : bool
        Flush the files to the disk (see :class:`Capture`).

    Returns
    -------
    pyalign.store.Case
        With raw_input, preprocessed and (given a model or its output) model_output
        and postprocessed (when the spec has a postprocess op), or the ``stages`` asked for.
    """
    from pyalign.reference.preprocess import prepare_input, run_reference

    spec = load_spec(spec)
    if is_raw:
        raw = np.asarray(image)
        want = raw_input_shape(spec)
        if raw.dtype != np.uint8 or raw.shape != want:
            raise CaptureError(f"a raw {spec['input']['format']} input must be uint8 {list(want)}, "
                               f"got {raw.dtype} {list(raw.shape)}")
    else:
        raw = prepare_input(image, spec)
    tensor, info = run_reference(raw, spec)
    ti = preprocessed_info(spec)
    outputs: Optional[Dict[str, np.ndarray]] = None
    if model is not None:
        outputs = dict(model(tensor))
    elif model_output is not None:
        outputs = dict(_named_outputs(model_output))
    result = None
    post = spec.get("postprocess")
    if outputs is not None and post:
        result = _postprocess_reference(outputs, post, info)
    keep = parse_stages(stages)
    keep = keep if keep is not None else ("raw_input", "preprocessed", "model_output", "postprocessed")
    extra = dict(extra or {})
    extra.setdefault("geometry", dict(info))
    with Capture(out, spec=spec, case=case, extra=extra, durable=durable) as cap:
        fmt = spec["input"]["format"]
        if "raw_input" in keep:
            cap.raw_input(raw, color=fmt)
        if "preprocessed" in keep:
            cap.preprocessed(tensor, layout=ti.layout, color=ti.color)
        if outputs is not None and "model_output" in keep:
            cap.model_output(outputs)
        if result is not None and "postprocessed" in keep:
            named = named_results(post, result)
            for r in results_of(post):
                # a class map is an image: layout HW names its dims (y, x) in reports
                cap.postprocessed(named[r.name], kind=r.kind, name=r.name, layout=RESULT_KINDS[r.kind].layout)
    return cap.case


@dataclass
class CaptureOutcome:
    """What happened to one image of :func:`capture_images`: ``case`` or ``error`` is set."""

    image: str
    path: pathlib.Path
    case: Any = None
    error: Optional[str] = None


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".npy")


def expand_inputs(inputs: Sequence[PathLike]) -> List[pathlib.Path]:
    """Files as given; a directory stands for its image and raw-frame files (sorted, not recursive)."""
    out: List[pathlib.Path] = []
    for item in inputs:
        p = pathlib.Path(os.fspath(item))
        if p.is_dir():
            out.extend(sorted(q for q in p.iterdir() if q.is_file()
                              and q.suffix.lower() in IMAGE_SUFFIXES + RAW_SUFFIXES))
        else:
            out.append(p)
    return out


def _unique_names(paths: Sequence[pathlib.Path]) -> List[str]:
    names: List[str] = []
    seen: Dict[str, int] = {}
    for p in paths:
        stem = p.stem.lstrip(".") or "image"  # ".hidden.png" must not become a hidden case
        n = seen.get(stem, 0)
        seen[stem] = n + 1
        names.append(stem if n == 0 else f"{stem}_{n + 1}")
    return names


def capture_images(images: Sequence[PathLike], spec: Union[Mapping[str, Any], PathLike], out_dir: PathLike, *,
                   model: Optional[PathLike] = None, model_outputs: Sequence[PathLike] = (),
                   output_shape: Optional[Sequence[int]] = None, output_dtype: str = "float32",
                   progress: Optional[Callable[[Iterable[Any]], Iterable[Any]]] = None,
                   stages: Optional[Union[str, Sequence[str]]] = None) -> List[CaptureOutcome]:
    """Capture each image into ``out_dir/<image stem>``; a failing image does not stop the others.

    Parameters
    ----------
    images : sequence of path-like
        Image files (anything ``cv2.imread`` reads, or ``.npy``), or raw frames in
        the spec's input format (see :func:`read_input`); a directory stands for
        the image and raw-frame files in it.
    spec : dict or path
        The pipeline spec.
    out_dir : path-like
        Parent directory of the cases.
    model : path-like, optional
        An ONNX model run with onnxruntime on the reference preprocessed tensor.
    model_outputs : sequence of path-like
        Model output files instead of a model: one for all images, or one per image.
    output_shape, output_dtype
        Shape and dtype of raw ``.bin`` model outputs.
    progress : callable, optional
        Wraps the iteration (e.g. a progress bar).
    stages : str or sequence of str, optional
        Store only these stages (``"raw_input,model_output"``: what a board reads).

    Returns
    -------
    list of CaptureOutcome
        One per image, in order.

    Raises
    ------
    PyalignError
        For problems that concern every image (bad spec, model, model output count).
    """
    spec = load_spec(spec)
    keep = parse_stages(stages)
    paths = expand_inputs(images)
    if not paths:
        raise PyalignError("no input images (the directories given hold none)")
    if model is not None and model_outputs:
        raise PyalignError("give --model or --model-output, not both")
    if model_outputs and len(model_outputs) not in (1, len(paths)):
        raise PyalignError(f"{len(model_outputs)} model outputs for {len(paths)} images: give one, or one per image")
    runner = OnnxModel(model) if model is not None else None
    shared = load_model_output(model_outputs[0], output_shape, output_dtype) if len(model_outputs) == 1 else None
    names = _unique_names(paths)
    out = pathlib.Path(os.fspath(out_dir))
    outcomes: List[CaptureOutcome] = []
    items: Iterable[Any] = list(enumerate(paths))
    if progress is not None:
        items = progress(items)
    for i, p in items:
        dest = out / names[i]
        try:
            img, is_raw = read_input(p, spec)
            mo: Optional[ModelOutputs] = shared
            if len(model_outputs) > 1:
                mo = load_model_output(model_outputs[i], output_shape, output_dtype)
            c = capture_image(img, spec, dest, model=runner, model_output=mo, case=names[i],
                              extra={"source_image" if not is_raw else "source_frame": str(p)}, is_raw=is_raw,
                              stages=keep)
            outcomes.append(CaptureOutcome(str(p), dest, case=c))
        except (PyalignError, ValueError, OSError) as e:
            if isinstance(e, SpecError):
                raise
            outcomes.append(CaptureOutcome(str(p), dest, error=str(e).splitlines()[0] if str(e) else type(e).__name__))
    return outcomes

"""Capture sets on disk: one raw ``.bin`` per tensor plus ``manifest.json`` (format version 1).

A capture set ("case") is one directory per sample::

    cat_001/
      manifest.json
      raw_input.bin
      preprocessed.bin
      model_output.output0.bin     # <stage>.<name>.bin when a stage has several tensors
      model_output.output1.bin
      postprocessed.bin

Readers validate everything before trusting it (file sizes, checksums, dtypes,
shapes, paths that stay inside the case directory) and raise
:class:`~pyalign.errors.CaptureError` naming the file and the problem.
Writers are atomic: the tensors are written first, the manifest last, each to a
temporary name that is fsynced and renamed, all inside a sibling temporary
directory that is swapped in for the case as a whole. A killed writer leaves the
old case or the new one, never a manifest that points at missing data.

See ``docs/capture-format.md``.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import datetime as _dt
import hashlib
import json
import math
import os
import platform
import re
import shutil
import sys
import uuid
import weakref
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from pyalign.errors import CaptureError
from pyalign.formats import COLORS

__all__ = [
    "FORMAT",
    "VERSION",
    "STAGES",
    "DTYPES",
    "LAYOUTS",
    "COLORS",
    "KINDS",
    "MAX_TENSOR_BYTES",
    "CaptureArgumentError",
    "TensorNotFoundError",
    "TensorRecord",
    "Case",
    "read_case",
    "read_actual",
    "find_cases",
    "CaseWriter",
    "write_case",
    "load_npy",
    "export_npy",
    "sha256_file",
    "provenance",
]

PathLike = Union[str, "os.PathLike[str]"]

FORMAT = "pyalign.capture"
VERSION = 1
MANIFEST = "manifest.json"
STAGES: Tuple[str, ...] = ("raw_input", "preprocessed", "model_output", "postprocessed")
#: numpy dtype name -> the little-endian dtype a ``.bin`` file holds.
DTYPES: Dict[str, np.dtype] = {
    name: np.dtype(code)
    for name, code in (
        ("uint8", "|u1"),
        ("int8", "|i1"),
        ("uint16", "<u2"),
        ("int16", "<i2"),
        ("uint32", "<u4"),
        ("int32", "<i4"),
        ("int64", "<i8"),
        ("float16", "<f2"),
        ("float32", "<f4"),
        ("float64", "<f8"),
    )
}
LAYOUTS: Tuple[str, ...] = ("NCHW", "NHWC", "HWC", "CHW", "HW")
KINDS: Tuple[str, ...] = ("image", "tensor", "detections", "classes", "mask")
#: Largest tensor a manifest may declare (numpy cannot index more bytes).
MAX_TENSOR_BYTES = sys.maxsize
MAX_NDIM = 32
MAX_MANIFEST_BYTES = 64 << 20
_KNOWN_TENSOR_KEYS = ("stage", "name", "file", "dtype", "shape", "layout", "color", "kind", "sha256")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_TMP_PREFIX = ".pyalign-tmp-"
_OLD_PREFIX = ".pyalign-old-"


class CaptureArgumentError(CaptureError, ValueError):
    """A bad argument to a writer (unknown stage, unsupported dtype...): both a CaptureError and a ValueError."""


class TensorNotFoundError(CaptureError, KeyError):
    """A case has no tensor (or more than one) matching a stage/name lookup."""

    def __str__(self) -> str:  # KeyError would quote the message
        return CaptureError.__str__(self)


# --------------------------------------------------------------------------------------------
# records


@dataclass
class TensorRecord:
    """One manifest entry: a tensor stored as a raw little-endian ``.bin`` file.

    Attributes
    ----------
    stage, name, file, dtype : str
        Stage (one of :data:`STAGES`), tensor name, file name relative to the case
        directory, numpy dtype name.
    shape : tuple of int
    layout, color, kind, sha256 : str or None
        Optional manifest fields.
    extra : dict
        Unknown manifest keys, kept as read.
    path : pathlib.Path
        Absolute path of the ``.bin`` file.
    """

    stage: str
    name: str
    file: str
    dtype: str
    shape: Tuple[int, ...]
    layout: Optional[str] = None
    color: Optional[str] = None
    kind: Optional[str] = None
    sha256: Optional[str] = None
    extra: Dict[str, Any] = field(default_factory=dict)
    path: Path = field(default_factory=Path)

    @property
    def np_dtype(self) -> np.dtype:
        """The little-endian numpy dtype of the file."""
        return DTYPES[self.dtype]

    @property
    def nbytes(self) -> int:
        """Bytes the file must hold: prod(shape) × itemsize."""
        return _prod(self.shape) * DTYPES[self.dtype].itemsize

    @property
    def key(self) -> Tuple[str, str]:
        """``(stage, name)``."""
        return (self.stage, self.name)

    def check_size(self) -> None:
        """Raise CaptureError unless the file exists, is a regular file and holds exactly :attr:`nbytes`."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            raise CaptureError(f"missing file (tensor {self.stage}/{self.name})", self.path) from None
        except OSError as e:
            raise CaptureError(f"cannot read file: {e.strerror or e}", self.path) from None
        if not _stat_is_regular(st):
            raise CaptureError(f"not a regular file (tensor {self.stage}/{self.name})", self.path)
        expected = self.nbytes
        if st.st_size != expected:
            how = "truncated" if st.st_size < expected else "longer than its shape"
            raise CaptureError(
                f"{how}: file is {st.st_size} bytes, shape {list(self.shape)} of {self.dtype} "
                f"needs {expected}",
                self.path,
            )

    def load(self, mmap: bool = False) -> np.ndarray:
        """Read the tensor.

        Parameters
        ----------
        mmap : bool
            Map the file read-only (:class:`numpy.memmap`) instead of reading it.

        Returns
        -------
        numpy.ndarray
            Shaped :attr:`shape`, dtype :attr:`dtype` (little-endian).

        Raises
        ------
        CaptureError
            The file is missing or its size differs from prod(shape) × itemsize.
        """
        self.check_size()
        dt = self.np_dtype
        n = self.nbytes
        if n == 0:
            arr = np.empty(self.shape, dt)
            if mmap:
                arr.flags.writeable = False
            return arr
        try:
            if mmap:
                return np.memmap(self.path, dtype=dt, mode="r", shape=self.shape if self.shape else (1,)).reshape(
                    self.shape
                )
            arr = np.empty(self.shape, dt)
            view = arr.reshape(-1).data.cast("B")
            with open(self.path, "rb") as f:
                got = 0
                while got < n:
                    k = f.readinto(view[got:])
                    if not k:
                        break
                    got += k
                extra = f.read(1)
        except OSError as e:
            raise CaptureError(f"cannot read file: {e.strerror or e}", self.path) from None
        if got != n or extra:  # the file changed under our feet
            raise CaptureError(f"file changed while reading: expected {n} bytes", self.path)
        return arr

    def to_dict(self) -> Dict[str, Any]:
        """The manifest entry (unknown keys included, ``None`` fields left out)."""
        d: Dict[str, Any] = {
            "stage": self.stage,
            "name": self.name,
            "file": self.file,
            "dtype": self.dtype,
            "shape": list(self.shape),
        }
        for k in ("layout", "color", "kind", "sha256"):
            v = getattr(self, k)
            if v is not None:
                d[k] = v
        for k, v in self.extra.items():
            d.setdefault(k, v)
        return d


@dataclass
class Case:
    """A capture set read from disk.

    Attributes
    ----------
    dir : pathlib.Path
        The case directory (absolute).
    name : str
        The case name (manifest ``case``, or the directory name).
    manifest : dict
        The manifest as read (for a bare directory: a synthesised one).
    tensors : list of TensorRecord
        In manifest order.
    spec : dict or None
        The pipeline spec stored in the manifest, if any.
    """

    dir: Path
    name: str
    manifest: Dict[str, Any]
    tensors: List[TensorRecord]
    spec: Optional[Dict[str, Any]] = None

    def stage(self, stage: str) -> List[TensorRecord]:
        """The tensors of one stage, in manifest order (empty list if none).

        Parameters
        ----------
        stage : str
            One of :data:`STAGES`.

        Returns
        -------
        list of TensorRecord
        """
        return [t for t in self.tensors if t.stage == stage]

    def stages(self) -> List[str]:
        """The stages present, in pipeline order."""
        present = {t.stage for t in self.tensors}
        return [s for s in STAGES if s in present]

    def has(self, stage: str, name: Optional[str] = None) -> bool:
        """Whether the case has a tensor of ``stage`` (named ``name``, if given).

        Parameters
        ----------
        stage : str
        name : str, optional

        Returns
        -------
        bool
        """
        return any(t.stage == stage and (name is None or t.name == name) for t in self.tensors)

    def get(self, stage: str, name: Optional[str] = None) -> TensorRecord:
        """One tensor by stage and name.

        Parameters
        ----------
        stage : str
        name : str, optional
            Without it the stage must hold exactly one tensor.

        Raises
        ------
        TensorNotFoundError
            No such tensor, or ``name`` is None and the stage has several (a CaptureError and a KeyError).
        """
        recs = self.stage(stage)
        if name is not None:
            for t in recs:
                if t.name == name:
                    return t
            have = ", ".join(t.name for t in recs) or "none"
            raise TensorNotFoundError(f"no tensor {stage}/{name} (stage {stage} has: {have})", self.dir)
        if not recs:
            raise TensorNotFoundError(f"no tensor of stage {stage}", self.dir)
        if len(recs) > 1:
            raise TensorNotFoundError(
                f"stage {stage} has {len(recs)} tensors ({', '.join(t.name for t in recs)}); name one", self.dir
            )
        return recs[0]

    def array(self, stage: str, name: Optional[str] = None, mmap: bool = False) -> np.ndarray:
        """Load one tensor (see :meth:`get` and :meth:`TensorRecord.load`).

        Parameters
        ----------
        stage : str
        name : str, optional
            Without it the stage must hold exactly one tensor.
        mmap : bool
            Return a read-only ``numpy.memmap`` instead of reading the file.

        Returns
        -------
        numpy.ndarray
        """
        return self.get(stage, name).load(mmap=mmap)


# --------------------------------------------------------------------------------------------
# small helpers


def _prod(shape: Iterable[int]) -> int:
    return math.prod(int(s) for s in shape)


def _stat_is_regular(st: os.stat_result) -> bool:
    import stat as _stat

    return _stat.S_ISREG(st.st_mode)


def sha256_file(path: PathLike, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks.

    Parameters
    ----------
    path : str or os.PathLike
    chunk : int
        Bytes read at a time.

    Returns
    -------
    str
        64 lower-case hex digits.
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(chunk)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def _platform_tag() -> str:
    machine = platform.machine().lower() or "unknown"
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    osname = sys.platform
    if osname.startswith("linux"):
        osname = "linux"
    elif osname.startswith("win"):
        osname = "windows"
    return f"{machine}-{osname}"


def provenance() -> Dict[str, Optional[str]]:
    """What wrote a capture: pyalign, python, numpy and opencv versions, and the platform."""
    from pyalign import __version__

    try:
        import cv2

        cv_version: Optional[str] = cv2.__version__
    except Exception:  # pragma: no cover - opencv is a dependency
        cv_version = None
    return {
        "pyalign": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "opencv": cv_version,
        "platform": _platform_tag(),
        "writer": "pyalign-python",
    }


def _utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":  # pragma: no cover - directories cannot be fsynced on Windows
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some filesystems refuse
        pass
    finally:
        os.close(fd)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


# --------------------------------------------------------------------------------------------
# reading


def _check_file_name(file: Any, where: str, manifest_path: Path) -> str:
    if not isinstance(file, str) or not file:
        raise CaptureError(f"{where}: 'file' must be a non-empty string, got {file!r}", manifest_path)
    if "\x00" in file:
        raise CaptureError(f"{where}: file name {file!r} contains a NUL byte", manifest_path)
    if PurePosixPath(file).is_absolute() or PureWindowsPath(file).is_absolute() or PureWindowsPath(file).drive:
        raise CaptureError(f"{where}: file name {file!r} is an absolute path", manifest_path)
    parts = re.split(r"[\\/]", file)
    if ".." in parts:
        raise CaptureError(f"{where}: file name {file!r} contains '..'", manifest_path)
    if file.endswith(("/", "\\")) or file in (".",):
        raise CaptureError(f"{where}: file name {file!r} is not a file", manifest_path)
    return file


def _inside(child: Path, parent: Path) -> bool:
    try:
        child.relative_to(parent)
        return True
    except ValueError:
        return False


def _resolve_inside(case_dir: Path, case_dir_real: Path, file: str, where: str, manifest_path: Path) -> Path:
    path = case_dir / file
    real = Path(os.path.realpath(case_dir_real / file))
    if not _inside(real, case_dir_real):
        raise CaptureError(
            f"{where}: file {file!r} resolves to {real}, outside the case directory (symlink escape)",
            manifest_path,
        )
    return path


def _parse_shape(shape: Any, dtype: str, where: str, manifest_path: Path) -> Tuple[int, ...]:
    if not isinstance(shape, list):
        raise CaptureError(f"{where}: 'shape' must be a list of integers, got {shape!r}", manifest_path)
    if len(shape) > MAX_NDIM:
        raise CaptureError(f"{where}: shape has {len(shape)} dimensions, at most {MAX_NDIM} allowed", manifest_path)
    for s in shape:
        if not _is_int(s):
            raise CaptureError(f"{where}: shape entry {s!r} is not an integer (shape {shape})", manifest_path)
        if s < 0:
            raise CaptureError(f"{where}: shape entry {s} is negative (shape {shape})", manifest_path)
    nbytes = _prod(shape) * DTYPES[dtype].itemsize
    if nbytes > MAX_TENSOR_BYTES:
        raise CaptureError(
            f"{where}: shape {shape} of {dtype} is {nbytes} bytes, which overflows "
            f"(more than {MAX_TENSOR_BYTES} fits in memory)",
            manifest_path,
        )
    return tuple(int(s) for s in shape)


def _opt_str(entry: Mapping[str, Any], key: str, where: str, manifest_path: Path) -> Optional[str]:
    v = entry.get(key)
    if v is None:
        return None
    if not isinstance(v, str):
        raise CaptureError(f"{where}: '{key}' must be a string, got {v!r}", manifest_path)
    return v


def _parse_tensor(
    i: int, entry: Any, case_dir: Path, case_dir_real: Path, manifest_path: Path
) -> TensorRecord:
    where = f"tensors[{i}]"
    if not isinstance(entry, dict):
        raise CaptureError(f"{where}: must be an object, got {type(entry).__name__}", manifest_path)
    for k in ("stage", "name", "file", "dtype", "shape"):
        if k not in entry:
            raise CaptureError(f"{where}: missing required key '{k}'", manifest_path)
    stage, name = entry["stage"], entry["name"]
    if not isinstance(stage, str) or stage not in STAGES:
        raise CaptureError(f"{where}: unknown stage {stage!r} (known: {', '.join(STAGES)})", manifest_path)
    if not isinstance(name, str) or not name:
        raise CaptureError(f"{where}: 'name' must be a non-empty string, got {name!r}", manifest_path)
    where = f"tensors[{i}] ({stage}/{name})"
    dtype = entry["dtype"]
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise CaptureError(f"{where}: unknown dtype {dtype!r} (known: {', '.join(DTYPES)})", manifest_path)
    shape = _parse_shape(entry["shape"], dtype, where, manifest_path)
    file = _check_file_name(entry["file"], where, manifest_path)
    layout = _opt_str(entry, "layout", where, manifest_path)
    if layout is not None and len(layout) != len(shape):
        raise CaptureError(
            f"{where}: layout {layout!r} has {len(layout)} dimensions but shape {list(shape)} has {len(shape)}",
            manifest_path,
        )
    color = _opt_str(entry, "color", where, manifest_path)
    kind = _opt_str(entry, "kind", where, manifest_path)
    sha = _opt_str(entry, "sha256", where, manifest_path)
    if sha is not None:
        sha = sha.lower()
        if not _HEX64.fullmatch(sha):
            raise CaptureError(f"{where}: sha256 {entry['sha256']!r} is not 64 hex digits", manifest_path)
    path = _resolve_inside(case_dir, case_dir_real, file, where, manifest_path)
    extra = {k: v for k, v in entry.items() if k not in _KNOWN_TENSOR_KEYS}
    return TensorRecord(stage, name, file, dtype, shape, layout, color, kind, sha, extra, path)


def _load_manifest(manifest_path: Path) -> Dict[str, Any]:
    try:
        st = manifest_path.stat()
    except FileNotFoundError:
        raise CaptureError("no manifest.json (not a capture set)", manifest_path.parent) from None
    if not _stat_is_regular(st):
        raise CaptureError("not a regular file", manifest_path)
    if st.st_size > MAX_MANIFEST_BYTES:
        raise CaptureError(f"manifest is {st.st_size} bytes, more than {MAX_MANIFEST_BYTES}", manifest_path)
    try:
        text = manifest_path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise CaptureError(f"malformed JSON: not UTF-8 ({e.reason} at byte {e.start})", manifest_path) from None
    except OSError as e:
        raise CaptureError(f"cannot read: {e.strerror or e}", manifest_path) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise CaptureError(f"malformed JSON: {e.msg} at line {e.lineno} column {e.colno}", manifest_path) from None
    except RecursionError:
        raise CaptureError("malformed JSON: nested too deeply", manifest_path) from None
    if not isinstance(data, dict):
        raise CaptureError(f"manifest must be a JSON object, got {type(data).__name__}", manifest_path)
    return data


def _existing_dir(path: PathLike, not_dir: str) -> Path:
    """The directory ``path`` names (its parent when it names a ``manifest.json`` file).

    Raises :class:`CaptureError` when it does not exist, or with ``not_dir`` when it is not
    a directory.
    """
    p = Path(path)
    if p.name == MANIFEST and p.is_file():
        p = p.parent
    if not p.exists():
        raise CaptureError("no such directory", p)
    if not p.is_dir():
        raise CaptureError(not_dir, p)
    return p


def read_case(path: PathLike, *, verify_checksums: bool = True) -> Case:
    """Read and validate a capture set.

    Parameters
    ----------
    path : path-like
        The case directory, or its ``manifest.json``.
    verify_checksums : bool
        Hash every file that has a ``sha256`` in the manifest and compare.

    Returns
    -------
    Case

    Raises
    ------
    CaptureError
        Anything wrong, as ``"<file>: <what>"``: missing or malformed manifest,
        unknown format or version, unknown stage or dtype, bad shape, duplicate
        (stage, name), file name escaping the directory, missing file, file size
        different from its shape, sha256 mismatch.
    """
    p = _existing_dir(path, "not a directory (a capture set is a directory with manifest.json)")
    case_dir = p.absolute()
    case_dir_real = Path(os.path.realpath(case_dir))
    manifest_path = case_dir / MANIFEST
    data = _load_manifest(manifest_path)

    fmt = data.get("format")
    if fmt != FORMAT:
        raise CaptureError(f"'format' is {fmt!r}, expected {FORMAT!r}", manifest_path)
    version = data.get("version")
    if not _is_int(version):
        raise CaptureError(f"'version' must be an integer, got {version!r}", manifest_path)
    if version != VERSION:
        raise CaptureError(f"unknown format version {version} (this pyalign reads version {VERSION})", manifest_path)
    name = data.get("case", case_dir.name)
    if not isinstance(name, str) or not name:
        raise CaptureError(f"'case' must be a non-empty string, got {name!r}", manifest_path)
    spec = data.get("spec")
    if spec is not None and not isinstance(spec, dict):
        raise CaptureError(f"'spec' must be an object, got {type(spec).__name__}", manifest_path)
    tensors_raw = data.get("tensors")
    if not isinstance(tensors_raw, list):
        raise CaptureError("'tensors' must be a list", manifest_path)

    tensors: List[TensorRecord] = []
    seen: Dict[Tuple[str, str], int] = {}
    files: Dict[str, int] = {}
    for i, entry in enumerate(tensors_raw):
        rec = _parse_tensor(i, entry, case_dir, case_dir_real, manifest_path)
        if rec.key in seen:
            raise CaptureError(
                f"tensors[{i}]: duplicate (stage, name) ({rec.stage}, {rec.name}), also tensors[{seen[rec.key]}]",
                manifest_path,
            )
        seen[rec.key] = i
        norm = os.path.normcase(os.path.normpath(rec.file))
        if norm in files:
            raise CaptureError(
                f"tensors[{i}] ({rec.stage}/{rec.name}): file {rec.file!r} is also used by tensors[{files[norm]}]",
                manifest_path,
            )
        files[norm] = i
        tensors.append(rec)

    for rec in tensors:
        rec.check_size()
        if verify_checksums and rec.sha256 is not None:
            try:
                got = sha256_file(rec.path)
            except OSError as e:
                raise CaptureError(f"cannot read file: {e.strerror or e}", rec.path) from None
            if got != rec.sha256:
                raise CaptureError(
                    f"sha256 mismatch (tensor {rec.stage}/{rec.name}): manifest says {rec.sha256}, file has {got}",
                    rec.path,
                )
    return Case(dir=case_dir, name=name, manifest=data, tensors=tensors, spec=spec)


def _alt_file_names(rec: TensorRecord) -> List[str]:
    names = [rec.file, f"{rec.stage}.{rec.name}.bin", f"{rec.stage}.{_safe_name(rec.name)}.bin"]
    return list(dict.fromkeys(names))  # without repeats, in order


#: For a bare board file of the wrong size: the dtypes a board most likely wrote, per item size.
_LIKELY_DTYPES: Dict[int, Tuple[str, ...]] = {1: ("uint8", "int8"), 2: ("float16", "int16", "uint16"),
                                             4: ("float32", "int32", "uint32"), 8: ("float64", "int64")}


def _check_bare_size(rec: TensorRecord) -> None:
    """:meth:`TensorRecord.check_size` for a bare board file, naming the dtype its size fits.

    A board that writes uint8 where the reference is float32 leaves a file a quarter of the
    expected size; say so instead of only "truncated".
    """
    try:
        rec.check_size()
    except CaptureError:
        size = rec.path.stat().st_size  # check_size got this far: the file exists and is regular
        n = _prod(rec.shape)
        own = DTYPES[rec.dtype].itemsize
        if n == 0 or size == 0 or size % n or size // n == own or size // n not in _LIKELY_DTYPES:
            raise
        names = _LIKELY_DTYPES[size // n]
        raise CaptureError(
            f"file is {size} bytes, the reference {rec.dtype} {list(rec.shape)} needs {rec.nbytes} "
            f"(the size of {' or '.join(names)} data: did the board write {names[0]}?)",
            rec.path,
        ) from None


def read_actual(path: PathLike, reference: Case) -> Case:
    """Read a board's output directory against a reference case.

    With a ``manifest.json`` the directory is read as a capture set
    (:func:`read_case`). Without one it is a bare directory of ``.bin`` files
    named like the reference's (``preprocessed.bin``, ``model_output.output0.bin``;
    ``<stage>.<name>.bin`` is accepted for a stage that has one tensor too); their
    shape and dtype come from the reference. Reference tensors without a file are
    left out (the comparator reports them missing); ``.bin`` files that match no
    reference tensor are listed in ``manifest["unmatched_files"]``.

    Parameters
    ----------
    path : str or os.PathLike
        The board's output directory.
    reference : Case
        The reference case whose tensors name the files and give shapes and dtypes.

    Returns
    -------
    Case
        The actual case (``manifest["bare"]`` is True for a bare directory).

    Raises
    ------
    CaptureError
        The directory does not exist, holds none of the reference's files, or a
        file's size differs from the reference tensor's (when the size is that of the
        same shape in another dtype, the message names it: "did the board write uint8?").
    """
    p = _existing_dir(path, "not a directory")
    if (p / MANIFEST).exists():
        return read_case(p)
    case_dir = p.absolute()
    case_dir_real = Path(os.path.realpath(case_dir))
    tensors: List[TensorRecord] = []
    used: set = set()
    for ref in reference.tensors:
        for candidate in _alt_file_names(ref):
            if candidate in used or not (case_dir / candidate).exists():
                continue
            where = f"bare .bin for {ref.stage}/{ref.name}"
            path_c = _resolve_inside(case_dir, case_dir_real, candidate, where, case_dir / candidate)
            rec = TensorRecord(
                ref.stage, ref.name, candidate, ref.dtype, ref.shape, ref.layout, ref.color, ref.kind,
                None, dict(ref.extra), path_c,
            )
            _check_bare_size(rec)
            tensors.append(rec)
            used.add(candidate)
            break
    unmatched = sorted(f.name for f in case_dir.iterdir() if f.suffix == ".bin" and f.name not in used)
    if not tensors:
        expected = ", ".join(t.file for t in reference.tensors) or "(the reference has no tensors)"
        raise CaptureError(
            f"no manifest.json and none of the reference's .bin files (expected some of: {expected})", case_dir
        )
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "case": case_dir.name,
        "bare": True,
        "reference": str(reference.dir),
        "tensors": [t.to_dict() for t in tensors],
        "unmatched_files": unmatched,
    }
    return Case(dir=case_dir, name=case_dir.name, manifest=manifest, tensors=tensors, spec=reference.spec)


def find_cases(root: PathLike) -> List[Path]:
    """Case directories (holding ``manifest.json``) under ``root``, sorted; ``[root]`` if it is one.

    Hidden directories (names starting with ``.``, such as a writer's temporary
    directories) are skipped; a case directory is not searched further.

    Parameters
    ----------
    root : str or os.PathLike
        A directory (or a case's ``manifest.json``).

    Returns
    -------
    list of pathlib.Path

    Raises
    ------
    CaptureError
        ``root`` does not exist or is not a directory.
    """
    r = _existing_dir(root, "not a directory")
    if (r / MANIFEST).is_file():
        return [r]
    found: List[Path] = []
    for dirpath, dirnames, filenames in os.walk(r):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        if MANIFEST in filenames and Path(dirpath) != r:
            found.append(Path(dirpath))
            dirnames[:] = []
    return sorted(found)


# --------------------------------------------------------------------------------------------
# writing


def _safe_name(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_.-]", "_", name).strip(".")
    return s or "tensor"


def _write_synced(path: Path, data: Union[bytes, memoryview]) -> None:
    """Write a file and flush it to the disk."""
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _write_file_atomic(path: Path, data: Union[bytes, memoryview]) -> None:
    tmp = path.with_name(f"{_TMP_PREFIX}{path.name}.{uuid.uuid4().hex[:8]}")
    try:
        _write_synced(tmp, data)
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise


def _dump_manifest(manifest: Mapping[str, Any]) -> str:
    """Indented JSON with one line per tensor entry (readable diffs, short files)."""
    lines = []
    for k, v in manifest.items():
        if k == "tensors":
            body = ",\n".join("    " + json.dumps(t, allow_nan=False) for t in v)
            lines.append(f'  "tensors": [\n{body}\n  ]' if v else '  "tensors": []')
        else:
            val = json.dumps(v, indent=2, allow_nan=False).replace("\n", "\n  ")
            lines.append(f"  {json.dumps(k)}: {val}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0


def _swap_in(tmp: Path, target: Path) -> None:
    """Put the finished directory ``tmp`` at ``target``, replacing an old case whole."""
    if not os.path.lexists(target):
        os.rename(tmp, target)
    elif _exchange(tmp, target):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the old case
    else:  # pragma: no cover - non-Linux: two renames; a kill in between leaves the old case in .pyalign-old-*
        old = target.with_name(f"{_OLD_PREFIX}{target.name}.{uuid.uuid4().hex[:8]}")
        os.rename(target, old)
        os.rename(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    _fsync_dir(target.parent)


def _check_target(target: Path) -> None:
    if not os.path.lexists(target):
        return
    if target.is_symlink() or not target.is_dir():
        raise CaptureArgumentError("exists and is not a directory; will not replace it with a capture set", target)
    if not (target / MANIFEST).exists() and any(target.iterdir()):
        raise CaptureArgumentError(
            "exists, is not empty and is not a capture set (no manifest.json); will not replace it", target
        )


def _check_opt(value: Optional[str], allowed: Sequence[str], what: str) -> None:
    if value is not None and value not in allowed:
        raise CaptureArgumentError(f"unknown {what} {value!r} (known: {', '.join(allowed)})")


@dataclass
class _Pending:
    record: TensorRecord
    tmp_path: Path


class CaseWriter:
    """Write one capture set atomically.

    Tensors are written as they are added, into a temporary directory next to
    the case; :meth:`commit` gives them their final names, writes the manifest
    last and swaps the directory in for the case (replacing an existing case
    whole). Nothing is visible at ``path`` before :meth:`commit` returns; an
    aborted or killed writer leaves the old case untouched.

    Parameters
    ----------
    path : path-like
        The case directory to (re)create.
    case : str, optional
        Case name; default the directory name.
    spec : dict, optional
        The pipeline spec, stored in the manifest.
    extra : dict, optional
        More top-level manifest keys (must not clash with the format's own).

    Examples
    --------
    >>> with CaseWriter("captures/cat_001", spec=spec) as w:   # doctest: +SKIP
    ...     w.add("raw_input", "image", img, layout="HWC", color="BGR", kind="image")
    ...     w.add("preprocessed", "images", tensor, layout="NCHW", color="RGB")
    """

    def __init__(
        self,
        path: PathLike,
        case: Optional[str] = None,
        spec: Optional[Mapping[str, Any]] = None,
        extra: Optional[Mapping[str, Any]] = None,
    ) -> None:
        self.path = Path(path).absolute()
        if self.path.name in ("", ".", ".."):
            raise CaptureArgumentError("a case path must name a directory", path)
        self.case = case if case is not None else self.path.name
        if not isinstance(self.case, str) or not self.case:
            raise CaptureArgumentError(f"case name must be a non-empty string, got {self.case!r}", path)
        if spec is not None and not isinstance(spec, Mapping):
            raise CaptureArgumentError(f"spec must be a dict, got {type(spec).__name__}", path)
        self.spec = dict(spec) if spec is not None else None
        self.extra = dict(extra or {})
        reserved = {"format", "version", "case", "created_utc", "provenance", "spec", "tensors"}
        clash = sorted(reserved & set(self.extra))
        if clash:
            raise CaptureArgumentError(f"extra manifest keys clash with the format's: {', '.join(clash)}", path)
        _check_target(self.path)
        self._pending: List[_Pending] = []
        self._tmpdir: Optional[Path] = None
        self._finalizer: Optional[weakref.finalize] = None
        self._done = False

    # context manager: commit on success, abort on an exception
    def __enter__(self) -> "CaseWriter":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            if not self._done:
                self.commit()
        else:
            self.abort()

    def _ensure_tmpdir(self) -> Path:
        if self._done:
            raise CaptureArgumentError("writer already committed or aborted", self.path)
        if self._tmpdir is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f"{_TMP_PREFIX}{self.path.name}.{uuid.uuid4().hex[:12]}")
            tmp.mkdir()
            self._tmpdir = tmp
            self._finalizer = weakref.finalize(self, shutil.rmtree, str(tmp), True)
        return self._tmpdir

    def add(
        self,
        stage: str,
        name: str,
        array: Any,
        *,
        layout: Optional[str] = None,
        color: Optional[str] = None,
        kind: Optional[str] = None,
        **extra: Any,
    ) -> TensorRecord:
        """Write one tensor (to a temporary file until :meth:`commit`).

        Parameters
        ----------
        stage : str
            One of :data:`STAGES`.
        name : str
            Unique within the stage; any string (the file name is derived from it).
        array : array-like
            Any of the dtypes in :data:`DTYPES`; stored C-contiguous little-endian.
        layout, color, kind : str, optional
            Manifest metadata (see :data:`LAYOUTS`, :data:`COLORS`, :data:`KINDS`).
        **extra
            More per-tensor manifest keys (JSON-serialisable).

        Returns
        -------
        TensorRecord
            Its ``file``/``path`` are provisional: a stage's only tensor is
            ``<stage>.bin``, otherwise ``<stage>.<name>.bin``, settled at commit.
        """
        if not isinstance(stage, str) or stage not in STAGES:
            raise CaptureArgumentError(f"unknown stage {stage!r} (known: {', '.join(STAGES)})")
        if not isinstance(name, str) or not name:
            raise CaptureArgumentError(f"tensor name must be a non-empty string, got {name!r}")
        if any(p.record.key == (stage, name) for p in self._pending):
            raise CaptureArgumentError(f"duplicate tensor {stage}/{name}")
        arr = np.asarray(array)
        dname = arr.dtype.name if arr.dtype.kind in "uif" else str(arr.dtype)
        if dname not in DTYPES:
            raise CaptureArgumentError(
                f"tensor {stage}/{name}: unsupported dtype {arr.dtype} (supported: {', '.join(DTYPES)})"
            )
        if arr.ndim > MAX_NDIM:
            raise CaptureArgumentError(f"tensor {stage}/{name}: {arr.ndim} dimensions, at most {MAX_NDIM}")
        _check_opt(layout, LAYOUTS, "layout")
        _check_opt(color, COLORS, "color")
        _check_opt(kind, KINDS, "kind")
        if layout is not None and len(layout) != arr.ndim:
            raise CaptureArgumentError(
                f"tensor {stage}/{name}: layout {layout} has {len(layout)} dimensions, the array {arr.ndim}"
            )
        bad = sorted(set(extra) & set(_KNOWN_TENSOR_KEYS))
        if bad:
            raise CaptureArgumentError(f"tensor {stage}/{name}: extra keys clash with the format's: {', '.join(bad)}")
        try:
            json.dumps(extra)
        except (TypeError, ValueError) as e:
            raise CaptureArgumentError(f"tensor {stage}/{name}: extra metadata is not JSON: {e}") from None
        le = arr.astype(DTYPES[dname], order="C", copy=False)  # keeps 0-d arrays 0-d
        data = le.data.cast("B") if le.size else b""
        tmpdir = self._ensure_tmpdir()
        tmp_path = tmpdir / f"{_TMP_PREFIX}{len(self._pending)}.bin"
        _write_synced(tmp_path, data)
        rec = TensorRecord(
            stage, name, "", dname, tuple(int(s) for s in le.shape), layout, color, kind,
            hashlib.sha256(data).hexdigest(), dict(extra), Path(),
        )
        self._pending.append(_Pending(rec, tmp_path))
        self._assign_files()
        return rec

    def _assign_files(self) -> None:
        count: Dict[str, int] = {}
        for p in self._pending:
            count[p.record.stage] = count.get(p.record.stage, 0) + 1
        used: set = set()
        for p in self._pending:
            r = p.record
            base = f"{r.stage}.bin" if count[r.stage] == 1 else f"{r.stage}.{_safe_name(r.name)}.bin"
            file, k = base, 2
            while file.lower() in used or file == MANIFEST:
                file = base[: -len(".bin")] + f"-{k}.bin"
                k += 1
            used.add(file.lower())
            r.file = file
            r.path = self.path / file

    def abort(self) -> None:
        """Discard everything written; the case on disk is untouched."""
        if self._finalizer is not None:
            self._finalizer()
        self._done = True

    def commit(self) -> Case:
        """Name the files, write the manifest last and swap the case in.

        Returns
        -------
        Case
            The case as now on disk (with its final file names).
        """
        tmpdir = self._ensure_tmpdir()
        try:
            _check_target(self.path)
            self._assign_files()
            for p in self._pending:
                os.replace(p.tmp_path, tmpdir / p.record.file)
            manifest: Dict[str, Any] = {
                "format": FORMAT,
                "version": VERSION,
                "case": self.case,
                "created_utc": _utc_now(),
                "provenance": provenance(),
            }
            if self.spec is not None:
                manifest["spec"] = self.spec
            manifest.update(self.extra)
            manifest["tensors"] = [p.record.to_dict() for p in self._pending]
            try:
                text = _dump_manifest(manifest)
            except (TypeError, ValueError) as e:
                raise CaptureArgumentError(f"manifest is not JSON-serialisable: {e}", self.path) from None
            _write_file_atomic(tmpdir / MANIFEST, text.encode("utf-8"))
            _fsync_dir(tmpdir)
            _swap_in(tmpdir, self.path)
        except BaseException:
            self.abort()
            raise
        if self._finalizer is not None:
            self._finalizer.detach()
        self._done = True
        return Case(
            dir=self.path,
            name=self.case,
            manifest=manifest,
            tensors=[p.record for p in self._pending],
            spec=self.spec,
        )


TensorItem = Union[Tuple[Any, ...], Mapping[str, Any]]


def write_case(
    path: PathLike,
    tensors: Union[Mapping[Tuple[str, str], Any], Sequence[TensorItem]],
    *,
    case: Optional[str] = None,
    spec: Optional[Mapping[str, Any]] = None,
    extra: Optional[Mapping[str, Any]] = None,
) -> Case:
    """Write a whole capture set atomically in one call.

    Parameters
    ----------
    path : path-like
        The case directory (replaced whole if it is already a case).
    tensors : dict or list
        ``{(stage, name): array}``; or a list of ``(stage, name, array)`` /
        ``(stage, name, array, {"layout": ..., "color": ..., "kind": ...})`` tuples
        or of dicts with keys ``stage, name, array`` and optional metadata.
    case, spec, extra
        As for :class:`CaseWriter`.

    Returns
    -------
    Case
    """
    items: List[Tuple[str, str, Any, Dict[str, Any]]] = []
    if isinstance(tensors, Mapping):
        for key, arr in tensors.items():
            if not (isinstance(key, tuple) and len(key) == 2):
                raise CaptureArgumentError(f"tensor keys must be (stage, name) tuples, got {key!r}")
            items.append((key[0], key[1], arr, {}))
    else:
        for item in tensors:
            if isinstance(item, Mapping):
                meta = {k: v for k, v in item.items() if k not in ("stage", "name", "array")}
                try:
                    items.append((item["stage"], item["name"], item["array"], meta))
                except KeyError as e:
                    raise CaptureArgumentError(f"tensor item lacks {e.args[0]!r}") from None
            elif isinstance(item, tuple) and len(item) in (3, 4):
                items.append((item[0], item[1], item[2], dict(item[3]) if len(item) == 4 else {}))
            else:
                raise CaptureArgumentError(
                    "tensor items must be (stage, name, array[, meta]) tuples or dicts, got "
                    f"{type(item).__name__}"
                )
    with CaseWriter(path, case=case, spec=spec, extra=extra) as w:  # aborts if an add raises
        for stage, name, arr, meta in items:
            w.add(stage, name, arr, **meta)
        return w.commit()


# --------------------------------------------------------------------------------------------
# .npy interop


def load_npy(path: PathLike) -> np.ndarray:
    """Load a tensor from a ``.npy`` file (no pickles).

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    CaptureError
        Missing file, not a .npy file, or an object array.
    """
    p = Path(path)
    try:
        arr = np.load(p, allow_pickle=False)
    except FileNotFoundError:
        raise CaptureError("no such file", p) from None
    except (ValueError, OSError, EOFError) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise CaptureError(f"not a readable .npy file: {msg}", p) from None
    if not isinstance(arr, np.ndarray):
        raise CaptureError("not a .npy file (an .npz archive?)", p)
    return arr


def export_npy(tensor: Union[TensorRecord, np.ndarray], path: PathLike) -> Path:
    """Save a tensor (a record of a case, or an array) as ``.npy``, atomically.

    Parameters
    ----------
    tensor : TensorRecord or numpy.ndarray
        A record is loaded first.
    path : str or os.PathLike
        Destination file.

    Returns
    -------
    pathlib.Path
        The written path.
    """
    arr = tensor.load() if isinstance(tensor, TensorRecord) else np.asarray(tensor)
    p = Path(path)
    import io

    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    _write_file_atomic(p, buf.getbuffer())
    return p

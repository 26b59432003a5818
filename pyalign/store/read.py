"""Reading capture sets: validate everything (sizes, checksums, dtypes, shapes, paths) before trusting it."""
from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union


from pyalign.errors import CaptureError
from pyalign.store.format import (HEX64, safe_name, FORMAT, KNOWN_TENSOR_KEYS, MANIFEST,
                                  MAX_JSON_DEPTH, MAX_MANIFEST_BYTES, MAX_NDIM, MAX_TENSOR_BYTES, STAGES, VERSION)

PathLike = Union[str, "os.PathLike[str]"]
from pyalign.store.records import DTYPES, Case, TensorRecord, _prod, _stat_is_regular, file_identity


def _open_regular(path: PathLike) -> Any:
    """Open a regular file for reading without blocking on a FIFO or device (refused)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    st = os.fstat(fd)
    if not _stat_is_regular(st):
        os.close(fd)
        raise CaptureError("not a regular file", path)
    return os.fdopen(fd, "rb")


def _hash(f: Any, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    while True:
        b = f.read(chunk)
        if not b:
            break
        h.update(b)
    return h.hexdigest()


def sha256_file(path: PathLike, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a regular file, read in chunks.

    Parameters
    ----------
    path : str or os.PathLike
    chunk : int
        Bytes read at a time.

    Returns
    -------
    str
        64 lower-case hex digits.

    Raises
    ------
    CaptureError
        ``path`` is not a regular file (a FIFO or ``/dev/zero`` would never end).
    OSError
        It cannot be opened or read.
    """
    with _open_regular(path) as f:
        return _hash(f, chunk)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


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
    if layout is not None and len(layout) != len(shape):  # characters (code points), as the C++ reader counts
        raise CaptureError(
            f"{where}: layout {layout!r} has {len(layout)} dimensions but shape {list(shape)} has {len(shape)}",
            manifest_path,
        )
    color = _opt_str(entry, "color", where, manifest_path)
    kind = _opt_str(entry, "kind", where, manifest_path)
    sha = _opt_str(entry, "sha256", where, manifest_path)
    if sha is not None:
        sha = sha.lower()
        if not HEX64.fullmatch(sha):
            raise CaptureError(f"{where}: sha256 {entry['sha256']!r} is not 64 hex digits", manifest_path)
    path = _resolve_inside(case_dir, case_dir_real, file, where, manifest_path)
    extra = {k: v for k, v in entry.items() if k not in KNOWN_TENSOR_KEYS}
    return TensorRecord(stage, name, file, dtype, shape, layout, color, kind, sha, extra, path)


class _BigInt(str):
    """A JSON integer too long to be any shape or version (kept as its text, never taken as an int)."""


def _pairs(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _Malformed(f"duplicate key {k!r}")
        out[k] = v
    return out


class _Malformed(ValueError):
    pass


def _parse_int(text: str) -> Any:
    # int64 range is enough for every integer a manifest means; longer ones (a 5000-digit number
    # would even exceed Python's int-from-text limit) are kept as text, as the C++ reader does.
    return int(text) if len(text.lstrip("-")) <= 19 else _BigInt(text)


def _depth_ok(data: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether no value is nested deeper than ``limit`` (the top value is at depth 0)."""
    stack = [(data, 0)]
    while stack:
        v, d = stack.pop()
        if d > limit:
            return False
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)
    return True


def parse_manifest_text(raw: bytes, manifest_path: Path) -> Dict[str, Any]:
    """Parse manifest bytes as the C++ reader does: UTF-8, no duplicate key, nesting of at most
    :data:`~pyalign.store.format.MAX_JSON_DEPTH`, a JSON object.

    Raises
    ------
    CaptureError
        ``malformed JSON: ...`` naming what is wrong (a duplicate key is named).
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CaptureError(f"malformed JSON: not UTF-8 ({e.reason} at byte {e.start})", manifest_path) from None
    try:
        data = json.loads(text, object_pairs_hook=_pairs, parse_int=_parse_int)
    except json.JSONDecodeError as e:
        raise CaptureError(f"malformed JSON: {e.msg} at line {e.lineno} column {e.colno}", manifest_path) from None
    except _Malformed as e:
        raise CaptureError(f"malformed JSON: {e}", manifest_path) from None
    except RecursionError:
        raise CaptureError("malformed JSON: nested too deeply", manifest_path) from None
    except ValueError as e:  # a number json cannot convert
        raise CaptureError(f"malformed JSON: {e}", manifest_path) from None
    if not _depth_ok(data):
        raise CaptureError("malformed JSON: nested too deeply", manifest_path)
    if not isinstance(data, dict):
        raise CaptureError(f"manifest must be a JSON object, got {type(data).__name__}", manifest_path)
    return data


def _load_manifest(manifest_path: Path) -> Dict[str, Any]:
    try:
        st = manifest_path.stat()
    except FileNotFoundError:
        raise CaptureError("no manifest.json (not a capture set)", manifest_path.parent) from None
    except OSError as e:
        raise CaptureError(f"cannot read: {e.strerror or e}", manifest_path) from None
    if not _stat_is_regular(st):
        raise CaptureError("not a regular file", manifest_path)
    if st.st_size > MAX_MANIFEST_BYTES:
        raise CaptureError(f"manifest is {st.st_size} bytes, more than {MAX_MANIFEST_BYTES}", manifest_path)
    try:
        raw = manifest_path.read_bytes()
    except OSError as e:
        raise CaptureError(f"cannot read: {e.strerror or e}", manifest_path) from None
    return parse_manifest_text(raw, manifest_path)


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


def read_manifest(path: PathLike) -> Case:
    """Read and validate a capture set's manifest, not its files (what the C++ ``read_manifest`` does).

    Parameters
    ----------
    path : path-like
        The case directory, or its ``manifest.json``.

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
    for key, want, types in (("provenance", "an object", dict), ("created_utc", "a string", str)):
        value = data.get(key)
        if value is not None and (not isinstance(value, types) or isinstance(value, _BigInt)):
            raise CaptureError(f"'{key}' must be {want}, got {type(value).__name__}", manifest_path)
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

    return Case(dir=case_dir, name=name, manifest=data, tensors=tensors, spec=spec)


def read_case(path: PathLike, *, verify_checksums: bool = True) -> Case:
    """Read and validate a capture set: its manifest (:func:`read_manifest`), then every file.

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
    case = read_manifest(path)
    tensors = case.tensors
    for rec in tensors:
        rec.check_size()
        try:
            with _open_regular(rec.path) as f:
                # The file validated here is the one later loads must find (TensorRecord.open).
                rec.identity = file_identity(os.fstat(f.fileno()))
                got = _hash(f) if verify_checksums and rec.sha256 is not None else None
        except OSError as e:
            raise CaptureError(f"cannot read file: {e.strerror or e}", rec.path) from None
        if rec.identity[2] != rec.nbytes:
            raise CaptureError(f"file changed while reading: expected {rec.nbytes} bytes", rec.path)
        if got is not None and got != rec.sha256:
            raise CaptureError(
                f"sha256 mismatch (tensor {rec.stage}/{rec.name}): manifest says {rec.sha256}, file has {got}",
                rec.path,
            )
    return case


def _alt_file_names(rec: TensorRecord) -> List[str]:
    names = [rec.file, f"{rec.stage}.{rec.name}.bin", f"{rec.stage}.{safe_name(rec.name)}.bin"]
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


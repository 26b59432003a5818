"""Writing capture sets atomically: tensors first, the manifest last, the whole case swapped in."""
from __future__ import annotations

import ctypes
import ctypes.util
import datetime as _dt
import hashlib
import json
import os
import platform
import shutil
import sys
import uuid
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from pyalign.store.format import (safe_name, COLORS, FORMAT, KINDS, KNOWN_TENSOR_KEYS, LAYOUTS, MANIFEST,
                                  MAX_NDIM, OLD_PREFIX, STAGES, TMP_PREFIX,
                                  VERSION, CaptureArgumentError)

PathLike = Union[str, "os.PathLike[str]"]
from pyalign.store.records import DTYPES, Case, TensorRecord


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


def _write_synced(path: Path, data: Union[bytes, memoryview], sync: bool = True) -> None:
    """Write a file and (``sync``) flush it to the disk."""
    with open(path, "wb") as f:
        f.write(data)
        if sync:
            f.flush()
            os.fsync(f.fileno())


def _write_file_atomic(path: Path, data: Union[bytes, memoryview], sync: bool = True) -> None:
    tmp = path.with_name(_tmp_name())
    try:
        _write_synced(tmp, data, sync)
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


_LOCK = ".pyalign-lock"
#: A temporary directory without a lock file is left alone unless it is older than this (seconds).
STALE_UNLOCKED_AGE = 24 * 3600.0


def _tmp_name() -> str:
    return f"{TMP_PREFIX}{uuid.uuid4().hex[:16]}"


def _lock_tmpdir(tmp: Path) -> Optional[int]:
    """Create and hold ``tmp/.pyalign-lock`` (flock, released by the OS when the writer dies)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - no flock: stale directories are only removed by age
        return None
    fd = os.open(tmp / _LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _unlink_lock(tmp: Path) -> None:
    try:
        os.unlink(tmp / _LOCK)
    except FileNotFoundError:
        pass


def _release(fd: Optional[int]) -> None:
    if fd is not None:
        try:
            os.close(fd)
        except OSError:  # pragma: no cover
            pass


def _discard(tmp: str, lock: Optional[int]) -> None:
    shutil.rmtree(tmp, ignore_errors=True)
    _release(lock)


def remove_stale_tmpdirs(parent: Path) -> List[Path]:
    """Remove the temporary directories of writers that died in ``parent``; return them.

    A writer holds an exclusive ``flock`` on ``.pyalign-lock`` inside its temporary directory
    for as long as it lives; the operating system drops the lock when the process dies, so a
    lock that can be taken proves the writer dead. A directory without a lock file (a writer
    between ``mkdir`` and locking, or an old pyalign) is removed only when older than
    :data:`STALE_UNLOCKED_AGE`.
    """
    import time

    try:
        import fcntl
    except ImportError:  # pragma: no cover
        fcntl = None  # type: ignore[assignment]
    removed: List[Path] = []
    try:
        entries = [e for e in os.scandir(parent) if e.name.startswith(TMP_PREFIX) and e.is_dir(follow_symlinks=False)]
    except OSError:
        return removed
    for e in entries:
        d = Path(e.path)
        try:
            fd = os.open(d / _LOCK, os.O_RDWR)
        except FileNotFoundError:
            try:
                old = time.time() - e.stat(follow_symlinks=False).st_mtime > STALE_UNLOCKED_AGE
            except OSError:
                continue
            if old:
                shutil.rmtree(d, ignore_errors=True)
                removed.append(d)
            continue
        except OSError:
            continue
        try:
            if fcntl is None:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a live writer holds it
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
        finally:
            os.close(fd)
    return removed


def _swap_in(tmp: Path, target: Path, sync: bool = True) -> None:
    """Put the finished directory ``tmp`` at ``target``, replacing an old case whole."""
    if not os.path.lexists(target):
        os.rename(tmp, target)
    elif _exchange(tmp, target):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the old case
    else:  # pragma: no cover - non-Linux: two renames; a kill in between leaves the old case in .pyalign-old-*
        old = target.with_name(f"{OLD_PREFIX}{uuid.uuid4().hex[:16]}")
        os.rename(target, old)
        os.rename(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    if sync:
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
    durable : bool
        Flush every file to the disk before the swap (default). ``False`` skips the
        fsyncs, for short-lived cases (a verification's temporary output): still atomic
        for readers, not durable across a power loss.

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
        durable: bool = True,
    ) -> None:
        self.path = Path(path).absolute()
        self.durable = bool(durable)
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
        self._lock: Optional[int] = None
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
            remove_stale_tmpdirs(self.path.parent)
            # A short name whatever the case's (a 255-character case name must still fit NAME_MAX).
            tmp = self.path.with_name(_tmp_name())
            tmp.mkdir()
            self._lock = _lock_tmpdir(tmp)
            self._tmpdir = tmp
            self._finalizer = weakref.finalize(self, _discard, str(tmp), self._lock)
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
        bad = sorted(set(extra) & set(KNOWN_TENSOR_KEYS))
        if bad:
            raise CaptureArgumentError(f"tensor {stage}/{name}: extra keys clash with the format's: {', '.join(bad)}")
        try:
            json.dumps(extra)
        except (TypeError, ValueError) as e:
            raise CaptureArgumentError(f"tensor {stage}/{name}: extra metadata is not JSON: {e}") from None
        le = arr.astype(DTYPES[dname], order="C", copy=False)  # keeps 0-d arrays 0-d
        data = le.data.cast("B") if le.size else b""
        tmpdir = self._ensure_tmpdir()
        tmp_path = tmpdir / f"{TMP_PREFIX}{len(self._pending)}.bin"
        _write_synced(tmp_path, data, self.durable)
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
            base = f"{r.stage}.bin" if count[r.stage] == 1 else f"{r.stage}.{safe_name(r.name)}.bin"
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
            _write_file_atomic(tmpdir / MANIFEST, text.encode("utf-8"), self.durable)
            _unlink_lock(tmpdir)  # the lock file must not become part of the case (its lock stays held)
            if self.durable:
                _fsync_dir(tmpdir)
            if self.durable:
                _swap_in(tmpdir, self.path)
            else:
                _swap_in(tmpdir, self.path, sync=False)
        except BaseException:
            self.abort()
            raise
        if self._finalizer is not None:
            self._finalizer.detach()
        _release(self._lock)
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


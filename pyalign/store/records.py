"""Records of a capture set read from disk: :class:`TensorRecord` (one ``.bin``) and :class:`Case`."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

import numpy as np

from pyalign.errors import CaptureError
from pyalign.store.format import (DTYPE_CODES, STAGES, TensorNotFoundError)

PathLike = Union[str, "os.PathLike[str]"]

#: numpy dtype name -> the little-endian dtype a ``.bin`` file holds.
DTYPES: Dict[str, np.dtype] = {name: np.dtype(code) for name, code in DTYPE_CODES.items()}



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
    #: (device, inode, size, mtime_ns) of the file when it was validated; :meth:`open` refuses another file.
    identity: Optional[Tuple[int, int, int, int]] = field(default=None, repr=False, compare=False)

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

    def open(self) -> Any:
        """Open the file for reading, refusing one that is not the file that was validated.

        A capture set rewritten between :func:`~pyalign.store.read_case` and a load (another writer
        swapping the case in) must not hand out the new data under the old manifest's checksum.

        Raises
        ------
        CaptureError
            The file is gone, or changed since the capture set was read ("read it again").
        """
        try:
            f = open(self.path, "rb")
        except FileNotFoundError:
            raise CaptureError(f"missing file (tensor {self.stage}/{self.name})", self.path) from None
        except OSError as e:
            raise CaptureError(f"cannot read file: {e.strerror or e}", self.path) from None
        if self.identity is not None and file_identity(os.fstat(f.fileno())) != self.identity:
            f.close()
            raise CaptureError(f"file changed since the capture set was read (tensor {self.stage}/{self.name}): "
                               "read the capture set again", self.path)
        return f

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
                with self.open() as f:
                    return np.memmap(f, dtype=dt, mode="r", shape=self.shape if self.shape else (1,)).reshape(
                        self.shape
                    )
            arr = np.empty(self.shape, dt)
            view = arr.reshape(-1).data.cast("B")
            with self.open() as f:
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


def _prod(shape: Iterable[int]) -> int:
    return math.prod(int(s) for s in shape)


def file_identity(st: os.stat_result) -> Tuple[int, int, int, int]:
    """What tells one file version from another: device, inode, size, modification time."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _stat_is_regular(st: os.stat_result) -> bool:
    import stat as _stat

    return _stat.S_ISREG(st.st_mode)

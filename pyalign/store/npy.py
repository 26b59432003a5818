"""``.npy`` import and export of tensors."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Union

import numpy as np

from pyalign.errors import CaptureError

PathLike = Union[str, "os.PathLike[str]"]
from pyalign.store.records import TensorRecord
from pyalign.store.write import _write_file_atomic


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


"""Streaming elementwise metrics: feeds chunks of two tensors to the C++ accumulator.

Files are memory-mapped and read in chunks of :data:`DEFAULT_CHUNK_BYTES`; each
chunk's pages are released (``MADV_DONTNEED``) once compared, so the resident
memory stays around two chunks whatever the tensor size. In-memory arrays are
compared in place (views, no copies) when they are C-contiguous.
"""
from __future__ import annotations

import mmap
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from pyalign import _core
from pyalign.compare.rules import Rule
from pyalign.store import TensorRecord

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "HISTOGRAM_BINS",
    "Source",
    "dim_names",
    "named_index",
    "stream_metrics",
]

#: Bytes per chunk of each tensor (a multiple of the page size and of the C++ block).
DEFAULT_CHUNK_BYTES = 16 << 20

#: Labels of the |diff| histogram bins (see docs/compare.md).
HISTOGRAM_BINS: Tuple[str, ...] = (
    "0",
    "(0,1e-7)",
    "[1e-7,1e-6)",
    "[1e-6,1e-5)",
    "[1e-5,1e-4)",
    "[1e-4,1e-3)",
    "[1e-3,1e-2)",
    "[1e-2,1e-1)",
    "[1e-1,1)",
    "[1,1e1)",
    "[1e1,1e2)",
    "[1e2,inf]",
)

_LAYOUT_DIMS = {
    "NCHW": ("n", "c", "y", "x"),
    "NHWC": ("n", "y", "x", "c"),
    "HWC": ("y", "x", "c"),
    "CHW": ("c", "y", "x"),
    "HW": ("y", "x"),
}

Source = Union[np.ndarray, TensorRecord]


def dim_names(shape: Sequence[int], layout: Optional[str] = None, kind: Optional[str] = None) -> Tuple[str, ...]:
    """Names of the dimensions: from the layout (NCHW -> n, c, y, x ...), else d0, d1, ..."""
    names = _LAYOUT_DIMS.get(layout or "")
    if names is not None and len(names) == len(shape):
        return names
    if kind == "detections" and len(shape) == 2:
        return ("det", "field")
    return tuple(f"d{i}" for i in range(len(shape)))


def named_index(flat: int, shape: Sequence[int], layout: Optional[str] = None, kind: Optional[str] = None) -> Dict[str, int]:
    """A flat C-order index as ``{dim name: index}``."""
    if not shape:
        return {}
    idx = np.unravel_index(int(flat), tuple(int(s) for s in shape))
    return {n: int(i) for n, i in zip(dim_names(shape, layout, kind), idx)}


def _chunk_elems(itemsize: int, chunk_elems: Optional[int]) -> int:
    block = int(_core.COMPARE_BLOCK)
    if chunk_elems is None:
        chunk_elems = DEFAULT_CHUNK_BYTES // itemsize
    if chunk_elems <= 0:
        raise ValueError(f"chunk_elems must be positive, not {chunk_elems}")
    return max(block, (chunk_elems // block) * block)


class _Reader:
    """Chunked access to a tensor in memory or in a file (memory-mapped)."""

    def __init__(self, src: Source, count: int, dtype: np.dtype) -> None:
        self.count = count
        self.dtype = dtype
        self._array: Optional[np.ndarray] = None
        self._mm: Optional[mmap.mmap] = None
        self._file: Any = None
        if isinstance(src, TensorRecord):
            if count == 0:
                self._array = np.empty(0, dtype)
                return
            src.check_size()
            self._file = src.open()
            try:
                self._mm = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
                if hasattr(mmap, "MADV_SEQUENTIAL"):
                    self._mm.madvise(mmap.MADV_SEQUENTIAL)
            except BaseException:
                self._file.close()
                raise
        else:
            self._array = np.ascontiguousarray(src).reshape(-1)

    def chunk(self, start: int, stop: int, convert: Optional[np.dtype]) -> np.ndarray:
        if self._array is not None:
            c = self._array[start:stop]
        else:
            assert self._mm is not None
            c = np.frombuffer(self._mm, dtype=self.dtype, count=stop - start, offset=start * self.dtype.itemsize)
        if convert is not None and c.dtype != convert:
            c = c.astype(convert)
        return c

    def release(self, start: int, stop: int) -> None:
        """Drop the pages of a compared chunk from this process (they stay in the page cache)."""
        if self._mm is None or not hasattr(mmap, "MADV_DONTNEED"):
            return
        b0 = start * self.dtype.itemsize
        if b0 % mmap.PAGESIZE:
            return
        try:
            self._mm.madvise(mmap.MADV_DONTNEED, b0, (stop - start) * self.dtype.itemsize)
        except (OSError, ValueError):
            pass

    def element(self, index: int) -> Any:
        if self._array is not None:
            return self._array[index].item()
        assert self._mm is not None
        isz = self.dtype.itemsize
        return np.frombuffer(self._mm[index * isz:(index + 1) * isz], dtype=self.dtype)[0].item()

    def close(self) -> None:
        if self._mm is not None:
            try:
                self._mm.close()
            except BufferError:  # a chunk view is still alive (an error is propagating)
                pass
            self._mm = None
        if self._file is not None:
            self._file.close()
            self._file = None


def _dtype_of(src: Source) -> np.dtype:
    if isinstance(src, TensorRecord):
        return src.np_dtype
    return np.asarray(src).dtype


def _count_of(src: Source) -> int:
    if isinstance(src, TensorRecord):
        n = 1
        for s in src.shape:
            n *= int(s)
        return n
    return int(np.asarray(src).size)


def _kernel_dtype(dt: np.dtype) -> Optional[str]:
    dt = np.dtype(dt)
    if dt.byteorder == ">" or (dt.byteorder == "=" and not np.little_endian):
        return None
    name = dt.name
    ok = {"uint8", "int8", "uint16", "int16", "uint32", "int32", "int64", "float16", "float32", "float64"}
    return name if name in ok else None


def stream_metrics(
    expected: Source,
    actual: Source,
    *,
    rule: Rule,
    shape: Sequence[int],
    layout: Optional[str] = None,
    kind: Optional[str] = None,
    max_violations: int = 10,
    chunk_elems: Optional[int] = None,
) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    """Compare two tensors of equal size in one streaming pass.

    Parameters
    ----------
    expected, actual : numpy.ndarray or TensorRecord
        Arrays, or records whose ``.bin`` file is memory-mapped and read in chunks.
        Same number of elements. When the dtypes differ (or are not a capture-set
        dtype), both are converted chunk by chunk to float64.
    rule : Rule
        ``exact`` and ``atol`` rules count violations; ``cosine`` rules do not.
    shape, layout, kind
        Used to name the index of the max and of the violations.
    max_violations : int
        How many first violations to return.
    chunk_elems : int, optional
        Elements per chunk (rounded down to a multiple of the C++ block, 1024).

    Returns
    -------
    metrics : dict
        See docs/compare.md ("metrics").
    first_violations : list of dict
        ``{"index": {dim: i}, "flat_index", "expected", "actual", "diff"}``.
    """
    n = _count_of(expected)
    if _count_of(actual) != n:
        raise ValueError(f"cannot compare tensors of {n} and {_count_of(actual)} elements")
    if max_violations < 0:
        raise ValueError("max_violations must be >= 0")
    dte, dta = _dtype_of(expected), _dtype_of(actual)
    for dt in (dte, dta):
        if np.dtype(dt).kind not in "biuf":
            raise ValueError(f"cannot compare tensors of dtype {np.dtype(dt)} (numbers only)")
    kd = _kernel_dtype(dte)
    convert: Optional[np.dtype] = None
    if dte != dta or kd is None or _kernel_dtype(dta) is None:
        convert, kd = np.dtype(np.float64), "float64"
    assert kd is not None
    mode = rule.spec.kernel  # the rule registry says which violation test the C++ accumulator runs
    acc = _core.CompareAccumulator(kd, mode, float(rule.atol or 0.0) if mode == "atol" else 0.0,
                                   float(rule.rtol or 0.0) if mode == "atol" else 0.0,
                                   max_violations if rule.counts_violations else 0)
    step = _chunk_elems(np.dtype(kd).itemsize, chunk_elems)
    re = _Reader(expected, n, np.dtype(dte))
    try:
        ra = _Reader(actual, n, np.dtype(dta))
        try:
            for start in range(0, n, step):
                stop = min(n, start + step)
                ce = re.chunk(start, stop, convert)
                ca = ra.chunk(start, stop, convert)
                acc.update(ce, ca)
                del ce, ca
                re.release(start, stop)
                ra.release(start, stop)
            raw = acc.result()
            max_e = re.element(raw["max_index"]) if raw["has_max"] else None
            max_a = ra.element(raw["max_index"]) if raw["has_max"] else None
            viol = []
            for flat, _e, _a, d in raw["first_violations"]:
                viol.append(
                    {
                        "index": named_index(flat, shape, layout, kind),
                        "flat_index": int(flat),
                        "expected": re.element(flat),
                        "actual": ra.element(flat),
                        "diff": float(d),
                    }
                )
        finally:
            ra.close()
    finally:
        re.close()
    metrics = _metrics_from_raw(raw, rule, shape, layout, kind, max_e, max_a)
    return metrics, viol


def _metrics_from_raw(
    raw: Dict[str, Any],
    rule: Rule,
    shape: Sequence[int],
    layout: Optional[str],
    kind: Optional[str],
    max_e: Any,
    max_a: Any,
) -> Dict[str, Any]:
    has_max = bool(raw["has_max"])
    counting = rule.counts_violations
    return {
        "count": int(raw["count"]),
        "violations": int(raw["violations"]) if counting else None,
        "violation_pct": float(raw["violation_pct"]) if counting else None,
        "max_abs_diff": float(raw["max_abs_diff"]) if has_max else None,
        "max_abs_index": named_index(raw["max_index"], shape, layout, kind) if has_max else None,
        "max_abs_flat_index": int(raw["max_index"]) if has_max else None,
        "expected_at_max": max_e,
        "actual_at_max": max_a,
        "mean_abs_diff": float(raw["mean_abs_diff"]),
        "rmse": float(raw["rmse"]),
        "max_rel_diff": float(raw["max_rel_diff"]),
        "cosine": float(raw["cosine"]),
        "snr_db": float(raw["snr_db"]),
        "min_atol_to_pass": None if raw["nonfinite_mismatch"] else float(raw["min_atol_to_pass"]),
        "histogram": {"bins": list(HISTOGRAM_BINS), "counts": [int(c) for c in raw["histogram"]]},
        "finite_pairs": int(raw["finite_pairs"]),
        "nan_expected": int(raw["nan_expected"]),
        "nan_actual": int(raw["nan_actual"]),
        "inf_expected": int(raw["inf_expected"]),
        "inf_actual": int(raw["inf_actual"]),
        "nonfinite_equal": int(raw["nonfinite_equal"]),
        "nonfinite_mismatch": int(raw["nonfinite_mismatch"]),
    }


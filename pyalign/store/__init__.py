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

import importlib
from typing import Any

from pyalign.store.format import *  # noqa: F401,F403  (standard library only)
from pyalign.store.format import __all__ as _format_all

# Modules that need numpy are loaded on first use of one of their names.
_LAZY = {
    "DTYPES": "records", "TensorRecord": "records", "Case": "records",
    "read_case": "read", "read_manifest": "read", "read_actual": "read", "find_cases": "read", "sha256_file": "read",
    "CaseWriter": "write", "write_case": "write", "provenance": "write",
    "load_npy": "npy", "export_npy": "npy",
}
__all__ = [*_format_all, *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"pyalign.store.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'pyalign.store' has no attribute {name!r}")

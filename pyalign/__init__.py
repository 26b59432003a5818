"""pyalign: prove that a board's C++ pre/postprocessing matches the Python pipeline, to the bit.

The four stages of one sample (raw input, preprocessed tensor, model output,
postprocessed result) are captured from Python as raw ``.bin`` files plus a
manifest; the C++ core (``pyalign.core``) reimplements the preprocessing and
postprocessing bit-exactly for boards; the comparator says, stage by stage,
whether a board's output is aligned, where it differs and why.
"""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

# Public names resolved on first use so that ``import pyalign`` stays cheap
# (the pytest plugin imports it in every test session).
_LAZY = {
    "compare": ("pyalign.compare", ""),
    "assert_aligned": ("pyalign.compare.comparator", "assert_aligned"),
    "Capture": ("pyalign.capture", "Capture"),
    "read_case": ("pyalign.store", "read_case"),
    "write_case": ("pyalign.store", "write_case"),
    "PyalignError": ("pyalign.errors", "PyalignError"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        mod = importlib.import_module(module)
        return getattr(mod, attr) if attr else mod
    raise AttributeError(f"module 'pyalign' has no attribute {name!r}")

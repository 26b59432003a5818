"""Bundled specs used by ``pyalign demo`` and the tests.

``pyalign/spec/specs/<name>.json``: :func:`spec_names` lists them,
:func:`spec_path` finds one, :func:`bundled_spec` loads and validates it.
"""
from __future__ import annotations

import pathlib
from typing import Any, Dict, List

__all__ = ["SPECS_DIR", "spec_names", "spec_path", "bundled_spec"]

SPECS_DIR = pathlib.Path(__file__).resolve().parent / "specs"


def spec_names() -> List[str]:
    """Names of the bundled specs (file stems), sorted."""
    return sorted(p.stem for p in SPECS_DIR.glob("*.json"))


def spec_path(name: str) -> pathlib.Path:
    """Path of a bundled spec; ``ValueError`` naming the known ones if there is none."""
    p = SPECS_DIR / f"{name}.json"
    if name not in spec_names():
        raise ValueError(f"no bundled spec {name!r} (known: {', '.join(spec_names())})")
    return p


def bundled_spec(name: str) -> Dict[str, Any]:
    """Load and validate a bundled spec."""
    from pyalign.spec.model import load_spec

    return load_spec(spec_path(name))

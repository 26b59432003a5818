"""Field checks of spec validation, shared by the spec model and the postprocess registry.

Each check takes a :class:`Ctx` (which names the spec file), the JSON path of the field
(``"postprocess.max_det"``) and the value; it returns the normalised value or raises
:class:`pyalign.errors.SpecError` as ``<file>: <path>: <what is wrong>``.
"""
from __future__ import annotations

import json
import math
from typing import AbstractSet, Any, List, Mapping, Optional, Sequence

from pyalign.errors import SpecError

__all__ = [
    "MAX_SIDE",
    "Ctx",
    "show",
    "is_int",
    "is_num",
    "as_int",
    "as_count",
    "as_num",
    "as_bool",
    "as_choice",
    "as_obj",
    "check_keys",
    "as_size",
]

#: Largest image side a spec may name (input size, resize and letterbox sizes, input_size).
MAX_SIDE = 1 << 16


class Ctx:
    """Carries the spec's file name so each error can name it.

    Parameters
    ----------
    path : str, optional
        The spec file, or None for a spec given as a dict.
    """

    def __init__(self, path: Optional[str]) -> None:
        self.path = path

    def fail(self, where: str, what: str) -> SpecError:
        """Return (not raise) the error ``<where>: <what>`` for the spec file."""
        return SpecError(f"{where}: {what}" if where else what, self.path)


def is_int(v: Any) -> bool:
    """True for an int that is not a bool."""
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v: Any) -> bool:
    """True for a finite int or float that is not a bool."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def show(v: Any) -> str:
    """A value as the spec's author wrote it: JSON when it is JSON, else its repr."""
    try:
        return json.dumps(v)
    except (TypeError, ValueError):
        return repr(v)


def _whole(c: Ctx, where: str, v: Any) -> int:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if not is_int(v):
        raise c.fail(where, f"expected an integer, got {show(v)}")
    return int(v)


def as_int(c: Ctx, where: str, v: Any, lo: int = 1, hi: Optional[int] = None) -> int:
    """An integer (a float with an integer value is accepted) in ``[lo, hi]``.

    Out of range: ``must be >= lo`` without ``hi``, else ``must be in [lo, hi]``.
    """
    n = _whole(c, where, v)
    if n < lo or (hi is not None and n > hi):
        rng = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise c.fail(where, f"must be {rng}, got {n}")
    return n


def as_count(c: Ctx, where: str, v: Any, lo: int, hi: int) -> int:
    """An integer in ``[lo, hi]`` whose error names the bound it crosses (``must be >= lo``
    or ``must be <= hi``): for counts whose upper bound is a capacity, not a range."""
    n = _whole(c, where, v)
    if n < lo:
        raise c.fail(where, f"must be >= {lo}, got {n}")
    if n > hi:
        raise c.fail(where, f"must be <= {hi}, got {n}")
    return n


def as_num(c: Ctx, where: str, v: Any, lo: Optional[float] = None, hi: Optional[float] = None) -> float:
    """A finite number in ``[lo, hi]`` (either bound optional), as a float."""
    if not is_num(v):
        raise c.fail(where, f"expected a finite number, got {show(v)}")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise c.fail(where, f"must be in [{lo}, {hi}], got {v}")
    return float(v)


def as_bool(c: Ctx, where: str, v: Any) -> bool:
    """``true`` or ``false``."""
    if not isinstance(v, bool):
        raise c.fail(where, f"expected true or false, got {show(v)}")
    return v


def as_choice(c: Ctx, where: str, v: Any, choices: Sequence[str]) -> str:
    """One of ``choices``."""
    if not isinstance(v, str) or v not in choices:
        raise c.fail(where, f"expected one of {', '.join(choices)}, got {show(v)}")
    return v


def as_obj(c: Ctx, where: str, v: Any) -> Mapping[str, Any]:
    """A JSON object."""
    if not isinstance(v, Mapping):
        raise c.fail(where, f"expected an object, got {type(v).__name__}")
    return v


def check_keys(c: Ctx, where: str, d: Mapping[str, Any], allowed: AbstractSet[str]) -> None:
    """Fail on the first key of ``d`` (sorted) that is not in ``allowed``."""
    unknown = sorted(set(d) - set(allowed))
    if unknown:
        raise c.fail(where, f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")


def as_size(c: Ctx, where: str, v: Any) -> List[int]:
    """``[width, height]``, each in ``[1, MAX_SIDE]``."""
    if not isinstance(v, (list, tuple)) or len(v) != 2:
        raise c.fail(where, f"expected [width, height], got {show(v)}")
    return [as_int(c, f"{where}[0]", v[0], 1, MAX_SIDE), as_int(c, f"{where}[1]", v[1], 1, MAX_SIDE)]

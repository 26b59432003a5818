"""One JSON-safe conversion for every report (comparator JSON, diagnosis, plugin report) — standard library only."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping

__all__ = ["json_safe"]


def json_safe(value: Any) -> Any:
    """Convert numpy scalars/arrays, tuples, paths and non-finite floats to JSON types.

    Non-finite floats become the strings ``"nan"``, ``"inf"``, ``"-inf"`` so that
    the report is strict JSON.

    Parameters
    ----------
    value : object
        Any value: a mapping, sequence, numpy scalar or array, path, or an object with
        ``to_dict()``; anything else becomes its ``str()``.

    Returns
    -------
    object
        ``None``, bool, str, int, finite float, list or dict of those.
    """
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    tolist = getattr(value, "tolist", None)  # numpy scalars and arrays
    if callable(tolist):
        return json_safe(tolist())
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return json_safe(to_dict())
    return str(value)

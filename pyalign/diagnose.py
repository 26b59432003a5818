"""Mismatch diagnosis: test the usual causes of misalignment on a failing tensor."""
from __future__ import annotations

from typing import Any, List


def diagnose_tensor(result: Any, expected: Any, actual: Any, context: Any = None) -> List[Any]:
    """Return the hypotheses that explain a failing tensor, best first (none yet)."""
    return []

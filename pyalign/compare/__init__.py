"""``pyalign.compare``: is a board's output aligned with the reference, tensor by tensor?

* :mod:`~pyalign.compare.rules` — the one owner of rules: kinds, stage defaults,
  the ``[STAGE[.NAME]=]VALUE`` parser, resolution of overrides, the verdict;
* :mod:`~pyalign.compare.metrics` — every elementwise metric in one streaming C++ pass;
* :mod:`~pyalign.compare.detections` — order-free matching of result rows;
* :mod:`~pyalign.compare.result` — :class:`TensorResult`, :class:`ComparisonResult`;
* :mod:`~pyalign.compare.text` — text and JUnit formatters (of result types only);
* :mod:`~pyalign.compare.comparator` — :func:`compare`, :func:`compare_arrays`,
  :func:`compare_tree`, :func:`assert_aligned`; asks :mod:`pyalign.diagnose` why a
  tensor fails.

Names are resolved on first use so that importing :mod:`pyalign.compare.rules`
(as the pytest plugin does in every session) does not load numpy.

The package is also the public function: ``pyalign.compare(reference, actual, **rules)``
calls :func:`pyalign.compare.comparator.compare` (the module is callable), so the
package and the documented API share one name.
"""
from __future__ import annotations

import importlib
import sys
import types
from typing import Any

_LAZY = {
    "compare": "comparator", "compare_arrays": "comparator", "compare_tree": "comparator",
    "assert_aligned": "comparator", "TensorResult": "result", "ComparisonResult": "result",
    "Rule": "rules", "resolve_rule": "rules", "DEFAULT_RULES": "rules",
}
__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"pyalign.compare.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'pyalign.compare' has no attribute {name!r}")


class _CallableModule(types.ModuleType):
    """``pyalign.compare(...)`` is :func:`pyalign.compare.comparator.compare`."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from pyalign.compare.comparator import compare

        return compare(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

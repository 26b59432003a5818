"""``pyalign.dataset``: many cases at once — parallel, sharded, summarised, with the accuracy the board loses.

* :mod:`~pyalign.dataset.pairing` — case names, shards ``K/N`` (stable by SHA-256 of the
  name), pairing of two roots by name (standard library only: the pytest plugin uses it);
* :mod:`~pyalign.dataset.pool` — the process pool, results in name order, bounded in flight;
* :mod:`~pyalign.dataset.tasks` — what a worker does for one case (compare, verify, verify an
  image on the fly), returning a compact outcome;
* :mod:`~pyalign.dataset.onthefly` — the Python reference built per case instead of stored;
* :mod:`~pyalign.dataset.record` — the compact record of a case the summary is computed from;
* :mod:`~pyalign.dataset.summary` — the summary document, its merge across shards, its text;
* :mod:`~pyalign.dataset.accuracy` — COCO mAP (pycocotools), top-k agreement, mIoU;
* :mod:`~pyalign.dataset.output` — text, JSON, JUnit and HTML reports written as cases arrive;
* :mod:`~pyalign.dataset.run` — plans and the Python API: :func:`compare_roots`,
  :func:`verify_dataset`, :func:`verify_images`.

Names are resolved on first use: importing :mod:`pyalign.dataset.pairing` loads no numpy.
"""
from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "compare_roots": "run", "verify_dataset": "run", "verify_images": "run", "DatasetResult": "run",
    "Shard": "pairing", "parse_shard": "pairing", "shard_of": "pairing", "pair_roots": "pairing",
    "summarize": "summary", "merge": "summary",
}
__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"pyalign.dataset.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'pyalign.dataset' has no attribute {name!r}")

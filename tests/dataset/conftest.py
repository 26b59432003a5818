"""A small dataset for the dataset tests: reference capture sets and a board's output, paired by name."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Dict, Tuple

import numpy as np
import pytest

from pyalign.store import CaseWriter


def make_dataset(root: Path, n: int = 24, seed: int = 0) -> Tuple[Path, Path, Dict[str, Tuple[np.ndarray, np.ndarray]]]:
    """``n`` reference cases (preprocessed NCHW RGB, detections) and the board's version of each.

    The board feeds BGR on every third case (channel order), jitters boxes a little on every
    case and drops a detection on every fifth. Returns the two roots and the detections
    ``{name: (reference, actual)}``.
    """
    rng = np.random.default_rng(seed)
    ref_root, act_root = root / "ref", root / "board"
    dets = {}
    for i in range(n):
        name = f"img_{i:03d}" if i % 4 else f"sub/img_{i:03d}"
        pre = rng.random((1, 3, 8, 8)).astype(np.float32)
        k = int(rng.integers(1, 6))
        xy = rng.uniform(0, 200, (k, 2))
        ref = np.column_stack([xy, xy + rng.uniform(10, 60, (k, 2)), rng.uniform(0.3, 1, k),
                               rng.integers(0, 4, k)]).astype(np.float32)
        ref = ref[np.argsort(-ref[:, 4], kind="stable")]
        act = ref.copy()
        act[:, :4] += rng.normal(0, 0.4 * (i % 3), (k, 4)).astype(np.float32)
        if i % 5 == 4 and k > 1:
            act = act[:-1]
        with CaseWriter(ref_root / name) as w:
            w.add("preprocessed", "images", pre, layout="NCHW", color="RGB")
            w.add("postprocessed", "detections", ref, kind="detections")
        with CaseWriter(act_root / name) as w:  # the board's output as a capture set (its N may differ)
            w.add("preprocessed", "images", pre[:, ::-1] if i % 3 == 0 else pre, layout="NCHW", color="RGB")
            w.add("postprocessed", "detections", act, kind="detections")
        dets[name] = (ref, act)
    return ref_root, act_root, dets


@pytest.fixture(scope="session")
def dataset(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("dataset"))


def pyalign(*args: str, cwd=None) -> subprocess.CompletedProcess:
    """Run the command line in a subprocess."""
    return subprocess.run([sys.executable, "-m", "pyalign", *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=cwd)

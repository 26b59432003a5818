"""Write the capture sets the example suite checks the board program against.

In a real project the captures come from the training side: ``pyalign capture`` runs the Python
pipeline (``spec.json``) and the ONNX model on your images. This script does the same without a
model file: synthetic camera frames, and a synthetic YOLOv8 output with a few confident, partly
overlapping boxes per frame so that decoding, NMS and box mapping all have work to do.

    python make_captures.py captures [--cases 3]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import List, Optional

import numpy as np

from pyalign.capture import capture_image
from pyalign.synthetic import synthetic_image

HERE = Path(__file__).resolve().parent
SPEC = HERE / "spec.json"


def synthetic_yolov8_output(seed: int, num_classes: int = 4, size: int = 160) -> np.ndarray:
    """A ``[1, 4 + nc, anchors]`` float32 output (DFL in the graph: cx, cy, w, h and class scores).

    Background anchors score below the 0.25 threshold; a handful of objects, each with one to
    three near-duplicate anchors, score above it, and one pair overlaps with IoU 0.47.
    """
    rng = np.random.default_rng(seed)
    anchors = sum((size // s) ** 2 for s in (8, 16, 32))
    out = np.empty((1, 4 + num_classes, anchors), np.float32)
    out[0, 0:2] = rng.uniform(0, size, (2, anchors))
    out[0, 2:4] = rng.uniform(4, size / 3, (2, anchors))
    out[0, 4:] = rng.uniform(0, 0.2, (num_classes, anchors))
    for anchor in rng.choice(anchors - 8, size=5, replace=False):
        cls = int(rng.integers(num_classes))
        box = np.array([rng.uniform(20, size - 20), rng.uniform(20, size - 20),
                        rng.uniform(10, 60), rng.uniform(10, 60)])
        for k in range(int(rng.integers(1, 4))):  # duplicates for NMS to remove
            a = anchor + k
            out[0, 0:4, a] = box + rng.normal(0, 2, 4)
            out[0, 4 + cls, a] = rng.uniform(0.3, 0.95)
    # Two boxes of one class with IoU 0.47: NMS at 0.45 keeps one, a board using 0.5 keeps both.
    out[0, 0:4, anchors - 2] = (80.0, 80.0, 40.0, 40.0)
    out[0, 0:4, anchors - 1] = (94.4, 80.0, 40.0, 40.0)
    out[0, 4:, anchors - 2:] = 0.0
    out[0, 4, anchors - 2:] = (0.9, 0.8)
    return out


def make_captures(out_dir: Path, cases: int = 3, spec: Optional[dict] = None) -> List[Path]:
    """Write ``cases`` capture sets (``frame_000`` ...) under ``out_dir``; return their paths."""
    spec = spec if spec is not None else json.loads(SPEC.read_text())
    height, width = spec["input"]["height"], spec["input"]["width"]
    paths = []
    for i in range(cases):
        name = f"frame_{i:03d}"
        image = synthetic_image(height, width, seed=i)
        capture_image(image, spec, out_dir / name, model_output={"output0": synthetic_yolov8_output(1000 + i)},
                      case=name)
        paths.append(out_dir / name)
    return paths


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--cases", type=int, default=3)
    args = parser.parse_args(argv)
    for p in make_captures(args.out_dir, args.cases):
        print(p)


if __name__ == "__main__":
    main()

"""Benchmark: YOLOv8 [1, 84, 8400] decode + NMS, C++ core vs the numpy reference, same process.

About 1,000 anchors score above the confidence threshold (a few dozen objects, each seen by
many overlapping anchors, plus scattered noise). Also: the same with DFL outputs
[1, 144, 8400], YOLOv5 heads, and NMS alone. Single-threaded; prints both times and the ratio.

    python benchmarks/bench_postprocess.py [--repeat N]
"""
from __future__ import annotations

import argparse
import importlib
import time
from typing import Callable, List, Tuple

import numpy as np

import pyalign.core as C

R = importlib.import_module("pyalign.reference.postprocess")


def yolov8_output(rng: np.random.Generator, reg_max: int, candidates: int = 1000) -> np.ndarray:
    """[1, 4*reg_max+80 (or 84), 8400] with about `candidates` anchors above 0.25."""
    n, nc = 8400, 80
    probs = (rng.random((n, nc)) * 0.2).astype(np.float32)
    objects = rng.uniform(40, 600, (40, 2))
    picked = rng.choice(n, candidates, replace=False)
    owner = rng.integers(0, len(objects), candidates)
    probs[picked, rng.integers(0, nc, len(objects))[owner]] = rng.uniform(0.26, 0.95, candidates)
    if reg_max == 0:
        box = np.concatenate([rng.uniform(0, 640, (n, 2)), rng.uniform(4, 200, (n, 2))], axis=1)
        box[picked, :2] = objects[owner] + rng.normal(0, 4, (candidates, 2))
        box[picked, 2:] = rng.uniform(60, 80, (candidates, 2))
    else:
        box = rng.normal(0, 2, (n, 4 * reg_max))
    rows = np.concatenate([box.astype(np.float32), probs], axis=1)
    return np.ascontiguousarray(rows.T[None])


def best_times(ref: Callable[[], object], cpp: Callable[[], object], repeat: int) -> Tuple[float, float]:
    """Best-of-`repeat` wall times of both, run alternately so that both see the same machine load."""
    ref()
    cpp()
    best_ref = best_cpp = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        ref()
        t1 = time.perf_counter()
        for _ in range(5):
            t2 = time.perf_counter()
            cpp()
            best_cpp = min(best_cpp, time.perf_counter() - t2)
        best_ref = min(best_ref, t1 - t0)
    return best_ref, best_cpp


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=100)
    args = ap.parse_args()
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:  # pragma: no cover
        pass
    rng = np.random.default_rng(0)
    info = C.letterbox_info((1920, 1080), (640, 640), "ultralytics")
    rows: List[Tuple[str, float, float, str]] = []

    out = yolov8_output(rng, 0)
    spec = {"op": "yolov8", "num_classes": 80, "reg_max": 0, "conf_threshold": 0.25, "iou_threshold": 0.45, "max_det": 300}
    det, stats = C.postprocess(out, spec, info, return_stats=True)
    ref = R.postprocess(out, spec, info)
    assert det.shape == ref.shape and np.allclose(det, ref, atol=1e-4), "C++ and numpy disagree"
    note = f"{stats['candidates']} candidates, {det.shape[0]} kept"
    rows.append(("yolov8 [1,84,8400] decode+NMS+map",
                 *best_times(lambda: R.postprocess(out, spec, info), lambda: C.postprocess(out, spec, info), args.repeat), note))

    cand = R.decode_yolov8(out, num_classes=80, reg_max=0)
    rows.append(("  NMS alone (class-aware)",
                 *best_times(lambda: R.nms(cand.boxes, cand.scores, 0.45, cand.classes, 300),
                             lambda: C.nms(cand.boxes, cand.scores, 0.45, cand.classes, 300), args.repeat),
                 f"{len(cand.scores)} boxes"))

    out16 = yolov8_output(rng, 16)
    spec16 = dict(spec, reg_max=16)
    n16 = C.postprocess(out16, spec16, info, return_stats=True)[1]["candidates"]
    rows.append(("yolov8 [1,144,8400] DFL decode+NMS",
                 *best_times(lambda: R.postprocess(out16, spec16, info), lambda: C.postprocess(out16, spec16, info), args.repeat),
                 f"{n16} candidates"))

    heads = [np.ascontiguousarray(rng.normal(-4, 2, (1, 255, s, s)).astype(np.float32)) for s in (80, 40, 20)]
    spec5 = {"op": "yolov5", "num_classes": 80}
    n5 = C.postprocess(heads, spec5, info, return_stats=True)[1]["candidates"]
    rows.append(("yolov5 3 heads (logits) decode+NMS",
                 *best_times(lambda: R.postprocess(heads, spec5, info), lambda: C.postprocess(heads, spec5, info), max(3, args.repeat // 10)),
                 f"{n5} candidates"))

    print(f"{'case':40s} {'numpy ms':>10s} {'C++ ms':>10s} {'speed-up':>9s}  notes")
    for name, t_ref, t_cpp, note in rows:
        print(f"{name:40s} {t_ref * 1e3:10.3f} {t_cpp * 1e3:10.3f} {t_ref / t_cpp:8.1f}x  {note}")


if __name__ == "__main__":
    main()

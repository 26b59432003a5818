"""Benchmark pyalign's CSC, normalize and fused preprocessing against cv2 + numpy.

Both sides run single-threaded (``cv2.setNumThreads(1)``) in the same process on the same
inputs; the script checks that the outputs are identical, then prints the best-of-N time
of each side (wall clock and CPU time of the calling thread, each the best of N) and the ratios.
Usage: ``python benchmarks/bench_preprocess.py [--repeat N]``.
"""
from __future__ import annotations

import argparse
import time
from typing import Any, Callable, Dict, Tuple

import cv2
import numpy as np

from pyalign.core import csc, letterbox_info, normalize, preprocess


def best_ms(fn: Callable[[], Any], repeat: int) -> Tuple[float, float]:
    """Best-of-``repeat`` wall time and best CPU time of this thread (ms) of one call of ``fn``."""
    fn()
    wall, cpu = [], []
    for _ in range(repeat):
        c0, t0 = time.thread_time(), time.perf_counter()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)
    return min(wall) * 1e3, min(cpu) * 1e3


def report(name: str, ours: Tuple[float, float], peer: Tuple[float, float], peer_name: str, target: str) -> None:
    print(f"{name:<58s} pyalign {ours[0]:7.3f} ms (cpu {ours[1]:7.3f})   {peer_name} {peer[0]:7.3f} ms "
          f"(cpu {peer[1]:7.3f})   pyalign/peer {ours[0] / peer[0]:5.2f}x   peer/pyalign {peer[0] / ours[0]:5.2f}x "
          f"(cpu {peer[1] / ours[1]:5.2f}x)   ({target})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=50)
    args = ap.parse_args()
    cv2.setNumThreads(1)
    rng = np.random.default_rng(0)
    h, w = 1080, 1920
    nv12 = rng.integers(0, 256, (h * 3 // 2, w), dtype=np.uint8)

    # 1. NV12 -> BGR
    assert np.array_equal(csc(nv12, "YUV420SP", "BGR"), cv2.cvtColor(nv12, cv2.COLOR_YUV2BGR_NV12))
    ours = best_ms(lambda: csc(nv12, "YUV420SP", "BGR"), args.repeat)
    peer = best_ms(lambda: cv2.cvtColor(nv12, cv2.COLOR_YUV2BGR_NV12), args.repeat)
    report("NV12 1920x1080 -> BGR", ours, peer, "cv2.cvtColor", "target: pyalign/peer <= 2.0")

    # 2. normalize 640x640 BGR -> RGB float32 NCHW
    img = rng.integers(0, 256, (640, 640, 3), dtype=np.uint8)
    mean32, std32 = np.float32([0, 0, 0]), np.float32([255, 255, 255])

    def np_norm() -> np.ndarray:
        return np.ascontiguousarray(((img[..., ::-1].astype(np.float32) - mean32) / std32).transpose(2, 0, 1)[None])

    assert np.array_equal(normalize(img, [0, 0, 0], [255, 255, 255], swap_rb=True, layout="NCHW"), np_norm())
    ours = best_ms(lambda: normalize(img, [0, 0, 0], [255, 255, 255], swap_rb=True, layout="NCHW"), args.repeat)
    peer = best_ms(np_norm, args.repeat)
    report("normalize 640x640 swap_rb /255 NCHW float32", ours, peer, "numpy", "no target")

    # 3. fused NV12 -> letterbox 640x640 -> RGB -> normalize -> NCHW float32
    spec: Dict[str, Any] = {
        "input": {"format": "YUV420SP", "width": w, "height": h},
        "preprocess": [
            {"op": "csc", "to": "BGR", "mode": "opencv"},
            {"op": "letterbox", "size": [640, 640], "pad_value": 114, "style": "ultralytics"},
            {"op": "swap_rb"},
            {"op": "normalize", "mean": [0, 0, 0], "std": [255, 255, 255]},
            {"op": "layout", "to": "NCHW"},
        ],
    }
    from pyalign import _core
    from pyalign.core._pipeline import _load, _spec_json

    spec_json = _spec_json(_load(spec))

    def fused() -> np.ndarray:
        return _core.preprocess(nv12, spec_json)[0]

    def chain() -> np.ndarray:
        bgr = cv2.cvtColor(nv12, cv2.COLOR_YUV2BGR_NV12)
        r = min(640 / h, 640 / w)
        nw, nh = int(round(w * r)), int(round(h * r))
        dw, dh = (640 - nw) / 2, (640 - nh) / 2
        top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
        left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
        img = cv2.resize(bgr, (nw, nh), interpolation=cv2.INTER_LINEAR)
        img = cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(114, 114, 114))
        x = (img[..., ::-1].astype(np.float32) - mean32) / std32
        return np.ascontiguousarray(x.transpose(2, 0, 1)[None])

    mean3, std3 = mean32.reshape(3, 1, 1), std32.reshape(3, 1, 1)

    def chain_tuned() -> np.ndarray:
        # The same chain written for speed: RGB straight from cvtColor, transpose before the
        # float conversion, in-place arithmetic (identical bits).
        rgb = cv2.cvtColor(nv12, cv2.COLOR_YUV2RGB_NV12)
        img = cv2.resize(rgb, (640, 360), interpolation=cv2.INTER_LINEAR)
        img = cv2.copyMakeBorder(img, 140, 140, 0, 0, cv2.BORDER_CONSTANT, value=(114, 114, 114))
        x = img.transpose(2, 0, 1).astype(np.float32)
        x -= mean3
        x /= std3
        return x[None]

    def chain_scalar() -> np.ndarray:
        # Fastest variant found: as chain_tuned, with scalar mean / std (all channels equal here).
        rgb = cv2.cvtColor(nv12, cv2.COLOR_YUV2RGB_NV12)
        img = cv2.resize(rgb, (640, 360), interpolation=cv2.INTER_LINEAR)
        img = cv2.copyMakeBorder(img, 140, 140, 0, 0, cv2.BORDER_CONSTANT, value=(114, 114, 114))
        x = img.transpose(2, 0, 1).astype(np.float32)
        x -= np.float32(0)
        x /= np.float32(255)
        return x[None]

    want = chain()
    assert np.array_equal(preprocess(nv12, spec), want) and np.array_equal(chain_tuned(), want)
    assert np.array_equal(chain_scalar(), want)
    ours_api = best_ms(lambda: preprocess(nv12, spec), args.repeat)
    ours = best_ms(fused, args.repeat)
    peer = best_ms(chain, args.repeat)
    peer_tuned = best_ms(chain_tuned, args.repeat)
    peer_scalar = best_ms(chain_scalar, args.repeat)
    report("fused NV12 1080p -> letterbox 640 -> RGB -> /255 -> NCHW", ours, peer, "cv2+numpy",
           "target: peer/pyalign >= 3.0")
    report("  same, vs the chain tuned for speed", ours, peer_tuned, "cv2+numpy", "target: peer/pyalign >= 3.0")
    report("  same, vs the tuned chain with scalar mean/std", ours, peer_scalar, "cv2+numpy",
           "target: peer/pyalign >= 3.0")
    print(f"{'  (same through pyalign.core.preprocess, spec validation included)':<58s} pyalign {ours_api[0]:7.3f} ms "
          f"(cpu {ours_api[1]:7.3f})")

    # 4. other geometries of the same chain (fastest cv2 + numpy form: scalar mean / std)
    frame720 = rng.integers(0, 256, (720 * 3 // 2, 1280), dtype=np.uint8)
    for label, frame, fw, fh, op in [
        ("fused NV12 1080p -> resize 640x640 -> RGB -> /255 -> NCHW", nv12, w, h,
         {"op": "resize", "size": [640, 640]}),
        ("fused NV12 1080p -> resize 512x512 -> RGB -> /255 -> NCHW", nv12, w, h,
         {"op": "resize", "size": [512, 512]}),
        ("fused NV12 1080p -> letterbox 416 -> RGB -> /255 -> NCHW", nv12, w, h,
         {"op": "letterbox", "size": [416, 416]}),
        ("fused NV12 720p -> letterbox 640 -> RGB -> /255 -> NCHW", frame720, 1280, 720,
         {"op": "letterbox", "size": [640, 640]}),
    ]:
        spec2: Dict[str, Any] = {
            "input": {"format": "YUV420SP", "width": fw, "height": fh},
            "preprocess": [{"op": "csc", "to": "RGB", "mode": "opencv"}, op,
                           {"op": "normalize", "mean": [0, 0, 0], "std": [255, 255, 255]},
                           {"op": "layout", "to": "NCHW"}],
        }
        json2 = _spec_json(_load(spec2))
        info = letterbox_info((fw, fh), tuple(op["size"])) if op["op"] == "letterbox" else None

        def chain2(frame: np.ndarray = frame, op: Dict[str, Any] = op, info: Any = info) -> np.ndarray:
            rgb = cv2.cvtColor(frame, cv2.COLOR_YUV2RGB_NV12)
            if info is None:
                img = cv2.resize(rgb, tuple(op["size"]), interpolation=cv2.INTER_LINEAR)
            else:
                img = cv2.resize(rgb, (info.resized_width, info.resized_height), interpolation=cv2.INTER_LINEAR)
                img = cv2.copyMakeBorder(img, info.pad_top, info.pad_bottom, info.pad_left, info.pad_right,
                                         cv2.BORDER_CONSTANT, value=(114, 114, 114))
            x = img.transpose(2, 0, 1).astype(np.float32)
            x -= np.float32(0)
            x /= np.float32(255)
            return x[None]

        def fused2(frame: np.ndarray = frame, json2: str = json2) -> np.ndarray:
            return _core.preprocess(frame, json2)[0]

        assert np.array_equal(fused2(), chain2()), label
        report(label, best_ms(fused2, args.repeat), best_ms(chain2, args.repeat),
               "cv2+numpy", "scalar-mean/std chain, no target")


if __name__ == "__main__":
    main()

"""Benchmark: pyalign.core.resize / letterbox vs cv2, single-threaded, same process.

Run: ``python benchmarks/bench_resize.py [--repeat N] [--clock wall|cpu]``. Prints the best-of-N
time per call for pyalign and cv2 and their ratio (pyalign / cv2; lower is better, the target for
uint8 3-channel 1920x1080 -> 640x640 is <= 2.0). Each case is also checked for identical output.
``--clock cpu`` measures this thread's CPU time (``time.thread_time``), which is steadier than wall
time on a loaded machine.
"""
from __future__ import annotations

import argparse
import platform
import time
from typing import Callable, List, Tuple

import cv2
import numpy as np

from pyalign.core import letterbox, resize


CLOCK: Callable[[], float] = time.perf_counter


def best_time(fn: Callable[[], object], repeat: int, number: int) -> float:
    """Best mean time of ``number`` calls over ``repeat`` rounds, in seconds."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = CLOCK()
        for _ in range(number):
            fn()
        best = min(best, (CLOCK() - t0) / number)
    return best


def cv2_letterbox(img: np.ndarray, dsize: Tuple[int, int]) -> np.ndarray:
    """The ultralytics letterbox written with cv2 (the peer)."""
    h, w = img.shape[:2]
    r = min(dsize[1] / h, dsize[0] / w)
    nw, nh = int(round(w * r)), int(round(h * r))
    dw, dh = (dsize[0] - nw) / 2, (dsize[1] - nh) / 2
    if (nw, nh) != (w, h):
        img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR)
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    return cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(114, 114, 114))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.perf_counter if args.clock == "wall" else time.thread_time
    cv2.setNumThreads(1)
    rng = np.random.default_rng(0)
    print(f"python {platform.python_version()}, numpy {np.__version__}, opencv {cv2.__version__}, "
          f"{platform.machine()}, cv2 threads {cv2.getNumThreads()}, clock {args.clock}")
    cases: List[Tuple[str, Tuple[int, int, int], Tuple[int, int], str, type]] = [
        ("linear u8 3ch 1920x1080 -> 640x640", (1080, 1920, 3), (640, 640), "linear", np.uint8),
        ("linear u8 3ch 1920x1080 -> 640x360", (1080, 1920, 3), (640, 360), "linear", np.uint8),
        ("linear u8 3ch 1280x720 -> 1920x1080", (720, 1280, 3), (1920, 1080), "linear", np.uint8),
        ("linear u8 3ch 640x480 -> 224x224", (480, 640, 3), (224, 224), "linear", np.uint8),
        ("linear u8 1ch 1920x1080 -> 640x640", (1080, 1920, 1), (640, 640), "linear", np.uint8),
        ("linear u8 4ch 1920x1080 -> 640x640", (1080, 1920, 4), (640, 640), "linear", np.uint8),
        ("linear u8 3ch 1920x1080 -> 960x540 (2x)", (1080, 1920, 3), (960, 540), "linear", np.uint8),
        ("nearest u8 3ch 1920x1080 -> 640x640", (1080, 1920, 3), (640, 640), "nearest", np.uint8),
        ("linear f32 3ch 1920x1080 -> 640x640 (IPP off)", (1080, 1920, 3), (640, 640), "linear", np.float32),
    ]
    print(f"{'case':48s} {'pyalign ms':>11s} {'cv2 ms':>9s} {'ratio':>6s}  same")
    previous_ipp = cv2.ipp.useIPP()
    try:
        for name, shape, dsize, interp, dtype in cases:
            if dtype == np.uint8:
                img = rng.integers(0, 256, shape, dtype=np.uint8)
            else:
                img = (rng.random(shape, dtype=np.float32) * 255).astype(np.float32)
            cv2.ipp.setUseIPP(dtype != np.float32)
            flag = cv2.INTER_LINEAR if interp == "linear" else cv2.INTER_NEAREST
            number = max(3, int(2e7 / img.size))
            t_pa = best_time(lambda: resize(img, dsize, interp), args.repeat, number)
            t_cv = best_time(lambda: cv2.resize(img, dsize, interpolation=flag), args.repeat, number)
            same = np.array_equal(resize(img, dsize, interp), cv2.resize(img, dsize, interpolation=flag))
            print(f"{name:48s} {t_pa * 1e3:11.3f} {t_cv * 1e3:9.3f} {t_pa / t_cv:6.2f}  {same}")
        cv2.ipp.setUseIPP(previous_ipp)
        img = rng.integers(0, 256, (1080, 1920, 3), dtype=np.uint8)
        t_pa = best_time(lambda: letterbox(img, (640, 640)), args.repeat, 10)
        t_cv = best_time(lambda: cv2_letterbox(img, (640, 640)), args.repeat, 10)
        same = np.array_equal(letterbox(img, (640, 640))[0], cv2_letterbox(img, (640, 640)))
        print(f"{'letterbox u8 3ch 1920x1080 -> 640x640':48s} {t_pa * 1e3:11.3f} {t_cv * 1e3:9.3f} "
              f"{t_pa / t_cv:6.2f}  {same}")
    finally:
        cv2.ipp.setUseIPP(previous_ipp)


if __name__ == "__main__":
    main()

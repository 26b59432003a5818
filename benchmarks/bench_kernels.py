"""Kernel benchmark: resize, colour conversion and the fused preprocessing against cv2.

Run: ``python benchmarks/bench_kernels.py [--repeat N] [--clock wall|cpu] [--only resize,csc,fused,threads]``.

Everything is measured in this one process, single-threaded on both sides (``cv2.setNumThreads(1)``,
pyalign ``threads=1``) unless a row says otherwise. The candidates of a row are timed interleaved:
each repetition times every candidate once (a batch of calls, in rotating order), and the figure
is the median over ``--repeat`` repetitions (at least 15). Before timing, every row checks that the
outputs are identical (the ``blobFromImage`` chain multiplies by 1/std where the spec divides, so
it is checked to be within 1 ulp instead; see docs/performance.md).

Printed rows:
  * kernels: pyalign ms, cv2 ms, ratio = pyalign time / cv2 time (target <= 1.0);
  * fused: pyalign ms, the blobFromImage chain and the scalar mean/std chain, and
    speedup = fastest chain / pyalign (target >= 3.0);
  * threads: pyalign with threads=1 and threads=2, speedup = t1 / t2 (target >= 1.7 on 2 cores).
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from pyalign import _core
from pyalign.core import Preprocessor, csc, letterbox_info, resize

CLOCK: Callable[[], float] = time.perf_counter
IMAGENET_MEAN = [123.675, 116.28, 103.53]  # R, G, B (pixel units)
IMAGENET_STD = [58.395, 57.12, 57.375]


def medians(fns: Sequence[Callable[[], Any]], repeat: int, target_s: float = 3e-3) -> List[float]:
    """Median seconds per call of each function, timed interleaved (rotating order)."""
    number = []
    for fn in fns:  # warm up; batch size so that one sample takes about target_s
        fn()
        t0 = CLOCK()
        fn()
        number.append(max(1, min(200, int(target_s / max(CLOCK() - t0, 1e-6)))))
    samples: List[List[float]] = [[] for _ in fns]
    for rep in range(repeat):
        order = list(range(len(fns)))
        k = rep % len(fns)
        order = order[k:] + order[:k]
        for i in order:
            fn, n = fns[i], number[i]
            t0 = CLOCK()
            for _ in range(n):
                fn()
            samples[i].append((CLOCK() - t0) / n)
    return [statistics.median(s) for s in samples]


def ulp_diff(a: np.ndarray, b: np.ndarray) -> int:
    """Largest distance in float32 ulps between two arrays of the same shape."""
    ia = a.astype(np.float32).view(np.int32).astype(np.int64)
    ib = b.astype(np.float32).view(np.int32).astype(np.int64)
    return int(np.abs(ia - ib).max()) if ia.size else 0


# ---------------------------------------------------------------------------------------- kernels


def kernel_rows(rng: np.random.Generator, threads: int) -> List[Tuple[str, Callable[[], Any], Callable[[], Any]]]:
    kw = {"threads": threads} if threads != 1 else {}
    rows = []
    for name, (w, h, cn), dsize in [
        ("resize u8c3 1920x1080->640x640", (1920, 1080, 3), (640, 640)),
        ("resize u8c1 1920x1080->640x640", (1920, 1080, 1), (640, 640)),
        ("resize u8c4 1920x1080->640x640", (1920, 1080, 4), (640, 640)),
        ("resize u8c3 1280x720->640x640", (1280, 720, 3), (640, 640)),
        ("resize u8c3 1000x1000->333x333", (1000, 1000, 3), (333, 333)),
    ]:
        img = rng.integers(0, 256, (h, w, cn) if cn > 1 else (h, w), dtype=np.uint8)
        rows.append((name, lambda img=img, d=dsize: resize(img, d, **kw),
                     lambda img=img, d=dsize: cv2.resize(img, d, interpolation=cv2.INTER_LINEAR)))
    for name, fmt, code, (w, h) in [
        ("NV12->BGR 1920x1080", "YUV420SP", cv2.COLOR_YUV2BGR_NV12, (1920, 1080)),
        ("YUYV->BGR 1920x1080", "YUYV422", cv2.COLOR_YUV2BGR_YUY2, (1920, 1080)),
        ("NV12->BGR 1280x720", "YUV420SP", cv2.COLOR_YUV2BGR_NV12, (1280, 720)),
    ]:
        shape = (h * 3 // 2, w) if fmt == "YUV420SP" else (h, w, 2)
        frame = rng.integers(0, 256, shape, dtype=np.uint8)
        rows.append((name, lambda f=frame, fmt=fmt: csc(f, fmt, "BGR", **kw),
                     lambda f=frame, c=code: cv2.cvtColor(f, c)))
    return rows


def run_kernels(rng: np.random.Generator, repeat: int) -> None:
    print(f"\n{'kernel (single-threaded)':40s} {'pyalign ms':>10s} {'cv2 ms':>8s} {'ratio':>6s}  target <= 1.0")
    for name, ours, peer in kernel_rows(rng, 1):
        assert np.array_equal(ours(), peer()), name
        t_ours, t_peer = medians([ours, peer], repeat)
        ratio = t_ours / t_peer
        print(f"{name:40s} {t_ours * 1e3:10.3f} {t_peer * 1e3:8.3f} {ratio:6.2f}  {'met' if ratio <= 1.0 else 'NOT met'}")


# ------------------------------------------------------------------------------------------ fused


def fused_case(fmt: str, src: Tuple[int, int], geometry: str, dst: Tuple[int, int], norm: str,
               rng: np.random.Generator) -> Dict[str, Any]:
    """The spec, the raw input and the two cv2 chains of one fused row."""
    w, h = src
    if fmt == "YUV420SP":
        raw = rng.integers(0, 256, (h * 3 // 2, w), dtype=np.uint8)
        ops: List[Dict[str, Any]] = [{"op": "csc", "to": "BGR", "mode": "opencv"}]
    else:
        raw = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        ops = []
    if geometry == "letterbox":
        ops.append({"op": "letterbox", "size": list(dst), "pad_value": 114, "style": "ultralytics"})
        info = letterbox_info(src, dst)
        inner = (info.resized_width, info.resized_height)
        border = (info.pad_top, info.pad_bottom, info.pad_left, info.pad_right)
    else:
        ops.append({"op": "resize", "size": list(dst), "interpolation": "linear"})
        inner, border = dst, None
    mean, std = ([0.0] * 3, [255.0] * 3) if norm == "/255" else (IMAGENET_MEAN, IMAGENET_STD)
    ops += [{"op": "swap_rb"}, {"op": "normalize", "mean": mean, "std": std}, {"op": "layout", "to": "NCHW"}]
    spec = {"input": {"format": fmt, "width": w, "height": h}, "preprocess": ops}

    def bgr_image() -> np.ndarray:
        img = cv2.cvtColor(raw, cv2.COLOR_YUV2BGR_NV12) if fmt == "YUV420SP" else raw
        img = cv2.resize(img, inner, interpolation=cv2.INTER_LINEAR)
        if border is not None:
            img = cv2.copyMakeBorder(img, *border, cv2.BORDER_CONSTANT, value=(114, 114, 114))
        return img

    if norm == "/255":
        def blob_chain() -> np.ndarray:
            return cv2.dnn.blobFromImage(bgr_image(), 1 / 255, swapRB=True)
    else:
        params = cv2.dnn.Image2BlobParams()
        params.scalefactor = tuple(1.0 / s for s in std) + (1.0,)
        params.mean = tuple(mean) + (0.0,)
        params.swapRB = True
        params.ddepth = cv2.CV_32F

        def blob_chain() -> np.ndarray:
            return cv2.dnn.blobFromImageWithParams(bgr_image(), params)

    mean3 = np.float32(mean).reshape(3, 1, 1)
    std3 = np.float32(std).reshape(3, 1, 1)
    scalar = norm == "/255"

    def scalar_chain() -> np.ndarray:
        # the fastest cv2 + numpy form: RGB straight from the conversion (or one cvtColor), transpose
        # before the float conversion, in-place arithmetic; scalar mean / std where they are equal
        if fmt == "YUV420SP":
            img = cv2.cvtColor(raw, cv2.COLOR_YUV2RGB_NV12)
        else:
            img = cv2.cvtColor(raw, cv2.COLOR_BGR2RGB)
        img = cv2.resize(img, inner, interpolation=cv2.INTER_LINEAR)
        if border is not None:
            img = cv2.copyMakeBorder(img, *border, cv2.BORDER_CONSTANT, value=(114, 114, 114))
        x = img.transpose(2, 0, 1).astype(np.float32)
        if scalar:
            x -= np.float32(0)
            x /= np.float32(255)
        else:
            x -= mean3
            x /= std3
        return x[None]

    return {"spec": spec, "raw": raw, "blob": blob_chain, "scalar": scalar_chain}


FUSED = [
    ("YUV420SP", (1920, 1080), "letterbox", (640, 640)),
    ("YUV420SP", (1280, 720), "letterbox", (640, 640)),
    ("YUV420SP", (1920, 1080), "resize", (224, 224)),
    ("BGR", (1920, 1080), "letterbox", (640, 640)),
    ("BGR", (1280, 720), "letterbox", (640, 640)),
    ("BGR", (1920, 1080), "resize", (224, 224)),
]


def fused_label(fmt: str, src: Tuple[int, int], geometry: str, dst: Tuple[int, int], norm: str) -> str:
    name = "NV12" if fmt == "YUV420SP" else fmt
    res = {1080: "1080p", 720: "720p"}[src[1]]
    geo = f"{'lb' if geometry == 'letterbox' else 'rs'} {dst[0]}"
    return f"{name} {res} {geo} {'/255' if norm == '/255' else 'mean/std'}"


def run_fused(rng: np.random.Generator, repeat: int) -> None:
    print(f"\n{'fused -> RGB NCHW float32':28s} {'pyalign ms':>10s} {'blob ms':>8s} {'scalar ms':>9s} "
          f"{'speedup':>7s}  target >= 3.0 (vs the faster chain; blob ulp)")
    for fmt, src, geometry, dst in FUSED:
        for norm in ("/255", "mean/std"):
            c = fused_case(fmt, src, geometry, dst, norm, rng)
            pre, raw = Preprocessor(c["spec"]), c["raw"]

            def ours(raw: np.ndarray = raw, pre: Preprocessor = pre) -> np.ndarray:
                return pre(raw)

            want = ours()
            assert np.array_equal(want, c["scalar"]()), fused_label(fmt, src, geometry, dst, norm)
            blob = c["blob"]()
            assert blob.shape == want.shape
            ulps = ulp_diff(blob, want)
            assert ulps <= 1, (fused_label(fmt, src, geometry, dst, norm), ulps)
            t_ours, t_blob, t_scalar = medians([ours, c["blob"], c["scalar"]], repeat)
            speedup = min(t_blob, t_scalar) / t_ours
            print(f"{fused_label(fmt, src, geometry, dst, norm):28s} {t_ours * 1e3:10.3f} {t_blob * 1e3:8.3f} "
                  f"{t_scalar * 1e3:9.3f} {speedup:6.2f}x  {'met' if speedup >= 3.0 else 'NOT met'} ({ulps} ulp)")


# ---------------------------------------------------------------------------------------- threads


def run_threads(rng: np.random.Generator, repeat: int) -> None:
    # wall clock whatever --clock says: a thread's CPU time does not see the other threads' work
    global CLOCK
    CLOCK = time.perf_counter
    print(f"\n{'threads (pyalign only, wall clock)':40s} {'1 thread':>9s} {'2 threads':>9s} {'speedup':>7s}  target >= 1.7")
    img = rng.integers(0, 256, (1080, 1920, 3), dtype=np.uint8)
    nv12 = rng.integers(0, 256, (1620, 1920), dtype=np.uint8)
    yuyv = rng.integers(0, 256, (1080, 1920, 2), dtype=np.uint8)
    c = fused_case("YUV420SP", (1920, 1080), "letterbox", (640, 640), "/255", rng)
    pre = Preprocessor(c["spec"])
    c2 = fused_case("YUV420SP", (1920, 1080), "resize", (640, 640), "/255", rng)
    pre2 = Preprocessor(c2["spec"])
    rows = [
        ("resize u8c3 1920x1080->640x640", lambda t: resize(img, (640, 640), threads=t)),
        ("resize u8c3 1920x1080->1280x720", lambda t: resize(img, (1280, 720), threads=t)),
        ("NV12->BGR 1920x1080", lambda t: csc(nv12, "YUV420SP", "BGR", threads=t)),
        ("YUYV->BGR 1920x1080", lambda t: csc(yuyv, "YUYV422", "BGR", threads=t)),
        ("fused NV12 1080p lb 640 /255", lambda t: pre(c["raw"], threads=t)),
        ("fused NV12 1080p rs 640x640 /255", lambda t: pre2(c2["raw"], threads=t)),
    ]
    for name, fn in rows:
        assert np.array_equal(fn(1), fn(2)), name
        t1, t2 = medians([lambda: fn(1), lambda: fn(2)], repeat)
        print(f"{name:40s} {t1 * 1e3:9.3f} {t2 * 1e3:9.3f} {t1 / t2:6.2f}x  {'met' if t1 / t2 >= 1.7 else 'NOT met'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=21, help="interleaved repetitions (median; at least 15)")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    ap.add_argument("--only", default="kernels,fused,threads", help="comma-separated: kernels, fused, threads")
    args = ap.parse_args()
    if args.repeat < 15:
        ap.error("--repeat must be at least 15")
    global CLOCK
    CLOCK = time.perf_counter if args.clock == "wall" else time.thread_time
    cv2.setNumThreads(1)
    rng = np.random.default_rng(0)
    print(f"python {platform.python_version()}, numpy {np.__version__}, opencv {cv2.__version__}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs, cv2 threads {cv2.getNumThreads()}, "
          f"clock {args.clock}, median of {args.repeat} interleaved repetitions, "
          f"pyalign SIMD level {_core.simd_level()}")
    parts = set(args.only.split(","))
    if "kernels" in parts:
        run_kernels(rng, args.repeat)
    if "fused" in parts:
        run_fused(rng, args.repeat)
    if "threads" in parts:
        run_threads(rng, args.repeat)


if __name__ == "__main__":
    main()

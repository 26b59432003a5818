"""Benchmark: pyalign.core.resize(..., backend="pil") vs Pillow's Image.resize, same process.

Run: ``python benchmarks/bench_resize_pil.py [--repeat N] [--clock wall|cpu]``. Both sides are
single-threaded (Pillow's resample has no threads; pyalign's C++ runs on the calling thread). The
calls are interleaved (a round of pyalign calls, a round of Pillow calls, ...; a round lasts about
20 ms) and the median of N rounds is reported, so
a load change on a shared machine hits both sides alike. Times are of the resize call alone: a
prepared PIL image for Pillow, a numpy array for pyalign (each returns its own image type). The
ratio is pyalign / Pillow (lower is better; the target for RGB 1920x1080 -> 455x256 bilinear is
<= 1.5). Every case is also checked for identical bytes.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import time
from typing import Callable, List, Tuple

import numpy as np
import PIL
from PIL import Image

from pyalign.core import resize

_RESAMPLING = getattr(Image, "Resampling", Image)
FILTERS = {
    "nearest": _RESAMPLING.NEAREST,
    "box": _RESAMPLING.BOX,
    "linear": _RESAMPLING.BILINEAR,
    "hamming": _RESAMPLING.HAMMING,
    "cubic": _RESAMPLING.BICUBIC,
    "lanczos": _RESAMPLING.LANCZOS,
}


def interleaved_medians(a: Callable[[], object], b: Callable[[], object], repeat: int, number: int,
                        clock: Callable[[], float]) -> Tuple[float, float]:
    """Median over ``repeat`` rounds of the mean time of ``number`` calls, a and b alternating."""
    a(), b()
    ta: List[float] = []
    tb: List[float] = []
    for _ in range(repeat):
        t0 = clock()
        for _ in range(number):
            a()
        t1 = clock()
        for _ in range(number):
            b()
        t2 = clock()
        ta.append((t1 - t0) / number)
        tb.append((t2 - t1) / number)
    return statistics.median(ta), statistics.median(tb)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    args = parser.parse_args()
    clock = time.perf_counter if args.clock == "wall" else time.thread_time
    rng = np.random.default_rng(0)
    print(f"python {platform.python_version()}, numpy {np.__version__}, Pillow {PIL.__version__}, "
          f"{platform.machine()}, clock {args.clock}, median of {args.repeat} interleaved rounds")
    cases: List[Tuple[str, Tuple[int, ...], Tuple[int, int], str]] = [
        ("RGB 1920x1080 -> 455x256 linear (target <= 1.5)", (1080, 1920, 3), (455, 256), "linear"),
        ("RGB 1920x1080 -> 455x256 box", (1080, 1920, 3), (455, 256), "box"),
        ("RGB 1920x1080 -> 455x256 cubic", (1080, 1920, 3), (455, 256), "cubic"),
        ("RGB 1920x1080 -> 455x256 lanczos", (1080, 1920, 3), (455, 256), "lanczos"),
        ("RGB 1920x1080 -> 455x256 hamming", (1080, 1920, 3), (455, 256), "hamming"),
        ("RGB 1920x1080 -> 455x256 nearest", (1080, 1920, 3), (455, 256), "nearest"),
        ("L 1920x1080 -> 455x256 linear", (1080, 1920), (455, 256), "linear"),
        ("RGBA 1920x1080 -> 455x256 linear", (1080, 1920, 4), (455, 256), "linear"),
        ("RGB 640x480 -> 224x224 cubic", (480, 640, 3), (224, 224), "cubic"),
        ("RGB 640x480 -> 1280x960 cubic (up)", (480, 640, 3), (960, 1280), "cubic"),
        ("RGB 1000x3000 -> 900x600 linear (vertical first)", (3000, 1000, 3), (900, 600), "linear"),
    ]
    print(f"{'case':50s} {'pyalign ms':>11s} {'Pillow ms':>10s} {'ratio':>6s}  same")
    for name, shape, dsize, interp in cases:
        img = rng.integers(0, 256, shape, dtype=np.uint8)
        im = Image.fromarray(img)
        flt = FILTERS[interp]
        a = lambda: resize(img, dsize, interp, backend="pil", pillow_version=PIL.__version__)  # noqa: E731
        b = lambda: im.resize(dsize, flt)  # noqa: E731
        t0 = time.perf_counter()
        a(), b()
        number = max(1, int(0.02 / (time.perf_counter() - t0)))  # rounds of >= ~20 ms for both
        t_pa, t_pil = interleaved_medians(a, b, args.repeat, number, clock)
        same = np.array_equal(resize(img, dsize, interp, backend="pil", pillow_version=PIL.__version__),
                              np.asarray(im.resize(dsize, flt)))
        print(f"{name:50s} {t_pa * 1e3:11.3f} {t_pil * 1e3:10.3f} {t_pa / t_pil:6.2f}  {same}")


if __name__ == "__main__":
    main()

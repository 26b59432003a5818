"""Benchmark: dataset verification, cases per second at --jobs 1 and --jobs 2, and memory over many cases.

Generates capture sets with pyalign's own capture API and bundled specs (synthetic images,
synthetic model outputs), then runs ``pyalign.dataset.verify_dataset`` (what ``pyalign
verify DIR -j N`` runs) at each job count, checks that the verdicts are identical, and prints
cases/s, the CPU time per case (summed over the tasks: what a loaded machine cannot hide)
and the speed-up. Both are measured warm (a run before the timed one): the first
``--jobs 2`` run of a process also starts the fork server, whose time is printed apart. ``--memory N`` also verifies N images with the reference computed
on the fly (``verify_images``, one process) and prints this process's peak RSS growth.

    python benchmarks/bench_dataset.py [--cases 200] [--spec nv12_yolov8] [--memory 2000]
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from pyalign.capture import capture_image
from pyalign.dataset import verify_images
from pyalign.dataset.run import execute, plan_verify
from pyalign.dataset.tasks import Options, verify_task
from pyalign.demo import synthetic_model_output
from pyalign.spec.bundled import bundled_spec
from pyalign.synthetic import synthetic_image


def make_cases(root: Path, spec_name: str, n: int) -> None:
    """``n`` capture sets of a bundled spec (each image and model output seeded by its index)."""
    spec = bundled_spec(spec_name)
    w, h = spec["input"]["width"], spec["input"]["height"]
    for i in range(n):
        capture_image(synthetic_image(h, w, seed=i), spec, root / f"case_{i:04d}",
                      model_output=synthetic_model_output(spec, seed=i % 8), durable=False)


def timed_task(item: tuple) -> dict:
    """``verify_task`` plus the CPU seconds it took in its process (run in the workers)."""
    t0 = time.process_time()
    out = verify_task(item)
    out["cpu"] = time.process_time() - t0
    return out


def timed(root: Path, jobs: int) -> tuple:
    """Wall seconds, CPU seconds summed over the tasks, and the outcomes' records."""
    plan = plan_verify([root], Options())
    plan.task = timed_task
    t0 = time.perf_counter()
    outcomes = list(execute(plan, jobs))
    return time.perf_counter() - t0, sum(o["cpu"] for o in outcomes), [o["record"] for o in outcomes]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def memory(n: int, tmp: Path) -> None:
    """Peak RSS growth of this process while verifying ``n`` small images on the fly (jobs 1)."""
    spec = bundled_spec("bgr_classification").to_dict()
    spec["input"] = {"format": "BGR", "width": 64, "height": 48}
    spec["preprocess"] = [op for op in spec["preprocess"] if op["op"] not in ("resize", "resize_shorter",
                                                                            "center_crop", "letterbox")]
    spec.pop("postprocess")
    imgs = tmp / "images"
    imgs.mkdir()
    base = synthetic_image(48, 64)
    for i in range(n):
        cv2.imwrite(str(imgs / f"{i:05d}.png"), np.roll(base, i, axis=1))
    verify_images([imgs], spec, jobs=1, shard="1/50")  # imports and caches before the measurement
    before = peak_rss_mib()
    t0 = time.perf_counter()
    r = verify_images([imgs], spec, jobs=1)
    dt = time.perf_counter() - t0
    assert r.summary["cases"] == n and r.aligned
    print(f"memory: {n} cases verified on the fly in {dt:.1f} s, peak RSS {before:.0f} -> {peak_rss_mib():.0f} MiB "
          f"(growth {peak_rss_mib() - before:.1f} MiB)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--spec", default="nv12_yolov8", help="bundled spec (pyalign spec list)")
    ap.add_argument("--memory", type=int, default=0, metavar="N", help="also measure memory over N cases")
    args = ap.parse_args()
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"python {sys.version.split()[0]}, {cpus} CPUs, {args.cases} cases of the bundled spec {args.spec}")
    with tempfile.TemporaryDirectory(prefix="pyalign-bench-") as tmp:
        root = Path(tmp) / "cases"
        t0 = time.perf_counter()
        make_cases(root, args.spec, args.cases)
        print(f"captured in {time.perf_counter() - t0:.1f} s")
        timed(root, 1)  # warm the page cache and imports
        t1, cpu1, r1 = timed(root, 1)
        cold, _, _ = timed(root, 2)  # starts the fork server (imports numpy, OpenCV, pyalign once)
        t2, cpu2, r2 = timed(root, 2)
        assert r1 == r2, "jobs 1 and jobs 2 disagree"
        assert all(r["aligned"] for r in r1), "the C++ core should reproduce the bundled spec"
        n = args.cases
        print(f"verify --jobs 1: {t1:.2f} s, {n / t1:.1f} cases/s ({1000 * cpu1 / n:.1f} ms CPU per case)")
        print(f"verify --jobs 2: {t2:.2f} s, {n / t2:.1f} cases/s ({1000 * cpu2 / n:.1f} ms CPU per case in the workers)")
        print(f"speed-up: {t1 / t2:.2f}x (target >= 1.7x on 2 cores); the first --jobs 2 run of a process, "
              f"which also starts the fork server: {cold:.2f} s ({t1 / cold:.2f}x)")
        with open("/proc/loadavg") if os.path.exists("/proc/loadavg") else open(os.devnull) as f:
            load = f.read().split()[:3]
        if load:
            print(f"load average during the run: {' '.join(load)} (a speed-up needs two idle cores)")
        if args.memory:
            memory(args.memory, Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

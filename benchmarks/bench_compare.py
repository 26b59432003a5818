"""Benchmark: pyalign's streaming comparator vs numpy.testing.assert_allclose and np.allclose.

Writes two float32 tensors as .bin files (as a capture set holds them), then in
this process, single-threaded, on the same data:

* pyalign: ``stream_metrics`` over the memory-mapped files (every metric, one
  pass, C++ with the GIL released);
* numpy: ``np.fromfile`` both files, then ``np.allclose(a, e, rtol=0, atol=1e-4)``
  and ``numpy.testing.assert_allclose(a, e, rtol=0, atol=1e-4)`` (timed without
  the file reads, which favours numpy);
* on the same in-memory arrays: pyalign ``stream_metrics``, and two baselines that
  bound what any comparator can do: ``np.abs(a - e).max()`` and copying both
  tensors with ``np.copyto`` (memory bandwidth).

Peak extra memory: numpy with ``tracemalloc`` (numpy reports its buffers to
it), peak minus the memory before the call. pyalign works on memory-mapped
pages that tracemalloc cannot see, so it runs in a child process that reports
its RSS high-water mark (``VmHWM``, reset through ``/proc/self/clear_refs``
just before; ``ru_maxrss`` where that is not available) after the comparison
minus its RSS before it. Resident pages of the file mappings count, so this
shows what the streaming reader holds at its worst moment.

Usage: python benchmarks/bench_compare.py [--mb 256] [--big-mb 1024] [--repeat 3] [--dir DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from pyalign.compare.metrics import stream_metrics
from pyalign.compare.rules import Rule

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import numpy as np
from pyalign.compare.metrics import stream_metrics
from pyalign.compare.rules import Rule
from pyalign.store import TensorRecord
e_path, a_path, n, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def rec(p):
    return TensorRecord("preprocessed", "t", Path(p).name, "float32", (n,), path=Path(p))
E, A = rec(e_path), rec(a_path)
# warm-up on a tiny slice of work so that imports and tables are not counted
stream_metrics(np.zeros(4096, np.float32), np.zeros(4096, np.float32), rule=Rule("atol", 1e-4), shape=(4096,))
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return None
try:  # reset the high-water mark to the current RSS (Linux >= 4.0)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before = status("VmRSS")
    hwm = lambda: status("VmHWM")
except OSError:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    hwm = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
times, cpu = [], []
for _ in range(repeat):
    t0, c0 = time.perf_counter(), time.thread_time()
    m, v = stream_metrics(E, A, rule=Rule("atol", 1e-4), shape=(n,))
    times.append(time.perf_counter() - t0)
    cpu.append(time.thread_time() - c0)
after = hwm()
print(json.dumps({"time": min(times), "cpu": min(cpu), "extra_rss_kib": after - before, "violations": m["violations"],
                  "max_abs_diff": m["max_abs_diff"]}))
"""


def make_pair(d: Path, n: int, seed: int = 0) -> tuple:
    """Two float32 files of n elements: expected and expected + noise below 1e-4."""
    rng = np.random.default_rng(seed)
    e_path, a_path = d / f"e_{n}.bin", d / f"a_{n}.bin"
    step = 1 << 24
    with open(e_path, "wb") as fe, open(a_path, "wb") as fa:
        for s in range(0, n, step):
            k = min(step, n - s)
            e = rng.standard_normal(k, dtype=np.float32)
            a = e + (rng.standard_normal(k, dtype=np.float32) * np.float32(1e-5))
            e.tofile(fe)
            a.tofile(fa)
    return e_path, a_path


def run_pyalign_child(e_path: Path, a_path: Path, n: int, repeat: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(e_path), str(a_path), str(n), str(repeat)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def time_numpy(fn, repeat: int) -> tuple:
    best, best_cpu, peak = float("inf"), float("inf"), 0
    for _ in range(repeat):
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        t0, c0 = time.perf_counter(), time.thread_time()
        fn()
        dt, dc = time.perf_counter() - t0, time.thread_time() - c0
        peak = max(peak, tracemalloc.get_traced_memory()[1] - base)
        tracemalloc.stop()
        best, best_cpu = min(best, dt), min(best_cpu, dc)
    return best, best_cpu, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=256, help="size of each tensor compared against numpy (MB)")
    ap.add_argument("--big-mb", type=int, default=1024, help="size of each tensor for pyalign alone (MiB, 0: skip)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", type=Path, default=None, help="where to write the test files (default: a temp dir)")
    args = ap.parse_args()
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:  # pragma: no cover
        pass
    tmp = tempfile.TemporaryDirectory(dir=args.dir)
    d = Path(tmp.name)
    n = args.mb * 1000 * 1000 // 4
    e_path, a_path = make_pair(d, n)
    nbytes = 2 * n * 4
    print(f"two float32 tensors of {n * 4 / 1e6:.0f} MB ({n} elements), atol 1e-4, single thread")
    pa = run_pyalign_child(e_path, a_path, n, args.repeat)
    e = np.fromfile(e_path, dtype=np.float32)
    a = np.fromfile(a_path, dtype=np.float32)

    def allclose() -> None:
        assert np.allclose(a, e, rtol=0, atol=1e-4)

    def assert_allclose() -> None:
        np.testing.assert_allclose(a, e, rtol=0, atol=1e-4)

    buf = np.empty_like(e)

    def copy_both() -> None:  # memory-bandwidth floor: read both tensors (and write them once)
        np.copyto(buf, e)
        np.copyto(buf, a)

    def abs_diff_max() -> None:
        np.abs(a - e).max()

    def pyalign_in_memory() -> None:
        stream_metrics(e, a, rule=Rule("atol", 1e-4), shape=(n,))

    t_ac, c_ac, m_ac = time_numpy(allclose, args.repeat)
    t_aa, c_aa, m_aa = time_numpy(assert_allclose, args.repeat)
    t_cp, c_cp, m_cp = time_numpy(copy_both, args.repeat)
    t_am, c_am, m_am = time_numpy(abs_diff_max, args.repeat)
    t_pm, c_pm, m_pm = time_numpy(pyalign_in_memory, args.repeat)
    del e, a, buf
    rows = [
        ("pyalign stream_metrics (mmap files, all metrics)", pa["time"], pa["cpu"], pa["extra_rss_kib"] * 1024,
         "RSS high-water"),
        ("np.allclose (arrays in memory)", t_ac, c_ac, m_ac, "tracemalloc peak"),
        ("numpy.testing.assert_allclose (arrays in memory)", t_aa, c_aa, m_aa, "tracemalloc peak"),
        ("pyalign stream_metrics (arrays in memory)", t_pm, c_pm, m_pm, "tracemalloc peak"),
        ("baseline: np.abs(a - e).max()", t_am, c_am, m_am, "tracemalloc peak"),
        ("baseline: np.copyto of both (memcpy)", t_cp, c_cp, m_cp, "tracemalloc peak"),
    ]
    print(f"{'method':<50} {'wall s':>7} {'cpu s':>7} {'GB/s':>6} {'extra MiB':>10}  memory measured by")
    for name, t, c, mem, how in rows:
        print(f"{name:<50} {t:7.3f} {c:7.3f} {nbytes / t / 1e9:6.2f} {mem / 2**20:10.1f}  {how}")
    print(f"speed-up (wall) vs np.allclose: {t_ac / pa['time']:.1f}x, vs assert_allclose: {t_aa / pa['time']:.1f}x; "
          f"(cpu) {c_ac / pa['cpu']:.1f}x, {c_aa / pa['cpu']:.1f}x. GB/s = bytes of both tensors / wall time; "
          f"cpu = this thread's CPU time (robust when the machine is busy)")
    print(f"bound: a comparator running at memcpy speed would be {c_ac / c_cp:.1f}x np.allclose (cpu); "
          f"pyalign runs at {c_cp / pa['cpu']:.2f}x memcpy speed and {c_am / pa['cpu']:.1f}x np.abs(a - e).max()")
    os.remove(e_path)
    os.remove(a_path)
    if args.big_mb:
        nb = args.big_mb * 2**20 // 4
        e_path, a_path = make_pair(d, nb, seed=1)
        big = run_pyalign_child(e_path, a_path, nb, max(1, args.repeat - 1))
        print(f"pyalign alone, two float32 tensors of {args.big_mb} MiB: {big['time']:.3f} s wall "
              f"({big['cpu']:.3f} s cpu), {2 * nb * 4 / big['time'] / 1e9:.2f} GB/s, "
              f"extra RSS {big['extra_rss_kib'] / 1024:.1f} MiB")
    tmp.cleanup()


if __name__ == "__main__":
    main()

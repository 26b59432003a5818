"""Run one task per case, in a process pool or in this process, and yield the results in order.

The tasks are module-level functions of :mod:`pyalign.dataset.tasks` taking one picklable
argument and returning a compact dict (verdicts, metrics, texts: never the tensors), so
what crosses the process boundary is small and the parent's memory does not grow with the
tensors. Results are yielded in the order of the items (the callers sort them by case
name), whatever order the workers finish in, so ``jobs=1`` and ``jobs=N`` give the same
output. At most ``4 * jobs`` tasks are in flight: a dataset of any size is streamed.

Workers are started by a fork server on Linux (``spawn`` elsewhere;
``PYALIGN_START_METHOD`` picks another method). The fork server is a fresh single-threaded
process that imports numpy, OpenCV and pyalign once (:data:`PRELOAD`); each worker forked
from it starts warm. Forking the caller itself would be faster still but is not safe: a
caller that has run OpenCV has its thread pool, whose locks a forked child can inherit
held, and hang on. As with any ``multiprocessing`` start method but ``fork``, a script
that calls the Python API with ``jobs > 1`` must do so under ``if __name__ == "__main__":``
(each worker imports it again). Each worker runs OpenCV single-threaded: the pool is the
parallelism.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Callable, Deque, Iterator, Optional, Sequence, TypeVar

__all__ = ["default_jobs", "check_jobs", "run_ordered"]

T = TypeVar("T")
R = TypeVar("R")

#: Tasks submitted ahead of the one being waited for, per worker.
AHEAD = 4


def default_jobs() -> int:
    """The CPUs this process may run on (``os.sched_getaffinity``, else ``os.cpu_count``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def check_jobs(jobs: Optional[int]) -> int:
    """``jobs`` as a positive int (None or 0: :func:`default_jobs`).

    Raises
    ------
    ValueError
        A negative number.
    """
    if jobs is None or jobs == 0:
        return default_jobs()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 0:
        raise ValueError(f"--jobs {jobs!r}: expected a number of processes >= 1 (0: one per CPU)")
    return jobs


def _init_worker() -> None:
    """Each worker is single-threaded: the pool is the parallelism (OpenCV would oversubscribe)."""
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:  # pragma: no cover - a dependency
        pass


#: Environment variable naming another start method (``spawn``, ``fork``) for the workers.
START_METHOD_ENV = "PYALIGN_START_METHOD"

#: Modules the fork server imports once, so that each worker forked from it starts warm.
PRELOAD = ["numpy", "cv2", "pyalign.core", "pyalign.verify", "pyalign.compare.comparator", "pyalign.diagnose",
           "pyalign.dataset.tasks", "pyalign.dataset.onthefly", "pyalign.capture", "pyalign.reference.preprocess",
           "pyalign.reference.postprocess", "pyalign.report.html"]


def _context() -> Any:
    method = os.environ.get(START_METHOD_ENV) or ("forkserver" if sys.platform.startswith("linux") else "spawn")
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(PRELOAD)  # effective until the server starts (once per process)
    return ctx


def run_ordered(task: Callable[[T], R], items: Sequence[T], jobs: int = 1,
                progress: Optional[Callable[[int], None]] = None) -> Iterator[R]:
    """Yield ``task(item)`` for every item, in the items' order.

    Parameters
    ----------
    task : callable
        A picklable (module-level) function of one argument.
    items : sequence
        The arguments, picklable.
    jobs : int
        Worker processes; 1 (or a single item) runs everything in this process.
    progress : callable, optional
        Called with 1 after each finished task (a progress bar's ``update``).

    Yields
    ------
    The results. An exception raised by a task is raised here, at its item.
    """
    if jobs <= 1 or len(items) <= 1:
        for item in items:
            result = task(item)
            if progress is not None:
                progress(1)
            yield result
        return
    workers = min(jobs, len(items))
    with ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=_init_worker) as pool:
        pending: Deque["Future[R]"] = deque()
        it = iter(items)
        try:
            for item in it:
                pending.append(pool.submit(task, item))
                if len(pending) >= AHEAD * workers:
                    break
            while pending:
                result = pending.popleft().result()
                nxt = next(it, _END)
                if nxt is not _END:
                    pending.append(pool.submit(task, nxt))
                if progress is not None:
                    progress(1)
                yield result
        finally:
            for f in pending:
                f.cancel()


_END: Any = object()

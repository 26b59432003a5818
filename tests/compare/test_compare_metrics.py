"""Streaming metrics checked against numpy computed independently (several chunks per tensor)."""
from __future__ import annotations

import numpy as np
import pytest

from pyalign import _core
from pyalign.compare.metrics import HISTOGRAM_BINS, named_index, stream_metrics
from pyalign.compare.rules import Rule
from pyalign.store import CaseWriter

EDGES = np.array([1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 1e1, 1e2])


def oracle(e: np.ndarray, a: np.ndarray, atol: float, rtol: float) -> dict:
    """Metrics of two finite tensors, the slow obvious way in float64."""
    e64, a64 = e.astype(np.float64).ravel(), a.astype(np.float64).ravel()
    if e.dtype == np.int64:
        d = np.array([int(x) - int(y) for x, y in zip(a.ravel(), e.ravel())], dtype=np.float64)
    else:
        d = a64 - e64
    ad = np.abs(d)
    bad = ~(ad < atol + rtol * np.abs(e64))
    nz = e64 != 0
    hist = np.zeros(12, dtype=np.int64)
    for x in ad:
        hist[0 if x == 0 else 1 + int(np.sum(x >= EDGES))] += 1
    se, sa = np.sum(e64 * e64), np.sum(a64 * a64)
    return {
        "violations": int(bad.sum()),
        "max_abs_diff": float(ad.max()),
        "argmax": int(np.argmax(ad)),
        "mean_abs_diff": float(ad.mean()),
        "rmse": float(np.sqrt(np.mean(d * d))),
        "max_rel_diff": float((ad[nz] / np.abs(e64[nz])).max()) if nz.any() else 0.0,
        "cosine": float(np.sum(e64 * a64) / np.sqrt(se * sa)),
        "snr_db": float(10 * np.log10(se / np.sum(d * d))) if np.any(d) else float("inf"),
        "hist": hist.tolist(),
        "first_bad": np.flatnonzero(bad)[:10].tolist(),
    }


def random_pair(rng: np.random.Generator, dtype: str, n: int):
    dt = np.dtype(dtype)
    if dt.kind == "f":
        scale = rng.choice([1e-3, 1.0, 300.0])
        e = (rng.standard_normal(n) * scale).astype(dt)
        noise = rng.standard_normal(n) * rng.choice([1e-6, 1e-4, 1e-2]) * (rng.random(n) < 0.3)
        a = (e.astype(np.float64) + noise).astype(dt)
    else:
        info = np.iinfo(dt)
        lo, hi = max(int(info.min), -(2**40)), min(int(info.max), 2**40)
        e = rng.integers(lo, hi, size=n, endpoint=True, dtype=dt)
        a = e.copy()
        k = rng.random(n) < 0.05
        a[k] = rng.integers(lo, hi, size=int(k.sum()), endpoint=True, dtype=dt)
    return e, a


@pytest.mark.parametrize(
    "dtype", ["uint8", "int8", "uint16", "int16", "uint32", "int32", "int64", "float16", "float32", "float64"]
)
def test_metrics_match_numpy_every_dtype(dtype: str) -> None:
    rng = np.random.default_rng(abs(hash(dtype)) % 2**32)
    for trial in range(4):
        n = int(rng.integers(1, 9000))
        e, a = random_pair(rng, dtype, n)
        atol = float(rng.choice([1e-4, 1e-2, 1.0, 3.0]))
        rtol = float(rng.choice([0.0, 1e-3]))
        m, viol = stream_metrics(e, a, rule=Rule("atol", atol, rtol), shape=e.shape, chunk_elems=1024)
        o = oracle(e, a, atol, rtol)
        assert m["count"] == n
        assert m["violations"] == o["violations"]
        assert m["max_abs_diff"] == o["max_abs_diff"]
        assert m["max_abs_flat_index"] == o["argmax"]
        assert m["expected_at_max"] == e[o["argmax"]].item()
        assert m["actual_at_max"] == a[o["argmax"]].item()
        assert m["histogram"]["counts"] == o["hist"]
        assert [v["flat_index"] for v in viol] == o["first_bad"]
        for v in viol:
            assert v["expected"] == e[v["flat_index"]].item() and v["actual"] == a[v["flat_index"]].item()
        assert m["mean_abs_diff"] == pytest.approx(o["mean_abs_diff"], rel=1e-9, abs=1e-300)
        assert m["rmse"] == pytest.approx(o["rmse"], rel=1e-9, abs=1e-300)
        assert m["max_rel_diff"] == pytest.approx(o["max_rel_diff"], rel=1e-12)
        assert m["cosine"] == pytest.approx(o["cosine"], rel=1e-9)
        assert m["snr_db"] == pytest.approx(o["snr_db"], rel=1e-9)
        assert m["min_atol_to_pass"] == np.nextafter(o["max_abs_diff"], np.inf)
        assert m["violation_pct"] == pytest.approx(100.0 * o["violations"] / n)


def test_chunking_does_not_change_results() -> None:
    rng = np.random.default_rng(7)
    e = rng.standard_normal(50_000).astype(np.float32)
    a = (e + rng.standard_normal(50_000).astype(np.float32) * 1e-4).astype(np.float32)
    rule = Rule("atol", 1e-4)
    ref, rv = stream_metrics(e, a, rule=rule, shape=e.shape)
    for ch in (1024, 2048, 4096 * 3):
        m, v = stream_metrics(e, a, rule=rule, shape=e.shape, chunk_elems=ch)
        assert m == ref and v == rv


def test_memory_mapped_file_source(tmp_path) -> None:
    rng = np.random.default_rng(3)
    e = rng.standard_normal((2, 3, 50, 70)).astype(np.float32)
    a = e.copy()
    a[1, 2, 40, 9] += 0.5
    a[0, 0, 0, 1] = np.nan
    w = CaseWriter(tmp_path / "c")
    re_ = w.add("preprocessed", "e", e, layout="NCHW")
    w.add("preprocessed", "a", a, layout="NCHW")
    case = w.commit()
    m, viol = stream_metrics(
        case.get("preprocessed", "e"), case.get("preprocessed", "a"), rule=Rule("atol", 1e-4),
        shape=e.shape, layout="NCHW", chunk_elems=2048,
    )
    assert re_ is not None
    assert m["violations"] == 2 and m["nonfinite_mismatch"] == 1 and m["nan_actual"] == 1
    assert m["max_abs_index"] == {"n": 1, "c": 2, "y": 40, "x": 9}
    assert m["max_abs_diff"] == pytest.approx(0.5, abs=1e-6)
    assert m["min_atol_to_pass"] is None
    assert [v["index"] for v in viol] == [{"n": 0, "c": 0, "y": 0, "x": 1}, {"n": 1, "c": 2, "y": 40, "x": 9}]
    assert m["finite_pairs"] == e.size - 1


def test_nan_and_inf_semantics() -> None:
    inf, nan = np.inf, np.nan
    e = np.array([nan, nan, 1.0, inf, inf, -inf, 2.0, inf, 5.0], dtype=np.float32)
    a = np.array([nan, 1.0, nan, inf, -inf, -inf, inf, nan, 5.0], dtype=np.float32)
    m, viol = stream_metrics(e, a, rule=Rule("atol", 1e-4), shape=e.shape)
    # equal: (nan,nan), (inf,inf), (-inf,-inf); mismatches: 5; finite pair: (5,5)
    assert m["nonfinite_equal"] == 3
    assert m["nonfinite_mismatch"] == 5
    assert m["violations"] == 5
    assert [v["flat_index"] for v in viol] == [1, 2, 4, 6, 7]
    assert m["nan_expected"] == 2 and m["nan_actual"] == 3
    assert m["inf_expected"] == 4 and m["inf_actual"] == 4
    assert m["finite_pairs"] == 1 and m["max_abs_diff"] == 0.0
    # NaN at the same place passes, even under the exact rule
    m2, _ = stream_metrics(np.array([nan, 1], np.float64), np.array([nan, 1], np.float64), rule=Rule("exact"), shape=(2,))
    assert m2["violations"] == 0


def test_nan_in_a_large_block_falls_back_exactly() -> None:
    rng = np.random.default_rng(11)
    e = rng.random(5000).astype(np.float32)
    a = e.copy()
    a[1500] += 1e-3
    e[1700] = np.nan
    a[1700] = np.nan
    m, viol = stream_metrics(e, a, rule=Rule("atol", 1e-4), shape=e.shape, chunk_elems=1024)
    assert m["violations"] == 1 and [v["flat_index"] for v in viol] == [1500]
    assert m["finite_pairs"] == 4999 and m["nonfinite_equal"] == 1
    ok = np.ones(5000, bool)
    ok[1700] = False
    d = np.abs(a[ok].astype(np.float64) - e[ok])
    assert m["mean_abs_diff"] == pytest.approx(d.mean(), rel=1e-12)


def test_histogram_bin_edges_are_decades() -> None:
    for x, b in [(0.0, 0), (5e-324, 1), (9.99e-8, 1), (1e-7, 2), (1e-4, 5), (np.nextafter(1e-4, 0), 4),
                 (0.5, 8), (1.0, 9), (99.9, 10), (100.0, 11), (1e300, 11), (np.inf, 11)]:
        assert _core.compare_hist_bin(float(x)) == b, x
        if np.isfinite(x) and x > 0:
            assert HISTOGRAM_BINS[b] != "0"


def test_max_violations_cap_and_zero() -> None:
    e = np.zeros(100, np.uint8)
    a = np.ones(100, np.uint8)
    m, v = stream_metrics(e, a, rule=Rule("exact"), shape=(100,), max_violations=3)
    assert m["violations"] == 100 and [x["flat_index"] for x in v] == [0, 1, 2]
    m, v = stream_metrics(e, a, rule=Rule("exact"), shape=(100,), max_violations=0)
    assert m["violations"] == 100 and v == []


def test_named_index_layouts() -> None:
    assert named_index(5, (1, 2, 2, 2), "NHWC") == {"n": 0, "y": 1, "x": 0, "c": 1}
    assert named_index(5, (2, 3), "HWC") == {"d0": 1, "d1": 2}
    assert named_index(7, (2, 2, 2), "CHW") == {"c": 1, "y": 1, "x": 1}
    assert named_index(3, (2, 2), None) == {"d0": 1, "d1": 1}


def test_accumulator_rejects_bad_input() -> None:
    acc = _core.CompareAccumulator("float32", "atol", 1e-4)
    with pytest.raises(ValueError, match="dtype"):
        acc.update(np.zeros(4, np.float64), np.zeros(4, np.float64))
    with pytest.raises(ValueError, match="size"):
        acc.update(np.zeros(4, np.float32), np.zeros(5, np.float32))
    with pytest.raises(ValueError, match="contiguous"):
        acc.update(np.zeros(8, np.float32)[::2], np.zeros(4, np.float32))
    with pytest.raises(ValueError, match="dtype"):
        acc.update(np.zeros(4, ">f4"), np.zeros(4, ">f4"))
    with pytest.raises(ValueError, match="unknown dtype"):
        _core.CompareAccumulator("complex64")
    with pytest.raises(ValueError):
        _core.CompareAccumulator("float32", "atol", -1.0)
    with pytest.raises(ValueError):
        _core.CompareAccumulator("float32", "sometimes")


def test_non_numeric_dtypes_are_rejected() -> None:
    with pytest.raises(ValueError, match="numbers only"):
        stream_metrics(np.zeros(3, complex), np.zeros(3, complex), rule=Rule("exact"), shape=(3,))
    # bool and big-endian arrays are compared in float64
    m, _ = stream_metrics(np.array([True, False]), np.array([True, True]), rule=Rule("exact"), shape=(2,))
    assert m["violations"] == 1
    m, _ = stream_metrics(np.arange(5, dtype=">f4"), np.arange(5, dtype=">f4") + 1, rule=Rule("exact"), shape=(5,))
    assert m["violations"] == 5 and m["max_abs_diff"] == 1.0


# ---- the block kernel's shortcuts (violations, relative diff, histogram computed only where they can
# change a result; the block max gates them): every case checked exactly against numpy ----


def _exact_checks(e: np.ndarray, a: np.ndarray, atol: float, rtol: float, chunk: int = 1024) -> None:
    m, viol = stream_metrics(e, a, rule=Rule("atol", atol, rtol), shape=e.shape, chunk_elems=chunk)
    o = oracle(e, a, atol, rtol)
    assert m["violations"] == o["violations"]
    assert [v["flat_index"] for v in viol] == o["first_bad"]
    assert m["histogram"]["counts"] == o["hist"]
    assert m["max_abs_diff"] == o["max_abs_diff"] and m["max_abs_flat_index"] == o["argmax"]
    assert m["max_rel_diff"] == o["max_rel_diff"]  # a max of correctly rounded quotients: exact


def test_atol_zero_makes_every_equal_element_a_violation() -> None:
    e = np.arange(3000, dtype=np.float32)
    m, viol = stream_metrics(e, e.copy(), rule=Rule("atol", 0.0), shape=e.shape)
    assert m["violations"] == 3000 and [v["flat_index"] for v in viol] == list(range(10))
    assert m["histogram"]["counts"][0] == 3000 and m["max_abs_diff"] == 0.0


def test_max_relative_diff_found_in_late_blocks_and_by_one_ulp() -> None:
    rng = np.random.default_rng(11)
    n = 20 * 1024
    e = rng.uniform(1.0, 2.0, n)
    a = e + rng.uniform(-1e-6, 1e-6, n)
    # an early large relative diff, then one that beats it by one ulp of the quotient in a late block
    e[100], a[100] = 1.0, 1.0 + 0.5
    e[n - 5], a[n - 5] = -1.0, -0.5 + 2.0**-53  # |a - e| / |e| = 0.5 + 2^-53, exactly
    m, _ = stream_metrics(e, a, rule=Rule("atol", 1e-4), shape=e.shape)
    assert m["max_rel_diff"] == np.nextafter(0.5, 1.0)
    _exact_checks(e, a, 1e-4, 0.0)
    # and one just below it: the earlier element stays the max
    a[n - 5] = -0.5 - 2.0**-53
    m, _ = stream_metrics(e, a, rule=Rule("atol", 1e-4), shape=e.shape)
    assert m["max_rel_diff"] == 0.5
    _exact_checks(e, a, 1e-4, 0.0)


def test_relative_diff_with_zeros_and_tiny_expected_values() -> None:
    rng = np.random.default_rng(12)
    for dtype in ("float32", "float64", "uint8", "int16"):
        n = int(rng.integers(4000, 12000))
        if dtype.startswith("float"):
            e = rng.standard_normal(n)
            e[rng.random(n) < 0.3] = 0.0  # ReLU-like: zeros in every block
            e[rng.random(n) < 0.01] *= 1e-30
            a = e + rng.standard_normal(n) * 1e-5 * (rng.random(n) < 0.5)
            e, a = e.astype(dtype), a.astype(dtype)
        else:
            e = rng.integers(0, 40, n).astype(dtype)
            a = (e.astype(np.int64) + rng.integers(-1, 2, n) * (rng.random(n) < 0.1)).clip(0, 255).astype(dtype)
        for atol, rtol in ((1e-4, 0.0), (1.0, 1e-3), (0.0, 0.5)):
            _exact_checks(e, a, atol, rtol)


def test_rtol_violations_only_beyond_atol_plus_rtol() -> None:
    e = np.full(4096, 1000.0)
    a = e.copy()
    a[3000] = 1000.0 + 0.5   # |d| = 0.5 >= atol 0.1 but < 0.1 + 1e-3 * 1000: passes
    a[3500] = 1000.0 + 1.25  # fails
    m, viol = stream_metrics(e, a, rule=Rule("atol", 0.1, 1e-3), shape=e.shape)
    assert m["violations"] == 1 and [v["flat_index"] for v in viol] == [3500]
    _exact_checks(e, a, 0.1, 1e-3)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_histogram_at_exact_edges_in_every_block_position() -> None:
    rng = np.random.default_rng(13)
    edges = [5e-324, *EDGES.tolist()]
    vals = np.array(edges + [np.nextafter(x, 0) for x in edges[1:]] + [0.0, 3e2, 1e300])
    for trial in range(6):
        n = 1024 * int(rng.integers(1, 5)) + int(rng.integers(0, 4))
        d = rng.choice(vals, size=n)
        if trial % 2:  # blocks whose max is exactly an edge
            d = np.minimum(d, edges[int(rng.integers(1, len(edges)))])
        e = np.zeros(n)
        _exact_checks(e, e + d, 1e-4, 0.0)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_overflowing_float64_difference_stays_finite_pair() -> None:
    e = np.zeros(2048)
    a = np.zeros(2048)
    e[1500], a[1500] = -1e308, 1e308  # both finite, the difference overflows to inf
    m, viol = stream_metrics(e, a, rule=Rule("atol", 1e-4), shape=e.shape)
    assert m["finite_pairs"] == 2048 and m["nonfinite_mismatch"] == 0
    assert m["max_abs_diff"] == np.inf and m["max_abs_flat_index"] == 1500
    assert m["violations"] == 1 and [v["flat_index"] for v in viol] == [1500]
    assert m["histogram"]["counts"][11] == 1 and m["histogram"]["counts"][0] == 2047


def test_nan_in_one_block_leaves_other_blocks_on_the_fast_path() -> None:
    rng = np.random.default_rng(14)
    e = rng.standard_normal(8192).astype(np.float32)
    a = (e + rng.standard_normal(8192).astype(np.float32) * np.float32(1e-5)).astype(np.float32)
    a[5000] = np.nan
    m, _ = stream_metrics(e, a, rule=Rule("atol", 1e-4), shape=e.shape)
    ok = np.ones(8192, bool)
    ok[5000] = False
    o = oracle(e[ok], a[ok], 1e-4, 0.0)
    assert m["finite_pairs"] == 8191 and m["nan_actual"] == 1 and m["violations"] == 1
    assert m["max_abs_diff"] == o["max_abs_diff"] and m["max_rel_diff"] == o["max_rel_diff"]
    hist = o["hist"]
    assert m["histogram"]["counts"] == hist
    assert m["mean_abs_diff"] == pytest.approx(o["mean_abs_diff"], rel=1e-12)

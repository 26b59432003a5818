"""Randomized properties of the comparator: NaN/Inf placement against a numpy oracle, and
order-free detection matching."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyalign.compare.comparator import compare_arrays
from pyalign.compare.metrics import stream_metrics
from pyalign.compare.rules import Rule

PALETTE = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, 1.00005, 1.0002, -3.5, 1e-9, 250.0], np.float32)


def oracle(e: np.ndarray, a: np.ndarray, atol: float) -> dict:
    e64, a64 = e.astype(np.float64), a.astype(np.float64)
    fin = np.isfinite(e64) & np.isfinite(a64)
    equal_nonfinite = ~fin & ((np.isnan(e64) & np.isnan(a64)) | (e64 == a64))
    mismatch = ~fin & ~equal_nonfinite
    with np.errstate(invalid="ignore"):
        d = np.where(fin, a64 - e64, 0.0)
    bad = mismatch | (fin & ~(np.abs(d) < atol))
    ad = np.abs(d[fin])
    return {
        "violations": int(bad.sum()),
        "first": np.flatnonzero(bad)[:10].tolist(),
        "nonfinite_mismatch": int(mismatch.sum()),
        "nonfinite_equal": int(equal_nonfinite.sum()),
        "finite_pairs": int(fin.sum()),
        "max": float(ad.max()) if ad.size else None,
        "argmax": int(np.flatnonzero(fin)[np.argmax(ad)]) if ad.size else None,
        "sum": float(ad.sum()),
        "nan_e": int(np.isnan(e64).sum()),
        "inf_a": int(np.isinf(a64).sum()),
    }


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 5000),
    seed=st.integers(0, 2**32 - 1),
    p_special=st.sampled_from([0.0, 0.0005, 0.01, 0.3]),
    chunk_blocks=st.integers(1, 4),
)
def test_nonfinite_placements_match_oracle(n: int, seed: int, p_special: float, chunk_blocks: int) -> None:
    rng = np.random.default_rng(seed)
    e = rng.standard_normal(n).astype(np.float32)
    a = (e + (rng.standard_normal(n) * 1e-4 * (rng.random(n) < 0.2)).astype(np.float32)).astype(np.float32)
    for arr in (e, a):
        k = rng.random(n) < p_special
        arr[k] = rng.choice(PALETTE, int(k.sum()))
    same = rng.random(n) < 0.5  # many positions share the special value on both sides
    a[same & ~np.isfinite(e)] = e[same & ~np.isfinite(e)]
    m, viol = stream_metrics(e, a, rule=Rule("atol", 1e-4), shape=e.shape, chunk_elems=1024 * chunk_blocks)
    o = oracle(e, a, 1e-4)
    assert m["violations"] == o["violations"]
    assert [v["flat_index"] for v in viol] == o["first"]
    assert m["nonfinite_mismatch"] == o["nonfinite_mismatch"]
    assert m["nonfinite_equal"] == o["nonfinite_equal"]
    assert m["finite_pairs"] == o["finite_pairs"]
    assert m["nan_expected"] == o["nan_e"] and m["inf_actual"] == o["inf_a"]
    assert m["max_abs_diff"] == o["max"]
    assert m["max_abs_flat_index"] == o["argmax"]
    assert m["mean_abs_diff"] == pytest.approx(o["sum"] / max(1, o["finite_pairs"]), rel=1e-9, abs=1e-300)
    assert sum(m["histogram"]["counts"]) == o["finite_pairs"]
    r = compare_arrays(e, a, stage="preprocessed")
    assert r.passed == (o["violations"] == 0)


def random_dets(rng: np.random.Generator, n: int) -> np.ndarray:
    xy = rng.uniform(0, 600, (n, 2))
    wh = rng.uniform(2, 80, (n, 2))
    score = rng.choice([0.9, 0.7, 0.5], n)  # many equal scores
    cls = rng.integers(0, 4, n)
    d = np.column_stack([xy, xy + wh, score, cls]).astype(np.float32)
    return d[np.argsort(-d[:, 4], kind="stable")]


def test_detection_matching_is_order_free() -> None:
    rng = np.random.default_rng(123)
    for _ in range(40):
        n = int(rng.integers(0, 30))
        e = random_dets(rng, n)
        perm = rng.permutation(n)
        a = e[perm].copy()
        a[:, :5] += rng.uniform(-4e-4, 4e-4, (n, 5)).astype(np.float32) * (rng.random((n, 1)) < 0.5)
        r = compare_arrays(e, a, stage="postprocessed", kind="detections")
        assert r.passed, r.to_text()
        pairs = {(p["expected_index"], p["actual_index"]) for p in r.detections["matched"]}
        # each expected row is matched with its own permuted copy unless an identical twin exists
        for i, j in pairs:
            assert np.allclose(e[i], e[perm[j]], atol=1e-3)
        if n:
            k = int(rng.integers(0, n))
            r2 = compare_arrays(e, np.delete(a, k, axis=0), stage="postprocessed", kind="detections")
            assert not r2.passed and len(r2.detections["unmatched_expected"]) == 1
            a3 = a.copy()
            a3[k, 0] += 0.01  # still overlaps, out of tolerance
            r3 = compare_arrays(e, a3, stage="postprocessed", kind="detections")
            assert not r3.passed

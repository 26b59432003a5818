"""``pyalign demo``: the whole job on bundled data, offline, in about a second.

1. A synthetic 1280x720 image is converted to NV12 (the camera frame), run
   through the Python reference pipeline of the bundled ``demo`` spec
   (letterbox 640x640, RGB, /255, NCHW) and captured together with a
   synthetic YOLOv8 output (a few confident objects among noise) and the
   reference detections.
2. The C++ core runs the same spec on the captured frame and model output and
   is compared with the capture: aligned.
3. A misaligned board variant (the RGB swap forgotten: BGR fed where RGB was
   trained) runs on the same capture and is caught, with the diagnosis.
"""
from __future__ import annotations

import os
import pathlib
import tempfile
import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

import numpy as np

from pyalign import formats
from pyalign.spec.model import load_spec, model_input_size

__all__ = ["synthetic_model_output", "misaligned_variant", "run_demo"]

PathLike = Union[str, "os.PathLike[str]"]


def _anchor_centers(w: int, h: int, strides: List[int]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    xs, ys, ss = [], [], []
    for s in strides:
        gy, gx = np.mgrid[0:h // s, 0:w // s]
        xs.append(((gx + 0.5) * s).ravel())
        ys.append(((gy + 0.5) * s).ravel())
        ss.append(np.full(gx.size, s))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ss)


def _objects(rng: np.random.Generator, w: int, h: int, nc: int, count: int = 5) -> List[Tuple[float, float, float, float, int, float]]:
    """(cx, cy, bw, bh, class, score) of a few objects inside the central part of the input."""
    objs = []
    for i in range(count):
        bw, bh = float(rng.uniform(0.08, 0.3) * w), float(rng.uniform(0.08, 0.3) * h)
        cx = float(rng.uniform(0.25, 0.75) * w)
        cy = float(rng.uniform(0.35, 0.65) * h)
        objs.append((cx, cy, bw, bh, int(rng.integers(0, nc)), float(0.95 - 0.1 * i)))
    # a second box of another class on top of the first: class-aware NMS keeps both
    cx, cy, bw, bh, c, _ = objs[0]
    objs.append((cx + 0.05 * bw, cy, bw * 0.9, bh, (c + 1) % nc, 0.6))
    return objs


def _near(ax: np.ndarray, ay: np.ndarray, cx: float, cy: float, k: int, used: set) -> List[int]:
    """The k anchors nearest to (cx, cy) that no other object took (marked as taken)."""
    order = np.argsort((ax - cx) ** 2 + (ay - cy) ** 2, kind="stable")
    picked = [int(i) for i in order[: k + len(used)] if int(i) not in used][:k]
    used.update(picked)
    return picked


def synthetic_model_output(spec: Mapping[str, Any], seed: int = 0) -> List[np.ndarray]:
    """A deterministic model output for a spec's postprocess op: a few confident objects among noise.

    Shapes: classification ``[1, 1000]`` logits; yolov8 ``[1, 4+nc, A]`` (cx, cy, w, h
    in input pixels, class probabilities; ``reg_max`` 0) or ``[1, 4*reg_max+nc, A]``
    (DFL bin logits, class probabilities); yolov5 three raw heads ``[1, na*(5+nc), H/s, W/s]``
    (logits); yolox ``[1, A, 5+nc]`` (offsets, log sizes, activated scores);
    segmentation ``[1, 21, H, W]`` (``NCHW``) or ``[1, H, W, 21]`` logits.

    Returns
    -------
    list of numpy.ndarray
        float32, one per model output.
    """
    spec = load_spec(spec)
    post = spec["postprocess"]
    if not post:
        raise ValueError("the spec has no postprocess op")
    rng = np.random.default_rng(seed)
    w, h = model_input_size(spec)
    op = post["op"]
    if op == "classification":
        return [rng.normal(0, 2, (1, 1000)).astype(np.float32)]
    if op == "segmentation":
        logits = rng.normal(0, 1, (1, 21, h, w)).astype(np.float32)
        yy, xx = np.mgrid[0:h, 0:w]
        for c in (3, 7, 15):  # a few blobs of one class each
            cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.1, 0.3) * min(w, h)
            logits[0, c][(xx - cx) ** 2 + (yy - cy) ** 2 < r * r] += 5
        return [logits if post["layout"] == "NCHW" else np.ascontiguousarray(logits.transpose(0, 2, 3, 1))]
    nc, strides = post["num_classes"], post["strides"]
    ax, ay, st = _anchor_centers(w, h, strides)
    a = ax.size
    objs = _objects(rng, w, h, nc)
    used: set = set()
    if op == "yolov8" and post["reg_max"] == 0:
        out = np.empty((4 + nc, a), np.float32)
        out[0] = ax + rng.normal(0, 2, a)
        out[1] = ay + rng.normal(0, 2, a)
        out[2] = rng.uniform(4, 0.2 * w, a)
        out[3] = rng.uniform(4, 0.2 * h, a)
        out[4:] = rng.uniform(0, 0.05, (nc, a))
        for cx, cy, bw, bh, c, s in objs:
            for j, i in enumerate(_near(ax, ay, cx, cy, 4, used)):
                out[0:4, i] = (cx + rng.normal(0, 0.02 * bw), cy + rng.normal(0, 0.02 * bh),
                               bw * rng.uniform(0.95, 1.05), bh * rng.uniform(0.95, 1.05))
                out[4 + c, i] = s - 0.02 * j
        return [out[None]]
    if op == "yolov8":
        rm = post["reg_max"]
        out = np.empty((4 * rm + nc, a), np.float32)
        out[: 4 * rm] = rng.normal(0, 1, (4 * rm, a))
        out[4 * rm:] = rng.uniform(0, 0.01, (nc, a))  # class probabilities (one tensor: activated)
        for cx, cy, bw, bh, c, s in objs:
            for j, i in enumerate(_near(ax, ay, cx, cy, 3, used)):
                dist = np.array([ax[i] - (cx - bw / 2), ay[i] - (cy - bh / 2),
                                 (cx + bw / 2) - ax[i], (cy + bh / 2) - ay[i]]) / st[i]
                bins = np.arange(rm)
                for k in range(4):  # a peaked distribution around the distance
                    out[k * rm:(k + 1) * rm, i] = -((bins - np.clip(dist[k], 0, rm - 1)) ** 2)
                out[4 * rm + c, i] = s - 0.02 * j
        return [out[None]]
    if op == "yolov5":
        na = len(post["anchors"][0]) // 2
        heads = []
        for s in strides:
            head = rng.normal(0, 0.5, (na, 5 + nc, h // s, w // s)).astype(np.float32)
            head[:, 4:] = rng.normal(-8, 1, (na, 1 + nc, h // s, w // s))
            heads.append(head)
        for n, (cx, cy, bw, bh, c, s) in enumerate(objs):
            hi = n % len(strides)
            s_ = strides[hi]
            gx, gy = min(int(cx // s_), w // s_ - 1), min(int(cy // s_), h // s_ - 1)
            for k in range(na):
                heads[hi][k, 4, gy, gx] = 3.0 - 0.5 * k
                heads[hi][k, 5 + c, gy, gx] = 3.0 - 0.3 * n
        return [hd.reshape(1, na * (5 + nc), hd.shape[2], hd.shape[3]) for hd in heads]
    # yolox
    out = np.empty((a, 5 + nc), np.float32)
    out[:, 0:2] = rng.normal(0, 0.3, (a, 2))
    out[:, 2:4] = rng.normal(0, 0.3, (a, 2))
    out[:, 4] = rng.uniform(0, 0.1, a)
    out[:, 5:] = rng.uniform(0, 1, (a, nc))
    for cx, cy, bw, bh, c, s in objs:
        for j, i in enumerate(_near(ax, ay, cx, cy, 3, used)):
            out[i, 0:4] = ((cx - ax[i]) / st[i] + 0.5, (cy - ay[i]) / st[i] + 0.5,  # grid index = center/s - 0.5
                           np.log(bw / st[i]), np.log(bh / st[i]))
            out[i, 4] = s - 0.02 * j
            out[i, 5 + c] = 0.99
    return [out[None]]


def misaligned_variant(spec: Mapping[str, Any]) -> Dict[str, Any]:
    """The same spec with its RGB order broken: the board feeds BGR where the model was trained on RGB."""
    spec = load_spec(spec)
    if formats.lookup(spec["input"]["format"]).channels == 1:
        raise ValueError("a GRAY pipeline has no colour order to break")
    ops = [dict(op) for op in spec["preprocess"]]
    if any(op["op"] == "swap_rb" for op in ops):
        ops = [op for op in ops if op["op"] != "swap_rb"]
    else:
        for op in ops:
            if op["op"] == "csc":
                op["to"] = "RGB" if op["to"] == "BGR" else "BGR"
                break
        else:
            i = next((k for k, op in enumerate(ops) if op["op"] in ("normalize", "layout")), len(ops))
            ops.insert(i, {"op": "swap_rb"})
    return load_spec({**spec, "preprocess": ops})


def run_demo(out: Optional[PathLike] = None, *, color: bool = False,
             echo: Callable[[str], None] = print, html: Optional[PathLike] = None) -> int:
    """Capture, verify, show a misaligned variant being caught.

    Parameters
    ----------
    out : path-like, optional
        Keep the capture sets here (default: a temporary directory, removed).
    color : bool
        Colour the reports (for a terminal).
    echo : callable
        Where the text goes.
    html : path-like, optional
        Also write the misaligned variant's HTML report there.

    Returns
    -------
    int
        0 when the C++ core is aligned and the variant is caught, else 1.
    """
    if out is None:
        with tempfile.TemporaryDirectory(prefix="pyalign-demo-") as tmp:
            return _demo(pathlib.Path(tmp), color, echo, html, keep=False)
    return _demo(pathlib.Path(os.fspath(out)), color, echo, html, keep=True)


def _demo(root: pathlib.Path, color: bool, echo: Callable[[str], None], html: Optional[PathLike], keep: bool) -> int:
    from pyalign.capture import capture_image
    from pyalign.spec.bundled import bundled_spec
    from pyalign.synthetic import synthetic_image
    from pyalign.verify import verify_case

    t0 = time.perf_counter()
    spec = bundled_spec("demo")
    inp = spec["input"]
    image = synthetic_image(inp["height"], inp["width"], seed=0)
    case = capture_image(image, spec, root / "capture" / "demo", model_output=synthetic_model_output(spec),
                         extra={"source_image": "pyalign.synthetic.synthetic_image(seed=0)"})
    dets = case.array("postprocessed")
    echo(f"pyalign demo: a {inp['width']}x{inp['height']} {inp['format']} frame -> letterbox 640x640 -> RGB -> /255 "
         f"-> NCHW -> YOLOv8 ({len(dets)} detections in the synthetic model output)")
    echo(f"captured the Python pipeline in {case.dir if keep else 'a temporary directory'}\n")

    echo("1. The C++ core (pyalign.core) on the captured frame and model output:")
    good = verify_case(case, out=root / "board" / "aligned")
    echo(good.to_text(color=color))

    variant = misaligned_variant(spec)
    echo("\n2. A board variant that forgets the BGR->RGB swap (BGR fed where RGB was trained):")
    bad = verify_case(case, variant, out=root / "board" / "bgr_fed")
    echo(bad.to_text(color=color))
    if html is not None:
        from pyalign.report.html import write_html

        write_html(bad.comparison, html)
        echo(f"HTML report: {html}")

    ok = good.aligned and not bad.aligned
    echo("")
    echo(f"C++ core aligned with the Python pipeline: {'yes' if good.aligned else 'NO'}; "
         f"misaligned variant caught: {'yes' if not bad.aligned else 'NO'} "
         f"({time.perf_counter() - t0:.2f} s)")
    if keep:
        echo(f"capture sets kept in {root}: compare them with 'pyalign compare {root / 'capture' / 'demo'} "
             f"{root / 'board' / 'bgr_fed'}'")
    return 0 if ok else 1

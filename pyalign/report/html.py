"""A self-contained HTML report of a comparison: verdicts, metrics, diagnosis and pictures.

One file, no external resources: images are PNG data URIs made with ``cv2.imencode``, the
histogram is inline SVG, the style sheet is inline, there is no script. Per tensor: the
verdict, the rule, the metrics table, the first violations and the diagnosis; for image-like
tensors a per-channel heatmap of ``|actual - expected|`` with its colour scale, the expected
and actual pictures side by side (de-normalized for display) and a histogram of ``|diff|``;
for detections both sets of boxes drawn over the raw input image.
"""
from __future__ import annotations

import base64
import html
import math
import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from pyalign import formats
from pyalign.reference.preprocess import yuv_to_bgr
from pyalign.spec.model import find_op
from pyalign.spec.postprocess import infer_kind
from pyalign.store.format import guess_layout

__all__ = ["write_html", "render_html"]

#: Largest width (pixels) of a picture in the report; bigger ones are reduced.
MAX_WIDTH = 360

_IMAGE_LAYOUTS = ("NCHW", "NHWC", "CHW", "HWC", "HW")

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#1d2330;background:#fff}
h1{font-size:24px;margin:0 0 8px} h2{font-size:19px;margin:28px 0 6px;border-top:2px solid #dde3ea;padding-top:14px}
h3{font-size:15px;margin:14px 0 6px;color:#3c4657}
.badge{display:inline-block;padding:2px 10px;border-radius:10px;font-weight:700;color:#fff;font-size:14px}
.pass{background:#1f8f4e}.fail{background:#c62f2f}.other{background:#b7791f}
table{border-collapse:collapse;font-size:13px;margin:4px 0 10px}
td,th{border:1px solid #d5dbe3;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f1f4f8} td.num{font-family:ui-monospace,Menlo,Consolas,monospace;text-align:right}
.panels{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}
.panel{border:1px solid #d5dbe3;border-radius:6px;padding:6px;background:#fafbfc}
.panel img{display:block;image-rendering:pixelated;max-width:100%}
.cap{font-size:12px;color:#4a5568;margin-top:4px}
.legend{display:flex;align-items:center;gap:6px;font-size:12px;margin-top:4px}
.legend img{height:12px;width:160px}
ul.diag li{margin:3px 0} .explains{color:#1f6f3e;font-weight:600} .partial{color:#8a5a00}
.note{color:#6b7280;font-size:13px} code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _png(img: np.ndarray) -> str:
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(img))
    if not ok:  # pragma: no cover - cv2 encodes any uint8 image
        raise ValueError("could not encode a PNG")
    return "data:image/png;base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def _img_tag(img: np.ndarray, alt: str, scale_up: bool = True) -> str:
    h, w = img.shape[:2]
    disp = w
    if scale_up and w < 160:
        disp = min(160, w * max(1, 160 // max(w, 1)))
    return f'<img src="{_png(img)}" alt="{_e(alt)}" width="{disp}">'


# --------------------------------------------------------------------------- arrays

def _load_case(ref: Any) -> Any:
    if ref is None:
        return None
    if hasattr(ref, "array"):
        return ref
    try:
        from pyalign.store import read_case

        return read_case(ref, verify_checksums=False)
    except Exception:  # noqa: BLE001 - a report shows what it can
        return None


def _load_actual(act: Any, ref_case: Any) -> Any:
    if act is None:
        return None
    if hasattr(act, "array"):
        return act
    if ref_case is None:
        return _load_case(act)
    try:
        from pyalign.store import read_actual

        return read_actual(act, ref_case)
    except Exception:  # noqa: BLE001
        return None


def _array(case: Any, stage: str, name: Optional[str]) -> Optional[np.ndarray]:
    if case is None:
        return None
    for n in (name, None):
        try:
            return np.asarray(case.array(stage, n))
        except Exception:  # noqa: BLE001
            continue
    return None


def _record(case: Any, stage: str, name: Optional[str]) -> Any:
    if case is None:
        return None
    try:
        return case.get(stage, name)
    except Exception:  # noqa: BLE001
        return None


# -------------------------------------------------------------------- image helpers

def _to_hwc(arr: np.ndarray, layout: Optional[str]) -> Optional[np.ndarray]:
    a = arr
    if layout == "NCHW" and a.ndim == 4:
        return a[0].transpose(1, 2, 0)
    if layout == "NHWC" and a.ndim == 4:
        return a[0]
    if layout == "CHW" and a.ndim == 3:
        return a.transpose(1, 2, 0)
    if layout in ("HWC",) and a.ndim == 3:
        return a
    if a.ndim == 2:
        return a[..., None]
    if layout is None and a.ndim == 3 and a.shape[2] <= 4:
        return a
    if layout is None and a.ndim == 4 and a.shape[1] <= 4 < min(a.shape[2:]):
        return a[0].transpose(1, 2, 0)
    if layout is None and a.ndim == 4 and a.shape[3] <= 4:
        return a[0]
    return None


def _reduce(img: np.ndarray, how: str = "area") -> np.ndarray:
    """Shrink ``img`` to at most :data:`MAX_WIDTH` wide (block maximum for heatmaps)."""
    h, w = img.shape[:2]
    k = int(math.ceil(w / MAX_WIDTH))
    if k <= 1:
        return img
    if how == "max":
        ph, pw = (-h) % k, (-w) % k
        padded = np.pad(img, ((0, ph), (0, pw)) + ((0, 0),) * (img.ndim - 2))
        nh, nw = padded.shape[0] // k, padded.shape[1] // k
        return padded.reshape((nh, k, nw, k) + padded.shape[2:]).max(axis=(1, 3))
    return cv2.resize(img, (max(1, w // k), max(1, h // k)), interpolation=cv2.INTER_AREA)


def _per_channel(values: Any, c: int, default: float) -> np.ndarray:
    """A spec's mean or std as ``c`` float64 values (``default`` when its length fits neither 1 nor ``c``)."""
    v = np.asarray(values, np.float64).ravel()
    return np.broadcast_to(v, (c,)) if v.size in (1, c) else np.full(c, default)


def _display(hwc: np.ndarray, color: Optional[str], lohi: Optional[Tuple[float, float]],
             norm: Optional[Dict[str, Any]]) -> np.ndarray:
    """An 8-bit BGR or gray picture of an HWC tensor (float tensors de-normalized)."""
    x = hwc
    if x.dtype != np.uint8:
        xf = x.astype(np.float64)
        c = xf.shape[2]
        if norm is not None:
            xf = xf * _per_channel(norm.get("std", [1]), c, 1.0) + _per_channel(norm.get("mean", [0]), c, 0.0)
        elif lohi is not None:
            lo, hi = lohi
            xf = (xf - lo) * (255.0 / (hi - lo)) if hi > lo else xf * 0
        xf = np.nan_to_num(xf, nan=0.0, posinf=255.0, neginf=0.0)
        x = np.clip(np.rint(xf), 0, 255).astype(np.uint8)
    if x.shape[2] == 3:
        return np.ascontiguousarray(x[..., ::-1] if color == "RGB" else x)
    if x.shape[2] == 4:
        return np.ascontiguousarray(x[..., :3][..., ::-1] if color == "RGB" else x[..., :3])
    return np.ascontiguousarray(x[..., 0])


def _raw_picture(raw: np.ndarray, color: Optional[str]) -> Optional[np.ndarray]:
    """A BGR picture of a raw input (YUV frames decoded by the reference, as OpenCV does)."""
    try:
        if formats.is_yuv(color):
            return yuv_to_bgr(raw, color)
        if raw.ndim == 2:
            return cv2.cvtColor(raw.astype(np.uint8), cv2.COLOR_GRAY2BGR)
        if raw.ndim == 3 and raw.shape[2] == 3:
            pic = raw if raw.dtype == np.uint8 else np.clip(raw, 0, 255).astype(np.uint8)
            return np.ascontiguousarray(pic[..., ::-1] if color == "RGB" else pic)
    except (cv2.error, ValueError):
        return None
    return None


def _legend(vmax: float) -> str:
    bar = cv2.applyColorMap(np.tile(np.arange(256, dtype=np.uint8), (12, 1)), cv2.COLORMAP_INFERNO)
    return (f'<div class="legend"><span>0</span><img src="{_png(bar)}" alt="colour scale">'
            f'<span>{vmax:.4g}</span><span class="note">|actual &minus; expected|</span></div>')


def _heatmaps(exp: np.ndarray, act: np.ndarray, names: Sequence[str]) -> str:
    with np.errstate(invalid="ignore", over="ignore"):
        d = np.abs(act.astype(np.float64) - exp.astype(np.float64))
    d = np.where(np.isnan(d), np.inf, d)
    finite = d[np.isfinite(d)]
    vmax = float(finite.max()) if finite.size else 0.0
    if vmax == 0.0 and finite.size == d.size:
        return '<div class="note">identical: |diff| is 0 everywhere</div>'
    d = np.where(np.isfinite(d), d, vmax if vmax > 0 else 1.0)
    scale = 255.0 / vmax if vmax > 0 else 0.0
    out = ['<div class="panels">']
    for c in range(d.shape[2]):
        ch = _reduce(d[..., c], "max")
        img = cv2.applyColorMap(np.clip(np.rint(ch * scale), 0, 255).astype(np.uint8), cv2.COLORMAP_INFERNO)
        cmax = float(d[..., c].max())
        out.append(f'<div class="panel">{_img_tag(img, f"heatmap {names[c]}")}'
                   f'<div class="cap">channel {_e(names[c])}: max |diff| {cmax:.4g}</div></div>')
    out.append("</div>")
    out.append(_legend(vmax))
    return "".join(out)


def _histogram_svg(exp: np.ndarray, act: np.ndarray) -> str:
    """Inline SVG histogram of the non-zero |diff| (log-spaced bins when the range is wide)."""
    with np.errstate(invalid="ignore", over="ignore"):
        d = np.abs(act.astype(np.float64).ravel() - exp.astype(np.float64).ravel())
    n = d.size
    nonfinite = int(np.count_nonzero(~np.isfinite(d)))
    d = d[np.isfinite(d)]
    zeros = int(np.count_nonzero(d == 0))
    nz = d[d > 0]
    head = (f'<div class="cap">{zeros} of {n} elements equal ({100.0 * zeros / max(n, 1):.2f}%)'
            + (f", {nonfinite} NaN/Inf differences" if nonfinite else "") + "</div>")
    if nz.size == 0:
        return head
    lo, hi = float(nz.min()), float(nz.max())
    log = hi / lo > 100
    bins = 24
    if hi == lo:
        edges = np.array([lo * 0.999, hi * 1.001])
    elif log:
        edges = np.logspace(math.log10(lo), math.log10(hi), bins + 1)
    else:
        edges = np.linspace(lo, hi, bins + 1)
    counts, edges = np.histogram(nz, bins=edges)
    wd, ht, pad = 480, 140, 26
    bw = (wd - 2 * pad) / len(counts)
    top = math.log10(counts.max() + 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{wd}" height="{ht + 34}" '
             f'viewBox="0 0 {wd} {ht + 34}" role="img" aria-label="histogram of |diff|">',
             f'<rect x="0" y="0" width="{wd}" height="{ht + 34}" fill="#fafbfc" stroke="#d5dbe3"/>']
    for i, c in enumerate(counts):
        hgt = (ht - 20) * math.log10(c + 1) / top if top > 0 else 0
        x = pad + i * bw
        parts.append(f'<rect x="{x:.1f}" y="{ht - hgt:.1f}" width="{max(bw - 1, 1):.1f}" height="{hgt:.1f}" '
                     f'fill="#c0392b"><title>{edges[i]:.3g} .. {edges[i + 1]:.3g}: {int(c)}</title></rect>')
    parts.append(f'<line x1="{pad}" y1="{ht}" x2="{wd - pad}" y2="{ht}" stroke="#333"/>')
    parts.append(f'<text x="{pad}" y="{ht + 16}" font-size="11">{lo:.3g}</text>')
    parts.append(f'<text x="{wd - pad}" y="{ht + 16}" font-size="11" text-anchor="end">{hi:.3g}</text>')
    parts.append(f'<text x="{wd / 2}" y="{ht + 28}" font-size="11" text-anchor="middle">|diff| '
                 f'({"log" if log else "linear"} bins; bar height log count, max {int(counts.max())})</text>')
    parts.append("</svg>")
    return head + "".join(parts)


def _channel_names(c: int, color: Optional[str]) -> List[str]:
    if c == 3 and color in ("RGB", "BGR"):
        return list(color)
    return [str(i) for i in range(c)]


def _image_section(exp: np.ndarray, act: np.ndarray, layout: Optional[str], color: Optional[str],
                   kind: Optional[str], spec: Any, stage: str, act_layout: Optional[str] = None) -> str:
    e_hwc: Optional[np.ndarray]
    a_hwc: Optional[np.ndarray]
    yuv = formats.lookup(color) if formats.is_yuv(color) and stage == "raw_input" else None
    if yuv is not None:
        e_pic, a_pic = _raw_picture(exp, color), _raw_picture(act, color)
        e_hwc, a_hwc = exp.reshape(exp.shape[0], exp.shape[1], -1), act.reshape(act.shape[0], act.shape[1], -1)
    else:
        if act.shape != exp.shape and act_layout is None:
            act_layout = guess_layout(act.shape, None)
        e_hwc, a_hwc = _to_hwc(exp, layout), _to_hwc(act, act_layout or layout)
        if e_hwc is None or e_hwc.size == 0 or e_hwc.shape[2] == 0:
            return ""
        if a_hwc is not None and (a_hwc.ndim != 3 or a_hwc.size == 0):
            a_hwc = None
        if kind == "mask":
            def colorize(m: np.ndarray) -> np.ndarray:
                ids = np.nan_to_num(m[..., 0].astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
                ids = np.mod(np.floor(ids) * 47.0, 256.0).astype(np.uint8)
                return cv2.applyColorMap(ids, cv2.COLORMAP_JET)
            e_pic = colorize(e_hwc)
            a_pic = colorize(a_hwc) if a_hwc is not None and a_hwc.shape == e_hwc.shape else None
        else:
            norm = find_op(spec, "normalize") if stage == "preprocessed" and e_hwc.dtype != np.uint8 else None
            fin = e_hwc[np.isfinite(e_hwc)] if e_hwc.dtype.kind == "f" else e_hwc
            lohi = (float(fin.min()), float(fin.max())) if fin.size else None
            e_pic = _display(e_hwc, color, lohi, norm)
            a_pic = _display(a_hwc, color, lohi, norm) if a_hwc is not None and a_hwc.ndim == 3 else None
    out = ['<h3>Expected and actual</h3><div class="panels">']
    for label, pic in (("expected", e_pic), ("actual", a_pic)):
        if pic is not None:
            out.append(f'<div class="panel">{_img_tag(_reduce(pic), label)}<div class="cap">{label}</div></div>')
    out.append("</div>")
    if a_hwc is not None and e_hwc is not None and a_hwc.shape == e_hwc.shape:
        if yuv is not None and yuv.family == formats.SEMI_PLANAR_YUV:
            names = ["frame (Y plane above, interleaved chroma below)"]
        elif yuv is not None:
            names = ["Y" if c == yuv.luma_channel else "U/V" for c in range(a_hwc.shape[2])]
        else:
            names = _channel_names(e_hwc.shape[2], color if stage != "raw_input" or color in ("RGB", "BGR") else None)
        out.append("<h3>|diff| per channel</h3>")
        out.append(_heatmaps(e_hwc, a_hwc, names))
    return "".join(out)


def _boxes_section(exp: np.ndarray, act: np.ndarray, raw: Optional[np.ndarray], raw_color: Optional[str],
                   spec: Any) -> str:
    canvas = _raw_picture(raw, raw_color) if raw is not None else None
    note = ""
    if canvas is None:
        inp = spec.get("input", {}) if isinstance(spec, dict) else {}
        both = np.concatenate([exp.reshape(-1, exp.shape[-1])[:, :4], act.reshape(-1, act.shape[-1])[:, :4]]) \
            if exp.shape[-1] >= 4 and act.shape[-1:] == exp.shape[-1:] else exp.reshape(-1, 4)
        fin = both[np.isfinite(both)] if both.size else np.zeros(1)
        w = int(inp.get("width") or max(64, min(4096, float(fin.max()) + 1)))
        h = int(inp.get("height") or max(64, min(4096, float(fin.max()) + 1)))
        canvas = np.full((h, w, 3), 40, np.uint8)
        note = '<div class="note">no raw input image in the capture: boxes drawn on a blank canvas</div>'
    up = max(1, int(math.ceil(480 / max(canvas.shape[1], 1))))
    canvas = cv2.resize(canvas, (canvas.shape[1] * up, canvas.shape[0] * up),
                        interpolation=cv2.INTER_NEAREST) if up > 1 else canvas.copy()
    thick = max(1, canvas.shape[1] // 400)
    for rows, col, t, below in ((exp, (60, 200, 60), thick + 1, False), (act, (40, 40, 230), thick, True)):
        for r in np.asarray(rows, np.float64).reshape(-1, rows.shape[-1] if rows.ndim else 1)[:500]:
            if r.size < 4 or not np.all(np.isfinite(r[:4])):
                continue
            r = r.copy()
            r[:4] *= up
            p1 = (int(round(np.clip(r[0], -1e5, 1e5))), int(round(np.clip(r[1], -1e5, 1e5))))
            p2 = (int(round(np.clip(r[2], -1e5, 1e5))), int(round(np.clip(r[3], -1e5, 1e5))))
            cv2.rectangle(canvas, p1, p2, col, t)
            if r.size >= 6 and np.all(np.isfinite(r[4:6])):
                at = (p1[0], min(p2[1] + 12, canvas.shape[0] - 2)) if below else (p1[0], max(p1[1] - 3, 10))
                cv2.putText(canvas, f"{int(r[5])}:{r[4]:.2f}", at,
                            cv2.FONT_HERSHEY_SIMPLEX, 0.4 * max(1, thick), col, 1, cv2.LINE_AA)
    big = canvas.shape[1] > 2 * MAX_WIDTH
    pic = cv2.resize(canvas, (2 * MAX_WIDTH, max(1, canvas.shape[0] * 2 * MAX_WIDTH // canvas.shape[1])),
                     interpolation=cv2.INTER_AREA) if big else canvas
    return ('<h3>Detections over the raw input</h3><div class="panel">'
            f'{_img_tag(pic, "detections", scale_up=False)}<div class="cap">'
            f'<span style="color:#3cc83c">&#9632;</span> expected ({len(exp)}) &nbsp; '
            f'<span style="color:#e62828">&#9632;</span> actual ({len(act)})</div></div>{note}')


# ------------------------------------------------------------------------ sections

def _fmt_metric(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, dict):
        return ", ".join(f"{k}={_fmt_metric(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt_metric(x) for x in v[:8]) + (", ..." if len(v) > 8 else "") + "]"
    return str(v)


def _metrics_table(metrics: Any) -> str:
    if not isinstance(metrics, dict) or not metrics:
        return '<div class="note">no metrics</div>'
    rows = []
    for k, v in metrics.items():
        if k == "histogram":
            continue
        text = _fmt_metric(v)
        if k == "min_atol_to_pass":  # as in the text report: no denormal when identical
            if v is None:
                text = "none (NaN/Inf mismatch)"
            elif not metrics.get("max_abs_diff"):
                text = "any > 0"
        rows.append(f"<tr><th>{_e(k)}</th><td class=\"num\">{_e(text)}</td></tr>")
    return "<table>" + "".join(rows) + "</table>"


def _violations_table(items: Any) -> str:
    if not items:
        return ""
    rows = []
    for it in list(items)[:10]:
        if isinstance(it, dict):
            rows.append("<tr>" + "".join(f"<td>{_e(_fmt_metric(v))}</td>" for v in it.values()) + "</tr>")
            head = "".join(f"<th>{_e(k)}</th>" for k in it.keys())
        else:
            rows.append(f"<tr><td>{_e(_fmt_metric(it))}</td></tr>")
            head = "<th>violation</th>"
    return f"<h3>First violations</h3><table><tr>{head}</tr>{''.join(rows)}</table>"


def _detections_table(det: Any) -> str:
    """The comparator's matching summary and its unmatched detections (first 10 of each)."""
    if not isinstance(det, dict):
        return ""
    out = [f'<div class="note">detections: {_e(det.get("expected_count"))} expected, '
           f'{_e(det.get("actual_count"))} actual, {len(det.get("matched") or [])} paired '
           f'({_e(det.get("matching", ""))})</div>']
    rows = []
    for label, key in (("missing (expected only)", "unmatched_expected"),
                       ("unexpected (actual only)", "unmatched_actual")):
        for d in list(det.get(key) or [])[:10]:
            if isinstance(d, dict):
                rows.append(f"<tr><td>{label}</td><td>{_e(d.get('index'))}</td><td>{_e(d.get('class'))}</td>"
                            f"<td class=\"num\">{_e(_fmt_metric(d.get('score')))}</td>"
                            f"<td class=\"num\">{_e(_fmt_metric(d.get('box')))}</td></tr>")
    if rows:
        out.append("<table><tr><th></th><th>#</th><th>class</th><th>score</th><th>box</th></tr>"
                   + "".join(rows) + "</table>")
    return "".join(out)


def _diagnosis(items: Any, passed: bool) -> str:
    if passed:
        return ""
    items = list(items or [])
    if not items:
        return '<h3>Diagnosis</h3><div class="note">no diagnosis was run for this tensor</div>'
    out = ['<h3>Diagnosis</h3><ul class="diag">']
    for h in items:
        cls = "explains" if getattr(h, "explains", False) else ("partial" if getattr(h, "partial", False) else "")
        out.append(f'<li class="{cls}">{_e(h)}</li>')
    out.append("</ul>")
    return "".join(out)


def _status(t: Any) -> Tuple[str, str]:
    status = str(getattr(t, "status", "pass" if getattr(t, "passed", False) else "fail"))
    cls = "pass" if getattr(t, "passed", False) else ("fail" if status in ("fail",) else "other")
    return status, cls


def _tensor_section(idx: int, t: Any, ref_case: Any, act_case: Any, spec: Any) -> str:
    stage, name = str(getattr(t, "stage", "?")), getattr(t, "name", None)
    status, cls = _status(t)
    title = f"{stage}/{name}" if name else stage
    rec = _record(ref_case, stage, name)
    layout = getattr(t, "layout", None) or getattr(rec, "layout", None)
    kind = getattr(t, "kind", None) or getattr(rec, "kind", None)
    color = getattr(rec, "color", None)
    out = [f'<h2 id="t{idx}">{_e(title)} <span class="badge {cls}">{_e(status.upper())}</span></h2>']
    info = [("rule", getattr(t, "rule", None)), ("shape", getattr(t, "shape", None)),
            ("dtype", getattr(t, "dtype", None)), ("layout", layout), ("kind", kind), ("color", color)]
    out.append('<div class="note">' + " &middot; ".join(f"{k}: <code>{_e(v)}</code>" for k, v in info
                                                      if v is not None) + "</div>")
    message = getattr(t, "message", "")
    if message:
        out.append(f'<p><b>{_e(message)}</b></p>')
    for note in getattr(t, "notes", None) or []:
        out.append(f'<div class="note">note: {_e(note)}</div>')
    out.append(_metrics_table(getattr(t, "metrics", None)))
    out.append(_detections_table(getattr(t, "detections", None)))
    out.append(_diagnosis(getattr(t, "diagnosis", None), bool(getattr(t, "passed", False))))
    out.append(_violations_table(getattr(t, "first_violations", None)))
    exp = getattr(t, "expected", None)
    act = getattr(t, "actual", None)
    exp = np.asarray(exp) if isinstance(exp, np.ndarray) else _array(ref_case, stage, name)
    act = np.asarray(act) if isinstance(act, np.ndarray) else _array(act_case, stage, name)
    if exp is None or act is None:
        if status not in ("missing", "extra"):
            out.append('<div class="note">tensor data not available to the report</div>')
        return "".join(out)
    try:
        act_layout = getattr(_record(act_case, stage, name), "layout", None) if act_case is not None else None
        out.append(_pictures(exp, act, stage, layout, kind, color, ref_case, spec, act_layout))
    except (ValueError, cv2.error, IndexError, TypeError) as exc:
        out.append(f'<div class="note">no pictures: {_e(exc)}</div>')
    return "".join(out)


def _pictures(exp: np.ndarray, act: np.ndarray, stage: str, layout: Optional[str], kind: Optional[str],
              color: Optional[str], ref_case: Any, spec: Any, act_layout: Optional[str] = None) -> str:
    if infer_kind(kind, stage, exp.shape, exp.dtype) == "detections":
        raw = _array(ref_case, "raw_input", None)
        raw_rec = _record(ref_case, "raw_input", None)
        return _boxes_section(exp, act, raw, getattr(raw_rec, "color", None), spec)
    parts = []
    image_like = (layout in _IMAGE_LAYOUTS or kind in ("image", "mask") or stage == "raw_input") and exp.ndim >= 2
    if image_like:
        parts.append(_image_section(exp, act, layout, color, kind, spec, stage, act_layout))
    if exp.shape == act.shape and exp.size:
        parts.append("<h3>Histogram of |diff|</h3>" + _histogram_svg(exp, act))
    return "".join(parts)


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _results(result: Any) -> List[Any]:
    results = list(result) if isinstance(result, (list, tuple)) else [result]
    for r in results:
        if not hasattr(r, "tensors") or not hasattr(r, "aligned"):
            raise ValueError("expected a ComparisonResult (or a list of them) with .aligned and .tensors, "
                             f"got {type(r).__name__}")
    return results


def render_html(result: Any, *, reference: Any = None, actual: Any = None,
                title: str = "pyalign comparison report") -> str:
    """Render a comparison as one self-contained HTML page.

    Parameters
    ----------
    result : ComparisonResult or list of them
        Duck-typed: ``aligned``, ``tensors`` (each with ``stage``, ``name``, ``status``,
        ``passed``, ``rule``, ``metrics``, ``diagnosis``, ...), ``reference_dir``, ``actual_dir``.
    reference, actual : Case or path, optional
        Where the tensors are read from; default ``result.reference_case`` / ``actual_case`` (the
        comparator's), else ``result.reference_dir`` / ``actual_dir``.
        A tensor result that carries ``expected`` / ``actual`` arrays uses them directly.
    title : str
        Page title.

    Returns
    -------
    str
        The HTML document.
    """
    with np.errstate(all="ignore"):  # NaN/Inf are data here, not faults: no RuntimeWarning on stderr
        results = _results(result)
        aligned = all(bool(getattr(r, "aligned", False)) for r in results)
        body: List[str] = []
        summary: List[str] = []
        idx = 0
        for r in results:
            # The cases the comparator read travel with its result; directories are read only without them.
            ref_case = _load_case(_first(reference, getattr(r, "reference_case", None), getattr(r, "reference_dir", None)))
            act_case = _load_actual(_first(actual, getattr(r, "actual_case", None), getattr(r, "actual_dir", None)),
                                    ref_case)
            spec = getattr(ref_case, "spec", None)
            case_name = getattr(ref_case, "name", None) or getattr(r, "case", None)
            if len(results) > 1:
                body.append(f"<h1 style='margin-top:30px'>case {_e(case_name)}</h1>")
            for t in list(getattr(r, "tensors", []) or []):
                status, cls = _status(t)
                name = getattr(t, "name", None)
                label = f"{getattr(t, 'stage', '?')}/{name}" if name else str(getattr(t, "stage", "?"))
                diag = list(getattr(t, "diagnosis", None) or [])
                first = _e(diag[0]) if diag and not getattr(t, "passed", False) else ""
                summary.append(f'<tr><td>{_e(case_name or "")}</td><td><a href="#t{idx}">{_e(label)}</a></td>'
                               f'<td><span class="badge {cls}">{_e(status)}</span></td>'
                               f'<td>{_e(getattr(t, "rule", ""))}</td><td>{first}</td></tr>')
                body.append(_tensor_section(idx, t, ref_case, act_case, spec))
                idx += 1
        refs = ", ".join(f"<code>{_e(getattr(r, 'reference_dir', ''))}</code> vs "
                         f"<code>{_e(getattr(r, 'actual_dir', ''))}</code>" for r in results)
        verdict = "ALIGNED" if aligned else "MISALIGNED"
        head = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
                f'<style>{_CSS}</style></head><body>'
                f'<h1>{_e(title)} <span class="badge {"pass" if aligned else "fail"}">{verdict}</span></h1>'
                f'<div class="note">{refs}</div>'
                '<table><tr><th>case</th><th>tensor</th><th>status</th><th>rule</th><th>diagnosis</th></tr>'
                + "".join(summary) + "</table>")
        return head + "".join(body) + "</body></html>\n"


def write_html(result: Any, path: Union[str, "os.PathLike[str]"], *, reference: Any = None,
               actual: Any = None) -> Path:
    """Write :func:`render_html` of ``result`` to ``path`` atomically; return the path.

    Parameters
    ----------
    result : ComparisonResult or list of them
        The comparison to report.
    path : path-like
        The ``.html`` file to write (its directory must exist).
    reference, actual : Case or path, optional
        See :func:`render_html`.
    """
    path = Path(path)
    if not path.parent.is_dir():
        from pyalign.errors import PyalignError

        raise PyalignError("cannot write the HTML report: its directory does not exist", path)
    text = render_html(result, reference=reference, actual=actual)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path

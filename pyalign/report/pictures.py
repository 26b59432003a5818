"""Pictures of the HTML report: PNG data URIs, heatmaps, |diff| histograms, boxes over the raw input.

Everything here turns arrays into self-contained HTML fragments (no external resources);
:mod:`pyalign.report.html` assembles them into tensor sections and pages.
"""
from __future__ import annotations

import base64
import html
import math
from typing import Any, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from pyalign import formats
from pyalign.reference.preprocess import yuv_to_bgr
from pyalign.spec.model import find_op
from pyalign.store.format import guess_layout

#: Largest width (pixels) of a picture in the report; bigger ones are reduced.
MAX_WIDTH = 360


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
    """A BGR picture of a raw input (YUV frames converted with OpenCV)."""
    try:
        if formats.is_yuv(color):
            return yuv_to_bgr(raw, color)
        if raw.ndim == 2:
            return cv2.cvtColor(raw.astype(np.uint8), cv2.COLOR_GRAY2BGR)
        if raw.ndim == 3 and raw.shape[2] == 3:
            pic = raw if raw.dtype == np.uint8 else np.clip(raw, 0, 255).astype(np.uint8)
            return np.ascontiguousarray(pic[..., ::-1] if color == "RGB" else pic)
    except cv2.error:
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

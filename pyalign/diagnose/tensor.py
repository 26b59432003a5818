"""Diagnosis hypotheses that need only the two tensors: channel order, layout, scale and offset,
per-channel affine (implied mean/std), int8 quantization and uint8 casts."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from pyalign import formats
from pyalign.spec.model import find_op
from pyalign.store.format import channel_axis, guess_layout
from pyalign.diagnose.base import Trial, as_float, cast_like, fit_line, is_integer_dtype, subsample

def _other_layout(layout: str) -> Optional[Tuple[str, Tuple[int, ...]]]:
    """The layout a tensor is commonly confused with and the transpose that maps it back."""
    return {
        "NCHW": ("NHWC", (0, 3, 1, 2)),
        "NHWC": ("NCHW", (0, 2, 3, 1)),
        "CHW": ("HWC", (2, 0, 1)),
        "HWC": ("CHW", (1, 2, 0)),
    }.get(layout)


def layout_trials(exp: np.ndarray, act: np.ndarray, layout: Optional[str]) -> List[Trial]:
    """Layout transposed: NCHW <-> NHWC, HWC <-> CHW, or the last two axes swapped; or only
    the shape differs (same elements, e.g. a missing batch dimension).

    Parameters
    ----------
    exp : numpy.ndarray
        The expected (reference) tensor.
    act : numpy.ndarray
        The actual (board) tensor.
    layout : str, optional
        The tensor's layout (``NCHW``, ``NHWC``, ``CHW``, ``HWC``); guessed from the shape when None.

    Returns
    -------
    list of Trial
        Candidate transforms (``make()`` gives ``(expected', actual')``); empty when the
        hypothesis cannot apply to these tensors.
    """
    trials: List[Trial] = []
    if act.shape != exp.shape and act.size == exp.size:
        trials.append(Trial("reshape", f"shape: the actual holds the same elements shaped {list(act.shape)}; "
                                       f"reshaping it to {list(exp.shape)}", "tensor", 19,
                            lambda: (exp, np.reshape(act, exp.shape))))
    lay = guess_layout(exp.shape, layout)
    other = _other_layout(lay) if lay else None
    if other is not None:
        name, perm = other
        # the shape the data would have in the other layout
        inv = np.argsort(perm)
        other_shape = tuple(exp.shape[i] for i in inv)
        if act.shape == other_shape and other_shape != exp.shape:
            trials.append(Trial(
                "layout", f"layout: the actual is {name}; transposing it to {lay}", "tensor", 20,
                lambda: (exp, np.transpose(act, perm)), {"actual_layout": name, "expected_layout": lay}))
        elif act.shape == exp.shape and act.size == exp.size and other_shape != exp.shape:
            trials.append(Trial(
                "layout", f"layout: the actual holds {name} data in a {lay}-shaped tensor; "
                          f"reading it as {name} and transposing to {lay}", "tensor", 20,
                lambda: (exp, np.transpose(np.ascontiguousarray(act).reshape(other_shape), perm)),
                {"actual_layout": name, "expected_layout": lay}))
    elif exp.ndim >= 2 and exp.shape[-1] != exp.shape[-2]:
        swapped = exp.shape[:-2] + (exp.shape[-1], exp.shape[-2])
        if act.shape == swapped:
            trials.append(Trial("layout", "layout: the actual has its last two axes transposed; "
                                          "swapping them back", "tensor", 20,
                                lambda: (exp, np.swapaxes(act, -1, -2))))
        elif act.shape == exp.shape:
            trials.append(Trial("layout", "layout: the actual holds the transposed data "
                                          f"({swapped[-2]}x{swapped[-1]}) in a "
                                          f"{exp.shape[-2]}x{exp.shape[-1]} tensor; reading it transposed",
                                "tensor", 20,
                                lambda: (exp, np.swapaxes(np.ascontiguousarray(act).reshape(swapped), -1, -2))))
    return trials


def channel_trials(exp: np.ndarray, act: np.ndarray, layout: Optional[str], color: Optional[str]) -> List[Trial]:
    """Channel order swapped (BGR <-> RGB): reverse channels 0 and 2 of the actual.

    Parameters
    ----------
    exp : numpy.ndarray
        The expected (reference) tensor.
    act : numpy.ndarray
        The actual (board) tensor.
    layout : str, optional
        The tensor's layout (``NCHW``, ``NHWC``, ``CHW``, ``HWC``); guessed from the shape when None.
    color : str, optional
        The tensor's color or raw input format from the manifest (``BGR``, ``RGB``, ``YUV420SP``, ...).

    Returns
    -------
    list of Trial
        Candidate transforms (``make()`` gives ``(expected', actual')``); empty when the
        hypothesis cannot apply to these tensors.
    """
    axis = channel_axis(exp.shape, layout)
    if axis is None or act.shape != exp.shape or exp.shape[axis] not in (3, 4):
        return []
    order = [2, 1, 0] + ([3] if exp.shape[axis] == 4 else [])
    if color in ("RGB", "BGR"):
        other = "BGR" if color == "RGB" else "RGB"
        what = f"channel order: the actual is {other}, the expected {color}; swapping B and R on the actual"
    else:
        what = "channel order: swapping B and R (channels 0 and 2) on the actual"
    return [Trial("channel_swap", what, "tensor", 10, lambda: (exp, np.take(act, order, axis=axis)))]


def _finite_sample(x: np.ndarray, y: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """The fixed sub-sample of two same-size tensors as float64, pairs with a non-finite value dropped."""
    x, y = subsample(x, y)
    x = x.astype(np.float64)
    y = y.astype(np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    return x[ok], y[ok]


def _fit_line(x: np.ndarray, y: np.ndarray) -> Optional[Tuple[float, float]]:
    """Least-squares ``y = a*x + b`` on the finite sub-sample; None when degenerate."""
    return fit_line(*_finite_sample(x, y))


def _scale_hint(k: float) -> str:
    for value, hint in ((255.0, "a missing /255"), (1 / 255.0, "an extra /255"),
                        (256.0, "a missing /256"), (1 / 256.0, "an extra /256"),
                        (-1.0, "a sign flip")):
        if abs(k - value) <= 1e-3 * abs(value):
            return f" ({hint})"
    lg = np.log2(abs(k)) if k else 0.0
    if k > 0 and abs(lg - round(lg)) < 1e-6 and round(lg) != 0:
        return f" (a power of two: a quantization scale 2^{int(round(lg))} applied or not)"
    return " (a quantization scale applied or not?)"


def scale_trials(exp: np.ndarray, act: np.ndarray) -> List[Trial]:
    """Constant offset (actual = expected + c) and constant scale (actual = k*expected).

    Parameters
    ----------
    exp : numpy.ndarray
        The expected (reference) tensor.
    act : numpy.ndarray
        The actual (board) tensor.

    Returns
    -------
    list of Trial
        Candidate transforms (``make()`` gives ``(expected', actual')``); empty when the
        hypothesis cannot apply to these tensors.
    """
    if act.shape != exp.shape or exp.size == 0:
        return []
    trials: List[Trial] = []
    e, a = _finite_sample(exp, act)
    if e.size == 0:
        return []
    c = float(np.median(a - e))
    if is_integer_dtype(exp):
        c = float(np.rint(c))
    if c != 0.0:
        trials.append(Trial("offset", f"constant offset: actual = expected + {c:.6g}; subtracting it "
                                      "from the actual", "scale", 30,
                            lambda: (exp, cast_like(as_float(act) - c, exp)), {"offset": c}))
    ee = float(np.dot(e, e))
    if ee > 0:
        k = float(np.dot(a, e) / ee)
        if np.isfinite(k) and abs(k) > 1e-12 and abs(k - 1.0) > 1e-9:
            trials.append(Trial("scale", f"constant scale: actual = {k:.6g} x expected{_scale_hint(k)}; "
                                         "dividing the actual by it", "scale", 31,
                                lambda: (exp, cast_like(as_float(act) / k, exp)), {"scale": k}))
    return trials


def affine_trials(exp: np.ndarray, act: np.ndarray, layout: Optional[str],
                  spec: Optional[Dict[str, Any]]) -> List[Trial]:
    """Per-channel least-squares fit actual = a*expected + b, reported as the implied mean/std.

    Parameters
    ----------
    exp : numpy.ndarray
        The expected (reference) tensor.
    act : numpy.ndarray
        The actual (board) tensor.
    layout : str, optional
        The tensor's layout (``NCHW``, ``NHWC``, ``CHW``, ``HWC``); guessed from the shape when None.
    spec : dict, optional
        The case's pipeline spec; its ``normalize`` op gives the mean/std the fit is reported against.

    Returns
    -------
    list of Trial
        Candidate transforms (``make()`` gives ``(expected', actual')``); empty when the
        hypothesis cannot apply to these tensors.
    """
    if act.shape != exp.shape or exp.size < 4:
        return []
    axis = channel_axis(exp.shape, layout)
    if axis is None or exp.shape[axis] == 1:
        fit = _fit_line(exp, act)
        if fit is None or (abs(fit[0] - 1) < 1e-9 and fit[1] == 0):
            return []
        a, b = fit
        return [Trial("affine", f"affine: actual = {a:.6g} x expected + {b:.6g}; inverting it on the actual",
                      "scale", 41, lambda: (exp, cast_like((as_float(act) - b) / a, exp)),
                      {"a": a, "b": b})]
    nc = exp.shape[axis]
    em = np.moveaxis(exp, axis, 0)
    am = np.moveaxis(act, axis, 0)
    fits = [f for f in (_fit_line(em[c], am[c]) for c in range(nc)) if f is not None]
    if len(fits) != nc:
        return []
    ca = np.array([f[0] for f in fits])
    cb = np.array([f[1] for f in fits])
    if np.allclose(ca, ca[0], rtol=1e-6, atol=0) and np.allclose(cb, cb[0], rtol=1e-6, atol=1e-9):
        return []  # one global affine: the constant offset / scale trials cover it
    shape = [1] * exp.ndim
    shape[axis] = nc
    a_b, b_b = ca.reshape(shape), cb.reshape(shape)
    params: Dict[str, Any] = {"a": ca.tolist(), "b": cb.tolist()}
    text = (f"per-channel affine: actual = a x expected + b with a = {_list(ca)}, b = {_list(cb)}")
    norm = find_op(spec, "normalize")
    if norm is not None:
        try:
            m = np.broadcast_to(np.asarray(norm.get("mean", [0.0]), np.float64), (nc,))
            s = np.broadcast_to(np.asarray(norm.get("std", [1.0]), np.float64), (nc,))
            s2 = s / ca
            m2 = m - cb * s2
            params.update(implied_mean=m2.tolist(), implied_std=s2.tolist(),
                          spec_mean=m.tolist(), spec_std=s.tolist())
            text += (f"; the actual was normalized with mean = {_list(m2)}, std = {_list(s2)} "
                     f"instead of mean = {_list(m)}, std = {_list(s)}")
        except ValueError:
            pass
    text += "; inverting the fit on the actual"
    return [Trial("affine", text, "scale", 40,
                  lambda: (exp, cast_like((as_float(act) - b_b) / a_b, exp)), params)]


def _list(v: np.ndarray) -> str:
    return "[" + ", ".join(f"{float(x):.4g}" for x in v) + "]"


def _is_integral(a: np.ndarray) -> bool:
    if is_integer_dtype(a):
        return True
    (s,) = subsample(a)
    s = s[np.isfinite(s)]
    return bool(s.size) and bool(np.all(s == np.rint(s)))


def _quantize(x: np.ndarray, scale: float, zp: int, lo: int, hi: int) -> np.ndarray:
    return np.clip(np.rint(as_float(x) / scale) + zp, lo, hi)


def quant_trials(exp: np.ndarray, act: np.ndarray) -> List[Trial]:
    """int8/uint8 quantization applied on one side only (actual = clip(round(x/s) + zp)).

    Parameters
    ----------
    exp : numpy.ndarray
        The expected (reference) tensor.
    act : numpy.ndarray
        The actual (board) tensor.

    Returns
    -------
    list of Trial
        Candidate transforms (``make()`` gives ``(expected', actual')``); empty when the
        hypothesis cannot apply to these tensors.
    """
    if act.shape != exp.shape or exp.size < 4:
        return []
    e_int, a_int = _is_integral(exp), _is_integral(act)
    if e_int == a_int:
        return []
    fl, q = (exp, act) if a_int else (act, exp)
    fit = _fit_line(fl, q)
    if fit is None or fit[0] <= 0:
        return []
    slope, icpt = fit
    zp = int(np.rint(icpt))
    if is_integer_dtype(q):
        info = np.iinfo(q.dtype)
        lo, hi = int(info.min), int(info.max)
    else:
        qs = as_float(q)
        lo, hi = (-128, 127) if np.nanmin(qs) < 0 else (0, 255)
    s0 = 1.0 / slope
    pool = {s0}
    for k in range(0, 20):
        pool.add(2.0 ** -k)
        pool.add(2.0 ** k)
    pool.update({1 / 255, 1 / 127, 1 / 128, 1 / 256, 255.0, 127.0, 128.0})
    cands = [c for c in pool if abs(c - s0) <= 0.02 * s0]
    fs, qs_ = subsample(fl, q, limit=50_000)
    best = min(cands, key=lambda c: (int(np.count_nonzero(_quantize(fs, c, zp, lo, hi) != qs_)), abs(c - s0)))
    params = {"scale": best, "zero_point": zp, "qmin": lo, "qmax": hi}
    if a_int:
        text = (f"quantization: the actual is the expected quantized (scale {best:.6g}, zero point {zp}); "
                "quantizing the expected")
        return [Trial("quantization", text, "scale", 32,
                      lambda: (_quantize(exp, best, zp, lo, hi), act), params)]
    text = (f"quantization: the expected is quantized (scale {best:.6g}, zero point {zp}) and the actual "
            "is not; quantizing the actual")
    return [Trial("quantization", text, "scale", 32,
                  lambda: (exp, _quantize(act, best, zp, lo, hi)), params)]


def cast_trials(exp: np.ndarray, act: np.ndarray) -> List[Trial]:
    """A uint8 cast of a float tensor (fraction truncated) or a rounding to integers.

    Parameters
    ----------
    exp : numpy.ndarray
        The expected (reference) tensor.
    act : numpy.ndarray
        The actual (board) tensor.

    Returns
    -------
    list of Trial
        Candidate transforms (``make()`` gives ``(expected', actual')``); empty when the
        hypothesis cannot apply to these tensors.
    """
    if act.shape != exp.shape or is_integer_dtype(exp) or _is_integral(exp) or not _is_integral(act):
        return []

    def trunc() -> Tuple[np.ndarray, np.ndarray]:
        return np.clip(np.trunc(as_float(exp)), 0, 255), act

    def rnd() -> Tuple[np.ndarray, np.ndarray]:
        return np.clip(np.rint(as_float(exp)), 0, 255), act

    return [
        Trial("rounding.uint8_cast", "rounding: the actual is a uint8 cast of the float tensor (fraction "
                                     "truncated); casting the expected to uint8", "rounding", 35, trunc),
        Trial("rounding.round_to_uint8", "rounding: the actual is the float tensor rounded to uint8; "
                                         "rounding the expected", "rounding", 36, rnd),
    ]


def yuv_raw_trials(exp: np.ndarray, act: np.ndarray, color: Optional[str]) -> List[Trial]:
    """Raw YUV frames: chroma bytes swapped (NV12 <-> NV21, YUYV <-> YVYU) or YUYV <-> UYVY.

    Parameters
    ----------
    exp : numpy.ndarray
        The expected (reference) tensor.
    act : numpy.ndarray
        The actual (board) tensor.
    color : str, optional
        The tensor's color or raw input format from the manifest (``BGR``, ``RGB``, ``YUV420SP``, ...).

    Returns
    -------
    list of Trial
        Candidate transforms (``make()`` gives ``(expected', actual')``); empty when the
        hypothesis cannot apply to these tensors.
    """
    if act.shape != exp.shape or not formats.is_yuv(color):
        return []
    f = formats.lookup(color)
    try:
        w, h = formats.size_from_shape(f, exp.shape)
        formats.check_size(f, w, h)
    except ValueError:
        return []
    other = formats.lookup(f.swapped) if f.swapped else None
    trials: List[Trial] = []
    if f.family == formats.SEMI_PLANAR_YUV:
        def swap_pairs() -> Tuple[np.ndarray, np.ndarray]:
            out = np.array(act, copy=True)
            out[h:] = act[h:].reshape(-1, 2)[:, ::-1].reshape(act[h:].shape)
            return exp, out

        if other is not None:
            name = f"{other.name} ({other.aliases[0]})" if other.aliases else other.name
            trials.append(Trial("yuv.raw_chroma_swap", f"YUV: the actual frame is {name}; swapping its U and V "
                                                       "bytes", "yuv", 15, swap_pairs))
    elif f.family == formats.PACKED_YUV:
        ci = 1 - f.luma_channel  # the channel holding U and V, pixel by pixel in turn

        def swap_chroma() -> Tuple[np.ndarray, np.ndarray]:
            out = np.array(act, copy=True)
            out[:, 0::2, ci] = act[:, 1::2, ci]
            out[:, 1::2, ci] = act[:, 0::2, ci]
            return exp, out

        if other is not None:
            trials.append(Trial("yuv.raw_byte_order", f"YUV: the actual frame is {other.name}; swapping luma and "
                                                      "chroma bytes", "yuv", 15,
                                lambda: (exp, np.ascontiguousarray(act[..., ::-1]))))
        trials.append(Trial("yuv.raw_chroma_swap", "YUV: U and V swapped in the actual frame; swapping them "
                                                   "back", "yuv", 16, swap_chroma))
    return trials


def composed_trials(exp: np.ndarray, act: np.ndarray, layout: Optional[str], color: Optional[str],
                    spec: Optional[Dict[str, Any]]) -> List[Trial]:
    """Two mistakes at once: a structural one (channel order, layout) followed by a value one
    (offset, scale, quantization, per-channel affine), e.g. BGR fed *and* no /255.

    Parameters
    ----------
    exp : numpy.ndarray
        The expected (reference) tensor.
    act : numpy.ndarray
        The actual (board) tensor.
    layout : str, optional
        The tensor's layout (``NCHW``, ``NHWC``, ``CHW``, ``HWC``); guessed from the shape when None.
    color : str, optional
        The tensor's color or raw input format from the manifest (``BGR``, ``RGB``, ``YUV420SP``, ...).
    spec : dict, optional
        The case's pipeline spec; its ``normalize`` op gives the mean/std the fit is reported against.

    Returns
    -------
    list of Trial
        Candidate transforms (``make()`` gives ``(expected', actual')``); empty when the
        hypothesis cannot apply to these tensors.
    """
    out: List[Trial] = []
    for first in channel_trials(exp, act, layout, color) + layout_trials(exp, act, layout):
        pair = first.make()
        if pair is None:
            continue
        e2, a2 = pair
        for second in scale_trials(e2, a2) + quant_trials(e2, a2) + affine_trials(e2, a2, layout, spec):
            text = f"{first.description}, then {second.description}"
            out.append(Trial(f"{first.name}+{second.name}", text, second.family, 12 + second.priority,
                             second.make, {**first.params, **second.params}))
    return out


def tensor_trials(exp: np.ndarray, act: np.ndarray, layout: Optional[str], color: Optional[str],
                  spec: Optional[Dict[str, Any]]) -> List[Trial]:
    """Every tensor-only trial for a pair of tensors.

    Parameters
    ----------
    exp : numpy.ndarray
        The expected (reference) tensor.
    act : numpy.ndarray
        The actual (board) tensor.
    layout : str, optional
        The tensor's layout (``NCHW``, ``NHWC``, ``CHW``, ``HWC``); guessed from the shape when None.
    color : str, optional
        The tensor's color or raw input format from the manifest (``BGR``, ``RGB``, ``YUV420SP``, ...).
    spec : dict, optional
        The case's pipeline spec; its ``normalize`` op gives the mean/std the fit is reported against.

    Returns
    -------
    list of Trial
        Candidate transforms (``make()`` gives ``(expected', actual')``); empty when the
        hypothesis cannot apply to these tensors.
    """
    trials: List[Trial] = []
    trials += yuv_raw_trials(exp, act, color)
    trials += channel_trials(exp, act, layout, color)
    trials += layout_trials(exp, act, layout)
    trials += scale_trials(exp, act)
    trials += quant_trials(exp, act)
    trials += cast_trials(exp, act)
    trials += affine_trials(exp, act, layout, spec)
    return trials

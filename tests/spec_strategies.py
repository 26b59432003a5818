"""Random valid specs shared by the reference, core and verify tests."""
from __future__ import annotations

YUV = ["YUV420SP", "YVU420SP", "YUYV422", "UYVY422"]
FORMATS = ["BGR", "RGB", "GRAY", "YUV420SP", "YVU420SP", "YUYV422", "UYVY422"]


def random_spec(rng):
    """A random valid spec over every input format and op combination (small sizes)."""
    fmt = FORMATS[int(rng.integers(len(FORMATS)))]
    w, h = int(rng.integers(2, 80)) * 2, int(rng.integers(2, 60)) * 2
    ch = 1 if fmt == "GRAY" else 3
    ops = []
    if fmt in YUV:
        mode = ["opencv", "full_range", "limited_range"][int(rng.integers(3))]
        ops.append({"op": "csc", "to": ["BGR", "RGB"][int(rng.integers(2))], "mode": mode})
    g = int(rng.integers(3))
    size = [int(rng.integers(1, 120)), int(rng.integers(1, 120))]
    if g == 1:
        ops.append({"op": "resize", "size": size, "interpolation": ["linear", "nearest"][int(rng.integers(2))]})
    elif g == 2:
        pad = int(rng.integers(256)) if rng.random() < 0.5 else [int(v) for v in rng.integers(0, 256, ch)]
        ops.append({"op": "letterbox", "size": [max(s, 8) for s in size], "pad_value": pad,
                    "style": ["ultralytics", "center"][int(rng.integers(2))]})
    if ch == 3 and rng.random() < 0.5:
        ops.append({"op": "swap_rb"})
    if rng.random() < 0.6:
        ops.append({"op": "normalize", "mean": [float(v) for v in rng.uniform(0, 255, ch)],
                    "std": [float(v) for v in rng.uniform(0.5, 128, ch)]})
    if rng.random() < 0.7:
        ops.append({"op": "layout", "to": ["NCHW", "NHWC", "CHW", "HWC"][int(rng.integers(4))]})
    return {"input": {"format": fmt, "width": w, "height": h}, "preprocess": ops}

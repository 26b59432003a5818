"""Identical results on x86-64 and aarch64, and those results are OpenCV's / numpy's.

* ``test_aarch64_cross_check`` runs ``scripts/test-aarch64.sh`` (cross-build, every C++ test under
  qemu-aarch64, native vs aarch64 golden digests) when the cross compiler and qemu are installed.
* The oracle tests tie the golden digests to independent oracles: they regenerate the golden
  program's splitmix64 inputs in numpy, run cv2 / numpy on them and require the SHA-256 of the
  result to equal the digest the C++ core printed. With the script's proof (aarch64 digests ==
  x86-64 digests) this shows the core matches x86 OpenCV on both architectures.
"""
from __future__ import annotations

import fcntl
import hashlib
import pathlib
import shutil
import subprocess

import cv2
import numpy as np
import pytest

from pyalign.reference.preprocess import FULL_RANGE_MATRIX, LIMITED_RANGE_MATRIX, letterbox_geometry

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "test-aarch64.sh"
BUILD = ROOT / "build" / "aarch64-check"  # shared with the script (same lock, same native tree)

HAVE_CROSS = shutil.which("aarch64-linux-gnu-g++") is not None and (
    shutil.which("qemu-aarch64") is not None or shutil.which("qemu-aarch64-static") is not None
)


@pytest.mark.skipif(not HAVE_CROSS, reason="needs aarch64-linux-gnu-g++ and qemu-aarch64 on PATH "
                    "(apt-get install g++-aarch64-linux-gnu qemu-user)")
def test_aarch64_cross_check() -> None:
    proc = subprocess.run(["bash", str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "identical: aarch64 == x86_64" in proc.stdout
    assert "identical: x86_64-portable == x86_64" in proc.stdout
    # every SIMD level of the kernels, natively and under qemu
    from pyalign.core import simd_levels

    for level in simd_levels():
        assert f"identical: x86_64-simd-{level} == x86_64" in proc.stdout
    for level in ("portable", "neon"):
        assert f"identical: aarch64-simd-{level} == x86_64" in proc.stdout
    assert "100% tests passed" in proc.stdout


# ----------------------------------------------------------------------------- golden digests


@pytest.fixture(scope="module")
def digests() -> dict[str, tuple[str, int]]:
    """name -> (sha256, bytes) printed by a native Release build of cpp/tests/test_golden.cpp."""
    if shutil.which("cmake") is None:
        pytest.skip("cmake not found")
    BUILD.mkdir(parents=True, exist_ok=True)
    out = BUILD / "x86_64"
    with open(BUILD / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the script builds the same tree
        for cmd in (
            ["cmake", "-S", "cpp", "-B", str(out), "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_CXX_FLAGS=-Werror"],
            ["cmake", "--build", str(out), "-j", "2", "--target", "test_golden"],
        ):
            proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
            assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        proc = subprocess.run([str(out / "test_golden"), "--print"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    table = {}
    for line in proc.stdout.splitlines():
        parts = line.split(" ")
        if len(parts) == 3:
            table[parts[2]] = (parts[0], int(parts[1]))
    assert len(table) > 400
    return table


def check(digests: dict[str, tuple[str, int]], name: str, data: bytes | np.ndarray) -> None:
    raw = data if isinstance(data, bytes) else np.ascontiguousarray(data).tobytes()
    want_sha, want_size = digests[name]
    assert len(raw) == want_size, name
    assert hashlib.sha256(raw).hexdigest() == want_sha, f"{name}: the C++ core differs from the oracle"


def put_all(arr: np.ndarray) -> bytes:
    """The golden program's Bytes::put_all: uint64 element count, then the elements."""
    arr = np.ascontiguousarray(arr)
    return np.uint64(arr.size).tobytes() + arr.tobytes()


# ----------------------------------------------------------------------------- splitmix64 in numpy

GAMMA = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)


class Rng:
    """The golden program's splitmix64 generator, vectorised (output k mixes seed + k * GAMMA)."""

    def __init__(self, seed: int) -> None:
        self.seed = np.uint64(seed)
        self.count = 0

    def next_n(self, n: int) -> np.ndarray:
        k = np.arange(self.count + 1, self.count + n + 1, dtype=np.uint64)
        self.count += n
        with np.errstate(over="ignore"):
            z = self.seed + k * GAMMA
            z = (z ^ (z >> np.uint64(30))) * MIX1
            z = (z ^ (z >> np.uint64(27))) * MIX2
        return z ^ (z >> np.uint64(31))

    def below(self, n: int) -> int:
        return int(self.next_n(1)[0] % np.uint64(n))

    def range(self, lo: int, hi: int) -> int:
        return lo + self.below(hi - lo + 1)

    def bytes(self, n: int) -> np.ndarray:
        return (self.next_n(n) >> np.uint64(56)).astype(np.uint8)

    def floats(self, n: int, lo: float, hi: float) -> np.ndarray:
        unit = (self.next_n(n) >> np.uint64(40)).astype(np.float32) * np.float32(1.0 / 16777216.0)
        return np.float32(lo) + (np.float32(hi) - np.float32(lo)) * unit

    def uniform_d(self, lo: float, hi: float) -> float:
        unit = float(int(self.next_n(1)[0] >> np.uint64(11))) * (1.0 / 9007199254740992.0)
        return lo + (hi - lo) * unit

    def image(self, w: int, h: int, cn: int) -> np.ndarray:
        noise = (self.next_n(w * h * cn) % np.uint64(33)).astype(np.int64).reshape(h, w, cn) - 16
        y, x, c = np.meshgrid(np.arange(h), np.arange(w), np.arange(cn), indexing="ij")
        base = (x * (3 + c) + y * (5 - c) + 40 * c) & 255
        return np.clip(base + noise, 0, 255).astype(np.uint8)


def test_splitmix64_known_values() -> None:
    assert [hex(int(v)) for v in Rng(0).next_n(3)] == ["0xe220a8397b1dcdaf", "0x6e789e6aa1b965f4", "0x6c45d188009454f"]


# ----------------------------------------------------------------------------- oracles


RESIZE_SIZES = [(37, 23, 64, 48), (320, 240, 160, 120), (300, 200, 416, 416), (1, 1, 7, 5), (97, 61, 13, 11),
                (5, 3, 5, 3), (640, 360, 320, 320), (33, 1, 9, 1), (1, 40, 1, 17), (112, 112, 320, 320),
                (321, 239, 160, 160), (16, 16, 8, 8)]


def test_resize_digests_equal_cv2(digests: dict, ipp_off: None) -> None:
    r = Rng(1)
    checked = 0
    for cn in range(1, 5):
        for sw, sh, dw, dh in RESIZE_SIZES:
            dims = f"{sw}x{sh}->{dw}x{dh}c{cn}"
            padded = r.bytes((sw * cn + 3) * sh).reshape(sh, sw * cn + 3)
            src = padded[:, : sw * cn].reshape(sh, sw, cn)  # a strided view, as in the C++
            check(digests, f"resize.u8.linear.{dims}", cv2.resize(src, (dw, dh), interpolation=cv2.INTER_LINEAR))
            check(digests, f"resize.u8.nearest.{dims}", cv2.resize(src, (dw, dh), interpolation=cv2.INTER_NEAREST))
            checked += 2
            if sw * sh > 100000:
                continue
            fsrc = r.floats(sw * sh * cn, -300.0, 300.0).reshape(sh, sw, cn)
            check(digests, f"resize.f32.linear.{dims}", cv2.resize(fsrc, (dw, dh), interpolation=cv2.INTER_LINEAR))
            check(digests, f"resize.f32.nearest.{dims}", cv2.resize(fsrc, (dw, dh), interpolation=cv2.INTER_NEAREST))
            checked += 2
        stream = b""
        for it in range(120):
            sw, sh, dw, dh = r.range(1, 90), r.range(1, 70), r.range(1, 110), r.range(1, 80)
            if it % 9 == 0:
                sw, sh = 2 * dw, 2 * dh
            src = r.image(sw, sh, cn)
            dst = cv2.resize(src, (dw, dh), interpolation=cv2.INTER_LINEAR)
            fdst = cv2.resize(src.astype(np.float32), (dw, dh), interpolation=cv2.INTER_LINEAR)
            stream += put_all(dst) + put_all(fdst)
        check(digests, f"resize.random.c{cn}", stream)
        checked += 1
    assert checked == 4 * (2 * 12 + 2 * 11 + 1)  # one size is u8 only


PIL_SIZES = [(37, 23, 64, 48), (320, 240, 160, 120), (97, 61, 13, 11), (1, 1, 7, 5), (33, 1, 9, 1), (1, 40, 5, 40),
             (200, 150, 455, 256), (64, 64, 63, 65)]
PIL_VERTICAL_FIRST = [(90, 300, 80, 60), (40, 120, 100, 33)]  # Pillow 13 runs the vertical pass first
PIL_FILTERS = ("nearest", "box", "linear", "hamming", "cubic", "lanczos")


def test_resize_pil_digests_equal_pillow(digests: dict) -> None:
    """The golden program's Pillow-exact resizes are Pillow's Image.resize, byte for byte."""
    pil = pytest.importorskip("PIL")
    from PIL import Image

    resampling = getattr(Image, "Resampling", Image)
    filters = {"nearest": resampling.NEAREST, "box": resampling.BOX, "linear": resampling.BILINEAR,
               "hamming": resampling.HAMMING, "cubic": resampling.BICUBIC, "lanczos": resampling.LANCZOS}
    newest = tuple(int(v) for v in pil.__version__.split(".")[:2]) >= (13, 0)
    r = Rng(9)
    checked = 0
    for cn in (1, 3, 4):
        for sw, sh, dw, dh in PIL_SIZES:
            src = r.bytes(sw * sh * cn).reshape(sh, sw, cn)
            im = Image.fromarray(src[:, :, 0] if cn == 1 else src)
            for name in PIL_FILTERS:
                check(digests, f"resize_pil.{name}.{sw}x{sh}->{dw}x{dh}c{cn}", np.asarray(im.resize((dw, dh), filters[name])))
                checked += 1
        for sw, sh, dw, dh in PIL_VERTICAL_FIRST:
            src = r.bytes(sw * sh * cn).reshape(sh, sw, cn)
            im = Image.fromarray(src[:, :, 0] if cn == 1 else src)
            for name in ("cubic", "lanczos"):
                if newest:
                    out = np.asarray(im.resize((dw, dh), filters[name]))
                    check(digests, f"resize_pil13.{name}.{sw}x{sh}->{dw}x{dh}c{cn}", out)
                    checked += 1
    assert checked == 3 * (8 * 6 + (2 * 2 if newest else 0))


YUV = {"YUV420SP": "NV12", "YVU420SP": "NV21", "YUYV422": "YUY2", "UYVY422": "UYVY"}
PULSAR2 = [1.164, 0, 1.596, -0.871, 1.164, -0.392, -0.813, 0.529, 1.164, 2.017, 0, -1.082]


def yuv_planes(frame: np.ndarray, fmt: str, w: int, h: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Full-resolution Y, U, V (chroma replicated) of a raw frame, as int64."""
    if fmt in ("YUV420SP", "YVU420SP"):
        y = frame[: h * w].reshape(h, w)
        uv = frame[h * w:].reshape(h // 2, w // 2, 2)
        u, v = (uv[..., 0], uv[..., 1]) if fmt == "YUV420SP" else (uv[..., 1], uv[..., 0])
        u = u.repeat(2, 0).repeat(2, 1)
        v = v.repeat(2, 0).repeat(2, 1)
    else:
        q = frame.reshape(h, w // 2, 4)
        order = (0, 1, 2, 3) if fmt == "YUYV422" else (1, 0, 3, 2)  # Y0 U Y1 V
        y = np.stack([q[..., order[0]], q[..., order[2]]], axis=-1).reshape(h, w)
        u = q[..., order[1]].repeat(2, 1)
        v = q[..., order[3]].repeat(2, 1)
    return y.astype(np.int64), u.astype(np.int64), v.astype(np.int64)


def matrix_csc(frame: np.ndarray, fmt: str, w: int, h: int, m: list[float], to_rgb: bool) -> np.ndarray:
    """csc.hpp's Matrix mode in float64 numpy: ((m0 Y + m1 U) + m2 V) + m3 * 256, round half away, clip."""
    y, u, v = (p.astype(np.float64) for p in yuv_planes(frame, fmt, w, h))
    chans = []
    for k in range(3):
        x = ((m[4 * k] * y + m[4 * k + 1] * u) + m[4 * k + 2] * v) + m[4 * k + 3] * 256.0
        chans.append(np.clip(np.sign(x) * np.floor(np.abs(x) + 0.5), 0, 255).astype(np.uint8))
    rgb = np.stack(chans, axis=-1)
    return rgb if to_rgb else rgb[..., ::-1]


def test_csc_digests_equal_cv2_and_numpy(digests: dict) -> None:
    r = Rng(3)
    random_m = [r.uniform_d(-2.5, 2.5) for _ in range(12)]
    sizes = [(64, 48), (2, 2), (318, 202), (320, 180)]
    checked = 0
    for fmt, code in YUV.items():
        for w, h in sizes:
            if fmt in ("YUV420SP", "YVU420SP"):
                frame = r.bytes(w * h * 3 // 2)
                cv_frame = frame.reshape(h * 3 // 2, w)
            else:
                frame = r.bytes(w * h * 2)
                cv_frame = frame.reshape(h, w, 2)
            for to in ("BGR", "RGB"):
                base = f"csc.{fmt}.{w}x{h}.{to}."
                want = cv2.cvtColor(cv_frame, getattr(cv2, f"COLOR_YUV2{to}_{code}"))
                check(digests, base + "opencv", want)
                check(digests, base + "matrix_pulsar2", matrix_csc(frame, fmt, w, h, PULSAR2, to == "RGB"))
                check(digests, base + "matrix_random", matrix_csc(frame, fmt, w, h, random_m, to == "RGB"))
                check(digests, base + "full_range", matrix_csc(frame, fmt, w, h, FULL_RANGE_MATRIX, to == "RGB"))
                check(digests, base + "limited_range", matrix_csc(frame, fmt, w, h, LIMITED_RANGE_MATRIX, to == "RGB"))
                checked += 5
    for fmt, code in YUV.items():
        for w, h in sizes:
            img = r.image(w, h, 3)
            for src in ("BGR", "RGB"):
                if fmt in ("YUV420SP", "YVU420SP"):
                    i420 = cv2.cvtColor(img, getattr(cv2, f"COLOR_{src}2YUV_I420")).reshape(-1)
                    u = i420[h * w: h * w + h * w // 4]
                    v = i420[h * w + h * w // 4:]
                    uv = np.stack([u, v] if fmt == "YUV420SP" else [v, u], axis=-1)
                    want = np.concatenate([i420[: h * w], uv.reshape(-1)])
                else:
                    want = cv2.cvtColor(img, getattr(cv2, f"COLOR_{src}2YUV_{code}"))
                check(digests, f"csc.from_{src}.{fmt}.{w}x{h}", want)
                checked += 1
    assert checked == 4 * 4 * 2 * 5 + 4 * 4 * 2
    # the float64 matrices themselves: the reference's BT.601 constants and the random one as given
    check(digests, "csc.matrices", np.array([FULL_RANGE_MATRIX, LIMITED_RANGE_MATRIX, random_m], np.float64))


def test_normalize_digests_equal_numpy(digests: dict) -> None:
    r = Rng(4)
    w, h = 61, 37
    checked = 0
    for cn in (1, 3, 4):
        img = r.image(w, h, cn)
        fimg = r.floats(w * h * cn, -10.0, 300.0).reshape(h, w, cn)
        for layout in ("HW", "HWC", "CHW", "NHWC", "NCHW"):
            if layout == "HW" and cn != 1:
                continue
            for variant in range(4):
                swap = cn >= 3 and bool(variant & 1)
                normalize, to_float = variant >= 2, variant >= 1
                mean = np.zeros(cn, np.float32)
                std = np.ones(cn, np.float32)
                if normalize:
                    for c in range(cn):
                        mean[c] = r.floats(1, 0.0, 255.0)[0]
                        std[c] = r.floats(1, 0.25, 80.0)[0]
                    if variant == 3:
                        mean = np.array([123.675, 116.28, 103.53, 0.5], np.float32)[:cn]
                        std = np.array([58.395, 57.12, 57.375, 3.0], np.float32)[:cn]
                name = f"normalize.c{cn}.{layout}.v{variant}"
                for suffix, x in ((".u8", img), (".f32", fimg)):
                    if suffix == ".f32" and not to_float:
                        continue
                    if swap:
                        x = x[..., [2, 1, 0, 3][:cn]]
                    if normalize:
                        x = (x.astype(np.float32) - mean) / std
                    elif to_float:
                        x = x.astype(np.float32)
                    x = {"HW": lambda a: a[..., 0], "HWC": lambda a: a, "CHW": lambda a: a.transpose(2, 0, 1),
                         "NHWC": lambda a: a[None], "NCHW": lambda a: a.transpose(2, 0, 1)[None]}[layout](x)
                    check(digests, name + suffix, x)
                    checked += 1
    assert checked == (5 + 4 + 4) * (1 + 3 * 2)  # layouts x (uint8 variant + 3 float variants from u8 and f32)


def candidates_bytes(c) -> bytes:
    """The golden program's serialisation of Candidates (boxes, scores, classes, then the stats)."""
    s = c.stats
    stats = np.array([s["anchors"], s["nonfinite_scores"], s["nonfinite_boxes"], s["candidates"], s["after_topk"]],
                     dtype=np.int64)
    return (put_all(c.boxes.astype(np.float32)) + put_all(c.scores.astype(np.float32))
            + put_all(c.classes.astype(np.int64)) + stats.tobytes())


def test_postprocess_digests_equal_numpy_reference(digests: dict) -> None:
    from pyalign.reference import postprocess as ref

    r = Rng(6)
    in_w, in_h, nc = 320, 256, 80
    strides = (8, 16, 32)
    grids = [(in_h // s, in_w // s) for s in strides]
    A = sum(gh * gw for gh, gw in grids)
    info = {"scale_x": 0.25, "scale_y": 0.25, "pad_left": 0, "pad_top": 38, "src_width": 1280, "src_height": 720}
    checked = 0

    def check_case(name: str, cand) -> None:
        nonlocal checked
        check(digests, f"{name}.candidates", candidates_bytes(cand))
        check(digests, f"{name}.detections.aware", ref.detections_from_candidates(cand, 0.45, False, 300, info))
        check(digests, f"{name}.detections.agnostic", ref.detections_from_candidates(cand, 0.6, True, 100, info))
        check(digests, f"{name}.detections.unmapped", ref.detections_from_candidates(cand, 0.3, False, None, None))
        checked += 4

    # YOLOv8 DFL, one [1, 64 + nc, A] output of logits
    C = 64 + nc
    box = r.floats(64 * A, -6.0, 6.0)  # rows 0..63 first: the C++ fills [C, A] row by row
    cls = r.floats(nc * A, -12.0, 0.5)
    out = np.concatenate([box, cls]).reshape(1, C, A)
    kw = dict(num_classes=nc, reg_max=16, strides=strides, conf_threshold=0.25, input_size=(in_w, in_h))
    check_case("yolov8.dfl.concat", ref.decode_yolov8(out, activated=False, **kw))
    check_case("yolov8.dfl.concat.topk", ref.decode_yolov8(out, activated=False, pre_nms_topk=100, **kw))
    # YOLOv8 DFL, per-stride NHWC heads of logits
    heads = [r.floats(gh * gw * C, -7.0, 2.0).reshape(1, gh, gw, C) for gh, gw in grids]
    check_case("yolov8.dfl.heads", ref.decode_yolov8(heads, **kw))
    # YOLOv8 reg_max 0, transposed [1, A, 4 + nc]: cx, cy (1 draw), w, h (1 draw), probabilities (2 draws)
    draws = r.next_n(A * (4 + 2 * nc)).reshape(A, 4 + 2 * nc)
    units = (draws >> np.uint64(40)).astype(np.float32) * np.float32(1.0 / 16777216.0)
    lo = np.array([0, 0, 2, 2], np.float32)
    hi = np.array([in_w, in_h, 200, 200], np.float32)
    rows = np.empty((A, 4 + nc), np.float32)
    rows[:, :4] = lo + (hi - lo) * units[:, :4]
    rows[:, 4:] = units[:, 4::2] * units[:, 5::2]
    check_case("yolov8.nodfl.transposed",
               ref.decode_yolov8(rows[None], num_classes=nc, reg_max=0, strides=strides, conf_threshold=0.25,
                                 input_size=(in_w, in_h), activated=True))
    # YOLOv5 per-stride logits, then the same values as activated 5-D heads
    anchors = [[10, 13, 16, 30, 33, 23], [30, 61, 62, 45, 59, 119], [116, 90, 156, 198, 373, 326]]
    v5 = [r.floats(3 * (5 + nc) * gh * gw, -6.0, 3.0) for gh, gw in grids]
    logits = [h.reshape(1, 3 * (5 + nc), gh, gw) for h, (gh, gw) in zip(v5, grids)]
    check_case("yolov5.logits", ref.decode_yolov5(logits, nc, anchors, strides, activated=False, conf_threshold=0.25))
    act = [((h + np.float32(6.0)) / np.float32(9.0)).reshape(1, 3, gh, gw, 5 + nc) for h, (gh, gw) in zip(v5, grids)]
    check_case("yolov5.activated.5d", ref.decode_yolov5(act, nc, anchors, strides, activated=True, conf_threshold=0.25))
    # YOLOX [1, A, 5 + nc]
    units = ((r.next_n(A * (5 + nc)) >> np.uint64(40)).astype(np.float32)
             * np.float32(1.0 / 16777216.0)).reshape(A, 5 + nc)
    lo = np.array([-1, -1, -2, -2], np.float32)
    hi = np.array([2, 2, 3, 3], np.float32)
    x = units.copy()
    x[:, :4] = lo + (hi - lo) * units[:, :4]
    check_case("yolox", ref.decode_yolox(x[None], nc, strides, 0.25, input_size=(in_w, in_h)))
    assert checked == 7 * 4

    # NMS on clustered boxes with tied scores: 8 draws per box
    n = 600
    d = r.next_n(n * 8).reshape(n, 8)
    u = (d >> np.uint64(40)).astype(np.float32) * np.float32(1.0 / 16777216.0)

    def uni(col: int, lo: float, hi: float) -> np.ndarray:
        return np.float32(lo) + (np.float32(hi) - np.float32(lo)) * u[:, col]

    cx = np.float32(20.0) * (d[:, 0] % np.uint64(12)).astype(np.float32) + uni(1, -6.0, 6.0)
    cy = np.float32(20.0) * (d[:, 2] % np.uint64(8)).astype(np.float32) + uni(3, -6.0, 6.0)
    bw, bh = uni(4, 4.0, 40.0), uni(5, 4.0, 40.0)
    boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1).astype(np.float32)
    scores = (d[:, 6] % np.uint64(64)).astype(np.float32) / np.float32(64.0)
    classes = (d[:, 7] % np.uint64(3)).astype(np.int64)
    stream = b""
    for thr in (0.3, 0.5, 0.7):
        stream += put_all(ref.nms(boxes, scores, thr, classes, None).astype(np.int64))
        stream += put_all(ref.nms(boxes, scores, thr, None, 50).astype(np.int64))
    check(digests, "nms.direct", stream)
    check(digests, "map_boxes", ref.map_boxes(boxes, info).astype(np.float32))
    shapes = list(ref.grid_shapes(A, strides, (in_w, in_h))) + list(ref.grid_shapes(8400, strides))
    check(digests, "grid_shapes", np.array(shapes, np.int64))
    # classification, softmax, top-k with ties
    logits = r.floats(1000, -20.0, 20.0)
    logits[17] = np.nan
    logits[500] = logits[501]
    check(digests, "classify.nonfinite", np.int64(ref.classify(logits, 5, True, return_stats=True)[1]["nonfinite_scores"]).tobytes())
    check(digests, "classify.softmax", ref.classify(logits, 5, True))
    check(digests, "classify.raw", ref.classify(logits, 10, False))
    check(digests, "softmax", ref.softmax(logits))
    q = (r.next_n(256) % np.uint64(16)).astype(np.float32)
    check(digests, "topk.ties", ref.topk(q, 40).astype(np.int64))
    # segmentation argmax with a few NaN, both layouts over the same buffer
    C, H, W = 21, 60, 80
    seg = r.floats(C * H * W, -5.0, 5.0)
    for _ in range(50):
        seg[r.below(C * H * W)] = np.nan
    for name, arr, layout in (("segment.nchw", seg.reshape(C, H, W), "NCHW"), ("segment.nhwc", seg.reshape(H, W, C), "NHWC")):
        mask, stats = ref.segment_argmax(arr, layout, return_stats=True)
        check(digests, name, np.int64(stats["nan_pixels"]).tobytes() + put_all(mask.astype(np.int32)))


def test_pipeline_digests_equal_cv2_reference(digests: dict) -> None:
    from pyalign.reference.preprocess import run_reference

    r = Rng(5)
    random_m = [r.uniform_d(-1.5, 1.5) for _ in range(12)]
    norm255 = {"op": "normalize", "mean": [0.0, 0.0, 0.0], "std": [255.0, 255.0, 255.0]}
    cases = [  # the golden program's pipeline cases, as pipeline specs
        ("nv12_letterbox_norm_nchw", "YUV420SP", 1280, 720, [
            {"op": "csc", "to": "RGB", "mode": "opencv"},
            {"op": "letterbox", "size": [640, 640], "pad_value": 114, "style": "ultralytics"},
            norm255, {"op": "layout", "to": "NCHW"}]),
        ("yuyv_matrix_resize_hwc", "YUYV422", 640, 480, [
            {"op": "csc", "to": "BGR", "mode": "matrix", "matrix": random_m},
            {"op": "resize", "size": [320, 256], "interpolation": "linear"}]),
        ("bgr_nearest_swap_norm_nchw", "BGR", 500, 375, [
            {"op": "resize", "size": [224, 224], "interpolation": "nearest"}, {"op": "swap_rb"},
            {"op": "normalize", "mean": [123.675, 116.28, 103.53], "std": [58.395, 57.12, 57.375]},
            {"op": "layout", "to": "NCHW"}]),
        ("bgr_center_letterbox_nhwc", "BGR", 333, 517, [
            {"op": "letterbox", "size": [320, 320], "pad_value": [1.4, 2.5, 254.6], "style": "center"},
            {"op": "layout", "to": "NHWC"}]),
        ("nv21_fullrange_area2_norm_nhwc", "YVU420SP", 640, 480, [
            {"op": "csc", "to": "BGR", "mode": "full_range"},
            {"op": "resize", "size": [320, 240], "interpolation": "linear"},
            {"op": "normalize", "mean": [0.5, 1.5, 127.5], "std": [3.0, 128.0, 0.1]},
            {"op": "layout", "to": "NHWC"}]),
        ("uyvy_limited_center_chw", "UYVY422", 322, 180, [
            {"op": "csc", "to": "RGB", "mode": "limited_range"},
            {"op": "letterbox", "size": [256, 256], "pad_value": 114, "style": "center"},
            {"op": "normalize", "mean": [0.0, 100.0, 0.0], "std": [1.0, 1.0, 7.0]},
            {"op": "layout", "to": "CHW"}]),
        ("gray_letterbox_norm_nchw", "GRAY", 97, 61, [
            {"op": "letterbox", "size": [64, 64], "pad_value": 114, "style": "ultralytics"},
            {"op": "normalize", "mean": [33.0], "std": [0.7]}, {"op": "layout", "to": "NCHW"}]),
        ("rgb_swap_hwc", "RGB", 64, 48, [{"op": "swap_rb"}]),
        ("nv12_upscale_hwc", "YUV420SP", 100, 62, [
            {"op": "csc", "to": "BGR", "mode": "opencv"},
            {"op": "resize", "size": [333, 177], "interpolation": "linear"}]),
    ]
    frame_bytes = {"YUV420SP": 1.5, "YVU420SP": 1.5, "YUYV422": 2, "UYVY422": 2, "BGR": 3, "RGB": 3, "GRAY": 1}
    for name, fmt, w, h, ops in cases:
        spec = {"input": {"format": fmt, "width": w, "height": h}, "preprocess": ops}
        raw = r.bytes(int(w * h * frame_bytes[fmt]))  # drawn for every case, as in the C++
        if fmt in ("YUV420SP", "YVU420SP"):
            raw = raw.reshape(h * 3 // 2, w)
        elif fmt in ("YUYV422", "UYVY422"):
            raw = raw.reshape(h, w, 2)
        else:
            raw = r.image(w, h, 1 if fmt == "GRAY" else 3)
            raw = raw[..., 0] if fmt == "GRAY" else raw
        tensor, info = run_reference(raw, spec)
        check(digests, f"pipeline.{name}.tensor", tensor)
        if info["style"] == "none":
            continue  # no geometry op: the C++ reports an empty geometry
        op = 1 if info["style"] == "resize" else 2
        geo = np.array([info["scale_x"], info["scale_y"]], np.float64).tobytes()
        geo += np.array([info[k] for k in ("pad_left", "pad_top", "pad_right", "pad_bottom", "resized_width",
                                           "resized_height", "src_width", "src_height", "dst_width",
                                           "dst_height")] + [op], np.int32).tobytes()
        geo += np.array(tensor.shape, np.uint64).tobytes()
        check(digests, f"pipeline.{name}.geometry", geo)


def test_letterbox_digests_equal_cv2(digests: dict) -> None:
    r = Rng(2)
    sizes = [(320, 240, 320, 320), (480, 640, 320, 320), (960, 540, 320, 192), (333, 517, 320, 320),
             (100, 100, 100, 100), (7, 300, 64, 64), (1000, 5, 320, 320), (641, 481, 416, 256)]
    keys = ("pad_left", "pad_top", "pad_right", "pad_bottom", "resized_width", "resized_height", "src_width",
            "src_height", "dst_width", "dst_height")

    def geometry_bytes(g: dict) -> bytes:
        return np.array([g["scale_x"], g["scale_y"]], np.float64).tobytes() + np.array([g[k] for k in keys], np.int32).tobytes()

    errors = 0
    for style in ("ultralytics", "center"):
        stream = b""
        for _ in range(400):
            sw, sh, dw, dh = r.range(1, 4000), r.range(1, 4000), r.range(8, 1280), r.range(8, 1280)
            try:
                stream += geometry_bytes(letterbox_geometry(sw, sh, dw, dh, style))
            except ValueError:
                stream += np.int32(-1).tobytes()
                errors += 1
        check(digests, f"letterbox.geometry.random.{style}", stream)
        for cn in (1, 3, 4):
            for sw, sh, dw, dh in sizes:
                src = r.image(sw, sh, cn)
                g = letterbox_geometry(sw, sh, dw, dh, style)
                img = src
                if (g["resized_width"], g["resized_height"]) != (sw, sh):
                    img = cv2.resize(src, (g["resized_width"], g["resized_height"]), interpolation=cv2.INTER_LINEAR)
                pad = [114.0, 0.0, 255.0, 7.0][:cn] + [0.0] * (4 - cn)
                img = cv2.copyMakeBorder(img, g["pad_top"], g["pad_bottom"], g["pad_left"], g["pad_right"],
                                         cv2.BORDER_CONSTANT, value=pad)
                check(digests, f"letterbox.{style}.{sw}x{sh}->{dw}x{dh}c{cn}", geometry_bytes(g) + put_all(img))
    assert errors > 0  # the random sizes include degenerate ones (an error on every platform)


def test_half_to_double_digest_equals_numpy(digests: dict) -> None:
    every_half = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16)
    bits = every_half.astype(np.float64).view(np.uint64)
    # NaN payloads are not part of the contract: the core returns the quiet NaN with the half's
    # sign, numpy keeps the payload. Every other value (subnormals, +-0, +-Inf) must be identical.
    nan = np.isnan(every_half)
    assert nan.sum() == 2046
    bits[nan] = np.uint64(0x7FF8000000000000) | (bits[nan] & np.uint64(1 << 63))
    check(digests, "half_to_double.all", bits)


def test_kernel_path_digests_equal_cv2_and_numpy(digests: dict) -> None:
    """The golden outputs of the SIMD kernels' paths (cpp/tests/golden_kernels.hpp) against cv2 / numpy."""
    from pyalign.reference.preprocess import run_reference

    r = Rng(7)
    checked = 0
    for cn in range(1, 5):
        for sw, sh, dw, dh in [(1921, 31, 641, 23), (1282, 40, 641, 20), (640, 30, 1283, 61), (1000, 30, 333, 10)]:
            src = r.bytes(sw * sh * cn).reshape(sh, sw, cn)
            check(digests, f"kernels.resize.{sw}x{sh}->{dw}x{dh}c{cn}",
                  cv2.resize(src, (dw, dh), interpolation=cv2.INTER_LINEAR))
            checked += 1
    for fmt, code in YUV.items():
        w = 1282

        def cv_frame(flat: np.ndarray, h: int) -> np.ndarray:
            return flat.reshape(h * 3 // 2, w) if fmt in ("YUV420SP", "YVU420SP") else flat.reshape(h, w, 2)

        nbytes = {"YUV420SP": 3, "YVU420SP": 3, "YUYV422": 4, "UYVY422": 4}[fmt]  # per 2 pixels
        frame = cv_frame(r.bytes(w * 6 * nbytes // 2), 6)
        for to in ("BGR", "RGB"):
            check(digests, f"kernels.csc.{fmt}.1282x6.{to}", cv2.cvtColor(frame, getattr(cv2, f"COLOR_YUV2{to}_{code}")))
        small = cv_frame(r.bytes(w * 4 * nbytes // 2), 4)
        cols = [r.below(w) for _ in range(700)]
        bgr = cv2.cvtColor(small, getattr(cv2, f"COLOR_YUV2BGR_{code}"))
        check(digests, f"kernels.csc_columns.{fmt}", bgr[3, cols])
        checked += 3
    layouts = {"NCHW": lambda a: a.transpose(2, 0, 1)[None], "HW": lambda a: a[..., 0], "HWC": lambda a: a}
    for name, cn, layout, swap, mean, std in [
        ("c3.NCHW.imagenet", 3, "NCHW", True, [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]),
        ("c3.NCHW.div255", 3, "NCHW", False, [0, 0, 0], [255, 255, 255]),
        ("c1.HW.gray", 1, "HW", False, [33], [0.7]),
        ("c4.HWC.mixed", 4, "HWC", True, [1.5, -7, 200, 0.25], [3, 0.1, 1e-3, 77]),
        ("c3.HWC.refused", 3, "HWC", False, [3e38, -3e38, 0], [1e-10, 1e-10, 1e30]),
    ]:
        x = r.image(701, 3, cn)
        if swap:
            x = x[..., [2, 1, 0, 3][:cn]]
        with np.errstate(over="ignore"):
            y = (x.astype(np.float32) - np.float32(mean)) / np.float32(std)
        check(digests, f"kernels.normalize.{name}", layouts[layout](y))
        checked += 1
    imagenet = {"op": "normalize", "mean": [123.675, 116.28, 103.53], "std": [58.395, 57.12, 57.375]}
    div255 = {"op": "normalize", "mean": [0, 0, 0], "std": [255, 255, 255]}
    for name, fmt, w, h, op, dw, dh, norm in [
        ("nv12_960x540_letterbox_320", "YUV420SP", 960, 540, "letterbox", 320, 320, div255),
        ("nv12_960x540_resize_224", "YUV420SP", 960, 540, "resize", 224, 224, imagenet),
        ("nv21_640x360_letterbox_320", "YVU420SP", 640, 360, "letterbox", 320, 320, div255),
        ("yuyv_962x540_resize_320", "YUYV422", 962, 540, "resize", 320, 320, imagenet),
        ("bgr_960x540_resize_224", "BGR", 960, 540, "resize", 224, 224, imagenet),
        ("bgr_640x360_letterbox_320", "BGR", 640, 360, "letterbox", 320, 320, div255),
    ]:
        yuv = fmt != "BGR"
        ops = ([{"op": "csc", "to": "RGB", "mode": "opencv"}] if yuv else []) + [{"op": op, "size": [dw, dh]}]
        ops += ([] if yuv else [{"op": "swap_rb"}]) + [norm, {"op": "layout", "to": "NCHW"}]
        spec = {"input": {"format": fmt, "width": w, "height": h}, "preprocess": ops}
        size = {"YUV420SP": w * h * 3 // 2, "YVU420SP": w * h * 3 // 2, "YUYV422": w * h * 2, "BGR": w * h * 3}[fmt]
        shape = {"YUV420SP": (h * 3 // 2, w), "YVU420SP": (h * 3 // 2, w), "YUYV422": (h, w, 2), "BGR": (h, w, 3)}[fmt]
        tensor, _ = run_reference(r.bytes(size).reshape(shape), spec)
        check(digests, f"kernels.pipeline.{name}", tensor)
        checked += 1
    assert checked == 16 + 4 * 3 + 5 + 6

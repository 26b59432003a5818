"""Write the seed corpus of the fuzz targets (cpp/fuzz/corpus/<target>/), deterministically.

Seeds come from the fixtures' manifests (fixtures/captures/*/manifest.json) and the bundled specs
(pyalign/spec/specs/*.json), plus hand-made variants that reach the checks: duplicate keys and
entries, path escapes, symlinks, odd numbers and strings, wrong sizes and checksums, op order.
Reproducers of fixed crashes are kept next to them as crash_*.

Usage: python cpp/fuzz/make_corpus.py   (from anywhere; rewrites the seed_* files only)
"""
from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent / "corpus"


def write(target: str, name: str, data: bytes) -> None:
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / f"seed_{name}").write_bytes(data)


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, indent=1).encode()


def manifest(tensors: List[Dict[str, Any]], **top: Any) -> Dict[str, Any]:
    return {"format": "pyalign.capture", "version": 1, "case": "c", **top, "tensors": tensors}


def tensor(stage: str, name: str, file: str, dtype: str = "uint8", shape: Any = (8,), **kw: Any) -> Dict[str, Any]:
    return {"stage": stage, "name": name, "file": file, "dtype": dtype, "shape": list(shape), **kw}


def manifest_seeds() -> None:
    for p in sorted((ROOT / "fixtures" / "captures").glob("*/manifest.json")):
        write("fuzz_manifest", f"fixture_{p.parent.name}.json", p.read_bytes())
    raw = tensor("raw_input", "image", "raw_input.bin", shape=(2, 4, 3), layout="HWC", color="BGR", kind="image")
    pre = tensor("preprocessed", "images", "preprocessed.bin", "float32", (1, 3, 2, 4), layout="NCHW")
    variants: Dict[str, Any] = {
        "symlink_inside": manifest([tensor("raw_input", "image", "link.bin")]),
        "symlink_escape": manifest([tensor("raw_input", "image", "escape.bin")]),
        "dir_symlink_escape": manifest([tensor("raw_input", "image", "up/raw_input.bin")]),
        "subdir": manifest([tensor("raw_input", "image", "sub/x.bin"), tensor("model_output", "o", "sub/./x.bin")]),
        "dotdot": manifest([tensor("raw_input", "image", "sub/../../x.bin")]),
        "absolute": manifest([tensor("raw_input", "image", "/etc/passwd"), pre]),
        "windows_paths": manifest([tensor("raw_input", "image", "C:\\x.bin"), tensor("model_output", "a", "a\\..\\b")]),
        "duplicate_entry": manifest([raw, pre, dict(raw, file="t.bin")]),
        "duplicate_file": manifest([raw, dict(pre, file="./raw_input.bin")]),
        "shapes": manifest([tensor("model_output", f"o{i}", f"o{i}.bin", "float64", s) for i, s in enumerate(
            [[], [0], [0, 1 << 62], [1 << 40, 1 << 40], [-1], [2.0], [1e3], ["2"], [True], [None],
             [99999999999999999999999], [1] * 33])]),
        "dtypes": manifest([tensor("model_output", d, f"{d}.bin", d, (2,)) for d in
                            ["uint8", "int8", "uint16", "int16", "uint32", "int32", "int64", "float16", "float32",
                             "float64", "float8", "bool", 7]]),
        "optional_keys": manifest([dict(raw, sha256="E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
                                       extra={"k": [1, 2]}), dict(pre, layout="NC", color=None, kind=3)]),
        "version_2": dict(manifest([raw]), version=2),
        "version_float": dict(manifest([raw]), version=1.0),
        "empty": manifest([]),
        "big_object": manifest([raw], provenance={f"k{i}": i for i in range(40)}),
        "not_object": [manifest([raw])],
    }
    for name, obj in variants.items():
        write("fuzz_manifest", name + ".json", dumps(obj))
    text = dumps(manifest([raw])).decode()
    write("fuzz_manifest", "duplicate_key.json", text.replace('"version": 1,', '"version": 1, "version": 1,').encode())
    write("fuzz_manifest", "duplicate_key_nested.json",
          text.replace('"name": "image",', '"name": "image", "name": "x",').encode())
    write("fuzz_manifest", "escapes.json",
          text.replace('"case": "c"', '"case": "\\u00e9\\ud83d\\ude00\\ud800 \\" \\\\ \\/ \\b\\f\\n\\r\\t"').encode())
    write("fuzz_manifest", "bad_utf8.json", text.replace('"case": "c"', '"case": "\xff\xc0\xaf"').encode("latin-1"))
    write("fuzz_manifest", "numbers.json",
          text.replace('"version": 1', '"version": 1, "n": [NaN, Infinity, -Infinity, -0, 1e-400, 1E+400, 0.5e1]').encode())
    write("fuzz_manifest", "deep.json", b"[" * 300 + b"]" * 300)
    write("fuzz_manifest", "truncated.json", text[: len(text) // 2].encode())


def bin_seed(name: str, man: Dict[str, Any], data: bytes) -> None:
    text = json.dumps(man).encode()
    write("fuzz_bin", name + ".bin", struct.pack("<H", len(text)) + text + data)


def bin_seeds() -> None:
    data = bytes(range(16))
    sha = hashlib.sha256(data).hexdigest()
    half_sha = hashlib.sha256(data[:8]).hexdigest()
    bin_seed("u8_ok", manifest([tensor("raw_input", "image", "t.bin", "uint8", (16,), sha256=sha)]), data)
    bin_seed("f32_ok", manifest([tensor("preprocessed", "x", "t.bin", "float32", (1, 4), sha256=sha),
                                 tensor("model_output", "h", "h.bin", "float16", (4,), sha256=half_sha)]), data)
    bin_seed("i64_ok", manifest([tensor("model_output", "x", "t.bin", "int64", (2,))]), data)
    bin_seed("sha_mismatch", manifest([tensor("raw_input", "image", "t.bin", "uint8", (16,), sha256=half_sha)]), data)
    bin_seed("truncated", manifest([tensor("raw_input", "image", "t.bin", "float32", (8,))]), data)
    bin_seed("longer", manifest([tensor("raw_input", "image", "t.bin", "uint8", (15,))]), data)
    bin_seed("huge_shape", manifest([tensor("raw_input", "image", "t.bin", "uint8", (1 << 40,))]), data)
    bin_seed("empty", manifest([tensor("raw_input", "image", "t.bin", "float64", (0, 3))]), b"")
    bin_seed("missing", manifest([tensor("raw_input", "image", "nothing.bin", "uint8", (1,))]), data)
    bin_seed("wrong_type", manifest([tensor("raw_input", "image", "t.bin", "int32", (4,))]), data)


def spec_seeds() -> None:
    for p in sorted((ROOT / "pyalign" / "spec" / "specs").glob("*.json")):
        write("fuzz_spec", f"bundled_{p.stem}.json", p.read_bytes())
    bgr = {"format": "BGR", "width": 8, "height": 6}
    nv12 = {"format": "YUV420SP", "width": 8, "height": 6}
    variants: Dict[str, Any] = {
        "every_op": {"input": {"format": "YVU420SP", "width": 16, "height": 10}, "preprocess": [
            {"op": "csc", "to": "BGR", "mode": "full_range"}, {"op": "letterbox", "size": [7, 5], "pad_value": [0, 127.5, 255],
                                                             "style": "center"},
            {"op": "swap_rb"}, {"op": "normalize", "mean": [1, 2, 3], "std": [0.5, 1e-3, 7]},
            {"op": "layout", "to": "NHWC"}], "postprocess": None, "name": "n", "description": "d"},
        "matrix": {"input": {"format": "UYVY422", "width": 6, "height": 3}, "preprocess": [
            {"op": "csc", "to": "RGB", "mode": "matrix", "matrix": [1, 0, 1.4, -0.7, 1, -0.3, -0.7, 0.5, 1, 1.8, 0, -0.9]},
            {"op": "resize", "size": [11, 2], "interpolation": "nearest"}]},
        "limited_range": {"input": {"format": "YUYV422", "width": 4, "height": 4},
                          "preprocess": [{"op": "csc", "mode": "limited_range"}, {"op": "resize", "size": [9, 9]}]},
        "gray": {"input": {"format": "GRAY", "width": 5, "height": 3}, "preprocess": [
            {"op": "letterbox", "size": [8, 8], "pad_value": 3}, {"op": "normalize", "mean": 1, "std": [2]},
            {"op": "layout", "to": "CHW"}]},
        "one_pixel": {"input": {"format": "RGB", "width": 1, "height": 1}, "preprocess": [{"op": "resize", "size": [1, 1]}]},
        "thin_letterbox": {"input": {"format": "BGR", "width": 65536, "height": 2},
                           "preprocess": [{"op": "letterbox", "size": [32, 32]}]},
        "largest": {"input": {"format": "BGR", "width": 65536, "height": 65536},
                    "preprocess": [{"op": "resize", "size": [65536, 65536]}]},
        "float_sizes": {"input": {"format": "BGR", "width": 8.0, "height": 6e0},
                        "preprocess": [{"op": "resize", "size": [4.0, 3.0]}]},
        "out_of_float32": {"input": bgr, "preprocess": [{"op": "normalize", "mean": 1e39, "std": 1e-50}]},
        "wrong_order": {"input": nv12, "preprocess": [{"op": "resize", "size": [4, 4]}, {"op": "csc"}]},
        "nulls": {"input": bgr, "preprocess": [{"op": "letterbox", "size": None, "pad_value": None, "style": None}]},
        "unknown_keys": {"input": dict(bgr, depth=3), "extra": 1},
        "not_object": [1, "x", None, True, 1.5],
        "no_preprocess": {"input": bgr},
    }
    for name, obj in variants.items():
        write("fuzz_spec", name + ".json", dumps(obj))
    text = dumps({"input": bgr, "preprocess": [{"op": "swap_rb"}]}).decode()
    write("fuzz_spec", "duplicate_key.json", text.replace('"op": "swap_rb"', '"op": "swap_rb", "op": "swap_rb"').encode())
    write("fuzz_spec", "bom.json", b"\xef\xbb\xbf" + text.encode())


def main() -> None:
    for d in OUT.glob("*/seed_*"):
        d.unlink()
    manifest_seeds()
    bin_seeds()
    spec_seeds()
    for d in sorted(OUT.iterdir()):
        print(f"{d.relative_to(ROOT)}: {len(list(d.iterdir()))} files")


if __name__ == "__main__":
    main()

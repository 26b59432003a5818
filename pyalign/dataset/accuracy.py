"""The accuracy the board loses, from the postprocessed stage of many cases.

* detections: COCO mAP@0.5:0.95 and mAP@0.5 computed by pycocotools' ``COCOeval`` (the
  optional extra ``pyalign[coco]``; never a hand-written evaluator): the board's
  detections scored against the reference's as ground truth, and, given a COCO
  annotation file, both sides against the real ground truth;
* classification: top-1 / top-5 agreement between the sides, and each side's accuracy
  given the true labels;
* segmentation: mIoU between the sides (the reference's class map as ground truth).

Inputs are the compact per-case records of :mod:`pyalign.dataset.record` (lists, not
arrays), so a merged summary is recomputed exactly from the records of every shard.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from pyalign.errors import PyalignError

__all__ = ["COCO_EXTRA", "require_pycocotools", "coco_map", "detections_map", "annotations_map",
           "classification_agreement", "segmentation_miou", "load_labels", "CocoAnnotations"]

PathLike = Union[str, "os.PathLike[str]"]
Rows = Sequence[Sequence[float]]

#: How to install the COCO evaluator.
COCO_EXTRA = "pip install 'pyalign[coco]' (pycocotools)"


def require_pycocotools() -> Any:
    """Import pycocotools' ``COCO`` and ``COCOeval``.

    Raises
    ------
    PyalignError
        pycocotools is not installed (names the extra that installs it).
    """
    try:
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
    except ImportError:
        raise PyalignError(f"the COCO mAP needs pycocotools: {COCO_EXTRA}") from None
    return COCO, COCOeval


def _xywh(row: Sequence[float]) -> List[float]:
    x1, y1, x2, y2 = (float(v) for v in row[:4])
    return [x1, y1, x2 - x1, y2 - y1]


def coco_map(images: Sequence[Mapping[str, Any]], categories: Sequence[int], ground_truth: Sequence[Mapping[str, Any]],
             results: Sequence[Mapping[str, Any]], image_ids: Optional[Sequence[int]] = None) -> Dict[str, Optional[float]]:
    """COCO box mAP by pycocotools: ``stats[0]`` (mAP@0.5:0.95) and ``stats[1]`` (mAP@0.5).

    Parameters
    ----------
    images : sequence of dict
        COCO ``images`` entries (``id``, optionally ``width``/``height``/``file_name``).
    categories : sequence of int
        Category ids.
    ground_truth : sequence of dict
        COCO annotations (``id`` >= 1, ``image_id``, ``category_id``, ``bbox`` x,y,w,h,
        ``area``, ``iscrowd``).
    results : sequence of dict
        Detections (``image_id``, ``category_id``, ``bbox``, ``score``).
    image_ids : sequence of int, optional
        Evaluate on these images only (default: every image).

    Returns
    -------
    dict
        ``{"map50_95", "map50"}``; None where COCOeval reports -1 (no ground truth).
    """
    COCO, COCOeval = require_pycocotools()
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints its progress
        gt = COCO()
        gt.dataset = {"images": [dict(i) for i in images], "categories": [{"id": int(c)} for c in categories],
                      "annotations": [dict(a) for a in ground_truth]}
        gt.createIndex()
        if results:
            dt = gt.loadRes([dict(r) for r in results])
        else:  # loadRes refuses an empty list: no detection at all scores 0 where there is ground truth
            dt = COCO()
            dt.dataset = {"images": gt.dataset["images"], "categories": gt.dataset["categories"], "annotations": []}
            dt.createIndex()
        ev = COCOeval(gt, dt, "bbox")
        if image_ids is not None:
            ev.params.imgIds = sorted(int(i) for i in image_ids)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    stats = [float(s) for s in ev.stats[:2]]
    return {"map50_95": None if stats[0] < 0 else stats[0], "map50": None if stats[1] < 0 else stats[1]}


def detections_map(pairs: Sequence[Tuple[Rows, Rows]]) -> Dict[str, Optional[float]]:
    """mAP of the actual detections with the reference's as ground truth.

    Parameters
    ----------
    pairs : sequence of (reference rows, actual rows)
        One per paired case, each row ``x1, y1, x2, y2, score, class``; case ``i`` is
        COCO image ``i + 1``, a class ``c`` is category ``int(c)``, a reference row is a
        ground-truth box (``iscrowd`` 0, ``area`` its width x height).
    """
    images, gts, res, cats = [], [], [], set()
    for i, (ref, act) in enumerate(pairs, start=1):
        images.append({"id": i})
        for row in ref:
            box = _xywh(row)
            cats.add(int(row[5]))
            gts.append({"id": len(gts) + 1, "image_id": i, "category_id": int(row[5]), "bbox": box,
                        "area": box[2] * box[3], "iscrowd": 0})
        for row in act:
            cats.add(int(row[5]))
            res.append({"image_id": i, "category_id": int(row[5]), "bbox": _xywh(row), "score": float(row[4])})
    return coco_map(images, sorted(cats), gts, res)


class CocoAnnotations:
    """A COCO annotation file, read once: images by file-name stem, categories by index.

    A case matches the image whose ``file_name`` stem is the case name's last part
    (``pyalign capture`` names a case after its image). Detection class ``i`` is the
    ``i``-th category of the file by id (the COCO-80 convention of YOLO models).
    Boxes are scaled from the raw input's size (the spec's input, which the image was
    resized to) to the image's ``width`` x ``height``.

    Raises
    ------
    PyalignError
        The file cannot be read or is not a COCO detection annotation file.
    """

    def __init__(self, path: PathLike) -> None:
        self.path = Path(os.fspath(path))
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except OSError as e:
            raise PyalignError(f"cannot read: {e.strerror or e}", self.path) from None
        except ValueError as e:
            raise PyalignError(f"not JSON: {e}", self.path) from None
        if not isinstance(data, dict) or not all(isinstance(data.get(k), list) for k in ("images", "annotations", "categories")):
            raise PyalignError("not a COCO annotation file (needs lists 'images', 'annotations', 'categories')", self.path)
        try:
            self.images = {Path(str(im["file_name"])).stem: im for im in data["images"]}
            self.category_ids = sorted(int(c["id"]) for c in data["categories"])
            self.annotations = [a for a in data["annotations"] if "bbox" in a]
        except (KeyError, TypeError, ValueError) as e:
            raise PyalignError(f"malformed COCO entry: {type(e).__name__}: {e}", self.path) from None
        self.data = data

    def image_for(self, name: str) -> Optional[Mapping[str, Any]]:
        """The COCO image of a case name (by the stem of its last part), or None."""
        return self.images.get(Path(name).name) or self.images.get(Path(name).stem)

    def results(self, cases: Sequence[Tuple[str, Rows, Optional[Sequence[int]]]]) -> Tuple[List[Dict[str, Any]], List[int]]:
        """COCO results for ``(name, rows, frame (w, h) or None)`` cases, and the image ids matched."""
        out: List[Dict[str, Any]] = []
        ids: List[int] = []
        ncat = len(self.category_ids)
        for name, rows, frame in cases:
            im = self.image_for(name)
            if im is None:
                continue
            ids.append(int(im["id"]))
            sx = sy = 1.0
            if frame and im.get("width") and im.get("height"):
                sx, sy = float(im["width"]) / float(frame[0]), float(im["height"]) / float(frame[1])
            for row in rows:
                c = int(row[5])
                if not 0 <= c < ncat:
                    continue
                x, y, w, h = _xywh(row)
                out.append({"image_id": int(im["id"]), "category_id": self.category_ids[c],
                            "bbox": [x * sx, y * sy, w * sx, h * sy], "score": float(row[4])})
        return out, ids


def annotations_map(annotations: CocoAnnotations, reference: Sequence[Tuple[str, Rows, Optional[Sequence[int]]]],
                    actual: Sequence[Tuple[str, Rows, Optional[Sequence[int]]]]) -> Dict[str, Any]:
    """mAP of both sides against the real ground truth, on the images of the paired cases.

    Returns
    -------
    dict
        ``reference_map50_95``, ``reference_map50``, ``actual_map50_95``, ``actual_map50``,
        ``delta_map50_95`` (actual - reference), ``annotated_cases`` (cases found in the file).
    """
    out: Dict[str, Any] = {}
    ids: List[int] = []
    gts = [dict(a, id=i + 1) if not a.get("id") else a for i, a in enumerate(annotations.annotations)]
    for side, cases in (("reference", reference), ("actual", actual)):
        results, ids = annotations.results(cases)
        m = coco_map(annotations.data["images"], annotations.category_ids, gts, results, image_ids=ids) if ids \
            else {"map50_95": None, "map50": None}
        out[f"{side}_map50_95"], out[f"{side}_map50"] = m["map50_95"], m["map50"]
    r, a = out["reference_map50_95"], out["actual_map50_95"]
    out["delta_map50_95"] = None if r is None or a is None else a - r
    out["annotated_cases"] = len(ids)
    return out


def classification_agreement(pairs: Sequence[Tuple[Sequence[int], Sequence[int]]],
                             labels: Optional[Sequence[Optional[int]]] = None) -> Dict[str, Any]:
    """Top-1 / top-5 agreement between the sides, and accuracy with labels.

    Parameters
    ----------
    pairs : sequence of (reference top-k class ids, actual top-k class ids)
        Best first. Top-1 agreement: the same best class; top-5 agreement: the
        reference's best class is among the actual's first five.
    labels : sequence of int or None, optional
        The true class of each case (None: unknown); gives ``reference_top1_accuracy``,
        ``actual_top1_accuracy`` and the top-5 ones over the labelled cases.
    """
    usable = [(r, a) for r, a in pairs if len(r) and len(a)]
    n = len(usable)
    out: Dict[str, Any] = {
        "cases": n,
        "top1_agreement": (sum(r[0] == a[0] for r, a in usable) / n) if n else None,
        "top5_agreement": (sum(r[0] in list(a[:5]) for r, a in usable) / n) if n else None,
    }
    if labels is not None:
        known = [(r, a, y) for (r, a), y in zip(pairs, labels) if y is not None]
        k = len(known)
        out["labelled_cases"] = k
        for side, idx in (("reference", 0), ("actual", 1)):
            out[f"{side}_top1_accuracy"] = (sum(bool(len(t[idx])) and t[idx][0] == t[2] for t in known) / k) if k else None
            out[f"{side}_top5_accuracy"] = (sum(t[2] in list(t[idx][:5]) for t in known) / k) if k else None
        a, r = out["actual_top1_accuracy"], out["reference_top1_accuracy"]
        out["delta_top1_accuracy"] = None if a is None or r is None else a - r
    return out


def segmentation_miou(cases: Sequence[Mapping[str, Sequence[int]]]) -> Dict[str, Any]:
    """mIoU between the sides from per-case ``{"classes", "intersection", "union"}`` pixel counts.

    Intersections and unions are summed per class over the cases; the mIoU is the mean of
    ``intersection / union`` over the classes with a non-empty union.
    """
    inter: Dict[int, int] = {}
    union: Dict[int, int] = {}
    for c in cases:
        for k, i, u in zip(c["classes"], c["intersection"], c["union"]):
            inter[int(k)] = inter.get(int(k), 0) + int(i)
            union[int(k)] = union.get(int(k), 0) + int(u)
    ious = [inter[k] / union[k] for k in sorted(union) if union[k] > 0]
    return {"cases": len(cases), "classes": len(ious), "miou": (sum(ious) / len(ious)) if ious else None}


def load_labels(path: PathLike) -> Dict[str, int]:
    """True classes by case name: a JSON object ``{"name": class}``, or text lines ``name class``/``name,class``.

    Raises
    ------
    PyalignError
        The file cannot be read or a line is malformed.
    """
    p = Path(os.fspath(path))
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise PyalignError(f"cannot read: {e.strerror or e}", p) from None
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
            return {str(k): int(v) for k, v in data.items()}
        except (ValueError, TypeError) as e:
            raise PyalignError(f"expected a JSON object {{name: class}}: {e}", p) from None
    out: Dict[str, int] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.replace(",", " ").split()
        try:
            if len(parts) != 2:
                raise ValueError
            out[parts[0]] = int(parts[1])
        except ValueError:
            raise PyalignError(f"line {n}: expected 'name class' (or 'name,class'), got {line!r}", p) from None
    return out

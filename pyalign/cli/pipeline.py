"""``pyalign demo / capture / verify / spec``: from a Python pipeline to a proven C++ one.

Exit status: 0 aligned (or done), 1 misaligned (``capture``: some images failed),
2 usage or input error (one ``error:`` line on stderr).
"""
from __future__ import annotations

import json
import pathlib
import sys
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import click

from pyalign.errors import PyalignError

Rule = Union[None, float, Dict[str, float]]


def _parse_rule(values: Sequence[str], option: str) -> Rule:
    """``--atol 1e-3`` (every stage) or ``--atol preprocessed=1e-3 --atol postprocessed.scores=1e-2``."""
    if not values:
        return None
    out: Dict[str, float] = {}
    for v in values:
        key, sep, num = v.rpartition("=")
        try:
            f = float(num)
        except ValueError:
            raise click.UsageError(f"{option} {v!r}: expected NUMBER or STAGE[.NAME]=NUMBER") from None
        if not sep:
            if len(values) == 1:
                return f
            raise click.UsageError(f"{option} {v!r}: give STAGE[.NAME]=NUMBER when repeating {option}")
        out[key] = f
    return out


def _is_tty() -> bool:
    return sys.stdout.isatty()


@click.command("demo")
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              help="Keep the capture sets in this directory (default: a temporary one).")
@click.option("--html", "html", type=click.Path(dir_okay=False), default=None,
              help="Also write the misaligned variant's HTML report.")
def demo_cmd(out: Optional[str], html: Optional[str]) -> int:
    """Run the main job on bundled data: capture, verify the C++ core, catch a misaligned board.

    Offline, no model: a synthetic NV12 frame and a synthetic YOLOv8 output.
    Exit 0 when the C++ core is aligned and the misaligned variant is caught.
    """
    from pyalign.demo import run_demo

    if html:
        from pyalign.cli.compare import ensure_parent

        ensure_parent(html)
    return run_demo(out, color=_is_tty(), echo=click.echo, html=html)


@click.command("capture")
@click.argument("images", nargs=-1, required=True, type=click.Path())
@click.option("--spec", "spec", required=True, type=click.Path(dir_okay=False), help="The pipeline spec (JSON).")
@click.option("-o", "--out", "out", required=True, type=click.Path(file_okay=False),
              help="Directory of the capture sets (one per image, named by the image stem).")
@click.option("--model", type=click.Path(dir_okay=False), default=None,
              help="ONNX model run with onnxruntime on the reference tensor (pip install 'pyalign[onnx]').")
@click.option("--model-output", "model_outputs", multiple=True, type=click.Path(dir_okay=False),
              help="Model output file (.npy, .npz, .bin) instead of a model: once for all images, or once per image.")
@click.option("--output-shape", default=None, help="Shape of a raw .bin model output, e.g. 1,84,8400.")
@click.option("--output-dtype", default="float32", show_default=True, help="dtype of a raw .bin model output.")
def capture_cmd(images: Tuple[str, ...], spec: str, out: str, model: Optional[str], model_outputs: Tuple[str, ...],
                output_shape: Optional[str], output_dtype: str) -> int:
    """Run the Python reference pipeline of a spec on images and write capture sets.

    Each image is resized to the spec's input size, converted to its input
    format by OpenCV's rules (NV12, YUYV, ...), preprocessed by the cv2/numpy
    reference, run through the model (or given its output) and postprocessed.
    Raw frames already in the input format (.npy of its shape, or .bin/.raw/
    .yuv/.nv12/.nv21/.yuyv/.uyvy of its byte size) are used as they are. A
    directory stands for the image and raw-frame files in it.
    Exit 0 when every image was captured, 1 when some failed (each reported on
    stderr, the others captured), 2 when none could be.
    """
    from pyalign.capture import _numeric_dtype, capture_images

    _numeric_dtype(output_dtype)
    shape = None
    if output_shape:
        try:
            shape = [int(x) for x in output_shape.replace("x", ",").split(",") if x.strip()]
        except ValueError:
            raise click.UsageError(f"--output-shape {output_shape!r}: expected integers like 1,84,8400") from None
    if output_shape is not None and (not shape or any(d < 0 for d in shape)):
        raise click.UsageError(f"--output-shape {output_shape!r}: expected non-negative integers like 1,84,8400")

    def progress(items: Any) -> Any:
        items = list(items)
        # a progress bar only on a terminal: in logs and CI it would be a stray "capturing" line
        return _progress_bar(items) if len(items) >= 2 and sys.stderr.isatty() else items

    outcomes = capture_images(list(images), spec, out, model=model, model_outputs=list(model_outputs),
                              output_shape=shape, output_dtype=output_dtype, progress=progress)
    failed = [o for o in outcomes if o.error]
    for o in outcomes:
        if o.error:
            msg = o.error if o.error.startswith(o.image) else f"{o.image}: {o.error}"
            click.echo(f"error: {msg}", err=True)
    done = len(outcomes) - len(failed)
    click.echo(f"captured {done} of {len(outcomes)} image(s) into {out}")
    if failed and not done:
        return 2
    return 1 if failed else 0


def _progress_bar(items: List[Any]) -> Iterator[Any]:
    """Yield the items under a click.progressbar on stderr."""
    with click.progressbar(items, label="capturing", file=sys.stderr) as bar:
        yield from bar


@click.command("verify")
@click.argument("cases", nargs=-1, required=True, type=click.Path())
@click.option("--spec", "spec", type=click.Path(dir_okay=False), default=None,
              help="Run this spec instead of the one in the capture's manifest.")
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              help="Write what the C++ core produced as capture sets here (one per case).")
@click.option("--atol", multiple=True, help="Absolute tolerance: NUMBER or STAGE[.NAME]=NUMBER (repeatable).")
@click.option("--rtol", multiple=True, help="Relative tolerance: NUMBER or STAGE[.NAME]=NUMBER (repeatable).")
@click.option("--cosine", multiple=True, help="Cosine threshold: NUMBER or STAGE[.NAME]=NUMBER (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--junit", type=click.Path(dir_okay=False), default=None, help="Write a JUnit XML report.")
@click.option("--html", type=click.Path(dir_okay=False), default=None,
              help="Write an HTML report (of the first misaligned case, else the first case).")
def verify_cmd(cases: Tuple[str, ...], spec: Optional[str], out: Optional[str], atol: Tuple[str, ...],
               rtol: Tuple[str, ...], cosine: Tuple[str, ...], as_json: bool, junit: Optional[str],
               html: Optional[str]) -> int:
    """Run the C++ core on capture sets and compare with the captured stages.

    CASES are capture sets or directories holding them. The fused C++
    preprocessing runs on the captured raw input, the C++ postprocessing on the
    captured model output. Exit 0 when every case is aligned, 1 when one is not.
    """
    import tempfile

    from pyalign.compare.rules import resolve_rule
    from pyalign.store import find_cases
    from pyalign.verify import verify_case

    rules: Dict[str, Any] = {"atol": _parse_rule(atol, "--atol"), "rtol": _parse_rule(rtol, "--rtol"),
                             "cosine": _parse_rule(cosine, "--cosine")}
    for key, value in rules.items():  # bad stage names and values: one line naming the option
        try:
            resolve_rule("raw_input", "_", **{key: value})
        except ValueError as e:
            raise click.UsageError(f"--{key}: {e}") from None
    paths: List[pathlib.Path] = []
    for c in cases:
        found = find_cases(c)
        if not found:
            raise PyalignError("no capture sets (directories with manifest.json) found", c)
        paths.extend(found)
    with tempfile.TemporaryDirectory(prefix="pyalign-verify-") as tmp:
        base = pathlib.Path(out) if out is not None else pathlib.Path(tmp)
        results = []
        names_unique = len({p.name for p in paths}) == len(paths)
        for i, p in enumerate(paths):
            dest = base / (p.name if names_unique else f"{i:03d}_{p.name}")
            results.append((p, verify_case(p, spec, out=dest, **rules)))
        from pyalign.cli.compare import warn_unused_overrides

        warn_unused_overrides(rules, [r.comparison for _, r in results])
        if as_json:
            docs = [{"case": str(p), "aligned": r.aligned, "actual": str(r.actual.dir) if out else None,
                     "notes": r.notes, "result": r.comparison.to_dict()} for p, r in results]
            if len(docs) == 1:
                doc: Any = docs[0]
            else:  # several cases: one document, like compare's "pyalign.compare.cases"
                doc = {"schema": "pyalign.verify.cases", "version": 1,
                       "aligned": all(d["aligned"] for d in docs),
                       "summary": {"cases": len(docs), "aligned": sum(bool(d["aligned"]) for d in docs)},
                       "cases": docs}
            click.echo(json.dumps(doc, indent=2, default=str))
        else:
            for p, r in results:
                if len(results) > 1:
                    click.echo(f"== {p}")
                text = r.to_text(color=_is_tty())
                if out is None:  # the temporary directory is gone when the command ends: do not point at it
                    text = text.replace(f"actual:    {r.comparison.actual_dir}\n",
                                        "actual:    the C++ core's output (not kept: --out DIR keeps it)\n", 1)
                click.echo(text)
            if len(results) > 1:
                bad = sum(not r.aligned for _, r in results)
                click.echo(f"{len(results) - bad} of {len(results)} case(s) aligned")
        if junit:
            _write_junit(junit, [r.comparison for _, r in results])
        if html:
            from pyalign.cli.compare import ensure_parent
            from pyalign.report.html import write_html

            ensure_parent(html)
            pick = next((r for _, r in results if not r.aligned), results[0][1])
            write_html(pick.comparison, html)
    return 0 if all(r.aligned for _, r in results) else 1


def _write_junit(path: str, comparisons: List[Any]) -> None:
    """One JUnit file: the comparator's XML for one case, the suites of each merged for several."""
    import xml.etree.ElementTree as ET

    docs = [c.to_junit() for c in comparisons]
    if len(docs) == 1:
        text = docs[0]
    else:
        root = ET.Element("testsuites")
        totals = {"tests": 0, "failures": 0, "errors": 0}
        for d in docs:
            el = ET.fromstring(d)
            for suite in ([el] if el.tag == "testsuite" else list(el)):
                root.append(suite)
                for k in totals:
                    totals[k] += int(suite.get(k, 0) or 0)
        for k, v in totals.items():  # CI dashboards read the totals from the root
            root.set(k, str(v))
        text = ET.tostring(root, encoding="unicode")
    from pyalign.cli.compare import ensure_parent

    ensure_parent(path)
    pathlib.Path(path).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


@click.group("spec")
def spec_group() -> None:
    """Pipeline spec tools: check a spec, list bundled ones, convert a Pulsar2 config."""


@spec_group.command("check")
@click.argument("spec", type=click.Path(dir_okay=False))
def spec_check_cmd(spec: str) -> int:
    """Validate a spec; print it normalised (defaults filled in) and its tensor's shape."""
    from pyalign.spec.model import dump_spec, load_spec, preprocessed_info, raw_input_shape

    s = load_spec(spec)
    info = preprocessed_info(s)
    click.echo(dump_spec(s), nl=False)
    click.echo(f"# raw input: uint8 {list(raw_input_shape(s))} {s['input']['format']}", err=True)
    click.echo(f"# preprocessed: {info.dtype} {list(info.shape)} {info.layout} {info.color}", err=True)
    return 0


@spec_group.command("list")
def spec_list_cmd() -> int:
    """List the bundled specs."""
    from pyalign.spec.bundled import bundled_spec, spec_names

    for n in spec_names():
        click.echo(f"{n:20s} {bundled_spec(n).get('description', '')}")
    return 0


@spec_group.command("show")
@click.argument("name")
def spec_show_cmd(name: str) -> int:
    """Print a bundled spec (use it as a starting point: pyalign spec show demo > spec.json)."""
    from pyalign.spec.bundled import bundled_spec
    from pyalign.spec.model import dump_spec

    click.echo(dump_spec(bundled_spec(name)), nl=False)
    return 0


@spec_group.command("from-pulsar2")
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("-o", "--out", "out", type=click.Path(dir_okay=False), default=None,
              help="Write the spec here (default: stdout).")
@click.option("--size", nargs=2, type=int, default=None, metavar="W H",
              help="The model's input size (default: from the config's input_shapes).")
@click.option("--tensor-name", default=None, help="Which input processor (default: the first).")
def spec_from_pulsar2_cmd(config: str, out: Optional[str], size: Optional[Tuple[int, int]],
                          tensor_name: Optional[str]) -> int:
    """Turn a Pulsar2 build config's input_processors into a pipeline spec.

    Warnings (on stderr) name fields that change nothing or contradict each
    other. The spec has no postprocess op: add the model's.
    """
    from pyalign.spec.pulsar2 import spec_from_pulsar2
    from pyalign.spec.model import dump_spec

    spec, warnings = spec_from_pulsar2(config, size=(int(size[0]), int(size[1])) if size else None, tensor_name=tensor_name)
    for w in warnings:
        click.echo(f"warning: {config}: {w}", err=True)
    text = dump_spec(spec)
    if out:
        pathlib.Path(out).write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}", err=True)
    else:
        click.echo(text, nl=False)
    return 0

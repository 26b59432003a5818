"""``pyalign capture``: run the Python reference pipeline of a spec on images and write capture sets.

Exit status: 0 every image captured, 1 some failed, 2 none could be (or a usage error).
"""
from __future__ import annotations

import sys
from typing import Any, Iterator, List, Optional, Tuple

import click



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
@click.option("--stages", "stages", default=None, metavar="STAGE[,STAGE...]",
              help="Store only these stages, e.g. raw_input,model_output (what a board reads; "
                   "'pyalign verify --images' recomputes the rest). Default: every stage.")
def capture_cmd(images: Tuple[str, ...], spec: str, out: str, model: Optional[str], model_outputs: Tuple[str, ...],
                output_shape: Optional[str], output_dtype: str, stages: Optional[str]) -> int:
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
    from pyalign.capture import _numeric_dtype, capture_images, parse_stages

    _numeric_dtype(output_dtype)
    keep = parse_stages(stages)
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
                              output_shape=shape, output_dtype=output_dtype, progress=progress, stages=keep)
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

"""``pyalign spec check | list | show | from-pulsar2``: pipeline spec tools."""
from __future__ import annotations

import pathlib
from typing import Optional, Tuple

import click



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

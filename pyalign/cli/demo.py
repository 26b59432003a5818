"""``pyalign demo``: the main job on bundled data (capture, C++ core, compare, a misaligned board caught)."""
from __future__ import annotations

from typing import Optional

import click

from pyalign.cli.common import ensure_parent, is_tty


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
        
        ensure_parent(html)
    return run_demo(out, color=is_tty(), echo=click.echo, html=html)

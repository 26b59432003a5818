"""``pyalign demo / capture / verify / spec``: from a Python pipeline to a proven C++ one."""
import click


@click.command("demo")
def demo_cmd() -> int:
    """Run the main job on the bundled default."""
    raise click.UsageError("demo is not available yet")


@click.command("capture")
def capture_cmd() -> int:
    """Run a Python pipeline on inputs and write capture sets."""
    raise click.UsageError("capture is not available yet")


@click.command("verify")
@click.argument("case", type=click.Path())
def verify_cmd(case: str) -> int:
    """Run the C++ core on a capture set and compare."""
    raise click.UsageError("verify is not available yet")


@click.group("spec")
def spec_group() -> None:
    """Pipeline spec tools."""

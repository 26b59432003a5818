"""``pyalign compare REF ACTUAL``: stage-by-stage comparison."""
import click


@click.command("compare")
@click.argument("reference", type=click.Path())
@click.argument("actual", type=click.Path())
def compare_cmd(reference: str, actual: str) -> int:
    """Compare an actual capture set with the reference."""
    raise click.UsageError("compare is not available yet")

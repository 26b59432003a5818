"""``pyalign inspect CASE``: a table of a capture set's tensors, checked."""
import click


@click.command("inspect")
@click.argument("case", type=click.Path())
def inspect_cmd(case: str) -> int:
    """Show a capture set's tensors and check them."""
    raise click.UsageError("inspect is not available yet")

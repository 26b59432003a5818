"""The ``pyalign`` command line.

Each command lives in its own module (``pyalign/cli/<name>.py``) and is
registered here. Errors are reported as one line on stderr beginning
``error:`` with exit status 2; ``--debug`` shows the traceback instead.
Exit status: 0 aligned (or done), 1 misaligned, 2 usage or input error.
"""
from __future__ import annotations

import sys
from typing import Any, List, Optional

import click

from pyalign import __version__
from pyalign.errors import PyalignError, printable

from pyalign.cli.common import EXIT_ERROR, EXIT_OK


class _Group(click.Group):
    """A click group that turns every failure into one ``error:`` line and exit 2."""

    def main(  # type: ignore[override]
        self, args: Optional[List[str]] = None, prog_name: Optional[str] = None, **kw: Any
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv
        try:
            rv = super().main(args=argv, prog_name=prog_name or "pyalign", standalone_mode=False, **kw)
        except click.exceptions.Exit as e:
            sys.exit(e.exit_code)
        except click.exceptions.Abort:
            click.echo("error: aborted", err=True)
            sys.exit(EXIT_ERROR)
        except Exception as e:
            if debug:
                raise
            click.echo(f"error: {printable(_error_line(e))}", err=True)
            sys.exit(EXIT_ERROR)
        sys.exit(rv if isinstance(rv, int) else EXIT_OK)


def _error_line(e: Exception) -> str:
    """The one line that reports ``e`` after ``error:``."""
    if isinstance(e, click.ClickException):
        return _click_message(e)
    if isinstance(e, PyalignError):
        return str(e)
    msg = str(e).splitlines()[0] if str(e) else ""
    if isinstance(e, (OSError, ValueError, MemoryError)):
        return msg or type(e).__name__
    # a bug in pyalign: still one line; --debug shows the traceback
    return (f"internal error ({type(e).__name__}{': ' + msg if msg else ''}); "
            "run 'pyalign --debug ...' for the traceback")


def _click_message(e: click.ClickException) -> str:
    """``--out: Directory 'x' is a file.`` rather than ``Invalid value for '-o' / '--out': ...``."""
    param = getattr(e, "param", None)
    if isinstance(e, click.BadParameter) and not isinstance(e, click.MissingParameter) and param is not None:
        if isinstance(param, click.Option):
            name = max(param.opts, key=len)
        else:
            name = param.human_readable_name
        return f"{name}: {e.message}"
    return e.format_message()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pyalign")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
def main(debug: bool) -> None:
    """Prove that a board's C++ pre/postprocessing matches the Python pipeline.

    Exit status: 0 aligned (or done), 1 misaligned, 2 usage or input error.
    """


def _register() -> None:
    from pyalign.cli.capture import capture_cmd
    from pyalign.cli.compare import compare_cmd
    from pyalign.cli.demo import demo_cmd
    from pyalign.cli.inspect import inspect_cmd
    from pyalign.cli.spec import spec_group
    from pyalign.cli.summary import summary_cmd
    from pyalign.cli.verify import verify_cmd

    for cmd in (demo_cmd, capture_cmd, compare_cmd, verify_cmd, summary_cmd, inspect_cmd, spec_group):
        main.add_command(cmd)


_register()

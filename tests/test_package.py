"""The package imports, reports its version, and the C++ extension is the same version."""
import subprocess
import sys

import pyalign


def test_version_matches_extension():
    from pyalign import _core

    assert pyalign.__version__ == _core.__version__


def test_cli_version():
    out = subprocess.run([sys.executable, "-m", "pyalign", "--version"], capture_output=True, text=True)
    assert out.returncode == 0
    assert pyalign.__version__ in out.stdout


def test_cli_usage_error_is_one_line():
    out = subprocess.run([sys.executable, "-m", "pyalign", "no-such-command"], capture_output=True, text=True)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), out.stderr

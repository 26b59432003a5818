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


# --- the house: packages by stage of the data path, no import circle, small modules -------------

def _module_imports():
    """{module: set of pyalign modules it imports anywhere in its source}."""
    import ast
    import pathlib

    root = pathlib.Path(pyalign.__file__).parent
    mods = {}
    for p in root.rglob("*.py"):
        parts = list(p.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = p
    edges = {m: set() for m in mods}
    for m, p in mods.items():
        for node in ast.walk(ast.parse(p.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for n in names:
                while n and n not in mods and "." in n:
                    n = n.rsplit(".", 1)[0]
                if n in mods and n != m and not mods[n].name == "__init__.py":
                    edges[m].add(n)
    return mods, edges


def test_no_import_circle():
    import sys

    mods, edges = _module_imports()
    sys.setrecursionlimit(10000)
    index, low, stack, on, circles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                circles.append(sorted(comp))

    for v in mods:
        if v not in index:
            visit(v)
    assert circles == []


def test_modules_are_small_and_the_top_level_is_short():
    import pathlib

    root = pathlib.Path(pyalign.__file__).parent
    big = {str(p.relative_to(root)): n for p in root.rglob("*.py") if (n := len(p.read_text().splitlines())) > 600}
    assert big == {}
    assert len(list(root.glob("*.py"))) <= 12


def test_rules_and_plugin_import_without_numpy():
    code = ("import sys; import pyalign.compare.rules, pyalign.store.format, pyalign.pytest_plugin.options; "
            "print('numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_compare_is_the_package_and_the_function(tmp_path):
    import pyalign.compare.rules  # noqa: F401  (the package is loaded)

    assert callable(pyalign.compare) and pyalign.compare.Rule is pyalign.compare.rules.Rule

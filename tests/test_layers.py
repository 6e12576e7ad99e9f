"""The layering of docs/architecture.md, enforced: every module's imports are read with ``ast``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ormkit"

# layer -> the ormkit layers it may import ("exc", "util" and "inspection" are the base)
ALLOWED = {
    "exc": set(),
    "inspection": {"exc"},
    "util": {"util"},
    "event": {"event", "exc"},
    "sql": {"sql", "util", "exc"},
    "engine": {"engine", "event", "sql", "util", "exc", "inspection", "dialects-registry"},
    "dialects": {"dialects", "dialects-registry", "engine", "event", "sql", "util", "exc"},
    "dialects-registry": {"exc"},
    "orm": {"orm", "event", "sql", "engine", "util", "exc", "inspection"},
    "ext": {"ext", "orm", "event", "sql", "engine", "util", "exc", "inspection"},
    "testing": {"orm", "event", "sql", "engine", "util", "exc", "inspection"},
}
DRIVERS = {"psycopg", "psycopg2", "pymysql", "MySQLdb", "mysql"}


def _layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "top"
    if parts[1] == "dialects" and len(parts) == 2:
        return "dialects-registry"
    return parts[1].removesuffix(".py")


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found.append((".".join(parts), path))
    return found


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(imported module, at module top level) pairs."""
    tree = ast.parse(path.read_text())
    top_level = {id(node) for node in tree.body}
    out = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            out.append((name, id(node) in top_level))
    return out


@pytest.mark.parametrize("module,path", _modules(), ids=[m for m, _ in _modules()])
def test_module_imports_only_the_layers_below_it(module: str, path: Path) -> None:
    layer = _layer_of(module)
    if layer in ("top", "__main__"):
        return
    allowed = ALLOWED[layer]
    for name, _ in _imports(path):
        if not name.startswith("ormkit."):
            continue
        target = _layer_of(name)
        if target == "top":
            continue
        if name.startswith("ormkit.dialects.") and layer != "dialects":
            pytest.fail(f"{module} imports the dialect module {name} by name; use the registry")
        assert target in allowed or (target == "dialects-registry" and "dialects" in allowed), (
            f"{module} (layer {layer}) imports {name} (layer {target}); allowed: {sorted(allowed)}"
        )


@pytest.mark.parametrize("module,path", _modules(), ids=[m for m, _ in _modules()])
def test_drivers_are_imported_only_when_connecting(module: str, path: Path) -> None:
    for name, top_level in _imports(path):
        root = name.split(".")[0]
        assert not (root in DRIVERS and top_level), (
            f"{module} imports the driver {name} at module level; import it in import_dbapi()"
        )


def test_import_ormkit_needs_no_driver() -> None:
    import subprocess
    import sys

    code = (
        "import sys, ormkit; bad = [m for m in ('psycopg', 'pymysql', 'sqlalchemy') "
        "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr

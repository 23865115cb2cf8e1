"""The layers' import rules: ``lake`` and ``pges`` never import each other, the application layer, or Airflow.

Two checks, because either alone can miss a violation: a static one over every ``import`` statement in the
package (including the lazy ones inside functions), and a dynamic one that imports every module of the
package in a clean interpreter and looks at ``sys.modules``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: package -> top-level packages it must never import.
FORBIDDEN = {
    "lake": {"pges", "sarlake", "sarlake_plugins", "airflow"},
    "pges": {"lake", "sarlake", "sarlake_plugins", "airflow"},
    "sarlake": {"sarlake_plugins", "airflow"},
}


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_forbidden_import_statement(package: str) -> None:
    bad = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, name in _imports(path)
        if name.split(".")[0] in FORBIDDEN[package]
    ]
    assert bad == []


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_importing_every_module_loads_no_forbidden_package(package: str) -> None:
    code = (
        "import importlib, json, pkgutil, sys\n"
        f"import {package}\n"
        f"for m in pkgutil.walk_packages({package}.__path__, '{package}.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert loaded & FORBIDDEN[package] == set()


def test_the_checks_see_a_violation(tmp_path: Path) -> None:
    """The static check is not vacuous: a lazy import inside a function is found."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from pges.storage import is_s3\n    return is_s3\n")
    assert _imports(module) == [(2, "pges.storage")]

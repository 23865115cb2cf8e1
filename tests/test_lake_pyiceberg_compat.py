"""The pyiceberg internals sarlake uses are all in lake/_pyiceberg_compat.py, and still what it expects."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_installed_pyiceberg_matches_the_adapter() -> None:
    """Fails on a pyiceberg upgrade until the adapter is re-checked against the new internals."""
    from lake._pyiceberg_compat import check_installed

    problems = check_installed()
    assert not problems, "pyiceberg changed under lake/_pyiceberg_compat.py:\n" + "\n".join(problems)


def test_the_check_notices_a_changed_signature(monkeypatch) -> None:
    import pyiceberg.io.pyarrow

    from lake._pyiceberg_compat import check_installed

    monkeypatch.setattr(pyiceberg.io.pyarrow, "write_file", lambda io, metadata, tasks: None)
    monkeypatch.setattr(pyiceberg, "__version__", "0.13.0")
    problems = check_installed()
    assert any("write_file" in p for p in problems) and any("0.13.0" in p for p in problems)


def test_no_other_lake_module_touches_pyiceberg_internals() -> None:
    """Outside the adapter, lake/ imports only public pyiceberg names (no ``_private`` ones, no io.pyarrow)."""
    offenders = []
    for path in sorted((ROOT / "lake").glob("*.py")):
        if path.name == "_pyiceberg_compat.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pyiceberg"):
                names = [a.name for a in node.names]
                if node.module == "pyiceberg.io.pyarrow" or any(n.startswith("_") for n in names):
                    offenders.append(f"{path.name}: from {node.module} import {', '.join(names)}")
            if isinstance(node, ast.Attribute) and node.attr in {"update_snapshot", "_do_commit"}:
                offenders.append(f"{path.name}: .{node.attr}")
    assert not offenders, offenders

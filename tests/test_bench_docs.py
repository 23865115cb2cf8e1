"""docs/benchmarks.md holds only what a bench function measured, or figures marked as published.

Every row of the table must come from a row a ``bench/bench_*.py`` function builds (its name and reference
match the f-string templates in the code), and a reference in the code is computed in the run (an f-string
with a measured value), empty, a description without numbers, or a constant that says "published figure, not
measured here" with its source. So a typed-in number (a "~1,400" beside a measured 592) cannot come back
into either file.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = sorted((ROOT / "bench").glob("bench_*.py"))
DOC = ROOT / "docs" / "benchmarks.md"
PUBLISHED = "published figure, not measured here"


def _pattern(node: ast.expr | None) -> str:
    """A regex for the text an expression renders to in the table ('' for None)."""
    if node is None or (isinstance(node, ast.Constant) and node.value is None):
        return ""
    if isinstance(node, ast.Constant):
        return re.escape(str(node.value))
    if isinstance(node, ast.JoinedStr):
        return "".join(re.escape(v.value) if isinstance(v, ast.Constant) else ".+?" for v in node.values)
    if isinstance(node, ast.IfExp):
        return f"(?:{_pattern(node.body)}|{_pattern(node.orelse)})"
    return ".+?"  # any other computed expression


def _typed_in(node: ast.expr | None) -> list[str]:
    """Reference expressions with a number typed into the code (not measured, not marked as published).

    A constant with no digit is a description ("total minus the task times") and passes.
    """
    if node is None:
        return []
    if isinstance(node, ast.IfExp):
        return _typed_in(node.body) + _typed_in(node.orelse)
    if isinstance(node, ast.Constant):
        text = "" if node.value is None else str(node.value)
        return [repr(node.value)] if re.search(r"\d", text) and PUBLISHED not in text else []
    if isinstance(node, ast.JoinedStr):
        constant = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
        measured = any(isinstance(v, ast.FormattedValue) for v in node.values)
        return [] if measured or PUBLISHED in constant or not re.search(r"\d", constant) else [ast.unparse(node)]
    return []


def _rows_in_code() -> list[tuple[str, ast.Dict, str]]:
    rows = []
    for path in BENCH:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Dict):
                keys = {k.value: v for k, v in zip(node.keys, node.values, strict=True) if isinstance(k, ast.Constant)}
                if "name" in keys and "reference" in keys:
                    rows.append((path.name, node, f"{path.name}:{node.lineno}"))
    return rows


def _templates() -> list[tuple[re.Pattern[str], re.Pattern[str], str]]:
    out = []
    for _, node, where in _rows_in_code():
        keys = {k.value: v for k, v in zip(node.keys, node.values, strict=True) if isinstance(k, ast.Constant)}
        out.append((re.compile(_pattern(keys["name"]) + r"\Z", re.S),
                    re.compile(_pattern(keys["reference"]) + r"\Z", re.S), where))
    return out


def _doc_rows() -> list[tuple[str, str]]:
    rows = []
    for line in DOC.read_text().splitlines():
        if not line.startswith("| ") or line.startswith(("| measure", "|---")):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        assert len(cells) == 5, line
        rows.append((cells[0], cells[4]))
    return rows


def test_bench_references_are_measured_or_marked_published() -> None:
    typed = [f"{where}: {t}" for _, node, where in _rows_in_code()
             for t in _typed_in(dict(zip([getattr(k, "value", None) for k in node.keys], node.values,
                                         strict=True))["reference"])]
    assert typed == []


@pytest.mark.parametrize(("name", "reference"), _doc_rows())
def test_every_benchmarks_md_row_comes_from_a_bench_function(name: str, reference: str) -> None:
    matches = [where for n, r, where in _templates()
               if (n.match(name) or n.match("  " + name)) and r.match(reference)]
    assert matches, f"no bench row renders {name!r} with reference {reference!r}: regenerate with `make bench`"


def test_the_checks_can_fail() -> None:
    bad = ast.parse('{"name": "x", "reference": "~1,400 rows/s"}').body[0].value  # type: ignore[attr-defined]
    assert _typed_in(bad.values[1]) == ["'~1,400 rows/s'"]
    good = ast.parse('{"name": "x", "reference": f"pyiceberg: {r:,} rows/s"}').body[0].value  # type: ignore[attr-defined]
    assert _typed_in(good.values[1]) == []
    described = ast.parse('{"name": "x", "reference": "total minus the task times"}').body[0].value  # type: ignore[attr-defined]
    assert _typed_in(described.values[1]) == []
    assert re.compile(_pattern(good.values[1]) + r"\Z").match("pyiceberg: 592 rows/s")
    assert not re.compile(_pattern(good.values[1]) + r"\Z").match("~1,400 rows/s")

"""The suite's own hygiene: no assertion in tests/ that cannot fail or that means something other than it reads.

`assert a and b or c` passes whenever `c` holds, whatever `a` and `b` are: a mix of `and`/`or` in an assert
must spell its grouping with parentheses. An assert of a constant, of a non-empty tuple, of `x or True`, or
comparing an expression with itself cannot fail at all.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
FILES = sorted(TESTS.glob("*.py"))


def _parenthesised(lines: list[str], node: ast.expr) -> bool:
    """True if ``node`` is wrapped in its own parentheses in the source."""
    before = "\n".join([*lines[: node.lineno - 1], lines[node.lineno - 1][: node.col_offset]]).rstrip()
    end = node.end_lineno or node.lineno
    after = "\n".join([lines[end - 1][node.end_col_offset :], *lines[end:]]).lstrip()
    return before.endswith("(") and after.startswith(")")


def _always_true(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return bool(node.value)
    if isinstance(node, ast.Tuple | ast.List | ast.Set | ast.Dict):
        return len(getattr(node, "elts", getattr(node, "keys", []))) > 0
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
        return any(_always_true(v) for v in node.values)
    return False


def problems(source: str, name: str = "<src>") -> list[str]:
    """Every assertion in ``source`` that cannot fail or whose and/or grouping is implicit."""
    tree = ast.parse(source)
    lines = source.splitlines()
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assert):
            continue
        where = f"{name}:{node.lineno}"
        test = node.test
        if _always_true(test):
            found.append(f"{where}: assert can never fail: {ast.unparse(test)}")
        for sub in ast.walk(test):
            if isinstance(sub, ast.BoolOp):
                for value in sub.values:
                    if isinstance(value, ast.BoolOp) and type(value.op) is not type(sub.op) and not _parenthesised(
                        lines, value
                    ):
                        found.append(f"{where}: and/or mixed without parentheses: {ast.unparse(test)}")
            if isinstance(sub, ast.Compare) and any(
                isinstance(op, ast.Eq | ast.GtE | ast.LtE | ast.Is) for op in sub.ops
            ):
                operands = [sub.left, *sub.comparators]
                if any(ast.dump(a) == ast.dump(b) for a, b in zip(operands, operands[1:], strict=False)):
                    found.append(f"{where}: compares an expression with itself: {ast.unparse(sub)}")
    return found


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_no_assertion_that_cannot_fail(path: Path) -> None:
    assert problems(path.read_text(), path.name) == []


@pytest.mark.parametrize(
    ("source", "bad"),
    [
        ("assert a and b or c", True),
        ("assert a or b and c", True),
        ("assert (a and b) or c", False),
        ("assert a or (b and c)", False),
        ("assert a and b", False),
        ("assert x or True", True),
        ("assert (x, 'message')", True),
        ("assert 1", True),
        ("assert f(x) == f(x)", True),
        ("assert f(x) == f(y)", False),
        ("assert not p.exists() or not any(p.iterdir())", False),
        ("assert (a and\n        b) or c", False),
        ("assert a and (\n    b or c)", False),
    ],
)
def test_the_checker_itself(source: str, bad: bool) -> None:
    assert bool(problems(source)) is bad, problems(source)

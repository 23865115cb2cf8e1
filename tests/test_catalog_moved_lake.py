"""A lake folder moved or copied elsewhere is refused with what happened and what to do.

Iceberg records absolute paths. A copied lake (SARLAKE_HOME pointed at the copy) read and wrote the tables of
the lake it was copied from (`sarlake init` evolved them, a tag went there); a moved one failed with
"[Errno 2] Failed to open local file" or, for `sarlake sql`, a DuckDB traceback.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner


def _cli(*args: str):
    from sarlake.cli import cli

    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def made(settings, monkeypatch) -> Path:
    """A lake with one product, made at its first home; returns that home."""
    from lake.catalog import init_lake
    from lake.write import upsert

    init_lake(settings)
    upsert("products", [{"product_id": "P1", "product_type": "L2_IFG", "start_time": "2024-01-01T00:00:00Z"}],
           settings)
    return settings.home


def _snapshot(home: Path, monkeypatch) -> int:
    from lake.catalog import load_table
    from lake.settings import get_settings

    monkeypatch.setenv("SARLAKE_HOME", str(home))
    return load_table("products", get_settings()).current_snapshot().snapshot_id


def _refused(result, made_at: Path) -> None:
    lines = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    assert result.exit_code == 2 and len(lines) == 1, result.output
    assert f"under {made_at / 'warehouse'}, not under this lake's warehouse" in lines[0]
    assert "the lake was moved or copied" in lines[0] and "SARLAKE_HOME" in lines[0]


def test_a_copied_lake_is_refused_and_never_writes_to_the_lake_it_came_from(made, tmp_path, monkeypatch) -> None:
    before = _snapshot(made, monkeypatch)
    copy = tmp_path / "copy"
    shutil.copytree(made, copy)
    monkeypatch.setenv("SARLAKE_HOME", str(copy))
    for args in (("tables",), ("sql", "SELECT count(*) FROM products"), ("init",), ("tag", "list", "P1"),
                 ("tag", "add", "P1", "UWE_2", "--user", "ann"), ("sql-setup",), ("dbt", "build")):
        _refused(_cli(*args), made)
    assert _snapshot(made, monkeypatch) == before  # the original lake was not touched


def test_a_moved_lake_is_refused_naming_where_it_was_made(made, tmp_path, monkeypatch) -> None:
    moved = tmp_path / "moved"
    made.rename(moved)
    monkeypatch.setenv("SARLAKE_HOME", str(moved))
    for args in (("tables",), ("sql", "SELECT count(*) FROM products"), ("init",), ("tag", "list", "P1")):
        _refused(_cli(*args), made)


def test_the_same_lake_reached_through_a_symlink_is_used(made, tmp_path, monkeypatch) -> None:
    link = tmp_path / "link"
    link.symlink_to(made)
    monkeypatch.setenv("SARLAKE_HOME", str(link))
    out = _cli("sql", "SELECT product_id FROM products", "--format", "csv")
    assert out.exit_code == 0 and "P1" in out.output, out.output

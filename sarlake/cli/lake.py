"""Lake commands: ``init``, ``sql``, ``tables``, ``maintain``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

__all__ = ["init", "maintain", "sql", "tables"]


@click.command()
def init() -> None:
    """Create the lake's namespace and tables (idempotent)."""
    from lake.catalog import init_lake
    from lake.settings import get_settings

    settings = get_settings()
    created = init_lake(settings)
    click.echo(f"lake ready at {settings.warehouse} ({len(created)} table(s) created)")


@click.command()
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "parquet"]), default="table",
              show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file.")
def sql(query: str, fmt: str, output: Path | None) -> None:
    """Run read-only SQL over the lake tables (SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN)."""
    if fmt == "parquet" and output is None:
        raise click.UsageError("--format parquet needs --output FILE")
    from lake.query import run_sql

    result = run_sql(query)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        assert output is not None
        pq.write_table(result, output)
        click.echo(f"wrote {result.num_rows} rows to {output}", err=True)
        return
    text = render(result, fmt)
    if output is not None:
        output.write_text(text)
        click.echo(f"wrote {result.num_rows} rows to {output}", err=True)
    else:
        click.echo(text, nl=not text.endswith("\n"))


def render(result: Any, fmt: str) -> str:
    """Render an Arrow table as ``csv``, ``json`` or an aligned text ``table``."""
    if fmt == "csv":
        import io

        import pyarrow.csv as pacsv

        buffer = io.BytesIO()
        pacsv.write_csv(result, buffer)
        return buffer.getvalue().decode()
    if fmt == "json":
        return json.dumps(result.to_pylist(), default=str, indent=1) + "\n"
    return _table_text(result)


def _table_text(result: Any, max_rows: int = 200) -> str:
    names = result.column_names
    rows = [["" if v is None else str(v) for v in r.values()] for r in result.slice(0, max_rows).to_pylist()]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    more = f" (first {max_rows} shown)" if result.num_rows > max_rows else ""
    lines.append(f"({result.num_rows} row{'s' if result.num_rows != 1 else ''}{more})")
    return "\n".join(lines) + "\n"


@click.command()
def tables() -> None:
    """List the lake tables with their row counts."""
    from lake.catalog import table_counts

    for name, count in table_counts():
        click.echo(f"{name:<20} {count:>12,}")


@click.command()
@click.option("--table", "table_names", multiple=True, help="Table to maintain; repeatable. Default: every table.")
@click.option("--older-than-days", type=click.FloatRange(min=0), default=7.0, show_default=True,
              help="Snapshots and unreferenced files older than this may go.")
@click.option("--retain-last", type=click.IntRange(min=1), default=10, show_default=True,
              help="Snapshots always kept per table.")
def maintain(table_names: tuple[str, ...], older_than_days: float, retain_last: int) -> None:
    """Expire old snapshots and delete the files no kept snapshot needs (run it on a schedule)."""
    from datetime import timedelta

    from lake.maintenance import maintain as run_maintenance

    for r in run_maintenance(list(table_names) or None, older_than=timedelta(days=older_than_days),
                             retain_last=retain_last):
        click.echo(f"{r.table:14s} expired {r.expired_snapshots:4d} snapshots, kept {r.remaining_snapshots:4d}, "
                   f"deleted {r.deleted_files:5d} files")

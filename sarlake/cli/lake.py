"""Lake commands: ``init``, ``sql``, ``tables``, ``maintain``."""

from __future__ import annotations

from pathlib import Path

import click

from sarlake.cli.params import FiniteFloatRange

__all__ = ["init", "maintain", "sql", "tables"]


@click.command()
def init() -> None:
    """Create the lake's namespace and tables (idempotent)."""
    from lake.catalog import init_lake
    from lake.settings import get_settings

    settings = get_settings()
    created = init_lake(settings)
    click.echo(f"lake ready at {settings.warehouse} ({len(created)} table(s) created)")
    feed = settings.default_feed
    if settings.urgent.feed_url == str(feed) and not feed.exists():  # the embedded default, never made before
        feed.parent.mkdir(parents=True, exist_ok=True)
        feed.write_text('{"type": "FeatureCollection", "features": []}\n')
        click.echo(f"earthquake feed {feed} (empty; the urgent_response watcher polls it: SARLAKE_URGENT__FEED_URL)")


@click.command()
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "parquet"]), default=None,
              help="Output format. Default: from --output's suffix (.csv, .json, .parquet), else table.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file.")
@click.option("--limit", type=click.IntRange(min=0), help="Return at most this many rows.")
def sql(query: str, fmt: str | None, output: Path | None, limit: int | None) -> None:
    """Run one read-only SQL statement over the lake tables (SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN).

    Results stream in batches, so any size fits in memory; `--format table` prints the first 200 rows and
    counts the rest. Ctrl-C interrupts the query (exit 130). Repeated column names (a JOIN over tables that
    share columns) are made unique: run_id, run_id_2. The dbt marts (catalogue.marts.*) are tables of the lake
    as it was when they were built: a query of them notes on stderr the lake tables changed since.
    """
    from sarlake.cli.sql_output import run_and_write

    run_and_write(query, fmt, output, limit)


@click.command()
def tables() -> None:
    """List the lake tables with their row counts."""
    from lake.catalog import table_counts

    for name, count in table_counts():
        click.echo(f"{name:<20} {count:>12,}")


@click.command()
@click.option("--table", "table_names", multiple=True, help="Table to maintain; repeatable. Default: every table.")
@click.option("--older-than-days", type=FiniteFloatRange(min=0), default=None,
              help="Snapshots older than this may expire. Default: SARLAKE_MAINTENANCE__SNAPSHOT_RETENTION_DAYS (7).")
@click.option("--retain-last", type=click.IntRange(min=1), default=None,
              help="Snapshots always kept per table. Default: SARLAKE_MAINTENANCE__RETAIN_LAST (10).")
@click.option("--orphans-older-than-hours", type=FiniteFloatRange(min=0), default=None,
              help="Files nothing references are deleted once older than this (longer than any commit takes). "
              "Default: SARLAKE_MAINTENANCE__ORPHAN_RETENTION_HOURS (24).")
@click.option("--reports-older-than-days", type=FiniteFloatRange(min=0), default=None,
              help="QA_SCORES reports (one per qa PGE task) older than this are deleted; not with --table. "
              "Default: SARLAKE_MAINTENANCE__SCORE_REPORT_RETENTION_DAYS (30).")
@click.option("--data-docs-older-than-days", type=FiniteFloatRange(min=0), default=None,
              help="The quality gate's validation results (and their Data Docs pages) older than this are deleted; "
              "not with --table. Default: SARLAKE_MAINTENANCE__DATA_DOCS_RETENTION_DAYS (90).")
@click.option("--show-removed", is_flag=True, help="List every deleted file.")
def maintain(table_names: tuple[str, ...], older_than_days: float | None, retain_last: int | None,
             orphans_older_than_hours: float | None, reports_older_than_days: float | None,
             data_docs_older_than_days: float | None, show_removed: bool) -> None:
    """Expire old snapshots, delete the files no kept snapshot needs, old QA reports and Data Docs (on a schedule)."""
    from lake.run_records import SCORE_REPORTS
    from sarlake.workflows.maintenance import expire_data_docs, expire_reports, maintain_tables

    for r in maintain_tables(list(table_names) or None, older_than_days=older_than_days, retain_last=retain_last,
                             orphans_older_than_hours=orphans_older_than_hours):
        click.echo(f"{r.table:14s} expired {r.expired_snapshots:4d} snapshots, kept {r.remaining_snapshots:4d}, "
                   f"deleted {r.deleted_files:5d} files")
        if show_removed:
            for path in r.removed:
                click.echo(f"  removed {path}")
    if table_names:
        return
    expired, days = expire_reports(reports_older_than_days)
    click.echo(f"{SCORE_REPORTS:14s} deleted {len(expired.removed):4d} reports older than {days:g} "
               f"days ({expired.deleted_files} files), kept {expired.kept:4d}")
    if show_removed:
        for folder in expired.removed:
            click.echo(f"  removed {folder}")
    docs, days = expire_data_docs(data_docs_older_than_days)
    click.echo(f"{'data docs':14s} deleted {docs.removed:4d} validations older than {days:g} days, kept "
               f"{docs.kept:4d} ({docs.index})")

"""``sarlake lake ...``: checks of the lake as a whole (``verify``: catalogue against storage)."""

from __future__ import annotations

import json
from typing import Any

import click

__all__ = ["lake"]


@click.group()
def lake() -> None:
    """Checks of the whole lake."""


@lake.command()
@click.option("--repair", "do_repair", is_flag=True,
              help="Complete interrupted cataloguings, catalogue published products the catalogue lacks, and make a "
                   "leftover copy of an archived product its cached copy when it holds the delivered bytes.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--no-checksums", is_flag=True, help="Do not recompute the assets' sha256 (faster; files still checked).")
def verify(do_repair: bool, as_json: bool, no_checksums: bool) -> None:
    """Compare the catalogue with storage (hot products, and the DAAC archive tier); exit 0 only when they agree."""
    from lake.settings import get_settings
    from lake.verify import repair
    from lake.verify import verify as run_verify

    settings = get_settings()
    repaired = None
    if do_repair:
        repaired = repair(settings, checksums=not no_checksums)
        report = repaired.after
    else:
        report = run_verify(settings, checksums=not no_checksums)
    _add_archive_tier(report, settings, checksums=not no_checksums)
    if as_json:
        doc = report.to_dict()
        if repaired is not None:
            doc["repaired"] = {"journal_completed": repaired.journal_completed, "catalogued": repaired.catalogued,
                               "cached": repaired.cached}
        click.echo(json.dumps(doc, indent=2))
    else:
        if repaired is not None:
            click.echo(f"repaired: {repaired.journal_completed} interrupted cataloguing(s) completed, "
                       f"{len(repaired.catalogued)} product(s) catalogued, {len(repaired.cached)} leftover copy(ies) "
                       "of archived products made their cached copy")
        for f in report.findings:
            click.echo(f"{f.kind:22s} {f.table:11s} {f.product_id or '-'}  {f.path or '-'}  {f.detail}")
        checked = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in report.checked.items())
        verdict = "consistent" if report.consistent else f"{len(report.findings)} finding(s): {report.counts()}"
        click.echo(f"checked {checked}: {verdict}")
    if not report.consistent:
        raise click.exceptions.Exit(1)


def _add_archive_tier(report: Any, settings: Any, *, checksums: bool) -> None:
    """Append the archive-tier findings (``lake.archive_verify``: DAAC archive files, deliveries) to ``report``."""
    from lake.archive_verify import verify_archive
    from lake.verify import Finding

    found = verify_archive(settings, checksums=checksums)
    report.findings += [Finding(f.kind, f.table, f.product_id, f.path, f.detail) for f in found]
    report.checked["archive_findings"] = len(found)

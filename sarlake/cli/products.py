"""``sarlake products``: list and show catalogued products, remove them (with a provenance record), check them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from sarlake.cli.errors import ErrorHandlingGroup
from sarlake.cli.params import FiniteFloatRange

__all__ = ["products"]


@click.group(cls=ErrorHandlingGroup)
def products() -> None:
    """Catalogued products."""


@products.command("remove")
@click.argument("product_ids", nargs=-1, required=True, metavar="ID...")
@click.option("--reason", help="Why (kept in the provenance record of the removal).")
@click.option("--delete-files", is_flag=True, help="Also delete the product folders (default: keep the files); an "
              "archived product's files are the DAAC's and are never deleted.")
def remove(product_ids: tuple[str, ...], reason: str | None, delete_files: bool) -> None:
    """Remove products from the catalogue; the removal is recorded in the provenance table.

    Every ID must be catalogued, otherwise nothing is removed.
    """
    from lake.removal import remove_products

    for r in remove_products(list(product_ids), reason=reason, delete_files=delete_files):
        if r.at_archive:
            note = f" (archived: its files at {r.uri} are the DAAC's, which keeps them; none deleted)"
        elif delete_files:
            note = f" ({r.files_deleted} files deleted)"
        else:
            note = f" (its files stay at {r.uri}: --delete-files deletes them)" if r.uri else ""
        click.echo(f"removed {r.product_id}{note}")


@products.command("check")
@click.argument("product_ids", nargs=-1, metavar="[ID...]")
@click.option("--quarantined", is_flag=True,
              help="Check every quarantined product again (after a suite in expectations/ was corrected).")
def check(product_ids: tuple[str, ...], quarantined: bool) -> None:
    """Run the data-quality gate (Great Expectations) now, as the quality_gate DAG does on new products.

    Checks the products named, every quarantined one with --quarantined, or else every pending one. A product
    that fails an expectation is quarantined (kept, left out of time series and archive delivery); one that
    passes is published, a quarantined one too.
    """
    from sarlake.workflows.quality import gate_products
    from sarlake.workflows.quality_selection import products_to_check

    if product_ids and quarantined:
        raise click.UsageError("name products or give --quarantined, not both")
    ids = products_to_check(list(product_ids), quarantined)
    if not ids:
        click.echo(f"no {'quarantined' if quarantined else 'pending'} product to check")
        return
    result = gate_products(ids, run_name="sarlake products check")
    for pid in ids:
        if pid in result.quarantined:
            click.echo(f"quarantined  {pid}: {'; '.join(result.quarantined[pid])}")
        else:
            click.echo(f"{'published' if pid in result.published else 'passed':<11}  {pid}")
    click.echo(f"{len(ids)} checked: {len(result.published)} published, {len(result.quarantined)} quarantined, "
               f"{len(ids) - len(result.published) - len(result.quarantined)} passed and already published; "
               f"Data Docs: {result.data_docs} (Airflow UI: Browse > Data Docs (quality gate))")


@products.command("list")
@click.option("--aoi", help="Products of this area of interest.")
@click.option("--type", "product_type", metavar="TYPE", help="Product type: L2_IFG, L3_TS, L3_COH, ...")
@click.option("--status", type=click.Choice(["pending", "published", "quarantined"]),
              help="Status set by the data-quality gate.")
@click.option("--tier", type=click.Choice(["hot", "archive", "cached"]),
              help="Where the files are: hot (the lake), archive (the DAAC), cached (restored from it).")
@click.option("--track", type=click.IntRange(min=0), help="Relative orbit.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Both acquisitions on or after this day.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Both acquisitions on or before this day.")
@click.option("--max-p-error", type=FiniteFloatRange(0, 1), help="QA p(error) at most this (unscored left out).")
@click.option("--min-p-error", type=FiniteFloatRange(0, 1), help="QA p(error) at least this (the suspect ones).")
@click.option("--default-only", is_flag=True, help="Of a reprocessed product, only its default version.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "parquet"]), default=None,
              help="Output format. Default: from --output's suffix (.csv, .json, .parquet), else table.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file.")
@click.option("--limit", type=click.IntRange(min=0), help="Return at most this many rows.")
@click.option("--show-sql", is_flag=True, help="Print the SQL instead of running it (for `sarlake sql`).")
def list_products(aoi: str | None, product_type: str | None, status: str | None, tier: str | None,
                  track: int | None, since: datetime | None, until: datetime | None, max_p_error: float | None,
                  min_p_error: float | None, default_only: bool, fmt: str | None, output: Path | None,
                  limit: int | None, show_sql: bool) -> None:
    """List catalogued products with their status, storage tier and quality (QA p(error), tag consensus).

    Every filter given must hold. The rows come from the `products` table and the `product_quality` view, oldest
    pair first within each AOI; --show-sql prints the query to refine it in `sarlake sql`.
    """
    from sarlake.cli.sql_output import run_and_write
    from sarlake.workflows.product_listing import ProductFilter, list_sql

    if since is not None and until is not None and since > until:
        raise click.BadParameter(f"{since:%Y-%m-%d} is after --until {until:%Y-%m-%d}", param_hint="'--since'")
    query = list_sql(ProductFilter(aoi=aoi, product_type=product_type, status=status, tier=tier, track=track,
                                   since=since.date() if since else None, until=until.date() if until else None,
                                   max_p_error=max_p_error, min_p_error=min_p_error, default_only=default_only))
    if show_sql:
        click.echo(query)
        return
    run_and_write(query, fmt, output, limit)


def _tier(p: dict) -> str:
    """``hot``, ``archive``, or ``cached until <UTC time>`` (when ``archive expire-cache`` may remove the copy)."""
    tier = p.get("tier") or "hot"
    if tier == "cached" and p.get("cache_expires_at"):
        until = str(p["cache_expires_at"])[:16].replace("T", " ")
        tier += f" until {until} UTC (`sarlake archive restore` again keeps it longer)"
    return tier


@products.command("show")
@click.argument("product_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of text.")
def show(product_id: str, as_json: bool) -> None:
    """Show one product: what and where it is, its quality (QA, tags, data-quality gate) and its versions."""
    import json

    from sarlake.workflows.product_listing import product_summary

    s = product_summary(product_id)
    if as_json:
        click.echo(json.dumps(s, indent=2, default=str))
        return
    p, q = s["product"], s["quality"]
    click.echo(f"{p['product_id']}  {p['product_type']}  {p.get('aoi') or '(no AOI)'}")
    made_by = " ".join(str(v) for v in (p.get("pge_name"), p.get("pge_version")) if v)
    if p.get("version") and p.get("version") != p.get("pge_version"):  # an ingest's --revision
        made_by += f" (product version {p['version']})"
    for label, value in (("acquisitions", " to ".join(d for d in (s["first_date"], s["last_date"]) if d)),
                         ("track", p.get("track")), ("status", p.get("status")), ("tier", _tier(p)),
                         ("made by", made_by), ("location", p.get("uri")), ("met.json", p.get("met_uri"))):
        if value not in (None, ""):
            click.echo(f"  {label:<13} {value}")
    if s["quality_failures"]:
        click.echo(f"  {'failed':<13} {'; '.join(map(str, s['quality_failures']))}")
    if q.get("p_error") is not None:
        click.echo(f"  {'QA p(error)':<13} {q['p_error']:.3f} (UWE_{q['predicted_uwe']}, {q['model_name']} "
                   f"v{q['model_version']})")
    elif p["product_type"] == "L2_IFG":
        click.echo(f"  {'QA p(error)':<13} not scored")
    for t in s["tags"]:
        click.echo(f"  {'tag consensus':<13} {t['tag_type']}_{t['intensity']} ({t['raters']} rater(s), "
                   f"agreement {t['agreement']:.2f})")
    for v in s["versions"]:
        score = f"p(error) {v['p_error']:.3f}" if v["p_error"] is not None else "unscored"
        click.echo(f"  {'version':<13} {v['product_id']}  {v.get('pge_version')}  {score}"
                   + ("  (default)" if v["is_default"] else ""))
    for d in s["deliveries"]:  # each attempt to deliver it to the DAAC (`sarlake archive status ID`)
        held = " (the DAAC holds it)" if d["held"] else ""
        if d["replaced_by"]:
            held = f" (replaced by version {d['replaced_by']} in the same archive folder)"
        why = f": {d['reason']}" if d["reason"] else ""
        click.echo(f"  {'delivery':<13} version {d['version']} {d['step']}{held}{why}  {d['archive_folder']}")
    if s["assets"]:
        click.echo("  assets (in its location):")
        width = max(map(len, s["assets"]))
        for name, href in s["assets"].items():
            click.echo(f"    {name:<{width}}  {href}")

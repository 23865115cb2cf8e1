"""``sarlake products``: manage catalogued products (remove, with a provenance record; check their quality)."""

from __future__ import annotations

import click

from sarlake.cli.errors import ErrorHandlingGroup

__all__ = ["products"]


@click.group(cls=ErrorHandlingGroup)
def products() -> None:
    """Catalogued products."""


@products.command("remove")
@click.argument("product_ids", nargs=-1, required=True, metavar="ID...")
@click.option("--reason", help="Why (kept in the provenance record of the removal).")
@click.option("--delete-files", is_flag=True, help="Also delete the product folders (default: keep the files).")
def remove(product_ids: tuple[str, ...], reason: str | None, delete_files: bool) -> None:
    """Remove products from the catalogue; the removal is recorded in the provenance table.

    Every ID must be catalogued, otherwise nothing is removed.
    """
    from lake.removal import remove_products

    for r in remove_products(list(product_ids), reason=reason, delete_files=delete_files):
        click.echo(f"removed {r.product_id}" + (f" ({r.files_deleted} files deleted)" if delete_files else ""))


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
    result = gate_products(ids)
    for pid in ids:
        if pid in result.quarantined:
            click.echo(f"quarantined  {pid}: {'; '.join(result.quarantined[pid])}")
        else:
            click.echo(f"{'published' if pid in result.published else 'passed':<11}  {pid}")
    click.echo(f"{len(ids)} checked: {len(result.published)} published, {len(result.quarantined)} quarantined, "
               f"{len(ids) - len(result.published) - len(result.quarantined)} passed and already published; "
               f"Data Docs: {result.data_docs}")

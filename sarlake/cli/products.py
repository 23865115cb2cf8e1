"""``sarlake products``: manage catalogued products (remove, with a provenance record)."""

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

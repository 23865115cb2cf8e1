"""``sarlake dbt``: the analysts' catalogue (dbt project in ``models/``) over the lake."""

from __future__ import annotations

import click

from sarlake.cli.errors import ErrorHandlingGroup

__all__ = ["dbt"]


def _report(result: object) -> None:
    from sarlake.workflows.dbt import DbtResult

    assert isinstance(result, DbtResult)
    for failure in result.failures:
        click.echo(f"FAIL {failure}", err=True)
    click.echo(f"dbt {result.command}: {result.nodes} node(s), {len(result.failures)} failure(s); "
               f"artefacts in {result.target_path}", err=True)
    if not result.success:
        raise SystemExit(1)


@click.group(cls=ErrorHandlingGroup)
def dbt() -> None:
    """The analysts' catalogue: dbt models, tests and docs over the lake tables."""


@dbt.command("build")
@click.option("--select", help="dbt node selection, e.g. marts or mart_product_quality+.")
def dbt_build(select: str | None) -> None:
    """Build the staging views and marts and run every data and unit test (exit 1 on a failure)."""
    from lake.catalogue_store import published_uri
    from lake.settings import get_settings
    from sarlake.workflows.dbt import build, catalogue_db

    _report(build(select))
    where, published = str(catalogue_db()), published_uri(get_settings())
    if published:  # an S3 lake: readers attach the published copy, which only a whole build replaces
        where += f" (a selection: {published} keeps the last whole build)" if select else f", published to {published}"
    click.echo(f"marts in {where} (schema marts); query them with `sarlake sql` as catalogue.marts.<mart>, "
               "e.g. `sarlake sql \"SELECT * FROM catalogue.marts.mart_product_quality\"`")


@dbt.command("docs")
def dbt_docs() -> None:
    """Generate the catalogue's docs site (lineage graph, descriptions, column docs)."""
    from sarlake.workflows.dbt import docs

    result = docs()
    _report(result)
    click.echo(str(result.target_path / "index.html"))


@dbt.command("manifest")
def dbt_manifest() -> None:
    """Write models/target/manifest.json, which the catalog DAG renders from."""
    from sarlake.workflows.dbt import write_manifest

    click.echo(str(write_manifest()))

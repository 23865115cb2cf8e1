"""``sarlake ingest``: catalogue external interferograms."""

from __future__ import annotations

from typing import Any

import click

__all__ = ["ingest"]


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "source_format", type=click.Choice(["auto", "geotiff", "roipac", "gamma"]), default="auto",
              show_default=True, help="Format of the interferograms.")
@click.option("--coherence", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Coherence file, one per interferogram in the same order (default: found by date).")
@click.option("--coherence-dir", "coherence_dirs", multiple=True, type=click.Path(exists=True, file_okay=False),
              help="Folder to search for coherence files by date; repeatable.")
@click.option("--aoi", help="AOI the products belong to.")
@click.option("--mission", help="Platform, e.g. envisat or sentinel-1a.")
@click.option("--track", type=int, help="Relative orbit / track number.")
@click.option("--orbit-state", type=click.Choice(["ascending", "descending"]), help="Pass direction.")
@click.option("--wavelength", "wavelength_m", type=float, help="Radar wavelength in metres (if the header lacks it).")
@click.option("--output-dir", help="Where the products go. Default: <products_root>/L2_IFG/<aoi or 'ingested'>.")
def ingest(paths: tuple[str, ...], output_dir: str | None, aoi: str | None, **options: Any) -> None:
    """Catalogue external interferograms (GeoTIFF, ROI_PAC .unw + .rsc, GAMMA + .par) as L2_IFG products.

    Every input is read and checked first; if any is bad, nothing is catalogued.
    """
    from sarlake.workflows.ingest import ingest_and_catalogue

    params = {k: v for k, v in options.items() if v not in (None, ())}
    for key in ("coherence", "coherence_dirs"):
        if key in params:
            params[key] = list(params[key])
    target, ids = ingest_and_catalogue(list(paths), output_dir, aoi, **params)
    for product_id in ids:
        click.echo(product_id)
    click.echo(f"catalogued {len(ids)} product(s) under {target}", err=True)

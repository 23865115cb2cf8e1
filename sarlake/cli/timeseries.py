"""``sarlake timeseries``: an L3 time series for an AOI from its good interferograms."""

from __future__ import annotations

from typing import Any

import click

__all__ = ["timeseries"]


@click.command()
@click.argument("aoi_name", metavar="AOI")
@click.option("--max-p-error", type=click.FloatRange(0, 1), default=None, show_default="SARLAKE_QA_MAX_P_ERROR, 0.5",
              help="Use only interferograms whose QA p(error) is below this (products without QA are used).")
@click.option("--include-quarantined", is_flag=True, help="Also use products the data-quality gate quarantined.")
@click.option("--reference", nargs=2, type=float, metavar="LAT LON", help="Reference point (default: automatic).")
@click.option("--min-coherence", type=click.FloatRange(0, 1), help="Mask pixels below this mean coherence.")
@click.option("--gnss", "gnss_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="GNSS series (.tenv3 or .pos) to compare with; repeatable.")
def timeseries(aoi_name: str, max_p_error: float | None, include_quarantined: bool,
               reference: tuple[float, float] | None,
               min_coherence: float | None, gnss_files: tuple[str, ...]) -> None:
    """Make an L3 time series (SBAS) for an AOI from its good interferograms and catalogue it."""
    from sarlake.workflows.timeseries import timeseries_for_aoi

    if max_p_error is None:
        from lake.settings import get_settings

        max_p_error = get_settings().qa_max_p_error
    params: dict[str, Any] = {"gnss_files": list(gnss_files)}
    if reference:
        params["reference"] = {"lat": reference[0], "lon": reference[1]}
    if min_coherence is not None:
        params["min_coherence"] = min_coherence
    ids, met_uris, used = timeseries_for_aoi(aoi_name, max_p_error, include_quarantined, params)
    for product_id in ids:
        click.echo(product_id)
    click.echo(f"time series from {used} interferograms: {', '.join(met_uris)}", err=True)

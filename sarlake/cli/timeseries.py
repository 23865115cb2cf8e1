"""``sarlake timeseries``: an L3 time series for an AOI from its good interferograms."""

from __future__ import annotations

import json
from typing import Any

import click

from sarlake.cli.params import NUMBER, FiniteFloatRange, lat_lon_of, options_of_parameters

__all__ = ["timeseries"]


@click.command()
@click.argument("aoi_name", metavar="AOI")
@click.option("--max-p-error", type=FiniteFloatRange(0, 1), default=None, show_default="SARLAKE_QA_MAX_P_ERROR, 0.5",
              help="Use only interferograms whose QA p(error) is below this (products without QA are used).")
@click.option("--include-quarantined", is_flag=True, help="Also use products the data-quality gate quarantined.")
@click.option("--track", type=click.IntRange(min=0), default=None,
              help="The track (relative orbit) of the series, for an AOI seen from several (default: its only one).")
@click.option("--reference", nargs=2, type=NUMBER, metavar="LAT LON", help="Reference point (default: automatic).",
              callback=lat_lon_of("pges.timeseries.config:ReferencePoint"))
@click.option("--min-coherence", type=FiniteFloatRange(0, 1), help="Mask pixels below this mean coherence.")
@click.option("--gnss", "gnss_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="GNSS series (.tenv3 or .pos) to compare with; repeatable.")
@click.option("--gnss-reference", metavar="STATION", help="Reference the time series at this GNSS station.")
@click.option("--reference-to-gnss", is_flag=True,
              help="Tie the time series to all GNSS stations on the grid (median InSAR-GNSS offset per date).")
@click.option("--incidence", type=FiniteFloatRange(0, 90, min_open=True, max_open=True),
              help="Incidence angle, degrees (default: the products' view:incidence_angle).")
@click.option("--heading", type=FiniteFloatRange(-360, 360),
              help="Platform heading, degrees from north (default: the products' sarlake:heading_deg).")
@click.option("--min-temporal-coherence", type=FiniteFloatRange(0, 1),
              help="No velocity where the inversion's temporal coherence is below this (default 0.7).")
@click.option("--stratified", is_flag=True,
              help="Remove the stratified troposphere (phase-elevation fit); needs --dem.")
@click.option("--dem", type=click.Path(exists=True, dir_okay=False), help="DEM for --stratified and delay cubes.")
@click.option("--weather-model", "weather_model", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Zenith delay grid per date (GACOS GeoTIFF/.ztd or RAiDER .nc); repeatable.")
@click.option("--deformation-mask", type=click.Path(exists=True, dir_okay=False),
              help="GeoTIFF on the stack grid, non-zero = deforming (left out of fits and reference choice).")
def timeseries(aoi_name: str, max_p_error: float | None, include_quarantined: bool, track: int | None,
               reference: tuple[float, float] | None,
               min_coherence: float | None, gnss_files: tuple[str, ...], gnss_reference: str | None,
               reference_to_gnss: bool, incidence: float | None, heading: float | None,
               min_temporal_coherence: float | None, stratified: bool, dem: str | None,
               weather_model: tuple[str, ...], deformation_mask: str | None) -> None:
    """Make an L3 time series (SBAS) for an AOI from its good interferograms and catalogue it."""
    from pathlib import Path

    from sarlake.workflows.timeseries import AUTO_TRACK, SeriesArchived, timeseries_for_aoi

    if max_p_error is None:
        from lake.settings import get_settings

        max_p_error = get_settings().qa_max_p_error
    if reference and gnss_reference:
        raise click.UsageError("give --reference LAT LON or --gnss-reference STATION, not both")
    if (gnss_reference or reference_to_gnss) and not gnss_files:
        raise click.UsageError("--gnss-reference and --reference-to-gnss need --gnss FILE")
    if stratified and not dem:
        raise click.UsageError("--stratified needs --dem PATH")
    params: dict[str, Any] = {"gnss_files": [str(Path(f).resolve()) for f in gnss_files]}
    if reference:
        params["reference"] = {"lat": reference[0], "lon": reference[1]}
    if gnss_reference:
        params["reference"] = {"gnss_station": gnss_reference}
    if min_coherence is not None:
        params["min_coherence"] = min_coherence
    if min_temporal_coherence is not None:
        params["min_temporal_coherence"] = min_temporal_coherence
    if incidence is not None:
        params["incidence_deg"] = incidence
    if heading is not None:
        params["heading_deg"] = heading
    if reference_to_gnss:
        params["reference_to_gnss"] = True
    tropo: dict[str, Any] = {}
    if stratified:
        tropo["stratified"] = True
    if dem:
        tropo["dem"] = str(Path(dem).resolve())
    if weather_model:
        tropo["weather_model_files"] = [str(Path(f).resolve()) for f in weather_model]
    if deformation_mask:
        tropo["deformation_mask"] = str(Path(deformation_mask).resolve())
    if tropo:
        params["troposphere"] = tropo
    try:
        with options_of_parameters({"reference": "--reference", "reference.gnss_station": "--gnss-reference",
                                    "troposphere.deformation_mask": "--deformation-mask"}):
            ids, met_uris, used = timeseries_for_aoi(aoi_name, max_p_error, include_quarantined, params,
                                                     AUTO_TRACK if track is None else track)
    except SeriesArchived as archived:  # nothing to make: the product is there, archived or cached
        click.echo(archived.series["product_id"])
        click.echo(f"AOI {aoi_name}: {archived}", err=True)
        return
    for product_id in ids:
        click.echo(product_id)
    click.echo(f"time series from {used} interferograms: {', '.join(met_uris)}", err=True)
    if gnss_files:
        for line in gnss_lines(met_uris):
            click.echo(line, err=True)


def gnss_lines(met_uris: list[str]) -> list[str]:
    """One line per GNSS station the series was compared with, from its met.json (``sarlake:gnss_comparison``)."""
    from lake import storage

    lines = []
    for uri in met_uris:
        props = json.loads(storage.read_bytes(uri)).get("properties", {})
        for g in props.get("sarlake:gnss_comparison") or []:
            if g.get("status") == "ok":
                lines.append(f"GNSS {g['station']}: InSAR {g['insar_mm_yr']:+.1f} mm/yr, GNSS along the line of sight "
                             f"{g['gnss_los_mm_yr']:+.1f} +- {g['gnss_sigma_mm_yr']:.1f} mm/yr ({g['gnss_window']}), "
                             f"InSAR - GNSS {g['difference_mm_yr']:+.1f} mm/yr (InSAR relative to its reference)")
            else:
                lines.append(f"GNSS {g['station']} ({g.get('file')}): {g.get('status')}; not compared")
    return lines

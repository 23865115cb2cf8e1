"""``sarlake unwrap``: unwrap wrapped interferograms formed elsewhere and catalogue them."""

from __future__ import annotations

from typing import Any

import click

from pges.unwrap.formats import FORMATS
from sarlake.cli.params import NUMBER, WAVELENGTH, FiniteFloatRange, PathOrS3, lat_lon_of, options_of_parameters

__all__ = ["unwrap"]


def _pairs(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    """``--pair`` values as the PGE's ``pairs`` take them, or the usage error naming the one that is not."""
    import re

    from pges.unwrap.formats import PAIR_PATTERN

    bad = [v for v in value if not re.match(PAIR_PATTERN, v)]
    if bad:
        raise click.BadParameter(f"{bad[0]!r} is not a pair of dates YYYYMMDD_YYYYMMDD (e.g. 20061002_20060619)"
                                 + _day_of_year_hint(bad[0]))
    return value


def _day_of_year_hint(value: str) -> str:
    """For a GMTSAR interferogram folder's name (``2015145_2015169``): the pair in dates, in GMTSAR's day count.

    GMTSAR names a pair's folder after the integer part of each scene's ``SC_clock_start``, ``YYYYDDD`` with day
    0 the first of January (its Sentinel-1 test scene of 2015-05-26 has ``SC_clock_start = 2015145.076``).
    """
    import re
    from datetime import date, timedelta

    if not re.fullmatch(r"\d{7}_\d{7}", value):
        return ""
    try:
        days = [date(int(v[:4]), 1, 1) + timedelta(days=int(v[4:])) for v in value.split("_")]
    except ValueError:
        return ""
    if any(d.year != int(v[:4]) for d, v in zip(days, value.split("_"), strict=True)):
        return ""  # a day past the year's end: no GMTSAR name
    return (f"; as a GMTSAR folder name (YYYYDDD, day 0 = 1 January) it is "
            f"{days[0]:%Y%m%d}_{days[1]:%Y%m%d}: give that")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=PathOrS3(exists=True))
@click.option("--format", "source_format", type=click.Choice(FORMATS), default="auto", show_default=True,
              help="Format of the interferograms (auto: by suffix and the header beside each file).")
@click.option("--coherence", type=PathOrS3(exists=True, dir_okay=False),
              help="Coherence file or s3:// object of the (single) interferogram, or of the one --pair chosen "
                   "(default: found beside it by name or date).")
@click.option("--coherence-dir", "coherence_dirs", multiple=True, type=PathOrS3(exists=True, file_okay=False),
              help="Folder or s3://bucket/prefix/ to search for coherence files by date (of a prefix only the "
                   "coherence files are downloaded); repeatable.")
@click.option("--pair", "pairs", multiple=True, metavar="YYYYMMDD_YYYYMMDD", callback=_pairs,
              help="Only this pair of the inputs (its two dates, either order; e.g. one pair of a MintPy stack); "
                   "repeatable. Default: every interferogram.")
@click.option("--looks", nargs=2, type=click.IntRange(1, 64), metavar="AZ RG", default=(1, 1), show_default=True,
              help="Looks (rows, columns) averaged before unwrapping: N = AZ x RG looks cut the phase noise about "
                   "as 1/sqrt(N) and the run time about N times, and make the grid N times coarser.")
@click.option("--method", type=click.Choice(["snaphu", "quality"]), default="snaphu", show_default=True,
              help="Unwrapper: SNAPHU (statistical cost) or quality-guided path following (faster, less robust).")
@click.option("--filter-strength", type=FiniteFloatRange(0, 1), default=0.0, show_default=True,
              help="Goldstein filter strength after multilooking (0 = off).")
@click.option("--min-coherence", type=FiniteFloatRange(0, 1, max_open=True), default=0.0, show_default=True,
              help="Pixels below this coherence are not unwrapped.")
@click.option("--reference", nargs=2, type=NUMBER, metavar="LAT LON", help="Reference point (default: automatic).",
              callback=lat_lon_of("pges.interferogram.config:ReferencePoint", method="latlon"))
@click.option("--wavelength", "wavelength_m", type=WAVELENGTH, help="Radar wavelength, m (if the metadata lacks it).")
@click.option("--aoi", help="AOI the products belong to (must exist).")
@click.option("--mission", help="Platform, e.g. sentinel-1a.")
@click.option("--track", type=int, help="Relative orbit / track number.")
@click.option("--orbit-state", type=click.Choice(["ascending", "descending"]), help="Pass direction.")
@click.option("--replace", "overwrite", is_flag=True, help="Redo a product already published.")
@click.option("--output-dir", help="Where the products go. Default: <products_root>/L2_IFG/<aoi or 'unwrapped'>.")
def unwrap(paths: tuple[str, ...], looks: tuple[int, int], method: str, filter_strength: float,
           reference: tuple[float, float] | None, output_dir: str | None, aoi: str | None, **options: Any) -> None:
    """Unwrap wrapped interferograms (GeoTIFF complex, ROI_PAC/ISCE2 .int, GMTSAR phase*_ll.grd, SNAP i/q) into L2_IFG.

    Writes the interferogram PGE's product layout (unwrapped phase, connected components, coherence, LOS,
    browse, met.json) and catalogues it; the unwrapped share is the share of pixels in connected components.
    PATHS may be folders (their wrapped interferograms are unwrapped, the unwrapped ones left out), s3:// objects
    (each downloaded with the headers and coherence beside it in its S3 folder) or s3://bucket/prefix/ (read as a
    folder; limits: the settings SARLAKE_INGEST__MAX_OBJECTS and SARLAKE_INGEST__MAX_GIB).
    """
    from sarlake.workflows.unwrap import unwrap_and_catalogue

    params: dict[str, Any] = {k: v for k, v in options.items() if v not in (None, (), False)}
    for key in ("coherence_dirs", "pairs"):
        if key in params:
            params[key] = list(params[key])
    params |= {"looks_azimuth": looks[0], "looks_range": looks[1], "unwrap": {"method": method},
               "filter": {"strength": filter_strength}}
    if reference:
        params["reference"] = {"method": "latlon", "lat": reference[0], "lon": reference[1]}
    with options_of_parameters({"reference": "--reference", "pairs": "--pair"}):
        target, ids, products = unwrap_and_catalogue(list(paths), output_dir, aoi, **params)
    for product_id in ids:
        click.echo(product_id)
    click.echo(f"catalogued {len(ids)} unwrapped product(s) under {target}", err=True)

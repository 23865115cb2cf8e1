"""``sarlake ingest``: catalogue external interferograms."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import click

from sarlake.cli.params import LOS_SIGN, WAVELENGTH, PathOrS3

if TYPE_CHECKING:
    from sarlake.workflows.ingest import IngestReport

__all__ = ["ingest"]

FORMATS = ["auto", "geotiff", "roipac", "gamma", "isce2", "gmtsar", "mintpy", "aria", "snap"]


@click.command()
@click.argument("paths", nargs=-1, required=True, type=PathOrS3(exists=True))
@click.option("--format", "source_format", type=click.Choice(FORMATS), default="auto", show_default=True,
              help="Format of the interferograms (auto: by suffix and the header beside each file).")
@click.option("--coherence", multiple=True, type=PathOrS3(exists=True, dir_okay=False),
              help="Coherence file or s3:// object, paired with its interferogram by the dates in its name (default: "
                   "found beside it by name or date).")
@click.option("--coherence-dir", "coherence_dirs", multiple=True, type=PathOrS3(exists=True, file_okay=False),
              help="Folder or s3://bucket/prefix/ to search for coherence files by date (of a prefix only the "
                   "coherence files are downloaded); repeatable.")
@click.option("--aoi", help="AOI the products belong to (must exist: `sarlake aoi add`; footprints must overlap it).")
@click.option("--mission", help="Platform, e.g. envisat or sentinel-1a.")
@click.option("--track", type=int, help="Relative orbit / track number.")
@click.option("--orbit-state", type=click.Choice(["ascending", "descending"]), help="Pass direction.")
@click.option("--wavelength", "wavelength_m", type=WAVELENGTH,
              help="Radar wavelength in metres: used when a header lacks it, and overrides the header's.")
@LOS_SIGN
@click.option("--replace", "overwrite", is_flag=True,
              help="Re-ingest products already published (new coherence, corrected wavelength).")
@click.option("--revision", type=click.IntRange(2, 999),
              help="Make the products a new version, '<PGE version>.<N>': new content for a product the roll archived "
                   "(with --replace), delivered to the DAAC as a new version.")
@click.option("--skip-bad", is_flag=True, help="Leave out inputs that fail validation instead of ingesting nothing.")
@click.option("--output-dir", help="Where the products go. Default: <products_root>/L2_IFG/<aoi or 'ingested'>.")
def ingest(paths: tuple[str, ...], output_dir: str | None, aoi: str | None, **options: Any) -> None:
    """Catalogue external interferograms as L2_IFG products.

    PATHS are files or folders: GeoTIFF, ROI_PAC .unw + .rsc, GAMMA + .par, ISCE2 .unw + .xml/.vrt,
    GMTSAR *_ll.grd, MintPy ifgramStack.h5, ARIA S1-GUNW .nc, SNAP BEAM-DIMAP .dim (+ its .data/ folder;
    terrain-corrected, one product per Unw_Phase band). In a folder, coherence, DEM and other rasters are
    left out; a folder with no interferogram of its own is searched two levels down (a LiCSAR frame, a folder of
    HyP3 products). A .zip (HyP3's downloads) is read as the folder it holds. PATHS may be s3:// objects (the
    headers, coherence and connected components of their folder are downloaded beside them) or prefixes
    (s3://bucket/hyp3-jobs/), downloaded and read as a folder. A zip's or a prefix's DEMs, amplitudes and look
    vectors, which no reader opens, are counted, not unpacked or downloaded. One S3 listing downloads at most
    SARLAKE_INGEST__MAX_OBJECTS objects and SARLAKE_INGEST__MAX_GIB GiB (2000 and 20 unless set).
    Every input is read and checked first; if any is bad, nothing is catalogued (unless --skip-bad).
    """
    from pges.ingest.inputs import WRAPPED
    from sarlake.workflows.ingest import ingest_and_catalogue, moved_note

    params = {k: v for k, v in options.items() if v not in (None, (), False)}
    for key in ("coherence", "coherence_dirs"):
        if key in params:
            params[key] = list(params[key])
    report = ingest_and_catalogue(list(paths), output_dir, aoi, **params)
    for product_id in report.ids:
        click.echo(product_id)
    by_name: Counter[str] = Counter()
    for other in report.left_out:
        if other["kind"] == WRAPPED and other.get("pair_of"):
            by_name["wrapped of an ingested pair"] += 1  # HyP3's _wrapped_phase beside its _unw_phase
        elif other["kind"] == WRAPPED:
            click.echo(f"note: left out {other['input']}: a wrapped interferogram (`sarlake unwrap` it, then ingest "
                       "what it makes)", err=True)
        elif other.get("by", "name") == "name":
            by_name[other["kind"]] += 1  # its name says what it is (_corr.tif, .rsc, _dem.tif, los_...)
        else:  # judged by its content: say so, a phase file taken for a DEM would vanish silently
            click.echo(f"note: left out {other['input']}: read as {_LEFT_OUT.get(other['kind'], other['kind'])} by "
                       f"its {other['by']}, not an interferogram (name it to ingest it)", err=True)
    if by_name:
        click.echo("note: left out by their names: " + ", ".join(f"{n} {_NAMED.get(k, k)}" for k, n in
                                                                  sorted(by_name.items())), err=True)
    for bad in report.rejected:
        click.echo(f"warning: skipped {bad['input']}: {bad['error']}", err=True)
    for move in report.moved:
        click.echo(f"warning: {moved_note(move)}", err=True)
    for note in report.undelivered + report.went_back:
        click.echo(f"warning: {note}", err=True)
    click.echo(_summary(report, options.get("revision")), err=True)


#: what a folder's file left out by its content was read as (``pges.readers.kinds.classify_how``)
_LEFT_OUT = {"coherence": "a coherence raster", "dem": "a DEM", "amplitude": "an amplitude raster",
             "conncomp": "connected components"}
#: the kinds of the files left out by their names, counted in one line
_NAMED = {"header": "header or side file(s)", "coherence": "coherence", "dem": "DEM(s)", "amplitude": "amplitude(s)",
          "conncomp": "connected components", "radar": "radar-coordinate grid(s)",
          "other": "other raster(s) (LOS, incidence, mask ...)",
          "wrapped of an ingested pair": "wrapped phase of pair(s) ingested unwrapped"}


def _summary(report: IngestReport, revision: int | None = None) -> str:
    """One line: the products this ingest made, those it kept as already published, the inputs it skipped.

    A kept product keeps its version: ``--revision`` alone changed nothing for it, which the line says. A kept one
    that had been removed from the catalogue is catalogued again (provenance records the return): said apart.
    """
    new = len(report.ids) - len(report.kept)  # report.ids holds the kept ones too (catalogued again, as they were)
    back = len(report.returned)
    kept = "already published and kept (--replace re-ingests them)"
    if revision is not None:
        kept = (f"already published and kept at their version: --revision {revision} applies to them only with "
                "--replace, which re-ingests them")
    tail = [f"{back} product(s) removed before catalogued again from their kept folder(s)"] if back else []
    if len(report.kept) > back:
        tail.append(f"{len(report.kept) - back} {kept}")
    if not tail:
        line = f"catalogued {new} product(s) under {report.target}"
    elif new:
        line = f"catalogued {new} new product(s) under {report.target}; " + "; ".join(tail)
    elif back:
        line = f"no new product under {report.target}; " + "; ".join(tail)
    else:
        line = f"nothing new under {report.target}: {len(report.kept)} product(s) {kept}"
    return line + (f"; skipped {len(report.rejected)} bad input(s)" if report.rejected else "")

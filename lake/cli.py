"""``sarlake``: the command line of the lake (init, SQL, AOIs, tables, PGE runs).

Heavy libraries (pyiceberg, duckdb, pyarrow) are imported inside the commands so ``--help`` is fast.
User errors print one line ``error: ...`` on stderr and exit with code 2.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from lake.exceptions import LakeError

__all__ = ["cli", "main"]

logger = logging.getLogger(__name__)


class _Group(click.Group):
    """Click group that turns lake errors into one line on stderr and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (LakeError, FileNotFoundError, ValueError) as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            click.echo(f"error: {message}", err=True)
            ctx.exit(2)


@click.group(cls=_Group)
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level.")
def cli(verbose: bool) -> None:
    """sarlake: the InSAR products lake (Iceberg tables, DuckDB SQL)."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


@cli.command()
def init() -> None:
    """Create the lake's namespace and tables (idempotent)."""
    from lake.catalog import init_lake
    from lake.settings import get_settings

    settings = get_settings()
    created = init_lake(settings)
    click.echo(f"lake ready at {settings.warehouse} ({len(created)} table(s) created)")


@cli.command()
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "parquet"]), default="table",
              show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file.")
def sql(query: str, fmt: str, output: Path | None) -> None:
    """Run read-only SQL over the lake tables (SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN)."""
    if fmt == "parquet" and output is None:
        raise click.UsageError("--format parquet needs --output FILE")
    from lake.query import run_sql

    result = run_sql(query)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        assert output is not None
        pq.write_table(result, output)
        click.echo(f"wrote {result.num_rows} rows to {output}", err=True)
        return
    text = _render(result, fmt)
    if output is not None:
        output.write_text(text)
        click.echo(f"wrote {result.num_rows} rows to {output}", err=True)
    else:
        click.echo(text, nl=not text.endswith("\n"))


def _render(result: Any, fmt: str) -> str:
    if fmt == "csv":
        import io

        import pyarrow.csv as pacsv

        buffer = io.BytesIO()
        pacsv.write_csv(result, buffer)
        return buffer.getvalue().decode()
    if fmt == "json":
        return json.dumps(result.to_pylist(), default=str, indent=1) + "\n"
    return _table_text(result)


def _table_text(result: Any, max_rows: int = 200) -> str:
    names = result.column_names
    rows = [["" if v is None else str(v) for v in r.values()] for r in result.slice(0, max_rows).to_pylist()]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    more = f" (first {max_rows} shown)" if result.num_rows > max_rows else ""
    lines.append(f"({result.num_rows} row{'s' if result.num_rows != 1 else ''}{more})")
    return "\n".join(lines) + "\n"


@cli.group(cls=_Group)
def aoi() -> None:
    """Areas of interest."""


@aoi.command("add")
@click.argument("name")
@click.option("--bbox", nargs=4, type=float, help="West South East North, degrees.")
@click.option("--geojson", type=click.Path(exists=True, dir_okay=False), help="GeoJSON polygon file.")
@click.option("--track", "tracks", type=int, multiple=True, help="Track (relative orbit); repeatable.")
@click.option("--inactive", is_flag=True, help="Store the AOI without monitoring it.")
@click.option("--neighbours", type=int, help="Nearest-n pairing for this AOI.")
@click.option("--description", help="Free text.")
def aoi_add(name: str, bbox: tuple[float, ...] | None, geojson: str | None, tracks: tuple[int, ...],
            inactive: bool, neighbours: int | None, description: str | None) -> None:
    """Add (or update) an AOI from a bounding box or a GeoJSON polygon."""
    from lake.aoi import add_aoi

    stored = add_aoi(name, bbox=bbox or None, geojson=geojson, tracks=list(tracks), active=not inactive,
                     pairing_neighbours=neighbours, description=description)
    w, s, e, n = stored.bbox
    click.echo(f"AOI {stored.name}: bbox {w} {s} {e} {n}, tracks {stored.tracks or 'default'}, "
               f"{'active' if stored.active else 'inactive'}")


@aoi.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include inactive AOIs.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def aoi_list(show_all: bool, as_json: bool) -> None:
    """List the AOIs."""
    from lake.aoi import list_aois

    aois = list_aois(active_only=not show_all)
    if as_json:
        click.echo(json.dumps([a.to_dict() for a in aois], indent=1))
        return
    for a in aois:
        w, s, e, n = a.bbox
        click.echo(f"{a.name:<24} {'active' if a.active else 'inactive':<8} bbox {w:.4f} {s:.4f} {e:.4f} {n:.4f} "
                   f"tracks {','.join(map(str, a.tracks)) or 'default'}")
    if not aois:
        click.echo("(no AOIs; add one with `sarlake aoi add NAME --bbox W S E N`)")


@cli.command()
def tables() -> None:
    """List the lake tables with their row counts."""
    from lake.catalog import load_table
    from lake.query import _lake_tables
    from lake.settings import get_settings

    settings = get_settings()
    for name in _lake_tables(settings):
        snapshot = load_table(name, settings).current_snapshot()
        count = int(snapshot.summary.get("total-records", 0)) if snapshot and snapshot.summary else 0
        click.echo(f"{name:<20} {count:>12,}")


@cli.group(cls=_Group)
def pge() -> None:
    """Product generation executables."""


@pge.command("run", context_settings={"ignore_unknown_options": True})
@click.argument("name")
@click.option("--run-config", "run_config", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--result-file", type=click.Path(dir_okay=False), help="Where the PGE writes its result JSON.")
def pge_run(name: str, run_config: str, result_file: str | None) -> None:
    """Run a PGE locally (delegates to ``python -m pges``)."""
    try:
        from pges.cli import main as pges_main
    except ImportError as exc:
        raise LakeError(f"the PGEs are not installed ({exc}); install the sarlake package with its pges") from exc
    argv = [name, "--run-config", run_config]
    if result_file:
        argv += ["--result-file", result_file]
    sys.exit(int(pges_main(argv) or 0))


@cli.command()
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
def ingest(paths: tuple[str, ...], output_dir: str | None, **options: Any) -> None:
    """Catalogue external interferograms (GeoTIFF, ROI_PAC .unw + .rsc, GAMMA + .par) as L2_IFG products.

    Every input is read and checked first; if any is bad, nothing is catalogued.
    """
    from datetime import UTC, datetime

    from lake.catalogue import catalogue_products
    from lake.settings import get_settings
    from pges.ingest import ingest as run_ingest

    settings = get_settings()
    params = {k: v for k, v in options.items() if v not in (None, ())}
    for key in ("coherence", "coherence_dirs"):
        if key in params:
            params[key] = list(params[key])
    target = output_dir or f"{settings.products_root.rstrip('/')}/L2_IFG/{options.get('aoi') or 'ingested'}"
    run_id = f"manual__ingest__{datetime.now(UTC):%Y%m%dT%H%M%S}"
    met_uris = [str(m) for m in run_ingest(list(paths), target, run_id=run_id, **params)]
    ids = catalogue_products(met_uris, {"run_id": run_id, "task_id": "ingest", "runner": "local"})
    for product_id in ids:
        click.echo(product_id)
    click.echo(f"catalogued {len(ids)} product(s) under {target}", err=True)


@cli.command()
@click.option("--table", "tables", multiple=True, help="Table to maintain; repeatable. Default: every table.")
@click.option("--older-than-days", type=click.FloatRange(min=0), default=7.0, show_default=True,
              help="Snapshots and unreferenced files older than this may go.")
@click.option("--retain-last", type=click.IntRange(min=1), default=10, show_default=True,
              help="Snapshots always kept per table.")
def maintain(tables: tuple[str, ...], older_than_days: float, retain_last: int) -> None:
    """Expire old snapshots and delete the files no kept snapshot needs (run it on a schedule)."""
    from datetime import timedelta

    from lake.maintenance import maintain as run_maintenance

    for r in run_maintenance(list(tables) or None, older_than=timedelta(days=older_than_days),
                             retain_last=retain_last):
        click.echo(f"{r.table:14s} expired {r.expired_snapshots:4d} snapshots, kept {r.remaining_snapshots:4d}, "
                   f"deleted {r.deleted_files:5d} files")


def _run_pge(name: str, run_config: dict[str, Any]) -> dict[str, Any]:
    """Run a PGE in this process through its contract (validation, staging, met.json) and return its result."""
    from pges import registry
    from pges.contract import parse_run_config
    from pges.runner import execute

    spec = registry.get(name)
    cfg = parse_run_config(spec.run_config_model(), run_config, pge=name)
    return execute(name, cfg, spec.run_function())


@cli.command()
@click.argument("aoi_name", metavar="AOI")
@click.option("--max-p-error", type=click.FloatRange(0, 1), default=0.5, show_default=True,
              help="Use only interferograms whose QA p(error) is below this (products without QA are used).")
@click.option("--include-quarantined", is_flag=True, help="Also use products the data-quality gate quarantined.")
@click.option("--reference", nargs=2, type=float, metavar="LAT LON", help="Reference point (default: automatic).")
@click.option("--min-coherence", type=click.FloatRange(0, 1), help="Mask pixels below this mean coherence.")
@click.option("--gnss", "gnss_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="GNSS series (.tenv3 or .pos) to compare with; repeatable.")
def timeseries(aoi_name: str, max_p_error: float, include_quarantined: bool, reference: tuple[float, float] | None,
               min_coherence: float | None, gnss_files: tuple[str, ...]) -> None:
    """Make an L3 time series (SBAS) for an AOI from its good interferograms and catalogue it."""
    from datetime import UTC, datetime

    from lake.catalogue import catalogue_products
    from lake.query import connect
    from lake.settings import get_settings

    settings = get_settings()
    rows = connect(settings).execute(
        "SELECT met_uri FROM products WHERE product_type = 'L2_IFG' AND aoi = ? "
        "AND (p_error IS NULL OR p_error < ?) AND (? OR coalesce(status, '') <> 'quarantined') "
        "ORDER BY secondary_date, reference_date",
        [aoi_name, max_p_error, include_quarantined],
    ).fetchall()
    if len(rows) < 2:
        raise LakeError(f"AOI {aoi_name!r} has {len(rows)} usable interferogram(s); a time series needs at least 2 "
                        "(run the forward DAG or `sarlake ingest` first)")
    params: dict[str, Any] = {"aoi": aoi_name, "gnss_files": list(gnss_files)}
    if reference:
        params["reference"] = {"lat": reference[0], "lon": reference[1]}
    if min_coherence is not None:
        params["min_coherence"] = min_coherence
    run_id = f"manual__timeseries__{datetime.now(UTC):%Y%m%dT%H%M%S}"
    result = _run_pge("timeseries", {
        "pge": "timeseries", "run_id": run_id, "inputs": [r[0] for r in rows],
        "output_dir": f"{settings.products_root.rstrip('/')}/L3_TS/{aoi_name}", "parameters": params,
    })
    met_uris = [p["met_uri"] for p in result["products"]]
    for product_id in catalogue_products(met_uris, {"run_id": run_id, "task_id": "timeseries", "runner": "local"}):
        click.echo(product_id)
    click.echo(f"time series from {len(rows)} interferograms: {', '.join(met_uris)}", err=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point (``sarlake``)."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="sarlake")


if __name__ == "__main__":
    main()

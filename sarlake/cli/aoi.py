"""``sarlake aoi``: add and list areas of interest."""

from __future__ import annotations

import json

import click

from sarlake.cli.errors import ErrorHandlingGroup
from sarlake.cli.params import NUMBER

__all__ = ["aoi"]


@click.group(cls=ErrorHandlingGroup)
def aoi() -> None:
    """Areas of interest."""


@aoi.command("add")
@click.argument("name")
@click.option("--bbox", nargs=4, type=NUMBER, help="West South East North, degrees.")
@click.option("--geojson", type=click.Path(exists=True, dir_okay=False), help="GeoJSON polygon file.")
@click.option("--track", "tracks", type=int, multiple=True, help="Track (relative orbit); repeatable.")
@click.option("--inactive", is_flag=True, help="Store the AOI without monitoring it.")
@click.option("--neighbours", type=int, help="Nearest-n pairing for this AOI (default: SARLAKE_PAIRING_NEIGHBOURS).")
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

"""``sarlake aoi``: add and list areas of interest."""

from __future__ import annotations

import json
from typing import Any

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
@click.option("--all-tracks", is_flag=True,
              help="Every track the acquisition source finds (a new AOI's default): forget the --track ones.")
@click.option("--active/--inactive", default=None,
              help="Monitor it with forward processing, or store it without (a new AOI: --active).")
@click.option("--neighbours", type=int, help="Nearest-n pairing for this AOI (default: SARLAKE_PAIRING_NEIGHBOURS).")
@click.option("--default-neighbours", is_flag=True,
              help="Pair by SARLAKE_PAIRING_NEIGHBOURS again: forget --neighbours.")
@click.option("--description", help="Free text.")
def aoi_add(name: str, bbox: tuple[float, ...] | None, geojson: str | None, tracks: tuple[int, ...], all_tracks: bool,
            active: bool | None, neighbours: int | None, default_neighbours: bool, description: str | None) -> None:
    """Add an AOI from a bounding box or a GeoJSON polygon, or update one.

    An AOI that exists keeps what is not given: its geometry, tracks, pairing and description, and whether it is
    monitored (`sarlake aoi add etna --inactive` stops monitoring Etna and keeps the rest of it). --all-tracks and
    --default-neighbours put its tracks and pairing back to the defaults.
    """
    from lake.aoi import add_aoi, get_aoi

    if all_tracks and tracks:
        raise click.UsageError("give --track or --all-tracks, not both")
    if default_neighbours and neighbours is not None:
        raise click.UsageError("give --neighbours or --default-neighbours, not both")
    old = get_aoi(name)
    if old is None and not (bbox or geojson):
        raise click.UsageError(f"AOI {name} does not exist yet: give its geometry, --bbox W S E N or --geojson FILE")
    given: dict[str, Any] = {"tracks": list(tracks) or None, "active": active, "pairing_neighbours": neighbours,
                             "description": description}
    if old is None:
        fields = {**given, "tracks": list(tracks), "active": active is not False}
    else:  # what is not given stays as stored
        fields = {k: getattr(old, k) if v is None else v for k, v in given.items()}
    if all_tracks:
        fields["tracks"] = []
    if default_neighbours:
        fields["pairing_neighbours"] = None
    geometry: dict[str, Any] = {"geojson": _geojson_of(old.geometry_wkt)} if old is not None and not (
        bbox or geojson) else {"bbox": bbox or None, "geojson": geojson}
    stored = add_aoi(name, **geometry, **fields)
    w, s, e, n = stored.bbox
    changed = _changes(old, stored) if old is not None else ""
    click.echo(f"AOI {stored.name}{changed}: bbox {w} {s} {e} {n}, tracks {stored.tracks or 'default'}, "
               f"{'active' if stored.active else 'inactive'}")


def _geojson_of(wkt: str) -> dict:
    """A stored AOI's geometry as the GeoJSON ``add_aoi`` takes."""
    import shapely
    from shapely.geometry import mapping

    return json.loads(json.dumps(mapping(shapely.from_wkt(wkt))))  # tuples as lists, as a GeoJSON file holds


def _changes(old: object, new: object) -> str:
    """`` updated (what changed)``, `` unchanged``: an AOI stored again."""
    fields = {"geometry_wkt": "geometry", "tracks": "tracks", "active": "active",
              "pairing_neighbours": "neighbours", "description": "description"}

    def shown(f: str, value: object) -> str:
        return "default" if f in ("tracks", "pairing_neighbours") and not value else repr(value)

    moved = [f"{label} {shown(f, getattr(old, f))} -> {shown(f, getattr(new, f))}" if f != "geometry_wkt"
             else "geometry" for f, label in fields.items() if getattr(old, f) != getattr(new, f)]
    return f" updated ({'; '.join(moved)})" if moved else " unchanged"


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

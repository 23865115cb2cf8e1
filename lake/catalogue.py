"""Catalogue PGE outputs: turn ``<product>.met.json`` files into ``products`` and ``provenance`` rows."""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from datetime import UTC, date, datetime
from typing import Any

from lake import journal
from lake.exceptions import ProductMetadataError
from lake.placement import place
from lake.settings import Settings, get_settings
from lake.write import UpsertResult, upsert

__all__ = ["catalogue_products", "product_rows", "record_acquisitions"]

logger = logging.getLogger(__name__)

REQUIRED = (
    "id",
    "bbox",
    "geometry",
    "properties.start_datetime",
    "properties.end_datetime",
    "properties.sarlake:product_type",
    "provenance.pge_name",
    "provenance.pge_version",
    "provenance.started_at",
)
_DIRECTIONS = {"ascending": "A", "descending": "D", "A": "A", "D": "D"}


def _field(doc: dict[str, Any], dotted: str) -> Any:
    node: Any = doc
    for part in dotted.split("."):
        if not isinstance(node, dict) or node.get(part) is None:
            return None
        node = node[part]
    return node


def _time(uri: str, name: str, value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise ProductMetadataError(f"{uri}: {name} is not an ISO 8601 time: {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _date(uri: str, name: str, value: Any) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise ProductMetadataError(f"{uri}: {name} is not a date: {value!r}") from exc


def product_rows(met_uri: str, doc: dict[str, Any], run_context: dict[str, Any] | None = None
                 ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate one met.json document and build its ``products`` and ``provenance`` rows.

    Args:
        met_uri: where the document was read from (named in errors; the product folder is its parent).
        doc: the parsed met.json (STAC Item with ``provenance``).
        run_context: Airflow context to record (``dag_id``, ``task_id``, ``run_id``, ``runner``, ``pge_image``).

    Returns:
        ``(product_row, provenance_row)``.

    Raises:
        ProductMetadataError: a required field is missing or malformed.
    """
    from shapely.geometry import shape

    if not isinstance(doc, dict):
        raise ProductMetadataError(f"{met_uri}: not a JSON object")
    for name in REQUIRED:
        if _field(doc, name) is None:
            raise ProductMetadataError(f"{met_uri}: required field {name!r} is missing")
    props: dict[str, Any] = doc["properties"]
    prov: dict[str, Any] = doc["provenance"]
    ctx = run_context or {}
    bbox = doc["bbox"]
    if not isinstance(bbox, list) or len(bbox) != 4 or not all(isinstance(v, int | float) for v in bbox):
        raise ProductMetadataError(f"{met_uri}: bbox must be [west, south, east, north], got {bbox!r}")
    try:
        footprint = shape(doc["geometry"]).wkt
    except Exception as exc:  # shapely raises several types for malformed GeoJSON
        raise ProductMetadataError(f"{met_uri}: geometry is not valid GeoJSON: {exc}") from exc
    orbit_state = props.get("sat:orbit_state")
    direction = _DIRECTIONS.get(str(orbit_state)) if orbit_state is not None else None
    if orbit_state is not None and direction is None:
        raise ProductMetadataError(f"{met_uri}: sat:orbit_state must be ascending or descending, got {orbit_state!r}")
    run_id = prov.get("run_id") or ctx.get("run_id")
    if not run_id:
        raise ProductMetadataError(
            f"{met_uri}: required field 'provenance.run_id' is missing (and no run_context run_id)"
        )
    track = props.get("sat:relative_orbit")
    product = {
        "product_id": doc["id"],
        "product_type": props["sarlake:product_type"],
        "track": int(track) if track is not None else None,
        "direction": direction,
        "aoi": props.get("sarlake:aoi"),
        "platform": props.get("platform"),
        "reference_date": _date(met_uri, "sarlake:reference_date", props.get("sarlake:reference_date")),
        "secondary_date": _date(met_uri, "sarlake:secondary_date", props.get("sarlake:secondary_date")),
        "reference_acquisition": props.get("sarlake:reference_id"),
        "secondary_acquisition": props.get("sarlake:secondary_id"),
        "frame": props.get("sarlake:frame"),
        "start_time": _time(met_uri, "start_datetime", props["start_datetime"]),
        "end_time": _time(met_uri, "end_datetime", props["end_datetime"]),
        "west": float(bbox[0]), "south": float(bbox[1]), "east": float(bbox[2]), "north": float(bbox[3]),
        "footprint_wkt": footprint,
        "coherence_mean": props.get("sarlake:coherence_mean"),
        "unwrapped_fraction": props.get("sarlake:unwrapped_fraction"),
        "temporal_baseline_days": props.get("sarlake:temporal_baseline_days"),
        "perpendicular_baseline_m": props.get("sarlake:perpendicular_baseline_m"),
        "uri": met_uri.rsplit("/", 1)[0],
        "met_uri": met_uri,
        "assets": json.dumps(doc.get("assets") or {}, sort_keys=True),
        "pge_name": prov["pge_name"],
        "pge_version": prov["pge_version"],
        "run_id": run_id,
        "version": props.get("sarlake:version"),
        "flags": ",".join(str(f) for f in props.get("sarlake:flags") or []) or None,
    }
    provenance = {
        "product_id": doc["id"],
        "run_id": run_id,
        "pge_name": prov["pge_name"],
        "pge_version": prov["pge_version"],
        "pge_image": prov.get("pge_image") or ctx.get("pge_image"),
        "inputs": [str(i) for i in prov.get("inputs") or []],
        "parameters": json.dumps(prov.get("parameters") or {}, sort_keys=True, default=str),
        "software": json.dumps(prov.get("software") or props.get("processing:software") or {}, sort_keys=True),
        "started_at": _time(met_uri, "provenance.started_at", prov.get("started_at")),
        "finished_at": _time(met_uri, "provenance.finished_at", prov.get("finished_at")),
        "host": prov.get("host"),
        "dag_id": ctx.get("dag_id"),
        "requester": ctx.get("requester"),
        "task_id": ctx.get("task_id"),
        "runner": ctx.get("runner"),
    }
    return product, provenance


def catalogue_products(
    met_uris: list[str], run_context: dict[str, Any] | None = None, settings: Settings | None = None,
    kept: Collection[str] = (),
) -> list[str]:
    """Read met.json files and upsert their ``products`` and ``provenance`` rows.

    All files are read and validated first; if any is invalid nothing is written. A product and its
    provenance appear together: provenance is committed first, under a write-ahead journal record that
    ``lake.verify.repair`` completes if this process dies before the products commit (``lake.journal``).

    Args:
        met_uris: local paths, ``file://`` or ``s3://`` URIs of ``<product>.met.json`` files.
        run_context: Airflow context recorded in provenance (``dag_id``, ``task_id``, ``run_id``, ``runner``).
        settings: the lake settings; default :func:`lake.settings.get_settings`.
        kept: ids of products the run found published and kept rather than made again. Those that had been
            removed (their files kept) are back in the catalogue now: each gets a ``sarlake-return`` provenance
            record of this run (:func:`lake.removal.record_returns`; needs ``run_context``'s ``run_id``).

    Returns:
        The product ids, in input order.

    Raises:
        ProductMetadataError: a file is missing, not JSON, or lacks a required field (named in the message).
    """
    from lake.storage import read_bytes

    settings = settings or get_settings()
    products, provenance = [], []
    for uri in met_uris:
        try:
            raw = read_bytes(uri, settings)
        except (FileNotFoundError, OSError) as exc:
            raise ProductMetadataError(f"{uri}: cannot read the met.json ({exc})") from exc
        try:
            doc = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ProductMetadataError(f"{uri}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
        product, prov = product_rows(uri, doc, run_context)
        products.append(product)
        provenance.append(prov)
    if not products:
        return []
    placement = place(products, settings)  # archived or cached products: lake.placement
    # provenance before products, under a journal record: see lake.journal
    record = journal.begin({"provenance": provenance, "products": products}, settings)
    upsert("provenance", provenance, settings)
    result = upsert("products", products, settings)
    journal.finish(record, settings)
    journal.supersede(record, settings)
    placement.finish(settings)
    logger.info("catalogued %d products (%d new, %d updated, %d unchanged)", len(products),
                result.inserted, result.updated, result.unchanged)
    ids = [p["product_id"] for p in products]
    if kept and run_context and run_context.get("run_id"):
        from lake.removal import record_returns

        kept_now = set(kept)
        record_returns([pid for pid in ids if pid in kept_now], run_context, settings)
    return ids


def record_acquisitions(records: list[Any], settings: Settings | None = None) -> UpsertResult:
    """Upsert acquisitions (``AcquisitionRecord`` objects or row dicts) into the ``acquisitions`` table.

    Args:
        records: the acquisitions.
        settings: the lake settings; default :func:`lake.settings.get_settings`.

    Returns:
        The upsert counts.
    """
    rows = [r.to_row() if hasattr(r, "to_row") else dict(r) for r in records]
    now = datetime.now(UTC)
    for row in rows:
        row.setdefault("discovered_at", now)
    return upsert("acquisitions", rows, settings or get_settings())

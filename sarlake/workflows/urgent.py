"""Urgent response: feed -> ``events`` table -> coseismic pairs per track -> interferograms -> catalogue.

The steps the ``urgent_response`` DAG's tasks call (and that a test can call without Airflow):

1. :func:`evaluate_feed` reads the feed, evaluates every event that is new or revised (same id, newer
   ``updated``) against the stored ``events`` rows, records each with its decision and reason, and returns
   the work to start. A revision of an event whose work is already pending or done starts nothing new; a
   deleted (or downgraded) event whose work is pending is marked ``cancelled``.
2. :func:`plan_coseismic` registers the event's AOI (inactive: forward processing does not pick it up),
   finds the last acquisition before and the first after the origin time on each track and returns the
   staging run-configs; for the simulated archive the post-event scenes carry the event's Okada
   deformation, so the product can be checked against the simulator's truth.
3. :func:`plan_interferograms` makes one interferogram run-config per track (pre, post), skipping events
   cancelled meanwhile; :func:`finish` catalogues the products and marks the events ``done``.
4. :func:`score_coseismic` scores them with the QA champion (``qa_predictions``), together with any earlier
   coseismic product the QA model has not scored (one delivered while no champion existed).
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime
from typing import Any

from sarlake.events import Decision, Event, Rules, evaluate, read_feed

log = logging.getLogger(__name__)

#: Interferogram product type in the ``products`` table.
IFG_PRODUCT_TYPE = "L2_IFG"
#: Radar-grid size the simulated urgent scene aims for (pixels along its longer side).
TARGET_PIXELS = 400
#: Heading of the simulator's ascending tracks (descending: 190, the same footprint growth).
SIMULATED_HEADING_DEG = -10.0


def rules_from_settings(settings: Any = None) -> Rules:
    """The evaluator rules: defaults overridden by ``SARLAKE_URGENT__RULES``.

    Raises:
        ValueError: a rule that does not exist or has a bad value (named in the message).
    """
    from pydantic import ValidationError

    from lake.settings import get_settings

    settings = settings or get_settings()
    try:
        return Rules(**settings.urgent.rules)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(
            f"SARLAKE_URGENT__RULES: {where}: {first['msg']} (fields: {', '.join(Rules.model_fields)})"
        ) from None


def events_watermark() -> datetime | None:
    """Newest revision recorded in the lake (the watcher never goes behind it)."""
    from lake.events import events_watermark as _watermark

    return _watermark()


def _dedupe(events: list[Event]) -> list[Event]:
    """One event per id: its newest revision."""
    newest: dict[str, Event] = {}
    for e in events:
        if e.event_id not in newest or e.revision > newest[e.event_id].revision:
            newest[e.event_id] = e
    return list(newest.values())


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


def aoi_name(event_id: str) -> str:
    """Name of the AOI made for an event."""
    return f"eq-{event_id.lower()}"[:63]


def _work_item(event: Event, decision: Decision) -> dict[str, Any]:
    assert decision.window is not None
    return {
        "event_id": event.event_id,
        "revision": event.revision.isoformat(),
        "time": event.time.isoformat(),
        "lon": event.lon,
        "lat": event.lat,
        "depth_km": event.depth_km,
        "magnitude": event.magnitude,
        "aoi": aoi_name(event.event_id),
        "bbox": list(decision.bbox or ()),
        "radius_km": decision.radius_km,
        "tracks": [t for t, _ in decision.tracks],
        "window": [w.isoformat() for w in decision.window],
    }


def evaluate_feed(
    feed_url: str, *, run_id: str = "", rules: Rules | None = None, settings: Any = None
) -> dict[str, Any]:
    """Evaluate a feed against the ``events`` table and record every new or revised event.

    Args:
        feed_url: path or URL of the feed.
        run_id: the run recorded on each evaluated row.
        rules: evaluator rules; ``SARLAKE_URGENT__RULES`` over the defaults when None.
        settings: the lake settings.

    Returns:
        ``{"work": [item, ...], "cancelled": [event_id, ...], "counts": {...}}``.

    Raises:
        FeedError: the feed cannot be read or parsed (nothing is written).
    """
    from lake.events import record_events, stored_events
    from lake.settings import get_settings

    settings = settings or get_settings()
    rules = rules or rules_from_settings(settings)
    events = _dedupe(read_feed(feed_url))
    stored = stored_events([e.event_id for e in events], settings)
    rows, work, cancelled = [], [], []
    counts = {"seen": len(events), "new": 0, "revised": 0, "unchanged": 0, "triggered": 0}
    for event in events:
        old = stored.get(event.event_id)
        old_revision = _utc(old["updated"] or old["time"]) if old else None
        if old_revision is not None and old_revision >= event.revision:
            counts["unchanged"] += 1
            continue
        counts["revised" if old else "new"] += 1
        decision = evaluate(event, rules)
        state = (old or {}).get("processing") or "none"
        processed = (old or {}).get("processed_updated")
        reason = decision.reason
        if decision.triggered:
            counts["triggered"] += 1
            if state in ("pending", "done"):
                reason += f"; revision of an event whose work is {state}: nothing new started"
            else:
                state, processed = "pending", event.revision
                work.append(_work_item(event, decision))
        elif state == "pending":
            state = "cancelled"
            cancelled.append(event.event_id)
            reason += "; its pending work is cancelled"
        rows.append({
            **event.to_row(),
            "status": event.status, "event_type": event.event_type, "decision": decision.decision,
            "reason": reason, "radius_km": decision.radius_km,
            "aoi": aoi_name(event.event_id) if decision.triggered else (old or {}).get("aoi"),
            "tracks": [t for t, _ in decision.tracks], "processing": state, "processed_updated": processed,
            "run_id": run_id,
        })
    if rows:
        record_events(rows, settings)
    log.info("Feed %s: %s; %d to process, %d cancelled", feed_url, counts, len(work), len(cancelled))
    return {"work": work, "cancelled": cancelled, "counts": counts}


def _dem_bounds() -> list[tuple[float, float, float, float]]:
    from pges.dem import PACKAGED_DEM_DIR, read_dem

    bounds = []
    for path in sorted(PACKAGED_DEM_DIR.iterdir()):
        if path.suffix.lower() in (".hgt", ".tif", ".tiff"):
            bounds.append(read_dem(path).bounds)
    return bounds


def _footprint_fits(box: tuple[float, float, float, float], dem: tuple[float, float, float, float],
                    margin: float) -> bool:
    """Whether the simulator's heading-aligned grid around ``box`` stays inside ``dem`` (minus ``margin``)."""
    w, s, e, n = box
    k = abs(math.sin(math.radians(2 * SIMULATED_HEADING_DEG)))
    coslat = math.cos(math.radians((s + n) / 2))
    half_lon, half_lat = (e - w) / 2, (n - s) / 2
    grow_lon = half_lon + k * half_lat / coslat  # footprint of the rotated rectangle, in degrees
    grow_lat = half_lat + k * half_lon * coslat
    lon0, lat0 = (w + e) / 2, (s + n) / 2
    dw, ds, de, dn = dem
    return (lon0 - grow_lon >= dw + margin and lon0 + grow_lon <= de - margin
            and lat0 - grow_lat >= ds + margin and lat0 + grow_lat <= dn - margin)


def processing_bbox(item: dict[str, Any], source_name: str) -> tuple[float, float, float, float] | None:
    """The area processed for an event: its AOI, cut to where the simulated archive has a DEM.

    For the simulated archive the box is shrunk about its centre until the simulator's radar grid (aligned
    with the track heading, so its lon/lat footprint is larger than the box) fits the packaged DEM, and it
    must still hold the epicentre. Returns None when that is impossible (no packaged DEM there).
    """
    w, s, e, n = item["bbox"]
    if source_name != "simulated":
        return (w, s, e, n)
    margin = 0.03  # the simulator crops the DEM with a margin
    for dem in _dem_bounds():
        dw, ds, de, dn = dem
        box = (max(w, dw), max(s, ds), min(e, de), min(n, dn))
        if not (box[0] < box[2] and box[1] < box[3]):
            continue
        lon0, lat0 = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        for step in range(100, 0, -2):
            f = step / 100
            cand = (lon0 - (lon0 - box[0]) * f, lat0 - (lat0 - box[1]) * f,
                    lon0 + (box[2] - lon0) * f, lat0 + (box[3] - lat0) * f)
            if _footprint_fits(cand, dem, margin):
                if cand[0] <= item["lon"] <= cand[2] and cand[1] <= item["lat"] <= cand[3]:
                    return tuple(round(v, 5) for v in cand)  # type: ignore[return-value]
                break
    return None


def posting_for(bbox: tuple[float, float, float, float], pixels: int = TARGET_PIXELS) -> float:
    """Radar-grid posting (m) that keeps the simulated scene near ``pixels`` on its longer side (40-500 m)."""
    w, s, e, n = bbox
    height_km = (n - s) * 111.2
    width_km = (e - w) * 111.2 * math.cos(math.radians((n + s) / 2))
    return float(min(500.0, max(40.0, round(max(height_km, width_km) * 1000.0 / pixels))))


def okada_source(item: dict[str, Any]) -> dict[str, Any]:
    """The event's Okada (1985) source for the simulator: Wells & Coppersmith fault for M, at the hypocentre.

    Summary feeds carry no focal mechanism, so the simulated event is a thrust on a north-striking plane
    (uplift plus east-west shortening: what a near-polar track's line of sight sees best).
    """
    from pges.simulate.config import OkadaSource

    base = {"kind": "okada", "event_time": item["time"], "magnitude": min(max(item["magnitude"], 4.0), 9.5),
            "mechanism": "reverse", "strike_deg": 0.0, "center_lon": item["lon"], "center_lat": item["lat"]}
    if item.get("depth_km"):
        try:
            OkadaSource(**{**base, "depth_m": item["depth_km"] * 1000.0})
            return {**base, "depth_m": item["depth_km"] * 1000.0}
        except ValueError:
            log.info("Event %s: a fault centred at %s km would break the surface; using the default depth",
                     item["event_id"], item["depth_km"])
    return base


def plan_coseismic(item: dict[str, Any], *, run_id: str = "", settings: Any = None) -> dict[str, Any]:
    """Register the event's AOI and plan the staging of pre- and post-event acquisitions per track.

    Returns:
        ``{"event_id", "aoi", "stage_run_configs": [...], "pairs": [{"track", "pre", "post"}], "status"}``;
        ``status`` is ``unsupported`` when the source cannot image the AOI (the event row says why).
    """
    from lake.aoi import add_aoi
    from lake.catalogue import record_acquisitions
    from lake.events import set_processing
    from lake.settings import get_settings
    from lake.sources import get_source

    settings = settings or get_settings()
    source = get_source(settings)
    bbox = processing_bbox(item, settings.acquisition_source)
    if bbox is None:
        log.warning("Event %s: the %s archive has no DEM under its AOI: nothing to process",
                    item["event_id"], settings.acquisition_source)
        set_processing([item["event_id"]], "unsupported", settings)
        return {"event_id": item["event_id"], "aoi": item["aoi"], "stage_run_configs": [], "pairs": [],
                "status": "unsupported"}
    aoi = add_aoi(item["aoi"], bbox=bbox, tracks=item["tracks"], active=False, settings=settings,
                  description=f"urgent response to {item['event_id']} M{item['magnitude']:g} ({item['time']})")
    start, end = (datetime.fromisoformat(w) for w in item["window"])
    origin = datetime.fromisoformat(item["time"])
    found = source.search(aoi, start, end)
    by_track: dict[int, list[Any]] = {}
    for record in found:
        by_track.setdefault(record.track, []).append(record)
    okada, posting = okada_source(item), posting_for(bbox, settings.urgent.scene_pixels)
    configs, pairs, chosen = [], [], []
    for track, records in sorted(by_track.items()):
        pre = [r for r in records if r.start_time < origin]
        post = [r for r in records if r.start_time > origin]
        if not pre or not post:
            log.warning("Event %s track %d: no %s-event acquisition in the window yet", item["event_id"], track,
                        "pre" if not pre else "post")
            continue
        pair = [max(pre, key=lambda r: r.start_time), min(post, key=lambda r: r.start_time)]
        cfg = source.stage_run_config(pair, run_id=run_id)
        params = cfg["parameters"]
        if params.get("deformation") is not None:  # the simulated archive: add the earthquake to its world
            params["deformation"] = [*params["deformation"], okada]
            params["posting_m"] = posting
        configs.append(cfg)
        chosen += pair
        pairs.append({"event_id": item["event_id"], "aoi": item["aoi"], "track": track,
                      "pre": pair[0].model_dump(mode="json"), "post": pair[1].model_dump(mode="json")})
    if chosen:
        record_acquisitions(chosen, settings)
    log.info("Event %s: %d track(s) to process over %s at %.0f m posting", item["event_id"], len(pairs), bbox,
             posting)
    return {"event_id": item["event_id"], "aoi": item["aoi"], "stage_run_configs": configs, "pairs": pairs,
            "status": "planned"}


def plan_interferograms(plans: list[dict[str, Any]], *, looks: int, run_id: str = "",
                        settings: Any = None) -> list[dict[str, Any]]:
    """One interferogram run-config per planned (pre, post) pair, dropping events cancelled meanwhile."""
    from lake.events import stored_events
    from lake.settings import get_settings

    settings = settings or get_settings()
    ids = sorted({p["event_id"] for p in plans})
    states = {k: v.get("processing") for k, v in stored_events(ids, settings).items()}
    configs = []
    for plan in plans:
        for pair in plan["pairs"]:
            if states.get(pair["event_id"]) == "cancelled":
                log.info("Event %s was cancelled: skipping track %d", pair["event_id"], pair["track"])
                continue
            configs.append({
                "pge": "interferogram",
                "run_id": run_id,
                "inputs": [pair["post"]["uri"], pair["pre"]["uri"]],
                "output_dir": f"{settings.products_root.rstrip('/')}/{IFG_PRODUCT_TYPE}/{pair['aoi']}",
                "parameters": {"looks_range": looks, "looks_azimuth": looks},
            })
    return configs


def finish(results: list[dict[str, Any]], plans: list[dict[str, Any]], *, run_context: dict[str, Any],
           settings: Any = None) -> list[str]:
    """Catalogue the coseismic products and mark their events ``done``; return the product ids."""
    from lake.catalogue import catalogue_products
    from lake.events import set_processing, stored_events
    from lake.settings import get_settings
    from sarlake.workflows.pge import kept_ids

    settings = settings or get_settings()
    met_uris = [p["met_uri"] for r in results if r for p in r.get("products", [])]
    ids = catalogue_products(met_uris, run_context, settings, kept=kept_ids(results)) if met_uris else []
    planned = sorted({p["event_id"] for p in plans if p.get("status") == "planned" and p["pairs"]})
    states = {k: v.get("processing") for k, v in stored_events(planned, settings).items()}
    done = [e for e in planned if states.get(e) == "pending"]  # not those cancelled meanwhile
    set_processing(done, "done", settings)
    log.info("Catalogued %d coseismic products for events %s", len(ids), ", ".join(done) or "none")
    return ids


def fail_pending(run_id: str, settings: Any = None) -> list[str]:
    """Mark ``failed`` the events whose work this (failed) run had started; a later revision retries them."""
    from lake.events import set_processing, stored_events
    from lake.settings import get_settings

    settings = settings or get_settings()
    ids = [k for k, v in stored_events(None, settings).items()
           if v.get("run_id") == run_id and v.get("processing") == "pending"]
    set_processing(ids, "failed", settings)
    return ids


def coseismic_to_score(product_ids: list[str], settings: Any = None, con: Any = None) -> list[str]:
    """``product_ids`` and every earlier coseismic product (of an event's AOI) the QA model has not scored."""
    from lake.query import connect
    from lake.settings import get_settings

    settings = settings or get_settings()
    earlier = (con or connect(settings, catalogue=False)).execute(  # one query: this runs on the urgent path
        "SELECT p.product_id FROM products p WHERE p.product_type = ? "
        "AND p.aoi IN (SELECT aoi FROM events WHERE aoi IS NOT NULL) AND NOT EXISTS ("
        "SELECT 1 FROM qa_predictions q WHERE q.product_id = p.product_id AND q.model_name = ?)",
        [IFG_PRODUCT_TYPE, settings.qa_model_name]).fetchall()
    return sorted({*product_ids, *(r[0] for r in earlier)})


def score_coseismic(product_ids: list[str], *, run_id: str = "") -> list[dict[str, Any]]:
    """Score the coseismic products with the QA champion (``qa_features``, ``qa_predictions``, ``p_error``).

    Returns:
        One record per product scored (empty when there is none).

    Raises:
        ModelMissingError: the registry has no champion (the message names the model, the alias and how to train).
    """
    from lake.query import connect
    from lake.settings import get_settings
    from sarlake.workflows.qa import score_products

    settings = get_settings()
    # one connection for the lookup and the scoring (each costs 1-3 s under load)
    con = connect(settings, catalogue=False)
    ids = coseismic_to_score(product_ids, settings, con=con)
    if not ids:
        return []
    records = score_products(ids, run_id=run_id or "manual", con=con)
    for r in records:
        log.info("QA of %s: p(error) %.3f, UWE class %d (%s v%s)", r["product_id"], r["p_error"], r["uwe_class"],
                 r["model_name"], r["model_version"])
    return records

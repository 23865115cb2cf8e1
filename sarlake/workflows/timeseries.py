"""Select good interferograms -> time series PGE -> catalogue the L3 products (L3_TS and L3_COH).

The same three steps serve both paths that make an L3 product: ``sarlake timeseries`` runs them in one
process (:func:`timeseries_for_aoi`), and the ``timeseries`` DAG runs :func:`plan_timeseries` and
:func:`catalogue_timeseries` as tasks around the PGE task (a subprocess or a pod). Either way the products
are catalogued. The L3 id ends in a hash of the input ids and every parameter
(:func:`pges.timeseries.pge.run_digest`), so planning can tell that the same inputs and settings were
already processed and skip them (the DAG, scheduled on the products Asset, then stops re-triggering
itself), while other settings make another product instead of overwriting.

A series is of one track (one viewing geometry: its line of sight, incidence and heading): an AOI seen from
several tracks gets a series per track (:func:`series_tracks`; the DAG plans each, ``sarlake timeseries`` asks
for ``--track``). Interferograms with no track recorded (files of other processors ingested without one) form a
group of their own.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = ["AUTO_TRACK", "catalogue_timeseries", "largest_network", "plan_series", "plan_timeseries",
           "select_interferograms", "series_tracks", "timeseries_for_aoi"]

log = logging.getLogger(__name__)

#: ``track`` of :func:`plan_timeseries`: the AOI's one track (several are refused, naming them)
AUTO_TRACK: Literal["auto"] = "auto"
#: a track number, None for interferograms with no track recorded, or :data:`AUTO_TRACK`
Track = int | None | Literal["auto"]

_USABLE = ("FROM products WHERE product_type = 'L2_IFG' AND aoi = ? AND (p_error IS NULL OR p_error < ?) "
           "AND (? OR coalesce(status, '') <> 'quarantined')")


def select_interferograms(aoi: str, max_p_error: float, include_quarantined: bool = False,
                          track: int | None = None) -> list[str]:
    """Return the met.json URIs of the AOI's usable L2 interferograms of ``track``, oldest pair first.

    Usable means a QA p(error) below ``max_p_error`` (products not yet scored are used) and, unless
    ``include_quarantined``, not quarantined by the data-quality gate; of those, the pairs of the largest
    network of dates they connect (:func:`largest_network`; e.g. on-demand products of 2024 and forward ones of
    2026 on one AOI share no date, and a series over both has no velocity anywhere).
    """
    return [uri for uri, _ in _select(aoi, max_p_error, include_quarantined, track)]


def series_tracks(aoi: str, max_p_error: float, include_quarantined: bool = False) -> dict[int | None, int]:
    """The tracks of the AOI's usable interferograms, each with its count (None: no track recorded)."""
    from lake.query import connect

    rows = connect(catalogue=False).execute(
        f"SELECT track, count(*) {_USABLE} GROUP BY track ORDER BY track NULLS LAST",
        [aoi, max_p_error, include_quarantined]).fetchall()
    return {(None if t is None else int(t)): int(n) for t, n in rows}


def _track_name(track: int | None) -> str:
    return "no track recorded" if track is None else f"track {track}"


def _select(aoi: str, max_p_error: float, include_quarantined: bool,
            track: int | None) -> list[tuple[str, str]]:
    """The usable interferograms of ``track`` in the largest connected network of dates (the others are logged)."""
    from lake.query import connect

    rows = connect(catalogue=False).execute(
        f"SELECT met_uri, product_id, reference_date, secondary_date {_USABLE} AND track IS NOT DISTINCT FROM ? "
        "ORDER BY secondary_date, reference_date",
        [aoi, max_p_error, include_quarantined, track],
    ).fetchall()
    keep = set(largest_network([(r[2], r[3]) for r in rows]))
    if len(keep) < len(rows):
        left = [r[1] for i, r in enumerate(rows) if i not in keep]
        log.warning("AOI %s, %s: %d of %d usable interferograms share no date with the largest network of dates "
                    "and are left out (a series over networks that nothing ties has no velocity): %s", aoi,
                    _track_name(track), len(left), len(rows), ", ".join(left[:5]) + (" ..." if len(left) > 5 else ""))
    return [(r[0], r[1]) for i, r in enumerate(rows) if i in keep]


def largest_network(pairs: list[tuple[Any, Any]]) -> list[int]:
    """Indices of the pairs ``(reference, secondary)`` in the largest connected network of dates.

    Largest by dates, then interferograms, then the latest date. A pair without both dates cannot be placed:
    then every pair is kept.
    """
    if any(a is None or b is None for a, b in pairs):
        return list(range(len(pairs)))
    parent: dict[Any, Any] = {}

    def root(d: Any) -> Any:
        parent.setdefault(d, d)
        while parent[d] != d:
            parent[d] = parent[parent[d]]
            d = parent[d]
        return d

    for a, b in pairs:
        parent[root(a)] = root(b)
    groups: dict[Any, list[int]] = {}
    for i, (a, _) in enumerate(pairs):
        groups.setdefault(root(a), []).append(i)
    best = max(groups.values(), default=[], key=lambda idx: (
        len({d for i in idx for d in pairs[i]}), len(idx), max(d for i in idx for d in pairs[i])))
    return sorted(best)


def _why_too_few(aoi: str, max_p_error: float, include_quarantined: bool, track: int | None) -> str:
    """What left the track's interferograms out, and the option that lets them in; or how to make some."""
    from lake.query import connect

    [(total, risky, quarantined)] = connect(catalogue=False).execute(
        "SELECT count(*), count(*) FILTER (WHERE p_error >= ?), "
        "count(*) FILTER (WHERE coalesce(status, '') = 'quarantined' AND NOT ?) "
        "FROM products WHERE product_type = 'L2_IFG' AND aoi = ? AND track IS NOT DISTINCT FROM ?",
        [max_p_error, include_quarantined, aoi, track],
    ).fetchall()
    if not total:
        return "run the forward DAG or `sarlake ingest` first"
    out = []
    if risky:
        out.append(f"{risky} of its {total} left out by a QA p(error) of {max_p_error:g} or more: raise "
                   "--max-p-error (SARLAKE_QA_MAX_P_ERROR)")
    if quarantined:
        out.append(f"{quarantined} quarantined by the data-quality gate: --include-quarantined")
    return "; ".join(out) or f"its {total} share no date: no two of them form a connected network"


def _one_track(aoi: str, max_p_error: float, include_quarantined: bool) -> int | None:
    """The track of the AOI's usable interferograms; several are refused, each named with its count."""
    from pges.errors import InputValidationError

    tracks = series_tracks(aoi, max_p_error, include_quarantined)
    if len(tracks) > 1:
        raise InputValidationError(
            f"AOI {aoi!r} has usable interferograms of {len(tracks)} tracks ("
            + ", ".join(f"{_track_name(t)}: {n}" for t, n in tracks.items())
            + "); a time series is of one viewing geometry: name one with --track (the timeseries DAG makes one "
            "per track)")
    return next(iter(tracks), None)


def plan_series(aoi: str, max_p_error: float, parameters: dict[str, Any] | None = None, *, run_id: str = "",
                skip_existing: bool = False) -> list[dict[str, Any]]:
    """The run-configs of ``aoi``'s time series: one per track with 2 usable interferograms and no catalogued twin.

    The tracks without are logged and skipped; what the others would be refused for is raised
    (:func:`plan_timeseries`).
    """
    from lake.exceptions import LakeError

    configs = []
    for track in series_tracks(aoi, max_p_error) or [None]:
        try:
            cfg = plan_timeseries(aoi, max_p_error, False, parameters, run_id=run_id, skip_existing=skip_existing,
                                  track=track)
        except LakeError as exc:  # fewer than 2 good interferograms: nothing to do for this track yet
            log.info("AOI %s, %s skipped: %s", aoi, _track_name(track), exc)
            continue
        if cfg is not None:
            configs.append(cfg)
    return configs


def plan_timeseries(aoi: str, max_p_error: float = 0.5, include_quarantined: bool = False,
                    parameters: dict[str, Any] | None = None, *, run_id: str = "",
                    skip_existing: bool = False, track: Track = AUTO_TRACK) -> dict[str, Any] | None:
    """Build the time-series run-config of ``aoi``'s ``track`` (None when ``skip_existing`` and it is catalogued).

    ``track``: a track number, None for the interferograms with no track recorded, or :data:`AUTO_TRACK` for
    the AOI's only one.

    Interferograms rolled to the DAAC archive are brought back to the hot lake first, for
    ``SARLAKE_DAAC__CACHE_TTL_DAYS`` (:func:`lake.archive_cache.require_hot`); with
    ``SARLAKE_DAAC__RESTORE_ON_DEMAND=false`` planning stops instead, naming them and ``sarlake archive restore``.

    Raises:
        InvalidNameError: ``aoi`` breaks the naming rule of :mod:`lake.names`.
        InvalidAOIError: no such AOI.
        LakeError: fewer than two usable interferograms, or archived ones that cannot (or may not) be restored.
        InputValidationError: invalid parameters (checked here, before any PGE runs); ``AUTO_TRACK`` on an AOI
            whose usable interferograms are of several tracks (named, with ``--track``).
    """
    from lake.aoi import require_aoi
    from lake.archive_cache import require_hot
    from lake.exceptions import LakeError
    from lake.names import join_under
    from lake.query import connect
    from lake.settings import get_settings
    from pges import registry
    from pges.contract import parse_run_config
    from pges.errors import InputValidationError
    from pges.timeseries.pge import run_digest

    settings = get_settings()
    require_aoi(aoi, settings)
    output_dir = join_under(settings.products_root, "L3_TS", aoi, what="output folder")
    if not 0 <= max_p_error <= 1:  # NaN too: `p_error < NaN` holds for every product, which would filter none
        raise InputValidationError(f"max_p_error {max_p_error!r} is not a probability 0..1 (--max-p-error, "
                                   "SARLAKE_QA_MAX_P_ERROR)")
    chosen = _one_track(aoi, max_p_error, include_quarantined) if isinstance(track, str) else track
    rows = _select(aoi, max_p_error, include_quarantined, chosen)
    if len(rows) < 2:
        on = "" if chosen is None else f" on track {chosen}"
        raise LakeError(f"AOI {aoi!r} has {len(rows)} usable interferogram(s){on}; a time series needs at least 2 "
                        f"({_why_too_few(aoi, max_p_error, include_quarantined, chosen)})")
    params: dict[str, Any] = {"aoi": aoi, **(parameters or {})}
    cfg = {
        "pge": "timeseries", "run_id": run_id, "inputs": [uri for uri, _ in rows],
        "output_dir": output_dir, "parameters": params,
    }
    checked = parse_run_config(registry.get("timeseries").run_config_model(), cfg, pge="timeseries")
    digest = run_digest([pid for _, pid in rows], checked.parameters)
    if skip_existing:
        # fetchall: no result left open when the connection is dropped
        done = next(iter(connect(catalogue=False).execute(
            "SELECT count(*) FROM products WHERE product_type = 'L3_TS' AND product_id LIKE ?", [f"%-{digest}"]
        ).fetchall()), None)
        if done and done[0]:
            log.info("AOI %s: the time series of these %d interferograms and settings (%s) is catalogued",
                     aoi, len(rows), digest)
            return None
    if require_hot([pid for _, pid in rows], f"the time series of AOI {aoi!r}", settings).done:
        cfg["inputs"] = [uri for uri, _ in _select(aoi, max_p_error, include_quarantined, chosen)]  # hot copies
    return cfg


def catalogue_timeseries(results: list[dict[str, Any]], run_context: dict[str, Any]) -> list[str]:
    """Catalogue the products of time-series PGE results (the L3_TS and L3_COH met.json files)."""
    from lake.catalogue import catalogue_products

    met_uris = [p["met_uri"] for r in results if r for p in r.get("products", [])]
    if not met_uris:
        return []
    return catalogue_products(met_uris, {"task_id": "timeseries", **run_context})


def timeseries_for_aoi(aoi: str, max_p_error: float = 0.5, include_quarantined: bool = False,
                       parameters: dict[str, Any] | None = None,
                       track: Track = AUTO_TRACK) -> tuple[list[str], list[str], int]:
    """Make and catalogue an L3 time series for ``aoi``'s ``track`` from its good interferograms.

    Returns:
        The catalogued product ids, the met.json URIs written, and the number of interferograms used.

    Raises:
        InvalidNameError: ``aoi`` breaks the naming rule of :mod:`lake.names`.
        InvalidAOIError: no such AOI.
        LakeError: fewer than two usable interferograms.
        InputValidationError: ``AUTO_TRACK`` on an AOI seen from several tracks.
    """
    from sarlake.workflows.pge import run_pge

    run_id = f"manual__timeseries__{datetime.now(UTC):%Y%m%dT%H%M%S}"
    cfg = plan_timeseries(aoi, max_p_error, include_quarantined, parameters, run_id=run_id, track=track)
    assert cfg is not None
    result = run_pge("timeseries", cfg)
    met_uris = [p["met_uri"] for p in result["products"]]
    ids = catalogue_timeseries([result], {"run_id": run_id, "runner": "local"})
    return ids, met_uris, len(cfg["inputs"])

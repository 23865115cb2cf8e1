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
from typing import Any, Literal

from lake.exceptions import LakeError
from sarlake.workflows.pge import manual_run_id
from sarlake.workflows.timeseries_select import (
    largest_network,
    only_track,
    select_interferograms,
    series_tracks,
    track_name,
    usable_pairs,
    why_too_few,
)

__all__ = ["AUTO_TRACK", "SeriesArchived", "archived_same_version", "catalogue_timeseries", "catalogued_series",
           "largest_network", "plan_series", "plan_timeseries", "select_interferograms", "series_tracks",
           "timeseries_for_aoi"]

log = logging.getLogger(__name__)

#: ``track`` of :func:`plan_timeseries`: the AOI's one track (several are refused, naming them)
AUTO_TRACK: Literal["auto"] = "auto"
#: a track number, None for interferograms with no track recorded, or :data:`AUTO_TRACK`
Track = int | None | Literal["auto"]

def plan_series(aoi: str, max_p_error: float, parameters: dict[str, Any] | None = None, *, run_id: str = "",
                skip_existing: bool = False) -> list[dict[str, Any]]:
    """The run-configs of ``aoi``'s time series: one per track with 2 usable interferograms and no catalogued twin.

    The tracks without are logged and skipped; what the others would be refused for is raised
    (:func:`plan_timeseries`).
    """
    configs = []
    for track in series_tracks(aoi, max_p_error) or [None]:
        try:
            cfg = plan_timeseries(aoi, max_p_error, False, parameters, run_id=run_id, skip_existing=skip_existing,
                                  track=track)
        except LakeError as exc:  # fewer than 2 good interferograms: nothing to do for this track yet
            log.info("AOI %s, %s skipped: %s", aoi, track_name(track), exc)
            continue
        if cfg is not None:
            configs.append(cfg)
    return configs


def plan_timeseries(aoi: str, max_p_error: float = 0.5, include_quarantined: bool = False,
                    parameters: dict[str, Any] | None = None, *, run_id: str = "",
                    skip_existing: bool = False, track: Track = AUTO_TRACK) -> dict[str, Any] | None:
    """Build the time-series run-config of ``aoi``'s ``track`` (None when its product is catalogued and not made).

    ``track``: a track number, None for the interferograms with no track recorded, or :data:`AUTO_TRACK` for
    the AOI's only one. The product of the same interferograms and settings (the same id) is not made again when
    ``skip_existing``, nor when it is archived (or cached from the archive) as the installed PGE would make it
    (:class:`SeriesArchived`).

    Interferograms rolled to the DAAC archive are brought back to the hot lake first, for
    ``SARLAKE_DAAC__CACHE_TTL_DAYS`` (:func:`lake.archive_cache.require_hot`); with
    ``SARLAKE_DAAC__RESTORE_ON_DEMAND=false`` planning stops instead, naming them and ``sarlake archive restore``.

    Raises:
        InvalidNameError: ``aoi`` breaks the naming rule of :mod:`lake.names`.
        InvalidAOIError: no such AOI.
        LakeError: fewer than two usable interferograms, or archived ones that cannot (or may not) be restored.
        SeriesArchived: the product is archived as the installed PGE would make it (a LakeError).
        InputValidationError: invalid parameters (checked here, before any PGE runs); ``AUTO_TRACK`` on an AOI
            whose usable interferograms are of several tracks (named, with ``--track``).
    """
    from lake.aoi import require_aoi
    from lake.archive_cache import require_hot
    from lake.names import join_under
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
    chosen = only_track(aoi, max_p_error, include_quarantined) if isinstance(track, str) else track
    rows = usable_pairs(aoi, max_p_error, include_quarantined, chosen)
    if len(rows) < 2:
        on = "" if chosen is None else f" on track {chosen}"
        raise LakeError(f"AOI {aoi!r} has {len(rows)} usable interferogram(s){on}; a time series needs at least 2 "
                        f"({why_too_few(aoi, max_p_error, include_quarantined, chosen)})")
    params: dict[str, Any] = {"aoi": aoi, **(parameters or {})}
    cfg = {
        "pge": "timeseries", "run_id": run_id, "inputs": [uri for uri, _ in rows],
        "output_dir": output_dir, "parameters": params,
    }
    checked = parse_run_config(registry.get("timeseries").run_config_model(), cfg, pge="timeseries")
    twin = catalogued_series(run_digest([pid for _, pid in rows], checked.parameters))
    if twin and skip_existing:
        log.info("AOI %s: the time series of these %d interferograms and settings is catalogued as %s (%s)",
                 aoi, len(rows), twin["product_id"], twin["tier"] or "hot")
        return None
    if twin and archived_same_version(twin):
        raise SeriesArchived(twin, len(rows))
    if require_hot([pid for _, pid in rows], f"the time series of AOI {aoi!r}", settings).done:
        cfg["inputs"] = [uri for uri, _ in usable_pairs(aoi, max_p_error, include_quarantined, chosen)]  # hot copies
    return cfg


def catalogued_series(digest: str) -> dict[str, Any] | None:
    """The L3_TS product whose id ends in ``digest`` (:func:`pges.timeseries.pge.run_digest`).

    Returns:
        Its ``product_id``, ``tier``, ``version`` and ``met_uri``; None when none is catalogued.
    """
    from lake.query import connect

    fields = ("product_id", "tier", "version", "met_uri")
    rows = connect(catalogue=False).execute(
        f"SELECT {', '.join(fields)} FROM products WHERE product_type = 'L3_TS' AND product_id LIKE ? "
        "ORDER BY product_id LIMIT 1", [f"%-{digest}"]).fetchall()
    return dict(zip(fields, rows[0], strict=True)) if rows else None


class SeriesArchived(LakeError):
    """The time series asked for is in the DAAC archive as the installed PGE would make it: it is not made again.

    Made again, it would restore every archived interferogram it reads and compute the product the archive already
    holds, only to become its cached copy (:mod:`lake.placement`); ``sarlake archive restore`` brings that copy back
    without either.
    ``series`` is :func:`catalogued_series`'s record.
    """

    def __init__(self, series: dict[str, Any], used: int) -> None:
        self.series, self.used = series, used
        pid, cached = series["product_id"], series["tier"] == "cached"
        where = f"{'cached from the archive' if cached else 'archived'} at {series['met_uri']}"
        hint = "" if cached else f" (`sarlake archive restore {pid}` caches a copy back)"
        super().__init__(f"the time series of these {used} interferograms and settings is {pid}, {where}: not made "
                         f"again{hint}")


def archived_same_version(series: dict[str, Any]) -> bool:
    """True for a series archived (or cached from the archive) that the installed PGE would make again as it is.

    Made again, its copy would be the archived product again (the same version); a new version is a new product,
    hot again (:mod:`lake.placement`).
    """
    from pges import __version__

    return series["tier"] in ("archive", "cached") and series["version"] == __version__


def catalogue_timeseries(results: list[dict[str, Any]], run_context: dict[str, Any]) -> list[str]:
    """Catalogue the products of time-series PGE results (the L3_TS and L3_COH met.json files)."""
    from lake.catalogue import catalogue_products
    from sarlake.workflows.pge import kept_ids

    met_uris = [p["met_uri"] for r in results if r for p in r.get("products", [])]
    if not met_uris:
        return []
    return catalogue_products(met_uris, {"task_id": "timeseries", **run_context}, kept=kept_ids(results))


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
        SeriesArchived: the series is in the DAAC archive as the installed PGE would make it; not made again.
        InputValidationError: ``AUTO_TRACK`` on an AOI seen from several tracks.
    """
    from sarlake.workflows.pge import run_pge

    run_id = manual_run_id("timeseries")
    cfg = plan_timeseries(aoi, max_p_error, include_quarantined, parameters, run_id=run_id, track=track)
    assert cfg is not None
    result = run_pge("timeseries", cfg)
    met_uris = [p["met_uri"] for p in result["products"]]
    ids = catalogue_timeseries([result], {"run_id": run_id, "runner": "local"})
    return ids, met_uris, len(cfg["inputs"])

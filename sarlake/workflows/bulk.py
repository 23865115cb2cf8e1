"""Bulk reprocessing: a date range across AOIs and tracks, with a chosen PGE version and parameters.

Idempotent and resumable: :func:`plan` drops every pair that already has a product of the requested PGE
version (or newer), so a second run does nothing and a run after a crash halfway does only the rest; pairs
whose product was made by an older version are *outdated* and run again (the new product has a new id,
``-v{version}``, and the old one stays in the lake).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sarlake.workflows.form_nulls import FormList

log = logging.getLogger(__name__)

IFG_PRODUCT_TYPE = "L2_IFG"
#: The Airflow pool bulk PGE tasks run in: smaller than the executor's parallelism, so forward, on-demand
#: and urgent tasks always find a free slot (``airflow pools set bulk 2 ...``, done by ``make up``).
BULK_POOL = "bulk"


class BulkRequest(BaseModel):
    """A validated bulk request (the ``bulk`` DAG's params)."""

    model_config = ConfigDict(extra="forbid")

    aois: FormList[str] = Field(default_factory=list, description="AOI names; empty means every active AOI.")
    tracks: FormList[int] = Field(default_factory=list, description="Tracks; empty means each AOI's own.")
    start_date: date = Field(..., description="First acquisition date (UTC).")
    end_date: date = Field(..., description="Last acquisition date (UTC).")
    neighbours: int = Field(2, ge=1, le=10, description="Nearest-n sequential pairs per acquisition.")
    pge_version: str = Field("latest", description="Interferogram PGE version.")
    unwrapper: Literal["snaphu", "quality"] = Field("snaphu", description="Phase unwrapper.")
    looks: int = Field(4, ge=1, le=32, description="Looks in range and azimuth.")

    @model_validator(mode="after")
    def _order(self) -> BulkRequest:
        if self.end_date <= self.start_date:
            raise ValueError(f"end_date {self.end_date} must be after start_date {self.start_date}")
        return self


def validate_request(params: dict[str, Any], *, runner: str = "local") -> dict[str, Any]:
    """Validate a bulk request; resolve its AOIs and PGE version.

    Returns:
        The request as a dict with ``version`` (the resolved PGE version), ``image`` (its registered image when
        the runner is ``kubernetes``, else None) and ``aoi_records``.

    Raises:
        ValueError: one line naming what is wrong.
    """
    from lake.aoi import list_aois
    from sarlake.workflows.versions import resolve

    try:
        request = BulkRequest(**params)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"bulk: {where + ': ' if where else ''}{first['msg'].removeprefix('Value error, ')}") from None
    known = {a.name: a for a in list_aois(active_only=not request.aois)}
    unknown = sorted(set(request.aois) - set(known))
    if unknown:
        names = ", ".join(sorted(known)) or "none"
        raise ValueError(f"bulk: unknown AOI {', '.join(map(repr, unknown))}; AOIs: {names}")
    chosen = [known[n] for n in (request.aois or sorted(known))]
    resolved = resolve("interferogram", request.pge_version, runner=runner)
    return {**request.model_dump(mode="json"), "version": resolved["version"], "image": resolved["image"],
            "aoi_records": [a.model_dump(mode="json") for a in chosen]}


def _done_pairs(aois: list[str], version: str) -> set[tuple[str, str]]:
    """(reference, secondary) acquisitions that already have a product of ``version`` or newer."""
    from lake.query import connect
    from sarlake.workflows.versions import version_key

    if not aois:
        return set()
    rows = connect(catalogue=False).execute(
        "SELECT reference_acquisition, secondary_acquisition, version FROM products "
        "WHERE product_type = ? AND list_contains(?, aoi)", [IFG_PRODUCT_TYPE, sorted(aois)]).fetchall()
    wanted = version_key(version)
    return {(r[0], r[1]) for r in rows if version_key(r[2]) >= wanted}


def plan(request: dict[str, Any], *, run_id: str = "", settings: Any = None) -> dict[str, Any]:
    """Search every AOI and track in the date range; plan staging and the pairs still to make.

    Returns:
        ``{"stage": [run-config, ...], "pairs": [{"aoi", "reference", "secondary"}], "skipped": n}``.
    """
    from lake.aoi import AOI
    from lake.catalogue import record_acquisitions
    from lake.pairing import nearest_pairs
    from lake.settings import get_settings
    from lake.sources import get_source

    settings = settings or get_settings()
    source = get_source(settings)
    start = datetime.combine(date.fromisoformat(request["start_date"]), time(0), tzinfo=UTC)
    end = datetime.combine(date.fromisoformat(request["end_date"]) + timedelta(days=1), time(0), tzinfo=UTC)
    done = _done_pairs([a["name"] for a in request["aoi_records"]], request["version"])
    stage, pairs, found_all = [], [], []
    skipped = 0
    for record in request["aoi_records"]:
        aoi = AOI(**record)
        if request["tracks"]:
            aoi = aoi.model_copy(update={"tracks": request["tracks"]})
        groups: dict[tuple, list[Any]] = {}
        for acq in source.search(aoi, start, end):
            groups.setdefault((acq.track, acq.frame), []).append(acq)
        for records in groups.values():
            by_id = {r.acquisition_id: r for r in records}
            all_pairs = nearest_pairs(records, aoi.pairing_neighbours or request["neighbours"])
            todo = [p for p in all_pairs if (p.reference_id, p.secondary_id) not in done]
            skipped += len(all_pairs) - len(todo)
            if not todo:
                continue
            needed = sorted({i for p in todo for i in (p.reference_id, p.secondary_id)})
            stage.append(source.stage_run_config([by_id[i] for i in needed], run_id=run_id))
            found_all += [by_id[i] for i in needed]
            pairs += [{"aoi": aoi.name, "reference": by_id[p.reference_id].model_dump(mode="json"),
                       "secondary": by_id[p.secondary_id].model_dump(mode="json")} for p in todo]
    if found_all:
        record_acquisitions(found_all, settings)
    log.info("bulk: %d pairs to make, %d already made at v%s or newer", len(pairs), skipped, request["version"])
    return {"stage": stage, "pairs": pairs, "skipped": skipped}


def interferogram_run_configs(request: dict[str, Any], planned: dict[str, Any], *, run_id: str = "",
                              settings: Any = None) -> list[dict[str, Any]]:
    """One interferogram run-config per planned pair (with the image of the requested version, for pods)."""
    from lake.settings import get_settings
    from sarlake.workflows.versions import IMAGE_KEY

    settings = settings or get_settings()
    image = {IMAGE_KEY: request["image"]} if request.get("image") else {}
    return [
        {
            **image,
            "pge": "interferogram",
            "run_id": run_id,
            "inputs": [p["reference"]["uri"], p["secondary"]["uri"]],
            "output_dir": f"{settings.products_root.rstrip('/')}/{IFG_PRODUCT_TYPE}/{p['aoi']}",
            "parameters": {"looks_range": request["looks"], "looks_azimuth": request["looks"],
                           "unwrap": {"method": request["unwrapper"]}},
        }
        for p in planned["pairs"]
    ]

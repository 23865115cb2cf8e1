"""On-demand processing: one user's request (an AOI or a bbox, a date pair or range) -> interferograms.

:class:`OnDemandRequest` validates the request before any work starts: exactly one of AOI and bbox, a
bbox that is a bbox, dates in order, a known PGE version. :func:`plan` then registers an AOI for a bbox
request, searches the acquisition source and returns the staging run-configs and the pairs:
``pairing="endpoints"`` makes one interferogram between the first and the last acquisition of the
range (a date pair), ``pairing="sequential"`` pairs each acquisition with its ``neighbours`` nearest
earlier ones.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sarlake.workflows.form_nulls import FormList, FormText

log = logging.getLogger(__name__)

IFG_PRODUCT_TYPE = "L2_IFG"


class OnDemandRequest(BaseModel):
    """A validated on-demand request (the ``on_demand`` DAG's params plus the requester)."""

    model_config = ConfigDict(extra="forbid")

    aoi: FormText = Field("", description="Name of a stored AOI; empty when bbox is given.")
    bbox: list[float] | None = Field(None, description="west, south, east, north (degrees) instead of an AOI.")
    start_date: date = Field(..., description="First acquisition date searched (UTC).")
    end_date: date = Field(..., description="Last acquisition date searched (UTC).")
    pairing: Literal["endpoints", "sequential"] = Field("endpoints", description="Date pair, or pairs across.")
    neighbours: int = Field(2, ge=1, le=10, description="Sequential pairs per acquisition.")
    tracks: FormList[int] = Field(default_factory=list, description="Tracks; empty means the AOI's or the default.")
    pge_version: str = Field("latest", description="Interferogram PGE version ('latest' or MAJOR.MINOR.PATCH).")
    unwrapper: Literal["snaphu", "quality"] = Field("snaphu", description="Phase unwrapper.")
    looks: int = Field(4, ge=1, le=32, description="Looks in range and azimuth.")
    requester: str = Field("", description="Who asked (the logged-in Airflow user).")

    @model_validator(mode="after")
    def _check(self) -> OnDemandRequest:
        if bool(self.aoi) == (self.bbox is not None):
            raise ValueError("give exactly one of aoi (a stored AOI name) and bbox (west south east north)")
        if self.bbox is not None:
            if len(self.bbox) != 4:
                raise ValueError(f"bbox must be 4 numbers (west, south, east, north), got {len(self.bbox)}")
            w, s, e, n = self.bbox
            if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
                crossing = (" (west > east would cross the antimeridian: request each side of 180 degrees on its "
                            "own)" if -180 <= e < w <= 180 else "")
                raise ValueError(f"bbox {self.bbox} is not west < east and south < north within -180..180 / "
                                 f"-90..90 degrees{crossing}")
        if self.end_date <= self.start_date:
            raise ValueError(f"end_date {self.end_date} must be after start_date {self.start_date}")
        if self.end_date - self.start_date > timedelta(days=3660):
            raise ValueError("the date range is longer than 10 years: split the request or use the bulk DAG")
        return self


def validate_request(params: dict[str, Any], requester: str = "", *, runner: str = "local") -> OnDemandRequest:
    """Validate the params of a request and its PGE version.

    Raises:
        ValueError: one line naming the field and what is wrong (the run fails before any work).
    """
    from sarlake.workflows.versions import resolve

    try:
        request = OnDemandRequest(**{**params, "requester": requester or params.get("requester", "")})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        prefix = f"{where}: " if where else ""
        raise ValueError(f"on_demand: {prefix}{first['msg'].removeprefix('Value error, ')}") from None
    if request.aoi:
        from lake.aoi import get_aoi

        if get_aoi(request.aoi) is None:
            raise ValueError(
                f"on_demand: aoi: no AOI called {request.aoi!r} (add it with `sarlake aoi add` or give a bbox)"
            )
    resolve("interferogram", request.pge_version, runner=runner)
    return request


def _request_aoi(request: OnDemandRequest) -> Any:
    from lake.aoi import add_aoi, get_aoi

    if request.aoi:
        return get_aoi(request.aoi)
    digest = hashlib.sha1(",".join(f"{v:.5f}" for v in request.bbox or []).encode()).hexdigest()[:8]
    return add_aoi(f"od-{digest}", bbox=request.bbox, tracks=request.tracks, active=False,
                   description=f"on-demand bbox requested by {request.requester or 'unknown'}")


def plan(request: OnDemandRequest, *, run_id: str = "", settings: Any = None) -> dict[str, Any]:
    """Search the acquisitions of the request and plan staging and pairs.

    Returns:
        ``{"aoi", "stage_run_configs": [...], "pairs": [{"aoi", "reference", "secondary"}]}`` (records as dicts).
    """
    from lake.catalogue import record_acquisitions
    from lake.pairing import nearest_pairs
    from lake.settings import get_settings
    from lake.sources import get_source

    settings = settings or get_settings()
    source = get_source(settings)
    aoi = _request_aoi(request)
    if request.tracks:
        aoi = aoi.model_copy(update={"tracks": request.tracks})
    start = datetime.combine(request.start_date, time(0), tzinfo=UTC)
    end = datetime.combine(request.end_date + timedelta(days=1), time(0), tzinfo=UTC)
    found = source.search(aoi, start, end)
    by_group: dict[tuple, list[Any]] = {}
    for record in found:
        by_group.setdefault((record.track, record.frame), []).append(record)
    configs, pairs = [], []
    for records in by_group.values():
        records = sorted(records, key=lambda r: r.start_time)
        if len(records) < 2:
            continue
        if request.pairing == "endpoints":
            chosen, group_pairs = [records[0], records[-1]], [(records[-1], records[0])]
        else:
            chosen = records
            by_id = {r.acquisition_id: r for r in records}
            group_pairs = [(by_id[p.reference_id], by_id[p.secondary_id])
                           for p in nearest_pairs(records, request.neighbours)]
        configs.append(source.stage_run_config(chosen, run_id=run_id))
        pairs += [{"aoi": aoi.name, "reference": ref.model_dump(mode="json"), "secondary": sec.model_dump(mode="json")}
                  for ref, sec in group_pairs]
    if found:
        record_acquisitions([r for c in by_group.values() for r in c], settings)
    if not pairs:
        log.warning("No pair of acquisitions over %s between %s and %s", aoi.name, request.start_date,
                    request.end_date)
    else:
        log.info("%s, %s..%s: %d acquisitions, %d scene group(s) to stage, %d pair(s)", aoi.name,
                 request.start_date, request.end_date, len(found), len(configs), len(pairs))
    return {"aoi": aoi.name, "stage_run_configs": configs, "pairs": pairs}


def interferogram_run_configs(request: OnDemandRequest, planned: dict[str, Any], *, run_id: str = "",
                              settings: Any = None) -> list[dict[str, Any]]:
    """One interferogram run-config per planned pair, with the request's unwrapper and looks.

    With the ``kubernetes`` runner each run-config also names the image of the requested PGE version
    (``pge_image``, from ``pge_versions``), so the pods run that version and its provenance records the image.
    """
    from lake.settings import get_settings
    from sarlake.workflows.versions import IMAGE_KEY, resolve

    settings = settings or get_settings()
    image = resolve("interferogram", request.pge_version, runner=settings.runner, settings=settings)["image"]
    return [
        {
            **({IMAGE_KEY: image} if image else {}),
            "pge": "interferogram",
            "run_id": run_id,
            "inputs": [pair["reference"]["uri"], pair["secondary"]["uri"]],
            "output_dir": f"{settings.products_root.rstrip('/')}/{IFG_PRODUCT_TYPE}/{pair['aoi']}",
            "parameters": {"looks_range": request.looks, "looks_azimuth": request.looks,
                           "unwrap": {"method": request.unwrapper}},
        }
        for pair in planned["pairs"]
    ]

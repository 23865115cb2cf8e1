"""Where new acquisitions come from: the ``AcquisitionSource`` protocol and the simulated archive.

The simulated archive is a deterministic Sentinel-1-like archive over an AOI: for each track (the AOI's
tracks, or track 44 ascending by default) one acquisition every 12 days from a fixed epoch, at a fixed
time of day per track, over one frame whose id is derived from the AOI bounding box. The ``simulate`` PGE
materialises an acquisition at exactly the ``uri`` given here when run with :func:`simulate_run_config`.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from lake.settings import Settings, get_settings

__all__ = [
    "AcquisitionRecord",
    "AcquisitionSource",
    "SimulatedArchive",
    "frame_id",
    "get_source",
    "simulate_run_config",
]

logger = logging.getLogger(__name__)

#: First acquisition of the default track (44); other tracks are offset by whole days.
EPOCH = datetime(2024, 1, 3, 5, 0, 0, tzinfo=UTC)
REPEAT_DAYS = 12
DEFAULT_TRACK = 44
SENSING_SECONDS = 27
S1_WAVELENGTH_M = 0.05546576
#: The known signal the simulated archive puts under every AOI: a Mogi (1958) source inflating at its centre,
#: at the rate of volcanic unrest (about 15 cm/yr of uplift above a 3.5 km deep source, like Campi Flegrei's
#: recent rate), so the products and time series carry a deformation whose truth is saved beside each SLC.
SIMULATED_DEFORMATION: tuple[dict[str, Any], ...] = (
    {"kind": "mogi", "volume_rate_m3_per_yr": 8.0e6, "depth_m": 3500.0},
)


class AcquisitionRecord(BaseModel):
    """One acquisition, as found by a source (a row of the ``acquisitions`` table)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    acquisition_id: str
    aoi: str | None = None
    mission: str = "S1"
    platform: str = "sentinel-1a"
    track: int = Field(..., ge=1, le=175)
    direction: str = Field(..., pattern="^[AD]$")
    frame: str
    start_time: datetime
    end_time: datetime
    footprint_wkt: str
    bbox: tuple[float, float, float, float]
    beam_mode: str = "IW"
    polarization: str = "VV"
    wavelength_m: float = S1_WAVELENGTH_M
    perpendicular_baseline_m: float | None = None
    uri: str
    source: str = "simulated"

    @property
    def date(self) -> date:
        """Acquisition date (UTC)."""
        return self.start_time.date()

    def to_row(self) -> dict[str, Any]:
        """Row of the ``acquisitions`` table."""
        row = self.model_dump(exclude={"bbox"})
        row["west"], row["south"], row["east"], row["north"] = self.bbox
        return row

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict (for XCom)."""
        return self.model_dump(mode="json")


@runtime_checkable
class AcquisitionSource(Protocol):
    """A searchable archive of acquisitions (simulated, ASF, ...)."""

    #: The PGE that stages (simulates, downloads) this source's acquisitions before pairing.
    stage_pge: str

    def search(self, aoi: Any, start: datetime, end: datetime) -> list[AcquisitionRecord]:
        """Acquisitions over ``aoi`` (anything with ``name``, ``bbox`` and ``tracks``) with start in [start, end)."""
        ...

    def stage_run_config(self, records: list[AcquisitionRecord], run_id: str) -> dict[str, Any]:
        """Run-config of ``stage_pge`` that makes ``records`` (one track and frame) available at their ``uri``."""
        ...


def frame_id(bbox: tuple[float, float, float, float] | list[float]) -> str:
    """Frame id of an AOI bounding box: 4 hex chars of a hash of the rounded bbox."""
    text = ",".join(f"{float(v):.4f}" for v in bbox)
    return hashlib.sha1(text.encode()).hexdigest()[:4]


def track_direction(track: int) -> str:
    """Orbit direction the simulated archive gives a track: track 44 and even tracks A, odd tracks D."""
    return "A" if track % 2 == 0 else "D"


def track_epoch(track: int) -> datetime:
    """First simulated acquisition of a track: the epoch shifted by whole days and a per-track time of day."""
    day_offset = (track - DEFAULT_TRACK) % REPEAT_DAYS
    second_offset = ((track - DEFAULT_TRACK) * 211) % 3600
    return EPOCH + timedelta(days=day_offset, seconds=second_offset)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class SimulatedArchive:
    """Deterministic Sentinel-1-like archive (``settings.acquisition_source == "simulated"``)."""

    stage_pge = "simulate"

    def __init__(self, settings: Settings | None = None) -> None:
        """Bind the archive to ``settings.archive_root``."""
        self.settings = settings or get_settings()

    def stage_run_config(self, records: list[AcquisitionRecord], run_id: str) -> dict[str, Any]:
        """Run-config of the ``simulate`` PGE that materialises ``records`` (see :func:`simulate_run_config`)."""
        return simulate_run_config(records, self.settings, run_id)

    def search(self, aoi: Any, start: datetime, end: datetime) -> list[AcquisitionRecord]:
        """Acquisitions over ``aoi`` with start time in ``[start, end)``, sorted by track then time.

        Args:
            aoi: an :class:`lake.aoi.AOI` (or anything with ``name``, ``bbox``, ``tracks``).
            start: window start (naive means UTC).
            end: window end, exclusive.

        Returns:
            The acquisitions.
        """
        from shapely import box, to_wkt

        start, end = _utc(start), _utc(end)
        west, south, east, north = (float(v) for v in aoi.bbox)
        bbox = (west, south, east, north)
        frame = frame_id(bbox)
        footprint = to_wkt(box(*bbox), rounding_precision=6)
        tracks = sorted(set(getattr(aoi, "tracks", None) or [DEFAULT_TRACK]))
        records = []
        period = timedelta(days=REPEAT_DAYS)
        for track in tracks:
            epoch = track_epoch(track)
            k = -((epoch - start) // period)  # first k with epoch + k*period >= start
            when = epoch + k * period
            direction = track_direction(track)
            while when < end:
                acq_id = f"SIM_S1_IW_SLC_{direction}{track:03d}_F{frame}_{when:%Y%m%dT%H%M%S}"
                records.append(AcquisitionRecord(
                    acquisition_id=acq_id,
                    aoi=aoi.name,
                    platform="sentinel-1a",
                    track=track,
                    direction=direction,
                    frame=frame,
                    start_time=when,
                    end_time=when + timedelta(seconds=SENSING_SECONDS),
                    footprint_wkt=footprint,
                    bbox=bbox,  # type: ignore[arg-type]
                    perpendicular_baseline_m=_baseline(acq_id),
                    uri=f"{self.settings.archive_root.rstrip('/')}/{track:03d}/{frame}/{acq_id}/{acq_id}.met.json",
                    source="simulated",
                ))
                when += period
        return records


def _baseline(acq_id: str) -> float:
    """Deterministic perpendicular baseline in metres (-150..150) from the acquisition id."""
    h = int(hashlib.sha1(acq_id.encode()).hexdigest()[:8], 16)
    return round(h / 0xFFFFFFFF * 300.0 - 150.0, 2)


def simulate_run_config(records: list[AcquisitionRecord], settings: Settings | None, run_id: str) -> dict[str, Any]:
    """Run-config for the ``simulate`` PGE that materialises ``records`` (one track and frame).

    Args:
        records: acquisitions from :class:`SimulatedArchive`, all of one track, direction and frame.
        settings: the lake settings (for ``archive_root``).
        run_id: run id recorded in provenance.

    Returns:
        The run-config dict.

    Raises:
        ValueError: no records, or records of several tracks/frames.
    """
    if not records:
        raise ValueError("simulate_run_config needs at least one acquisition")
    groups = {(r.track, r.direction, r.frame, tuple(r.bbox)) for r in records}
    if len(groups) != 1:
        raise ValueError(f"acquisitions span {len(groups)} track/frame groups; make one run-config per group")
    track, direction, frame, bbox = groups.pop()
    aois = {r.aoi for r in records}
    settings = settings or get_settings()
    return {
        "pge": "simulate",
        "run_id": run_id,
        "inputs": [],
        "output_dir": f"{settings.archive_root.rstrip('/')}/{track:03d}/{frame}",
        "parameters": {
            "bbox": list(bbox),
            "track": track,
            "direction": direction,
            "frame": frame,
            "aoi": aois.pop() if len(aois) == 1 else None,
            "deformation": [dict(d) for d in SIMULATED_DEFORMATION],
            "acquisitions": [
                {"id": r.acquisition_id, "start_time": r.start_time.astimezone(UTC).isoformat().replace("+00:00", "Z")}
                for r in sorted(records, key=lambda r: r.start_time)
            ],
        },
    }


def get_source(settings: Settings | None = None) -> AcquisitionSource:
    """Return the acquisition source named by ``settings.acquisition_source``."""
    settings = settings or get_settings()
    if settings.acquisition_source == "simulated":
        return SimulatedArchive(settings)
    import importlib

    module_name, _, attr = settings.acquisition_source.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"SARLAKE_ACQUISITION_SOURCE={settings.acquisition_source!r} cannot be imported ({exc}); "
                         "use 'simulated' or 'package.module:Class'") from exc
    source = factory(settings)
    missing = [m for m in ("search", "stage_pge", "stage_run_config") if not hasattr(source, m)]
    if missing:
        raise ValueError(f"SARLAKE_ACQUISITION_SOURCE={settings.acquisition_source!r} lacks {', '.join(missing)} "
                         "of lake.sources.AcquisitionSource")
    return source  # type: ignore[no-any-return]

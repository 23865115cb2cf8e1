"""Interferogram networks: which acquisitions to pair."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["Pair", "nearest_pairs"]


class Pair(BaseModel):
    """An interferometric pair: reference = later acquisition, secondary = earlier (ARIA convention)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reference_id: str
    secondary_id: str
    reference_date: date
    secondary_date: date
    track: int
    direction: str
    frame: str

    @property
    def temporal_baseline_days(self) -> int:
        """Days from secondary to reference."""
        return (self.reference_date - self.secondary_date).days

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict (for XCom)."""
        return self.model_dump(mode="json")


def _get(acq: Any, name: str) -> Any:
    return acq[name] if isinstance(acq, dict) else getattr(acq, name)


def nearest_pairs(acquisitions: Iterable[Any], n: int) -> list[Pair]:
    """Nearest-``n`` sequential pairs within each (track, direction, frame).

    Each acquisition is paired with the ``n`` acquisitions that follow it in time (same track, direction
    and frame), so a stack of ``k`` dates yields ``sum(min(n, k - 1 - i))`` pairs. Acquisitions on the
    same date as an earlier one are dropped (one scene per date).

    Args:
        acquisitions: records or dicts with ``acquisition_id``, ``track``, ``direction``, ``frame`` and
            ``start_time``.
        n: neighbours per acquisition (>= 1).

    Returns:
        Pairs sorted by track, direction, frame, secondary date, reference date.

    Raises:
        ValueError: ``n < 1``.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    stacks: dict[tuple[int, str, str], dict[date, Any]] = defaultdict(dict)
    for acq in acquisitions:
        start = _get(acq, "start_time")
        day = start.date() if isinstance(start, datetime) else date.fromisoformat(str(start)[:10])
        stack = stacks[(int(_get(acq, "track")), str(_get(acq, "direction")), str(_get(acq, "frame")))]
        if day not in stack or str(_get(acq, "acquisition_id")) < str(_get(stack[day], "acquisition_id")):
            stack[day] = acq
    pairs = []
    for (track, direction, frame), stack in sorted(stacks.items()):
        days = sorted(stack)
        for i, secondary_day in enumerate(days):
            for reference_day in days[i + 1 : i + 1 + n]:
                pairs.append(Pair(
                    reference_id=_get(stack[reference_day], "acquisition_id"),
                    secondary_id=_get(stack[secondary_day], "acquisition_id"),
                    reference_date=reference_day,
                    secondary_date=secondary_day,
                    track=track,
                    direction=direction,
                    frame=frame,
                ))
    return pairs

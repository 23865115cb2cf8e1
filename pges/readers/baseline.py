"""The perpendicular baseline of a pair, in sarlake's convention, from what each processor writes.

sarlake's convention (the ``interferogram`` PGE's): ``B_perp(later) - B_perp(earlier)``, metres, the two taken
relative to one reference orbit. Processors write a pair's baseline as *second minus first* of their own order of
the pair (a per-date value relative to a reference date, subtracted), so the order decides the sign:

=================  ===============================================  ================================================
format             where                                            order of the pair (value = B(second) - B(first))
=================  ===============================================  ================================================
MintPy             ``bperp`` (n,) of ``ifgramStack.h5``             ``date[i]`` = (date1, date2): its design matrix
                                                                    has -1 at date1, +1 at date2 (``objects/stack.py``
                                                                    ``get_design_matrix4timeseries``)
ROI_PAC            ``.rsc`` ``P_BASELINE_TOP_HDR``/``_BOTTOM_HDR``  ``DATE12`` (master-slave); the mean of top and
                   (or ``<date1>_<date2>_baseline.rsc`` beside)     bottom, as MintPy's ``stackDict`` takes it
HyP3               ``<base>.txt`` ``Baseline:``                     reference then secondary granule (hyp3-gamma
                                                                    ``base_init reference secondary``; hyp3-isce2
                                                                    topsApp ``Bperp``, secondary relative to reference)
ARIA GUNW          ``imagingGeometry/perpendicularBaseline`` cube   secondary relative to the reference, which is the
                                                                    LATER date: negated (MintPy's ``prep_aria.py``:
                                                                    "date2_date1 -> date1_date2")
LiCSAR             the frame's ``metadata/baselines``               one value per epoch relative to the frame's
                                                                    reference epoch (LiCSBAS ``read_bperp_file``,
                                                                    ``LiCSBAS11``: secondary minus primary)
SNAP BEAM-DIMAP    ``Abstracted_Metadata/Baselines/Ref_<d1>/``      ``Secondary_<d2>``'s relative to ``Ref_<d1>``
                   ``Secondary_<d2>`` ``Perp Baseline``              (s1tbx ``InSARStackOverview.IfgPair``:
                                                                    jlinda ``Baseline.model(master, slave)``)
=================  ===============================================  ================================================

ISCE2 and GMTSAR stacks write one baseline per date for the whole stack: :mod:`pges.readers.stack_baselines`.

A value that is not a finite number is left out with a warning naming the file and key, as the readers do with the
rest of a file's geometry (heading, incidence): the interferogram itself is fine. A file that says nothing leaves
None, never 0.
"""

from __future__ import annotations

import logging
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from pges.readers.common import parse_date

__all__ = ["baseline_number", "epoch_baselines", "from_epochs", "later_minus_earlier", "roipac_baseline",
           "snap_baseline"]

logger = logging.getLogger(__name__)

_NUMBER = re.compile(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(?:m)?\s*$")
#: the date in a SNAP baseline element's name: Ref_15Jan2024, Secondary_08Feb2024, Master: 15Jan2024, Slave: ...
_SNAP_DAY = re.compile(r"(\d{1,2}[A-Za-z]{3}\d{4})")


def baseline_number(text: object, *, what: str, key: str) -> float | None:
    """A baseline in metres, or None (with a warning naming ``what`` and ``key``) when it is not a finite number."""
    m = _NUMBER.match(str(text))
    value = float(m.group(1)) if m else math.nan
    if not math.isfinite(value):
        logger.warning("%s: %s is %r, not a number; the perpendicular baseline is left out", what, key, str(text))
        return None
    return value


def later_minus_earlier(value: float, first: date, second: date) -> float:
    """``B(later) - B(earlier)`` from a processor's ``value = B(second) - B(first)`` of its own order of the pair."""
    return value if second > first else -value


def from_epochs(per_epoch: Mapping[date, float], first: date, second: date, *, what: str) -> float | None:
    """``B(later) - B(earlier)`` from per-date baselines to one reference; None (logged) when a date lacks one."""
    missing = [d.isoformat() for d in (first, second) if d not in per_epoch]
    if missing:
        logger.warning("%s: no perpendicular baseline for %s; the pair's is left out", what, " and ".join(missing))
        return None
    later, earlier = max(first, second), min(first, second)
    return per_epoch[later] - per_epoch[earlier]


def roipac_baseline(rsc: Mapping[str, str], first: date, second: date, *, what: str) -> float | None:
    """A ROI_PAC header's baseline: the mean of ``P_BASELINE_TOP_HDR`` and ``_BOTTOM_HDR``, DATE12 = first-second.

    MintPy (``prep_roipac.py``, ``stackDict.get_perp_baseline``) reads the same keys and the same order. One of the two
    alone is taken as it is. None when the header has neither or one is not a number.
    """
    values = []
    for key in ("P_BASELINE_TOP_HDR", "P_BASELINE_BOTTOM_HDR"):
        if key in rsc:
            value = baseline_number(rsc[key], what=what, key=key)
            if value is None:
                return None
            values.append(value)
    if not values:
        return None
    return later_minus_earlier(sum(values) / len(values), first, second)


def epoch_baselines(path: Path) -> Mapping[date, float]:
    """Per-date baselines of a LiCSAR/LiCSBAS ``baselines`` file, relative to the frame's reference epoch.

    LiCSAR's format (LiCSBAS ``LiCSBAS_io_lib.read_bperp_file``), one line per epoch: ``refdate date bperp btemp``
    (the reference epoch's baseline is 0); the old format ``num mdate sdate bp dt dt_m_sm dt_s_sm bp_m_sm bp_s_sm``
    gives each of ``mdate`` and ``sdate`` its baseline to the single reference (the last two columns). A line that
    is neither, or whose numbers do not read, is left out with a warning.

    Read once per process (a frame's file serves every pair of the frame), and again when it changes: its
    modification time is part of the cache's key.
    """
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = -1  # read anyway: the reading says what is wrong
    return _epoch_baselines(Path(path), stamp)


@lru_cache(maxsize=16)
def _epoch_baselines(path: Path, _stamp: int) -> Mapping[date, float]:
    """:func:`epoch_baselines` of a file as it was at modification time ``_stamp``."""
    out: dict[date, float] = {}
    what = path.name
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError as exc:
        logger.warning("%s: unreadable (%s); no perpendicular baselines", path, exc)
        return MappingProxyType(out)
    for n, line in enumerate(lines, 1):
        cols = line.split()
        if not cols:
            continue
        try:
            if len(cols) == 4:
                pairs = [(cols[0], "0"), (cols[1], cols[2])]
            elif len(cols) == 9:
                pairs = [(cols[1], cols[7]), (cols[2], cols[8])]
            else:
                raise ValueError(f"{len(cols)} columns, not 4 (refdate date bperp btemp) or 9 (LiCSBAS's old format)")
            for day, text in pairs:
                value = baseline_number(text, what=what, key=f"line {n}")
                if value is not None:
                    out.setdefault(parse_date(day, what=f"{what} line {n}"), value)
        except ValueError as exc:  # InputValidationError (a date that is none) is one
            logger.warning("%s: line %d: %s; left out", what, n, exc)
    return MappingProxyType(out)


def _snap_day(name: str | None) -> date | None:
    m = _SNAP_DAY.search(name or "")
    try:
        return datetime.strptime(m.group(1), "%d%b%Y").date() if m else None
    except ValueError:
        return None


def snap_baseline(root: ET.Element, pair: tuple[date, date], *, what: str) -> float | None:
    """The pair's baseline from a BEAM-DIMAP's ``Baselines`` (the product's own, the first one), or None.

    s1tbx lists, under ``Ref_<date>`` (older: ``Master: <date>``), each ``Secondary_<date>`` (``Slave: <date>``) with
    its ``Perp Baseline`` relative to that reference; the element of either date of the pair as reference serves.
    """
    found = next((e for e in root.iter("MDElem") if e.get("name") == "Baselines"), None)
    for ref in [] if found is None else found.findall("MDElem"):
        first = _snap_day(ref.get("name"))
        if first not in pair:
            continue
        second = pair[1] if first == pair[0] else pair[0]
        for sec in ref.findall("MDElem"):
            attr = sec.find("MDATTR[@name='Perp Baseline']")
            if _snap_day(sec.get("name")) == second and attr is not None:
                value = baseline_number(attr.text, what=what, key=f"Baselines/{ref.get('name')}/{sec.get('name')}")
                return None if value is None else later_minus_earlier(value, first, second)
    return None

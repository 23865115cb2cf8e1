"""Perpendicular baselines that stack processors write once for the whole stack, beside their interferograms.

=====================  =========================================================  ===================================
processor              file (in the stack folder, found up to four folders above  value
                       the interferogram)
=====================  =========================================================  ===================================
ISCE2 ``topsStack``    ``baselines/<ref>_<sec>/<ref>_<sec>.txt``: a                ``Bperp (average)`` of each swath,
                       ``swath: IW1`` line then ``Bperp (average): 62.6`` per       their mean: the secondary's
                       swath                                                       relative to the stack reference
ISCE2 ``stripmapStack``  ``baselines/<ref>_<sec>.txt``: ``PERP_BASELINE_TOP``/      the mean of top and bottom
                       ``PERP_BASELINE_BOTTOM`` lines
ISCE3/dolphin stacks   ``baselines/<ref>_<sec>.txt``: ``Bperp average (m): -19.1``  as written
GMTSAR                 ``baseline_table.dat`` (or ``raw/baseline_table.dat``): one  ``b_perp`` (5th column), relative
                       line per scene ``file_ID yyyyddd.fraction day_cnt b_para     to the stack's master; the date is
                       b_perp``                                                    the ``YYYYMMDD`` in ``file_ID``
=====================  =========================================================  ===================================

Each gives one baseline per date relative to one reference date (MintPy reads them so: ``isce_utils
.read_baseline_timeseries``, ``prep_gmtsar.read_baseline_table``), so a pair's is ``B(later) - B(earlier)``
(:func:`pges.readers.baseline.from_epochs`). A value that does not read is left out with a warning naming the file, as
the other baselines are; a stack without such a file leaves the baseline unknown (None), never 0.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from pges.errors import InputValidationError
from pges.readers.baseline import baseline_number, from_epochs
from pges.readers.common import dates_in_name, parse_date

__all__ = ["gmtsar_stack_baseline", "isce_stack_baseline"]

logger = logging.getLogger(__name__)

#: the keys a baseline line starts with: topsStack's per swath, ISCE3/dolphin's, stripmapStack's two
_ISCE_KEYS = ("bperp (average)", "bperp average (m)", "perp_baseline_top", "perp_baseline_bottom")
_YYYYMMDD = re.compile(r"(?<!\d)((?:19|20)\d{6})(?!\d)")


def _ancestors(path: Path, levels: int) -> list[Path]:
    return [*Path(path).parents][:levels]


def isce_stack_baseline(path: Path, pair: tuple[date, date]) -> float | None:
    """``B(later) - B(earlier)`` of ``pair`` from the ``baselines/`` folder of the ISCE stack of ``path``, or None."""
    folder = next((a / "baselines" for a in _ancestors(path, 4) if (a / "baselines").is_dir()), None)
    if folder is None:
        return None
    files = sorted(folder.glob("*.txt")) + sorted(folder.glob("*/*.txt"))
    per_epoch = _isce_epochs(tuple((f, f.stat().st_mtime_ns) for f in files))
    return from_epochs(per_epoch, *pair, what=str(folder)) if per_epoch else None


def gmtsar_stack_baseline(path: Path, pair: tuple[date, date]) -> float | None:
    """``B(later) - B(earlier)`` of ``pair`` from the GMTSAR stack's ``baseline_table.dat``, or None."""
    table = next((t for a in _ancestors(path, 3) for t in (a / "baseline_table.dat", a / "raw" / "baseline_table.dat")
                  if t.is_file()), None)
    if table is None:
        return None
    per_epoch = _gmtsar_epochs(table, table.stat().st_mtime_ns)
    return from_epochs(per_epoch, *pair, what=str(table)) if per_epoch else None


# A stack's files are read once per process, not once per pair (a stack of N dates has up to N^2 / 2 pairs),
# and again only when they change (each file's modification time is part of the key).

@lru_cache(maxsize=16)
def _isce_epochs(files: tuple[tuple[Path, int], ...]) -> Mapping[date, float]:
    """Per-date baselines of an ISCE2 ``baselines/`` folder's files (each with its modification time).

    0 for the stack reference (every file's first date), each file's value for its second date.
    """
    per_epoch: dict[date, float] = {}
    for txt, _ in files:
        named = dates_in_name(txt.name)
        if named is None:
            continue
        value = _isce_value(txt)
        if value is not None:
            per_epoch.setdefault(named[0], 0.0)
            per_epoch[named[1]] = value
    return MappingProxyType(per_epoch)


def _isce_value(txt: Path) -> float | None:
    """The mean of a baseline file's values (one per swath, or top and bottom), or None when none reads."""
    values = []
    for line in txt.read_text(errors="replace").splitlines():
        key, _, rest = line.partition(":") if ":" in line else line.strip().partition(" ")
        key = key.strip()
        if key.lower() in _ISCE_KEYS:
            value = baseline_number(rest, what=txt.name, key=key)
            if value is None:
                return None
            values.append(value)
    return sum(values) / len(values) if values else None


@lru_cache(maxsize=16)
def _gmtsar_epochs(table: Path, _stamp: int) -> Mapping[date, float]:
    """Per-date ``b_perp`` of a GMTSAR ``baseline_table.dat``, dated by the ``YYYYMMDD`` in each file ID."""
    per_epoch: dict[date, float] = {}
    for n, line in enumerate(table.read_text(errors="replace").splitlines(), 1):
        cols = line.split()
        if not cols or cols[0].startswith("#"):
            continue
        day = _YYYYMMDD.search(cols[0])
        if len(cols) < 5 or day is None:
            logger.warning("%s: line %d is not 'file_ID yyyyddd day_cnt b_para b_perp' with a YYYYMMDD in its "
                           "file_ID; left out", table, n)
            continue
        value = baseline_number(cols[4], what=table.name, key=f"line {n} b_perp")
        try:
            if value is not None:
                per_epoch[parse_date(day.group(1), what=f"{table.name} line {n}")] = value
        except InputValidationError as exc:  # eight digits that are no date
            logger.warning("%s; left out", exc)
    return MappingProxyType(per_epoch)

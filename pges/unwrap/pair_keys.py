"""Which objects of an ``s3://`` prefix to download when only some pairs are asked for (``pairs``).

A prefix of many wrapped interferograms was downloaded whole before ``pairs`` chose one of them, so unwrapping one
pair of a large stack could exceed the download limits. Most processors name an interferogram's file or folder
after its two dates (ROI_PAC ``geo_060619-061002.int``, ISCE2 ``interferograms/20240127_20240220/``, ARIA's GUNW
``...-tops-20240220_20240127-...``). :func:`keeps` leaves out the objects whose name carries *another* pair of
dates; what names no pair (headers of a whole run, a MintPy ``ifgramStack.h5``, a single-date file) and what names
an asked pair is downloaded as before. An HDF5 stack is always kept: its name may carry its date span. Dates are read
as ``YYYYMMDD`` or ``YYMMDD`` (1980-2079) runs of digits; two in one path component make a pair.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

__all__ = ["keeps", "pair_in"]

_DIGITS = re.compile(r"(?<!\d)(\d{8}|\d{6})(?!\d)")
_STACKS = (".h5", ".he5", ".hdf5")


def _date(token: str) -> str | None:
    """``YYYYMMDD`` of a date token, None when it is no valid date."""
    if len(token) == 6:
        token = ("19" if int(token[:2]) >= 80 else "20") + token
    try:
        day = date(int(token[:4]), int(token[4:6]), int(token[6:]))
    except ValueError:
        return None
    return day.strftime("%Y%m%d") if 1980 <= day.year <= 2079 else None


def pair_in(key: str) -> frozenset[str] | None:
    """The pair of dates the last path component of ``key`` naming two dates carries; None when none does."""
    for part in reversed(key.split("/")):
        dates = [d for d in (_date(t) for t in _DIGITS.findall(part)) if d]
        if len(dates) >= 2 and dates[0] != dates[1]:
            return frozenset(dates[:2])
    return None


def keeps(pairs: list[str]) -> Callable[[str], bool]:
    """A filter of object keys under a prefix: False for one whose name carries a pair of dates not in ``pairs``."""
    wanted = {frozenset(p.split("_")) for p in pairs}

    def keep(key: str) -> bool:
        if key.lower().endswith(_STACKS):
            return True
        named = pair_in(key)
        return named is None or named in wanted

    return keep

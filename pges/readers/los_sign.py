"""Which way a phase band in a length (mm, cm, m) of line-of-sight change points: toward the satellite or away.

A band in radians has one sign (positive = range increase, as ROI_PAC, ISCE and GAMMA write it). A band in a
length has two in use, and its unit cannot tell them apart:

* ``away``: positive = range increase, the sign of the phase. PyRate's millimetres (``DATA_UNITS``,
  ``shared.Ifg.convert_to_mm``: ``mm = phase * wavelength * 1000 / (4 pi)``).
* ``toward``: positive = motion toward the satellite (range decrease, uplift). HyP3's ``los_disp.tif`` ("Positive
  values indicate movement towards the sensor", hyp3-gamma's ``los_disp_tif.xml`` template), MintPy's
  displacement, sarlake's own ``los_displacement.tif`` (band description "LOS displacement, positive towards the
  satellite").

:func:`length_sign` takes, in this order: ``--los-sign``; what the file says (a band description or tag with
"positive ... toward(s)" / "away" / "range decrease" / "range increase"); PyRate's ``DATA_UNITS`` tag (PyRate's
sign). A length with none of these is refused: read the wrong way, every displacement and velocity made from it
would point the other way.
"""

from __future__ import annotations

import logging
import re
from typing import Literal

from pges.errors import InputValidationError

__all__ = ["LOS_SIGNS", "LosSign", "declared_sign", "length_sign"]

logger = logging.getLogger(__name__)

LosSign = Literal["toward", "away"]
#: ``--los-sign`` choices: what a positive length means
LOS_SIGNS: tuple[LosSign, ...] = ("toward", "away")

_DECLARED = re.compile(r"positive[^.;]{0,60}?\b(towards?|away|range decrease|range increase)\b")
_WORDS: dict[str, LosSign] = {"toward": "toward", "towards": "toward", "range decrease": "toward", "away": "away",
                              "range increase": "away"}
#: the unit tag PyRate writes (``DATA_UNITS = MILLIMETRES``): its lengths have the sign of the phase
_PYRATE_UNIT_TAG = "DATA_UNITS"


def declared_sign(tags: dict[str, str]) -> tuple[LosSign, str] | None:
    """The sign a file states for its band, and the tag it states it in (``_DESCRIPTION``: the band description).

    Args:
        tags: upper-cased tag names (:func:`pges.readers.geotiff.read_geotiff_band`), values as written.
    """
    for key in ("_DESCRIPTION", *sorted(k for k in tags if not k.startswith("_"))):
        found = _DECLARED.search(tags.get(key, "").lower())
        if found:
            return _WORDS[found.group(1)], key
    return None


def length_sign(tags: dict[str, str], unit_key: str, los_sign: LosSign | None, *, what: str, units: str) -> float:
    """+1 when a positive length is a range increase (the phase's sign), -1 when it is motion toward the satellite.

    Args:
        tags: the file's tags, as :func:`declared_sign` takes them.
        unit_key: the tag the unit came from (``_UNITS``: GDAL's band unit type).
        los_sign: ``--los-sign``; overrides what the file says.
        what: the file, named in the error.
        units: the unit as written, named in the error.

    Raises:
        InputValidationError: nothing says which way the length points and no ``los_sign`` was given.
    """
    declared = declared_sign(tags)
    if los_sign is not None:
        if declared is not None and declared[0] != los_sign:
            logger.warning("%s: --los-sign %s overrides the file's own %s (%s)", what, los_sign, declared[0],
                           "band description" if declared[1] == "_DESCRIPTION" else declared[1])
        sign, source = los_sign, "--los-sign"
    elif declared is not None:
        sign, source = declared[0], "band description" if declared[1] == "_DESCRIPTION" else declared[1]
    elif unit_key == _PYRATE_UNIT_TAG:
        sign, source = "away", "PyRate's DATA_UNITS"
    else:
        where = "band unit type" if unit_key == "_UNITS" else unit_key
        raise InputValidationError(
            f"{what}: phase in {units} ({where}) and nothing in the file says which way a positive length points: "
            "toward the satellite (HyP3, MintPy, sarlake's los_displacement) or away from it (PyRate's "
            "millimetres); give --los-sign toward or --los-sign away")
    logger.info("%s: positive %s is %s the satellite (%s)", what, units, "toward" if sign == "toward" else
                "away from", source)
    return -1.0 if sign == "toward" else 1.0

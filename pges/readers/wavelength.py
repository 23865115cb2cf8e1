"""The radar wavelength from the metadata conventions of the common InSAR processors.

Looked up case-insensitively in a flat ``{key: value}`` mapping (GeoTIFF/GDAL tags, a ROI_PAC ``.rsc``, a
GAMMA ``.par``, MintPy/HDF5 attributes, a GMTSAR ``.PRM``, ISCE XML properties):

=============================  ==========  =========================================================
key                            unit        written by
=============================  ==========  =========================================================
``WAVELENGTH``                 m           ROI_PAC ``.rsc``, MintPy attributes, GDAL's ROI_PAC driver
``WAVELENGTH_METRES``          m           PyRate GeoTIFFs (GAMMA/ROI_PAC converted by PyRate)
``RADAR_WAVELENGTH``           m           GMTSAR ``.PRM`` (``radar_wavelength``), ISCE (``radarwavelength``)
``RADARWAVELENGTH``            m           ISCE2 ``*Proc.xml`` / reference ``IW*.xml``
``SARLAKE:WAVELENGTH_M``       m           sarlake's own GeoTIFFs
``RADAR_FREQUENCY``            Hz          GAMMA ``.par`` (``radar_frequency: 5.331e9 Hz``)
``CENTRE_FREQUENCY``/``CENTER_FREQUENCY``  Hz  GAMMA ISP ``.par`` variants, SNAP
``SAR:CENTER_FREQUENCY``       GHz         STAC ``sar`` extension
=============================  ==========  =========================================================

A value found is checked (:func:`pges.readers.validate.check_wavelength`); none found returns ``None`` and
the reader raises :func:`pges.readers.validate.missing_wavelength`, which names ``--wavelength``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pges.readers.validate import WavelengthError, check_wavelength

__all__ = ["LOOKED_FOR", "SENTINEL1_FREQUENCY_HZ", "SENTINEL1_WAVELENGTH_M", "SPEED_OF_LIGHT", "resolve_wavelength",
           "wavelength_from_metadata"]

SPEED_OF_LIGHT = 299_792_458.0
#: Sentinel-1's radar frequency, Hz (ESA, Sentinel-1 SAR User Guide: C band, 5.405 GHz; LiCSBAS02's fixed value)
SENTINEL1_FREQUENCY_HZ = 5.405e9
#: Sentinel-1's wavelength, m (c / 5.405 GHz): the default of every reader whose file names it Sentinel-1
SENTINEL1_WAVELENGTH_M = SPEED_OF_LIGHT / SENTINEL1_FREQUENCY_HZ

_METRES = ("WAVELENGTH", "WAVELENGTH_METRES", "RADAR_WAVELENGTH", "RADARWAVELENGTH", "SARLAKE:WAVELENGTH_M",
           "WAVELENGTH_M")
_HERTZ = ("RADAR_FREQUENCY", "CENTRE_FREQUENCY", "CENTER_FREQUENCY", "CARRIER_FREQUENCY")
_GIGAHERTZ = ("SAR:CENTER_FREQUENCY",)

#: What the error says was looked for.
LOOKED_FOR = "WAVELENGTH, WAVELENGTH_METRES, radar_wavelength, radar_frequency"


def _number(text: object, *, what: str, key: str) -> float:
    m = re.match(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?nan|[-+]?inf)", str(text), re.IGNORECASE)
    if m is None:
        raise WavelengthError(f"{what}: {key} is {str(text)!r}, not a number; give --wavelength METRES")
    return float(m.group(1))


def wavelength_from_metadata(meta: Mapping[str, object], *, what: str) -> tuple[float, str] | None:
    """Return ``(wavelength_m, key)`` from the first convention present in ``meta``, or None.

    Args:
        meta: header keys and values (any case; values may carry units: ``5.331e9 Hz``).
        what: the file, named in errors.

    Raises:
        WavelengthError: the key is there but its value is not a number or not a radar wavelength.
    """
    upper = {str(k).upper().strip(): v for k, v in meta.items()}
    for key in _METRES:
        if key in upper:
            value = _number(upper[key], what=what, key=key)
            return check_wavelength(value, what=what, field=key), key
    for key, scale in [(k, 1.0) for k in _HERTZ] + [(k, 1e9) for k in _GIGAHERTZ]:
        if key in upper:
            freq = _number(upper[key], what=what, key=key) * scale
            if not freq > 0:
                raise WavelengthError(f"{what}: {key} is {upper[key]!r}, not a radar frequency; give --wavelength "
                                      "METRES")
            return check_wavelength(SPEED_OF_LIGHT / freq, what=what, field=f"{key} {upper[key]}"), key
    return None


def resolve_wavelength(
    user_m: float | None, meta: Mapping[str, object], *, what: str, looked_for: str = LOOKED_FOR,
    default: tuple[float, str] | None = None,
) -> tuple[float, str]:
    """The wavelength to use: the user's ``--wavelength`` wins (a correction), else the metadata's, else ``default``.

    ``default`` is what the reader knows otherwise, e.g. :func:`pges.readers.hyp3.hyp3_wavelength` of a HyP3 name.

    Returns:
        ``(metres, source)``, source being ``--wavelength`` or the header key.

    Raises:
        WavelengthError: neither gives one (the message names ``--wavelength``), or it is out of range.
    """
    from pges.readers.validate import missing_wavelength

    if user_m is not None:
        return check_wavelength(user_m, what=what, field="--wavelength"), "--wavelength"
    found = wavelength_from_metadata(meta, what=what) or default
    if found is None:
        raise missing_wavelength(what, looked_for)
    return found

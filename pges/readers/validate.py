"""Checks every reader runs before an interferogram may be published: geometry, units, ranges, data types.

Each check raises :class:`pges.errors.InputValidationError` with one line that names the file, the field
that is wrong, the value, and (where one exists) the flag that fixes it, e.g.::

    geo_060619-061002.unw.rsc: X_STEP is nan, not a finite non-zero pixel size in degrees
    ifg.tif: wavelength -5 m (tag WAVELENGTH) is not a radar wavelength (0.001..1 m); give --wavelength METRES

A grid is checked by its four corners: finite, non-zero steps, longitudes within -180..360 (0..360 grids
are common) and latitudes within -90..90. Phase rasters must be floating point (unwrapped) or complex
(wrapped): integer phase is a quantised export or the wrong file.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from rasterio.transform import Affine

from pges.errors import InputValidationError

__all__ = [
    "MAX_WAVELENGTH_M",
    "MIN_WAVELENGTH_M",
    "WavelengthError",
    "check_grid",
    "check_phase_dtype",
    "check_phase_values",
    "check_wavelength",
    "missing_wavelength",
]

#: values that processors write where there is no data; when a file declares no no-data value and one of these
#: covers :data:`FILL_SHARE` of its pixels, it is an undeclared fill, not phase
FILL_VALUES = (-9999.0, 9999.0, -32768.0, -32767.0, 32767.0, -3.4028234663852886e38, 3.4028234663852886e38)
FILL_SHARE = 0.005
#: no unwrapped phase in radians reaches this (0.45 km of C-band range change)
MAX_ABS_PHASE_RAD = 1e5

MIN_WAVELENGTH_M = 0.001  # Ka band is ~8 mm
MAX_WAVELENGTH_M = 1.0  # P band is ~70 cm


class WavelengthError(InputValidationError):
    """The file gives no usable radar wavelength: none, not a number, or not a radar's.

    The message names ``--wavelength``. A caller that reads the phase in radians and never uses the wavelength
    (``sarlake qa score``) catches this type, not the message, to read the file with a wavelength of its own.
    """


def check_wavelength(value: float, *, what: str, field: str) -> float:
    """Return ``value`` (m) when it is a radar wavelength.

    Args:
        value: the wavelength, metres.
        what: the file it came from (named in the error).
        field: the header key or flag it came from.

    Raises:
        InputValidationError: not finite or outside 0.001..1 m.
    """
    if not (isinstance(value, int | float) and math.isfinite(value)) or not (
        MIN_WAVELENGTH_M < value < MAX_WAVELENGTH_M
    ):
        raise WavelengthError(
            f"{what}: wavelength {value} m ({field}) is not a radar wavelength "
            f"({MIN_WAVELENGTH_M}..{MAX_WAVELENGTH_M} m); give --wavelength METRES"
        )
    return float(value)


def missing_wavelength(what: str, looked_for: str) -> WavelengthError:
    """The error for an input whose metadata carries no wavelength: it names the CLI flag."""
    return WavelengthError(
        f"{what}: no radar wavelength in its metadata (looked for {looked_for}); "
        "give it with --wavelength METRES (e.g. 0.05546576 for Sentinel-1)"
    )


def check_grid(
    transform: Affine, shape: tuple[int, int], *, what: str, fields: str | tuple[str, str, str, str] = "geotransform"
) -> None:
    """Refuse a lon/lat grid that is not finite, has a zero step, or leaves the globe.

    Args:
        transform: pixel corner -> lon/lat affine.
        shape: (rows, cols).
        what: the file (named in the error).
        fields: where the grid came from: one label, or the header keys of (x origin, x step, y origin,
            y step), e.g. ``("X_FIRST", "X_STEP", "Y_FIRST", "Y_STEP")``, so the error names the key.

    Raises:
        InputValidationError: naming the field and the value.
    """
    a, b, c, d, e, f = (float(v) for v in tuple(transform)[:6])
    rows, cols = shape
    keys = fields if isinstance(fields, tuple) else tuple(f"{n} ({fields})" for n in
                                                          ("x origin", "x step", "y origin", "y step"))
    where = "/".join(fields) if isinstance(fields, tuple) else fields
    if rows < 1 or cols < 1:
        raise InputValidationError(f"{what}: raster size {rows}x{cols} is empty")
    for key, value in zip(keys, (c, a, f, e), strict=True):
        if not math.isfinite(value):
            raise InputValidationError(f"{what}: {key} is {value}, not a finite number of degrees")
    if a == 0 or e == 0:
        zero = keys[1] if a == 0 else keys[3]
        raise InputValidationError(f"{what}: {zero} is 0; a pixel must have a size in degrees")
    if b != 0 or d != 0:
        raise InputValidationError(f"{what}: rotated grid ({where}); only north-up lon/lat grids are supported")
    lons = (c, c + a * cols)
    lats = (f, f + e * rows)
    if not all(-180.0 <= v <= 360.0 for v in lons):
        raise InputValidationError(
            f"{what}: longitudes {min(lons):.6g}..{max(lons):.6g} from {keys[0]}/{keys[1]} are outside -180..360"
        )
    if not all(-90.0 <= v <= 90.0 for v in lats):
        raise InputValidationError(
            f"{what}: latitudes {min(lats):.6g}..{max(lats):.6g} from {keys[2]}/{keys[3]} are outside -90..90"
        )
    if max(lons) - min(lons) > 360.0:
        raise InputValidationError(f"{what}: the grid is wider than the globe ({where})")


def check_phase_dtype(dtype: np.dtype | str, *, what: str, wrapped: bool = False) -> None:
    """Refuse phase rasters that are not floating point (unwrapped) or complex (wrapped).

    Raises:
        InputValidationError: e.g. an int8 raster (a quantised browse image) or complex data given as unwrapped.
    """
    kind = np.dtype(dtype).kind
    if wrapped:
        if kind not in "cf":
            raise InputValidationError(
                f"{what}: data type {np.dtype(dtype).name}; a wrapped interferogram must be complex or float radians"
            )
        return
    if kind == "c":
        raise InputValidationError(
            f"{what}: data type {np.dtype(dtype).name} is a wrapped (complex) interferogram, not unwrapped phase; "
            "unwrap it first with `sarlake unwrap`"
        )
    if kind != "f":
        raise InputValidationError(
            f"{what}: data type {np.dtype(dtype).name}; unwrapped phase must be float32/float64 radians "
            "(an integer raster is a quantised image or not a phase raster)"
        )


def label(path: Path | str) -> str:
    """How a file is named in messages: its name."""
    return Path(path).name


def check_phase_values(phase: np.ndarray, *, what: str, nodata_declared: bool, min_valid: int) -> None:
    """Refuse unwrapped phase that holds too little data or values that are not radians.

    Raises:
        InputValidationError: fewer than ``min_valid`` valid pixels; an undeclared no-data fill (one of
            :data:`FILL_VALUES` on at least :data:`FILL_SHARE` of the pixels of a file without a no-data value);
            a value beyond :data:`MAX_ABS_PHASE_RAD` (not radians: millimetres, or garbage).
    """
    valid = np.isfinite(phase)
    count = int(valid.sum())
    if count < min_valid:
        raise InputValidationError(f"{what}: only {count} valid pixels of {phase.size}; too few to assess (at "
                                   f"least {min_valid} needed)")
    values = phase[valid]
    if not nodata_declared:
        for fill in FILL_VALUES:
            share = float(np.count_nonzero(values == np.float32(fill))) / values.size
            if share >= FILL_SHARE:
                raise InputValidationError(
                    f"{what}: {share:.1%} of the pixels are exactly {fill:g}, a no-data fill the file does not "
                    f"declare; declare it (gdal_edit.py -a_nodata {fill:g} FILE) or write NaN there")
    peak = float(np.abs(values).max())
    if peak > MAX_ABS_PHASE_RAD:
        raise InputValidationError(f"{what}: values up to {peak:.3g}, not unwrapped phase in radians (|phase| < "
                                   f"{MAX_ABS_PHASE_RAD:g}); convert it to radians or mask the bad pixels")

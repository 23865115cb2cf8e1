"""The typed interferogram every reader returns, and the checks and date parsing they share.

Conventions (the same as the ``interferogram`` PGE and ``docs/contracts.md``):

* ``reference_date`` is the LATER acquisition, ``secondary_date`` the earlier one (ARIA's naming; ROI_PAC's
  ``DATE12 = 060619-061002`` and GAMMA's ``20060619-20061002`` list the earlier date first).
* ``unwrapped_phase`` (radians, float32) is ``phi(later) - phi(earlier)``; a positive phase is a range
  increase (motion away from the satellite), as ROI_PAC, ISCE and GAMMA write it.
* :meth:`Interferogram.los_displacement_mm` is ``-phase * wavelength / (4 pi)`` in mm: POSITIVE = motion
  TOWARD the satellite (range decrease; uplift for vertical motion), the ARIA/MintPy convention.
* No-data pixels are NaN in every array and True in ``nodata_mask``.
* ``perpendicular_baseline_m`` is ``B_perp(later) - B_perp(earlier)`` in metres, both taken relative to one
  reference orbit (the ``interferogram`` PGE's rule). A processor that writes the pair's baseline the other way
  round (ARIA: secondary relative to the later reference) is negated; one whose files say nothing leaves None,
  never 0 (:mod:`pges.readers.baseline` lists where each format's value comes from).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from rasterio.transform import Affine

from pges.errors import InputValidationError

__all__ = [
    "Interferogram",
    "check_byte_size",
    "dates_from_name",
    "dates_in_name",
    "order_dates",
    "parse_date",
    "require_data",
]

# 8-digit (20060619) or 6-digit (060619) dates joined by '-' or '_', not inside a longer number; an 8-digit date may
# carry its time (HyP3's S1AA_20161223T070700_20170116T070658_...)
_PAIR_RE = re.compile(r"(?<!\d)(\d{8}|\d{6})(?:T\d{6})?[-_](\d{8}|\d{6})(?:T\d{6})?(?!\d)")


@dataclass(frozen=True)
class Interferogram:
    """An unwrapped interferogram on a lat/lon grid, read from an external product."""

    path: Path
    source_format: str
    unwrapped_phase: np.ndarray | None  # float32 (rows, cols), radians, NaN = no data; None for a wrapped one
    transform: Affine  # pixel corner -> lon/lat (EPSG:4326)
    wavelength_m: float
    reference_date: date  # later acquisition
    secondary_date: date  # earlier acquisition
    nodata_mask: np.ndarray  # bool, True = no data
    coherence: np.ndarray | None = None  # float32 0..1, NaN = no data
    amplitude: np.ndarray | None = None  # float32, NaN = no data
    coherence_path: Path | None = None
    crs: str = "EPSG:4326"
    metadata: dict[str, str] = field(default_factory=dict)
    #: complex64 wrapped interferogram (0 = no data), when the source is (or also has) one
    wrapped: np.ndarray | None = None
    #: connected components of the source's unwrapper (0 = not unwrapped), when it has them
    connected_components: np.ndarray | None = None
    #: the header key the wavelength came from (``--wavelength`` when given by the user)
    wavelength_source: str = ""
    #: the CRS of the source's grid when it was not lon/lat and was warped onto ``transform`` (HyP3's UTM)
    source_crs: str | None = None
    #: what the file says of its acquisition (an ARIA GUNW's name, a HyP3 parameter file, a numeric TRACK tag);
    #: None where it is silent. Ingest labels the product with them unless --track/--orbit-state say otherwise.
    track: int | None = None
    orbit_state: Literal["ascending", "descending"] | None = None
    #: platform heading, degrees clockwise from north, in the range the file writes it (-180..180 or 0..360)
    heading_deg: float | None = None
    #: one incidence for the product: at its centre (HyP3), the median over its grid (ARIA, LiCSAR)
    incidence_deg: float | None = None
    #: B_perp(later) - B_perp(earlier), m, as the file gives it (:mod:`pges.readers.baseline`); None where it is silent
    perpendicular_baseline_m: float | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols) of the grid."""
        data = self.unwrapped_phase if self.unwrapped_phase is not None else self.wrapped
        assert data is not None, "an Interferogram holds unwrapped or wrapped phase"
        return data.shape  # type: ignore[return-value]

    @property
    def is_wrapped(self) -> bool:
        """True when the source holds only wrapped phase (unwrap it before it becomes an L2_IFG product)."""
        return self.unwrapped_phase is None

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """``(west, south, east, north)`` of the pixel edges, degrees."""
        rows, cols = self.shape
        x0, y0 = self.transform @ (0, 0)
        x1, y1 = self.transform @ (cols, rows)
        return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)

    @property
    def temporal_baseline_days(self) -> int:
        """Days from the secondary (earlier) to the reference (later) acquisition."""
        return (self.reference_date - self.secondary_date).days

    def los_displacement_mm(self) -> np.ndarray:
        """Line-of-sight displacement of the later date relative to the earlier one, mm.

        ``d = -phase * wavelength / (4 pi) * 1000``: positive is motion toward the satellite (range
        decrease). The factor 4 pi is the two-way path (Hanssen 2001, Radar Interferometry, eq. 2.4.3).
        """
        if self.unwrapped_phase is None:
            raise ValueError(f"{self.path.name} is a wrapped interferogram: unwrap it first")
        return (-self.unwrapped_phase.astype(np.float64) * self.wavelength_m / (4 * np.pi) * 1000.0).astype(np.float32)


def parse_date(text: str, *, what: str) -> date:
    """``YYYYMMDD``, ``YYMMDD`` (years 1970-2069), ``YYYY-MM-DD`` or GAMMA's ``YYYY MM DD`` -> date.

    Raises:
        InputValidationError: not a date (``what`` names the file and key in the message).
    """
    s = text.strip()
    fmts = {8: "%Y%m%d", 6: "%y%m%d", 10: "%Y-%m-%d"}
    if re.fullmatch(r"\d{4}\s+\d{1,2}\s+\d{1,2}(\s.*)?", s):
        y, m, d = s.split()[:3]
        s, fmt = f"{int(y):04d}{int(m):02d}{int(d):02d}", "%Y%m%d"
    else:
        fmt = fmts.get(len(s), "")
    try:
        if not fmt:
            raise ValueError(s)
        parsed = datetime.strptime(s, fmt).date()
    except ValueError:
        raise InputValidationError(f"{what}: cannot parse date {text.strip()!r} (use YYYYMMDD or YYMMDD)") from None
    if fmt == "%y%m%d" and parsed.year >= 2070:  # SAR archives start in 1991
        parsed = parsed.replace(year=parsed.year - 100)
    return parsed


def dates_from_name(name: str) -> tuple[date, date] | None:
    """Return the two dates in a file name.

    ``geo_060619-061002.unw``, ``20060619-20061002_utm.unw.cc`` or HyP3's
    ``S1AA_20161223T070700_20170116T070658_VVP024_INT80_G_ueF_74C2_unw_phase.tif``.
    """
    m = _PAIR_RE.search(name)
    if m is None:
        return None
    return parse_date(m.group(1), what=name), parse_date(m.group(2), what=name)


def dates_in_name(name: str) -> tuple[date, date] | None:
    """:func:`dates_from_name`, with None also for digits in the place of dates that are no dates (``20061399``).

    For names that are only compared, never relied on: a coherence file's, checked against its interferogram's.
    """
    try:
        return dates_from_name(name)
    except InputValidationError:
        return None


def open_hdf5(path: Path, *, kind: str = "HDF5") -> Any:
    """``h5py.File(path, "r")``, or an error naming the file when it is not one (``kind``: what it should be).

    Raises:
        InputValidationError: not a readable HDF5 (netCDF4) file.
    """
    import h5py

    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise InputValidationError(f"{path.name}: not a readable {kind} file ({exc})") from exc


def dates_from_name_or_fail(path: Path, *, looked_in: str) -> tuple[date, date]:
    """Return the two dates in ``path``'s name, after the header gave none (``looked_in`` says what was missing).

    Raises:
        InputValidationError: the name has no two dates either; names the header and the file.
    """
    found = dates_from_name(path.name)
    if found is None:
        raise InputValidationError(f"{path.name}: no {looked_in} and no YYMMDD-YYMMDD dates in the file name")
    return found


def order_dates(d1: date, d2: date, *, what: str) -> tuple[date, date]:
    """Return ``(reference=later, secondary=earlier)``.

    Raises:
        InputValidationError: both dates are the same day.
    """
    if d1 == d2:
        raise InputValidationError(f"{what}: both dates are {d1.isoformat()}; an interferogram needs two dates")
    return (d2, d1) if d2 > d1 else (d1, d2)


def check_byte_size(path: Path, expected: int, explain: str) -> None:
    """Raise when a raw raster's size disagrees with its header.

    Args:
        path: the raw raster.
        expected: bytes the header implies.
        explain: how the expectation was computed, e.g. ``"WIDTH 47 x FILE_LENGTH 72 x 2 bands x 4 bytes"``.

    Raises:
        InputValidationError: e.g. ``geo_060619-061002.unw: 13,000 bytes but WIDTH 47 x ... = 27,072``.
    """
    size = path.stat().st_size
    if size != expected:
        raise InputValidationError(f"{path.name}: {size:,} bytes but {explain} = {expected:,}")


def check_coherence_shape(
    coherence: np.ndarray | None, coherence_path: Path | None, shape: tuple[int, ...], path: Path
) -> None:
    """Refuse a coherence raster whose shape differs from its interferogram's.

    Raises:
        InputValidationError: naming both files and both shapes.
    """
    if coherence is not None and coherence.shape != tuple(shape):
        raise InputValidationError(
            f"{coherence_path.name if coherence_path else 'coherence'}: {coherence.shape[0]}x{coherence.shape[1]} "
            f"but {path.name} is {shape[0]}x{shape[1]}"
        )


#: what an array with no finite value is said to be (NaN and the declared no-data value are both NaN here)
_NO_VALUE = "no pixel has a value (every one is NaN or the no-data value)"


def require_data(array: np.ndarray, *, what: str, zero_is_data: bool = False, empty: str | None = None) -> None:
    """Raise when an array holds no usable value (all NaN, or all zero = no data).

    Args:
        array: the values (NaN = no data).
        what: how to name it.
        zero_is_data: zero is a value, not a fill (a DEM: sea level), so only all NaN is refused.
        empty: what such an array means, said instead of 'no pixel has a value' or 'every pixel is zero' (a layer whose
            zeros mean something: no component, no signal).

    Raises:
        InputValidationError: naming ``what``.
    """
    finite = np.isfinite(array)
    if not finite.any():
        raise InputValidationError(f"{what}: {empty or _NO_VALUE}")
    if not zero_is_data and not np.any(array[finite] != 0):
        raise InputValidationError(f"{what}: {empty or 'every pixel is zero (no data)'}")

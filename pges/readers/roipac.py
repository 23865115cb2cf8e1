"""ROI_PAC geocoded unwrapped interferograms: ``<name>.unw`` with its ``<name>.unw.rsc`` header.

The ``.unw`` is band-interleaved by line (RMG): for every row, one row of amplitude then one row of
unwrapped phase (radians), little-endian float32; 0 in the phase row means no data. The ``.rsc`` is
``KEY value`` lines; the reader needs ``WIDTH``, ``FILE_LENGTH``, ``X_FIRST``, ``X_STEP``, ``Y_FIRST``,
``Y_STEP`` and ``WAVELENGTH`` (m), and takes the dates from ``DATE12`` (``060619-061002``) or the file name.
The pair's perpendicular baseline is the mean of ``P_BASELINE_TOP_HDR`` and ``P_BASELINE_BOTTOM_HDR`` (in the header,
or in ``<date1>_<date2>_baseline.rsc`` beside it), ``B(date2) - B(date1)`` of ``DATE12`` (:mod:`pges.readers.baseline`).
``X_FIRST``/``Y_FIRST`` are taken as the outer corner of the first pixel, as GDAL's ROI_PAC driver does.

Reference: Rosen, P. A., Hensley, S., Peltzer, G., Simons, M. (2004), Updated Repeat Orbit Interferometry
Package released, Eos 85(5), 47; GDAL ``frmts/raw/roipacdataset.cpp``.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import numpy as np
from rasterio.transform import Affine

from pges.errors import InputValidationError
from pges.readers.baseline import roipac_baseline
from pges.readers.common import (
    Interferogram,
    check_byte_size,
    check_coherence_shape,
    dates_from_name_or_fail,
    order_dates,
    parse_date,
    require_data,
)
from pges.readers.validate import WavelengthError, check_grid
from pges.readers.wavelength import resolve_wavelength

__all__ = ["parse_rsc", "read_roipac_cor", "read_roipac_int", "read_roipac_unw", "rsc_path"]

logger = logging.getLogger(__name__)

REQUIRED_KEYS = ("WIDTH", "FILE_LENGTH", "X_FIRST", "X_STEP", "Y_FIRST", "Y_STEP", "WAVELENGTH")
_GRID_FIELDS = ("X_FIRST", "X_STEP", "Y_FIRST", "Y_STEP")


def rsc_path(path: Path) -> Path:
    """Return the header beside a ROI_PAC raster: ``a.unw`` -> ``a.unw.rsc``."""
    return path.with_name(path.name + ".rsc")


def parse_rsc(path: Path) -> dict[str, str]:
    """Read a ROI_PAC ``.rsc`` header into ``{KEY: value}`` (keys upper-case, values stripped).

    Raises:
        InputValidationError: the file is missing or unreadable.
    """
    if not path.is_file():
        raise InputValidationError(f"{path.name}: ROI_PAC header is missing (expected beside the raster)")
    out: dict[str, str] = {}
    for line in path.read_text(errors="replace").splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and not parts[0].startswith(("#", "%")):
            out[parts[0].upper()] = parts[1].strip()
    return out


def _number(rsc: dict[str, str], key: str, name: str, kind: type = float) -> float:
    if key not in rsc:
        raise InputValidationError(f"{name}: header has no {key}")
    try:
        return kind(float(rsc[key])) if kind is int else float(rsc[key])
    except ValueError:
        raise InputValidationError(f"{name}: {key} is {rsc[key]!r}, not a number") from None


class _Header:
    """What every ROI_PAC raster takes from its ``.rsc``: size, grid, dates and the header itself."""

    def __init__(self, path: Path, wavelength_m: float | None, *, kind: str) -> None:
        if not path.is_file():
            raise InputValidationError(f"{path.name}: file does not exist ({path})")
        rsc_file = rsc_path(path)
        if not rsc_file.is_file():
            raise InputValidationError(
                f"{path.name}: ROI_PAC header {rsc_file.name} is missing (expected beside the {kind})"
            )
        rsc = parse_rsc(rsc_file)
        name = rsc_file.name
        self.width = int(_number(rsc, "WIDTH", name, int))
        self.length = int(_number(rsc, "FILE_LENGTH", name, int))
        if self.width <= 0 or self.length <= 0:
            raise InputValidationError(f"{name}: WIDTH {self.width} x FILE_LENGTH {self.length} is not a raster size")
        x0, dx = _number(rsc, "X_FIRST", name), _number(rsc, "X_STEP", name)
        y0, dy = _number(rsc, "Y_FIRST", name), _number(rsc, "Y_STEP", name)
        self.transform = Affine(dx, 0.0, x0, 0.0, dy, y0)
        check_grid(self.transform, (self.length, self.width), what=name, fields=_GRID_FIELDS)
        if "WAVELENGTH" not in rsc and wavelength_m is None:
            raise WavelengthError(f"{name}: header has no WAVELENGTH; give it with --wavelength METRES")
        self.wavelength, self.wavelength_source = resolve_wavelength(wavelength_m, rsc, what=name)
        if "DATE12" in rsc:
            parts = rsc["DATE12"].replace("_", "-").split("-")
            if len(parts) != 2:
                raise InputValidationError(f"{name}: cannot parse DATE12 {rsc['DATE12']!r} (want YYMMDD-YYMMDD)")
            d1, d2 = (parse_date(p, what=f"{name} DATE12") for p in parts)
        else:
            d1, d2 = dates_from_name_or_fail(path, looked_in=f"DATE12 in {name}")
        self.reference, self.secondary = order_dates(d1, d2, what=path.name)
        self.rsc = rsc
        self.bperp = _baseline(rsc, rsc_file, d1, d2)


def _baseline(rsc: dict[str, str], rsc_file: Path, d1: date, d2: date) -> float | None:
    """The pair's baseline from the header, else from ROI_PAC's ``<date1>_<date2>_baseline.rsc`` beside it.

    ROI_PAC keeps the baseline of a pair in ``<date1>_<date2>_baseline.rsc`` (``DATE12``'s two dates); MintPy's
    ``prep_roipac.py`` merges it into the raster's header, where the keys then are.
    """
    if "P_BASELINE_TOP_HDR" in rsc or "P_BASELINE_BOTTOM_HDR" in rsc:
        return roipac_baseline(rsc, d1, d2, what=rsc_file.name)
    if "DATE12" in rsc:
        beside = rsc_file.with_name(rsc["DATE12"].replace("-", "_") + "_baseline.rsc")
        if beside.is_file():
            return roipac_baseline(parse_rsc(beside), d1, d2, what=beside.name)
    return None


def read_roipac_unw(
    path: Path,
    *,
    coherence: np.ndarray | None = None,
    coherence_path: Path | None = None,
    wavelength_m: float | None = None,
) -> Interferogram:
    """Read a ROI_PAC ``.unw`` and its ``.rsc``.

    Args:
        path: the ``.unw`` file; ``<path>.rsc`` must be beside it.
        coherence: optional coherence on the same grid (0..1, NaN = no data), e.g. from
            :func:`pges.readers.gamma.read_gamma_float`.
        coherence_path: where ``coherence`` came from (recorded in the product).
        wavelength_m: ``--wavelength``: overrides the header's ``WAVELENGTH`` (a correction).

    Returns:
        The interferogram; pixels whose phase is exactly 0 are no data (NaN). An amplitude band that is
        zero everywhere (as in many ROI_PAC exports) is dropped (``amplitude=None``).

    Raises:
        InputValidationError: missing header or key, a grid that is not finite or off the globe, a wavelength
            out of range, byte size that disagrees with the header, unparsable dates, no valid phase,
            coherence of another shape.
    """
    path = Path(path)
    hdr = _Header(path, wavelength_m, kind=".unw")
    width, length = hdr.width, hdr.length
    check_byte_size(path, width * length * 2 * 4, f"WIDTH {width} x FILE_LENGTH {length} x 2 bands x 4 bytes")
    raw = np.fromfile(path, dtype="<f4").reshape(length, 2, width)
    amplitude = raw[:, 0, :].astype(np.float32)
    phase = raw[:, 1, :].astype(np.float32)
    require_data(phase, what=f"{path.name} phase")
    nodata = (phase == 0) | ~np.isfinite(phase)
    phase[nodata] = np.nan
    if np.any(amplitude[np.isfinite(amplitude)] != 0):
        amplitude[nodata | (amplitude == 0)] = np.nan
        amp_out: np.ndarray | None = amplitude
    else:
        logger.debug("%s: amplitude band is all zero; dropped", path.name)
        amp_out = None
    check_coherence_shape(coherence, coherence_path, phase.shape, path)
    return Interferogram(
        path=path,
        source_format="roipac",
        unwrapped_phase=phase,
        transform=hdr.transform,
        wavelength_m=hdr.wavelength,
        reference_date=hdr.reference,
        secondary_date=hdr.secondary,
        nodata_mask=nodata,
        coherence=coherence,
        amplitude=amp_out,
        coherence_path=coherence_path,
        metadata=dict(hdr.rsc),
        wavelength_source=hdr.wavelength_source,
        perpendicular_baseline_m=hdr.bperp,
    )


def read_roipac_int(path: Path, *, wavelength_m: float | None = None) -> Interferogram:
    """Read a ROI_PAC wrapped interferogram ``.int`` (complex64 little-endian, 0 = no data) and its ``.rsc``.

    Raises:
        InputValidationError: as :func:`read_roipac_unw`.
    """
    path = Path(path)
    hdr = _Header(path, wavelength_m, kind=".int")
    width, length = hdr.width, hdr.length
    check_byte_size(path, width * length * 8, f"WIDTH {width} x FILE_LENGTH {length} x 8 bytes (complex64)")
    ifg = np.fromfile(path, dtype="<c8").reshape(length, width).astype(np.complex64)
    ifg[~np.isfinite(ifg)] = 0
    if not np.any(ifg != 0):
        raise InputValidationError(f"{path.name}: every pixel is zero (no data)")
    return Interferogram(
        path=path,
        source_format="roipac",
        unwrapped_phase=None,
        transform=hdr.transform,
        wavelength_m=hdr.wavelength,
        reference_date=hdr.reference,
        secondary_date=hdr.secondary,
        nodata_mask=ifg == 0,
        metadata=dict(hdr.rsc),
        wrapped=ifg,
        wavelength_source=hdr.wavelength_source,
        perpendicular_baseline_m=hdr.bperp,
    )


def read_roipac_cor(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """Coherence from a ROI_PAC ``.cor`` (2-band line-interleaved float32: amplitude row, coherence row).

    Raises:
        InputValidationError: size disagrees with ``shape``.
    """
    rows, cols = shape
    check_byte_size(path, rows * cols * 2 * 4, f"{cols} columns x {rows} lines x 2 bands x 4 bytes (ROI_PAC .cor)")
    coh = np.fromfile(path, dtype="<f4").reshape(rows, 2, cols)[:, 1, :].astype(np.float32)
    coh[(coh == 0) | ~np.isfinite(coh)] = np.nan
    return coh

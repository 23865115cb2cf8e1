"""Readers for external interferograms: GeoTIFF, ROI_PAC ``.unw`` + ``.rsc``, GAMMA float32 + ``.par``.

Each returns an :class:`Interferogram` (unwrapped phase in radians, optional coherence and amplitude, an
affine transform on EPSG:4326, wavelength, reference (later) and secondary (earlier) dates, no-data mask).
Bad input raises :class:`pges.errors.InputValidationError` with one line naming the file and the problem.

    >>> ifg = read_interferogram("geo_060619-061002.unw", coherence_dirs=["../gamma_coherence"])
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from pges.errors import InputValidationError
from pges.readers.common import Interferogram, dates_from_name, parse_date
from pges.readers.gamma import find_coherence, find_par_files, read_gamma_float, read_gamma_unw
from pges.readers.geotiff import read_geotiff_band, read_geotiff_unw
from pges.readers.roipac import parse_rsc, read_roipac_unw, rsc_path

__all__ = [
    "Interferogram",
    "SourceFormat",
    "dates_from_name",
    "detect_format",
    "find_coherence",
    "parse_date",
    "parse_rsc",
    "read_coherence",
    "read_gamma_float",
    "read_gamma_unw",
    "read_geotiff_unw",
    "read_interferogram",
    "read_roipac_unw",
]

logger = logging.getLogger(__name__)

SourceFormat = Literal["auto", "geotiff", "roipac", "gamma"]


def detect_format(path: Path) -> str:
    """``geotiff`` for ``.tif``, ``roipac`` when a ``.rsc`` is beside it, ``gamma`` when a ``.par`` is.

    Raises:
        InputValidationError: none of these; for a ``.unw`` the message names the missing ``.rsc``.
    """
    path = Path(path)
    if path.suffix.lower() in (".tif", ".tiff"):
        return "geotiff"
    if rsc_path(path).is_file():
        return "roipac"
    if find_par_files(path):
        return "gamma"
    raise InputValidationError(
        f"{path.name}: ROI_PAC header {rsc_path(path).name} is missing and no GAMMA .par/.dem_par is beside it"
    )


def read_coherence(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """Coherence (0..1, NaN = no data) from a GeoTIFF or a GAMMA big-endian float32 file of ``shape``.

    Raises:
        InputValidationError: unreadable, wrong size, all NaN/zero, or values outside 0..1.
    """
    path = Path(path)
    if path.suffix.lower() in (".tif", ".tiff"):
        coh = read_geotiff_band(path)[0]
        if coh.shape != shape:
            raise InputValidationError(
                f"{path.name}: {coh.shape[0]}x{coh.shape[1]} but the interferogram is {shape[0]}x{shape[1]}"
            )
        coh[coh == 0] = np.nan
    else:
        coh = read_gamma_float(path, shape)
    finite = coh[np.isfinite(coh)]
    if finite.size and (finite.min() < 0 or finite.max() > 1.0001):
        raise InputValidationError(
            f"{path.name}: coherence ranges {finite.min():.3g}..{finite.max():.3g}, expected 0..1 "
            "(wrong byte order or not a coherence file?)"
        )
    return coh


def read_interferogram(
    path: str | Path,
    *,
    source_format: SourceFormat = "auto",
    coherence: str | Path | None = None,
    coherence_dirs: Sequence[str | Path] = (),
    wavelength_m: float | None = None,
) -> Interferogram:
    """Read an external unwrapped interferogram and attach its coherence.

    Args:
        path: the interferogram (its headers/parameter files are found beside it).
        source_format: ``auto`` (see :func:`detect_format`), ``geotiff``, ``roipac`` or ``gamma``.
        coherence: an explicit coherence file; otherwise one is looked for by date
            (:func:`pges.readers.gamma.find_coherence`) beside ``path`` and in ``coherence_dirs``.
        coherence_dirs: more folders to search for the coherence by date.
        wavelength_m: radar wavelength (m) for formats whose headers may not carry it (GeoTIFF, GAMMA);
            ignored for ROI_PAC, whose ``.rsc`` always has ``WAVELENGTH``.

    Returns:
        The interferogram, with ``coherence`` None when none was given or found.

    Raises:
        InputValidationError: unreadable or inconsistent input (see the readers).
    """
    path = Path(path)
    if not path.is_file():
        raise InputValidationError(f"{path.name}: file does not exist ({path})")
    fmt = detect_format(path) if source_format == "auto" else source_format
    if fmt == "roipac":
        ifg = read_roipac_unw(path)
    elif fmt == "gamma":
        ifg = read_gamma_unw(path, wavelength_m=wavelength_m)
    elif fmt == "geotiff":
        ifg = read_geotiff_unw(path, wavelength_m=wavelength_m)
    else:
        raise InputValidationError(f"{path.name}: unknown source format {fmt!r} (auto, geotiff, roipac, gamma)")
    coh_path = (
        Path(coherence)
        if coherence
        else find_coherence(path, (ifg.reference_date, ifg.secondary_date), [Path(d) for d in coherence_dirs])
    )
    if coh_path is None:
        logger.info("%s: no coherence given or found by date", path.name)
        return ifg
    if coherence:
        named = dates_from_name(coh_path.name)
        if named is not None and set(named) != {ifg.reference_date, ifg.secondary_date}:
            raise InputValidationError(
                f"{coh_path.name}: its dates {named[0]}/{named[1]} are not those of {path.name} "
                f"({ifg.secondary_date}/{ifg.reference_date})"
            )
    coh = read_coherence(coh_path, ifg.shape)
    logger.debug("%s: coherence %s", path.name, coh_path.name)
    return dataclasses.replace(ifg, coherence=coh, coherence_path=coh_path)

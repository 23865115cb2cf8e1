"""Readers for external interferograms: GeoTIFF, ROI_PAC, GAMMA, ISCE2, GMTSAR, MintPy stacks, ARIA and SNAP.

Each returns :class:`Interferogram` objects (unwrapped phase in radians, or a wrapped complex
interferogram; optional coherence, amplitude and connected components; an affine transform on
EPSG:4326; wavelength; reference (later) and secondary (earlier) dates; no-data mask). Every reader checks
geometry, units, ranges and data types before returning (:mod:`pges.readers.validate`). Bad input raises
:class:`pges.errors.InputValidationError` with one line naming the file and the problem; an input in no
supported format names the formats that are (:data:`SUPPORTED`).

    >>> ifgs = read_interferograms("geo_060619-061002.unw", coherence_dirs=["../gamma_coherence"])
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pges.errors import InputValidationError
from pges.readers.coherence import check_coherence_pair, locate_coherence, read_coherence
from pges.readers.common import Interferogram, dates_from_name, parse_date
from pges.readers.gamma import find_coherence, find_par_files, read_gamma_float, read_gamma_unw
from pges.readers.geotiff import named_wrapped, read_geotiff_band, read_geotiff_unw
from pges.readers.los_sign import LosSign
from pges.readers.roipac import parse_rsc, read_roipac_int, read_roipac_unw, rsc_path

__all__ = [
    "SUPPORTED",
    "Interferogram",
    "SourceFormat",
    "dates_from_name",
    "detect_format",
    "find_coherence",
    "parse_date",
    "parse_rsc",
    "phase_kind",
    "read_coherence",
    "read_gamma_float",
    "read_gamma_unw",
    "read_geotiff_band",
    "read_geotiff_unw",
    "read_interferogram",
    "read_interferograms",
    "read_roipac_unw",
    "with_coherence",
]

logger = logging.getLogger(__name__)

SourceFormat = Literal["auto", "geotiff", "roipac", "gamma", "isce2", "gmtsar", "mintpy", "aria", "snap"]

#: The formats the readers take, as the error for any other input lists them.
SUPPORTED = (
    "GeoTIFF .tif (unwrapped float or wrapped complex), ROI_PAC .unw/.int + .rsc, GAMMA .unw/.int + .par/.dem_par, "
    "ISCE2 .unw/.int + .xml/.vrt, GMTSAR *_ll.grd (netCDF), MintPy ifgramStack.h5, ARIA S1-GUNW .nc, "
    "SNAP BEAM-DIMAP .dim + .data/"
)


def _unsupported(path: Path, why: str) -> InputValidationError:
    return InputValidationError(f"{path.name}: {why}; supported: {SUPPORTED}")


def detect_format(path: Path) -> str:
    """The reader for ``path``: by suffix, then by the header file beside it.

    ``.tif`` -> geotiff; ``.nc`` with ARIA's ``/science/grids/data`` -> aria; ``.h5`` -> mintpy; ``.grd``/``.nc`` ->
    gmtsar; ``.dim`` -> snap; a ``.rsc`` beside -> roipac; an
    ``.xml``/``.vrt`` beside -> isce2; a GAMMA ``.par``/``.dem_par`` beside -> gamma.

    Raises:
        InputValidationError: none of these (one line naming the supported formats).
    """
    path = Path(path)
    low = path.name.lower()
    if low.endswith((".tif", ".tiff")):
        return "geotiff"
    if low.endswith(".dim"):
        return "snap"
    if low.endswith((".nc", ".nc4", ".h5")):
        from pges.readers.aria import is_aria_gunw

        if is_aria_gunw(path):
            return "aria"
    if low.endswith((".h5", ".he5", ".hdf5", ".hdf")):
        from pges.readers.mintpy import is_mintpy_stack

        if is_mintpy_stack(path):
            return "mintpy"
        raise _unsupported(path, "HDF5 file that is not a MintPy ifgramStack (no date + unwrapPhase datasets)")
    if low.endswith((".grd", ".nc", ".nc4", ".cdf")):
        return "gmtsar"
    if rsc_path(path).is_file():
        return "roipac"
    from pges.readers.isce import is_isce

    if is_isce(path):
        return "isce2"
    if find_par_files(path):
        return "gamma"
    if low.endswith(".unw"):
        raise _unsupported(path, f"ROI_PAC header {rsc_path(path).name} is missing and no ISCE2 .xml/.vrt or "
                                 "GAMMA .par/.dem_par is beside it")
    raise _unsupported(path, "no header beside it that says what it is")


def _read_file(path: Path, fmt: str, wavelength_m: float | None, los_sign: LosSign | None) -> list[Interferogram]:
    if fmt == "roipac":
        if path.name.lower().endswith(".int"):
            return [read_roipac_int(path, wavelength_m=wavelength_m)]
        return [read_roipac_unw(path, wavelength_m=wavelength_m)]
    if fmt == "gamma":
        return [read_gamma_unw(path, wavelength_m=wavelength_m)]
    if fmt == "geotiff":
        return [read_geotiff_unw(path, wavelength_m=wavelength_m, los_sign=los_sign)]
    if fmt == "isce2":
        from pges.readers.isce import read_isce

        return [read_isce(path, wavelength_m=wavelength_m)]
    if fmt == "gmtsar":
        from pges.readers.gmtsar import read_gmtsar

        return [read_gmtsar(path, wavelength_m=wavelength_m)]
    if fmt == "mintpy":
        from pges.readers.mintpy import read_mintpy_stack

        return read_mintpy_stack(path, wavelength_m=wavelength_m)
    if fmt == "aria":
        from pges.readers.aria import read_aria_gunw

        return [read_aria_gunw(path, wavelength_m=wavelength_m)]
    if fmt == "snap":
        from pges.readers.snap import read_snap

        return read_snap(path, wavelength_m=wavelength_m)
    raise InputValidationError(f"{path.name}: unknown source format {fmt!r} (auto, geotiff, roipac, gamma, "
                               "isce2, gmtsar, mintpy, aria, snap)")


def phase_kind(path: str | Path, source_format: SourceFormat = "auto") -> Literal["wrapped", "unwrapped"] | None:
    """Whether ``path`` holds a wrapped or an unwrapped interferogram, told from its data type or name alone.

    Told before its dates, wavelength or grid are read, so a PGE that takes one kind refuses the other for
    what it is: a GeoTIFF by its band's data type (complex: wrapped, float: unwrapped unless its name says
    wrapped, as HyP3's ``_wrapped_phase.tif``), ROI_PAC by its suffix
    (``.int``, ``.unw``), GMTSAR by its file name, SNAP by its bands' names. None when only reading the file
    tells (GAMMA, ISCE2, MintPy, a GMTSAR grid named otherwise), or when its reader is to say what is wrong with it.
    """
    path = Path(path)
    try:
        fmt = detect_format(path) if source_format == "auto" else source_format
    except InputValidationError:
        return None
    if fmt == "roipac":
        return "wrapped" if path.name.lower().endswith(".int") else "unwrapped"
    if fmt == "aria":
        return "unwrapped"
    if fmt == "snap":  # its Unw_Phase bands, else its wrapped interferogram (i_ifg/q_ifg)
        from pges.readers.dimap import phase_bands_kind

        return phase_bands_kind(path)
    if fmt == "gmtsar":
        from pges.readers.gmtsar import gmtsar_kind

        kind = gmtsar_kind(path)
        return kind if kind in ("wrapped", "unwrapped") else None  # type: ignore[return-value]
    if fmt != "geotiff":
        return None
    import numpy as np
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

    try:
        with warnings.catch_warnings():  # the reader says what a file without georeferencing lacks
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as src:
                kind = np.dtype(src.dtypes[0]).kind if src.driver == "GTiff" else ""
    except RasterioIOError:
        return None
    if kind == "f" and named_wrapped(path):  # wrapped phase in radians (HyP3's _wrapped_phase.tif)
        return "wrapped"
    return {"c": "wrapped", "f": "unwrapped"}.get(kind)  # type: ignore[return-value]


def read_interferograms(
    path: str | Path,
    *,
    source_format: SourceFormat = "auto",
    coherence: str | Path | None = None,
    coherence_dirs: Sequence[str | Path] = (),
    wavelength_m: float | None = None,
    los_sign: LosSign | None = None,
) -> list[Interferogram]:
    """Read every interferogram in a file (one, or each pair of a MintPy stack) and attach coherence.

    Args:
        path: the interferogram or stack (its headers/parameter files are found beside it).
        source_format: ``auto`` (see :func:`detect_format`) or a format name.
        coherence: an explicit coherence file (single interferograms only).
        coherence_dirs: more folders to search for the coherence by date.
        wavelength_m: ``--wavelength``: used when the metadata has none, and overrides it when given.
        los_sign: ``--los-sign``: which way a GeoTIFF band in a length points (:mod:`pges.readers.los_sign`).

    Raises:
        InputValidationError: unreadable, unsupported or inconsistent input (see the readers).
    """
    path = Path(path)
    if not path.is_file():
        raise InputValidationError(f"{path.name}: file does not exist ({path})")
    fmt = detect_format(path) if source_format == "auto" else source_format
    ifgs = _read_file(path, fmt, wavelength_m, los_sign)
    return [_west_of_180(with_coherence(ifg, coherence, coherence_dirs)) for ifg in ifgs]


def _west_of_180(ifg: Interferogram) -> Interferogram:
    """A grid written with longitudes 180..360 (GMTSAR and others over a 0..360 DEM) moved to -180..0.

    The readers accept longitudes up to 360 (:func:`pges.readers.validate.check_grid`), but the catalogue, the
    AOIs and STAC footprints are -180..180: such a product was refused as outside every AOI. The move is exact (the
    same pixels, the origin 360 degrees west); a grid across 180 is left as it is.
    """
    west, _, east, _ = ifg.bbox
    if west < 180.0:
        return ifg
    a, b, c, d, e, f = tuple(ifg.transform)[:6]
    logger.info("%s: longitudes %.6g..%.6g read as %.6g..%.6g", ifg.path.name, west, east, west - 360, east - 360)
    return dataclasses.replace(ifg, transform=type(ifg.transform)(a, b, c - 360.0, d, e, f))


def with_coherence(
    ifg: Interferogram, coherence: str | Path | None, coherence_dirs: Sequence[str | Path] = ()
) -> Interferogram:
    """``ifg`` with the coherence file given (checked to name its pair), or one found by date.

    As it is when its reader attached one (an ARIA GUNW's, say), or none is given or found.
    """
    if ifg.coherence is not None:
        return ifg
    path = ifg.path
    coh_path = (
        Path(coherence)
        if coherence
        else locate_coherence(path, (ifg.reference_date, ifg.secondary_date), [Path(d) for d in coherence_dirs])
    )
    if coh_path is None:
        logger.info("%s: no coherence given or found", path.name)
        return ifg
    if coherence:
        check_coherence_pair(coh_path, path.name, (ifg.reference_date, ifg.secondary_date))
    coh = read_coherence(coh_path, ifg.shape, ifg.transform if ifg.source_crs else None)
    logger.debug("%s: coherence %s", path.name, coh_path.name)
    return dataclasses.replace(ifg, coherence=coh, coherence_path=coh_path)


def read_interferogram(
    path: str | Path,
    *,
    source_format: SourceFormat = "auto",
    coherence: str | Path | None = None,
    coherence_dirs: Sequence[str | Path] = (),
    wavelength_m: float | None = None,
    los_sign: LosSign | None = None,
) -> Interferogram:
    """Read one interferogram (see :func:`read_interferograms`); a stack of several is an error.

    Raises:
        InputValidationError: as :func:`read_interferograms`, or the file holds several pairs.
    """
    ifgs = read_interferograms(path, source_format=source_format, coherence=coherence,
                               coherence_dirs=coherence_dirs, wavelength_m=wavelength_m, los_sign=los_sign)
    if len(ifgs) != 1:
        raise InputValidationError(f"{Path(path).name}: holds {len(ifgs)} interferograms; read them all with "
                                   "read_interferograms")
    return ifgs[0]



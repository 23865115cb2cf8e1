"""GAMMA rasters: headerless big-endian float32 with ``key: value`` parameter files.

A geocoded GAMMA unwrapped interferogram (``*.unw``, radians, 0 = no data) is described by a DEM parameter
file (``*.dem_par``: ``width:``, ``nlines:``, ``corner_lat:``, ``corner_lon:``, ``post_lat:``, ``post_lon:``)
and, for the wavelength, an SLC/MLI parameter file (``radar_frequency: 5.331e9 Hz``). GAMMA's
``corner_lat/lon`` is the CENTRE of the first pixel, so the affine origin is shifted by half a post.
``diff_par`` style files (``interferogram_width:``, ``interferogram_azimuth_lines:``) and SLC ones
(``range_samples:``, ``azimuth_lines:``) give the size when no DEM par does.

Coherence (``*.cc``, ``*.coh``, ``*.cor``; 0..1, 0 = no data) often has no parameter file of its own: it is
read on the grid of the interferogram it belongs to and paired with it by the dates in its file name
(:func:`find_coherence`), as GAMMA users name them (``20060619-20061002_utm.unw.cc``).

Reference: GAMMA Remote Sensing, DIFF&GEO Reference Manual (``create_diff_par``, ``gc_map``; DEM_par).
"""

from __future__ import annotations

import logging
import os
from datetime import date
from pathlib import Path

import numpy as np
from rasterio.transform import Affine

from pges.errors import InputValidationError
from pges.readers.common import (
    Interferogram,
    check_byte_size,
    check_coherence_shape,
    dates_from_name,
    dates_from_name_or_fail,
    order_dates,
    parse_date,
    require_data,
)
from pges.readers.validate import check_grid
from pges.readers.wavelength import resolve_wavelength

__all__ = ["COHERENCE_SUFFIXES", "find_coherence", "find_par_files", "parse_par", "read_gamma_float", "read_gamma_unw"]

logger = logging.getLogger(__name__)

COHERENCE_SUFFIXES = (".cc", ".coh", ".cor")
#: those suffixes alone and before .geo, .grd or .tif (``x.cor.geo``): a coherence file's name ends with one
_COHERENCE_ENDINGS = tuple(s + tail for tail in ("", ".geo", ".grd", ".tif") for s in COHERENCE_SUFFIXES)
_WIDTH_KEYS = ("width", "interferogram_width", "range_samples")
_LINES_KEYS = ("nlines", "interferogram_azimuth_lines", "azimuth_lines")


def parse_par(path: Path) -> dict[str, str]:
    """Read a GAMMA parameter file into ``{key: value}`` (value without its unit is ``value.split()[0]``).

    Raises:
        InputValidationError: the file does not exist.
    """
    if not path.is_file():
        raise InputValidationError(f"{path.name}: GAMMA parameter file is missing")
    out: dict[str, str] = {}
    for line in path.read_text(errors="replace").splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            key = key.strip()
            if key and " " not in key:
                out[key.lower()] = value.strip()
    return out


def find_par_files(path: Path) -> list[Path]:
    """List the parameter files beside a GAMMA raster (``a.unw.par``, ``a.par``, ``a.dem_par``, ``a.diff_par``...)."""
    stem = path.name.split(".")[0]
    names = []
    for base in (path.name, stem):
        names += [f"{base}.par", f"{base}.dem_par", f"{base}.diff_par", f"{base}.off"]
    seen: list[Path] = []
    for name in names:
        cand = path.with_name(name)
        if cand.is_file() and cand not in seen:
            seen.append(cand)
    return seen


def _first_number(par: dict[str, str], keys: tuple[str, ...], what: str) -> float | None:
    for key in keys:
        if key in par:
            try:
                return float(par[key].split()[0])
            except (ValueError, IndexError):
                raise InputValidationError(f"{what}: {key} is {par[key]!r}, not a number") from None
    return None


def read_gamma_float(path: Path, shape: tuple[int, int], *, zero_is_nodata: bool = True) -> np.ndarray:
    """Read a headerless big-endian float32 raster of ``shape`` (rows, cols); 0 and non-finite -> NaN.

    Raises:
        InputValidationError: missing file, byte size that disagrees with ``shape``, no valid value.
    """
    path = Path(path)
    if not path.is_file():
        raise InputValidationError(f"{path.name}: file does not exist ({path})")
    rows, cols = shape
    check_byte_size(path, rows * cols * 4, f"{cols} columns x {rows} lines x 4 bytes (big-endian float32)")
    data = np.fromfile(path, dtype=">f4").reshape(rows, cols).astype(np.float32)
    require_data(data, what=path.name)
    bad = ~np.isfinite(data)
    if zero_is_nodata:
        bad |= data == 0
    data[bad] = np.nan
    return data


def _looks_like_coherence(name: str) -> bool:
    """``*.cc``, ``*.coh``, ``*.cor`` (and ``.geo``/``.grd`` variants), ``*_cc.tif``, ``*coh*.tif``, ``*corr*.tif``."""
    low = name.lower()
    if low.endswith(_COHERENCE_ENDINGS):
        return True
    stem = low.rsplit(".", 1)[0]
    if low.endswith((".tif", ".tiff", ".grd", ".nc")):
        return stem.endswith(("_cc", "-cc", ".cc")) or "coh" in stem or "corr" in stem
    return False


def find_coherence(ifg_path: Path, dates: tuple[date, date], search_dirs: list[Path] | None = None) -> Path | None:
    """Find the coherence file of an interferogram by the two dates in its name.

    Looks beside ``ifg_path`` and in ``search_dirs`` for ``*.cc``/``*.coh``/``*.cor`` files (or GeoTIFFs
    with ``coh``/``corr`` in the name) whose name holds
    the same pair of dates (in either order, 6- or 8-digit).

    Raises:
        InputValidationError: more than one file matches (ambiguous).
    """
    want = set(dates)
    dirs = [Path(ifg_path).parent, *(Path(d) for d in search_dirs or [])]
    matches: list[Path] = []
    itself = Path(ifg_path).resolve()
    for folder in dict.fromkeys(d.resolve() for d in dirs if d.is_dir()):
        # names first, as strings: a stat (and a Path) per file of the folder made reading a folder of N files O(N^2)
        for name in sorted(n for n in os.listdir(folder) if _looks_like_coherence(n)):
            cand = folder / name
            if not cand.is_file() or cand.resolve() == itself:
                continue
            try:
                found = dates_from_name(cand.name)
            except InputValidationError:
                continue
            if found is not None and set(found) == want:
                matches.append(cand)
    if len(matches) > 1:
        names = ", ".join(m.name for m in matches)
        raise InputValidationError(
            f"{Path(ifg_path).name}: several coherence files match its dates ({names}); name one"
        )
    return matches[0] if matches else None


def read_gamma_unw(
    path: Path,
    *,
    par_files: list[Path] | None = None,
    wavelength_m: float | None = None,
    coherence: np.ndarray | None = None,
    coherence_path: Path | None = None,
) -> Interferogram:
    """Read a geocoded GAMMA interferogram: unwrapped (float32 radians, 0 = no data) or wrapped (fcomplex).

    Both are big-endian; a file of ``width x nlines x 8`` bytes is the complex (wrapped) one.

    Args:
        path: the raster.
        par_files: its parameter files (default: :func:`find_par_files`); merged, earlier files win.
        wavelength_m: radar wavelength when no parameter file gives ``radar_frequency`` or ``wavelength``.
        coherence: optional coherence on the same grid.
        coherence_path: where the coherence came from.

    Raises:
        InputValidationError: no parameter file, no size or geocoding keys, byte size that disagrees,
            no wavelength, unparsable or missing dates, no valid phase.
    """
    path = Path(path)
    if not path.is_file():
        raise InputValidationError(f"{path.name}: file does not exist ({path})")
    pars = par_files if par_files is not None else find_par_files(path)
    if not pars:
        raise InputValidationError(
            f"{path.name}: no GAMMA parameter file beside it (looked for {path.name}.par, .dem_par, .diff_par)"
        )
    par: dict[str, str] = {}
    for p in reversed(pars):
        par.update(parse_par(p))
    label = pars[0].name
    width = _first_number(par, _WIDTH_KEYS, label)
    nlines = _first_number(par, _LINES_KEYS, label)
    if width is None or nlines is None:
        raise InputValidationError(f"{label}: no width:/nlines: (or interferogram_width:/..._azimuth_lines:) keys")
    geo = [_first_number(par, (k,), label) for k in ("corner_lon", "post_lon", "corner_lat", "post_lat")]
    if any(v is None for v in geo):
        raise InputValidationError(f"{label}: not geocoded (needs corner_lat:, corner_lon:, post_lat:, post_lon:)")
    lon0, dlon, lat0, dlat = (float(v) for v in geo)  # type: ignore[arg-type]
    wavelength, wl_source = resolve_wavelength(
        wavelength_m, par, what=path.name,
        looked_for=f"radar_frequency:/wavelength: in {', '.join(p.name for p in pars)}",
    )

    if "date1" in par and "date2" in par:
        d1 = parse_date(par["date1"], what=f"{label} date1")
        d2 = parse_date(par["date2"], what=f"{label} date2")
    else:
        d1, d2 = dates_from_name_or_fail(path, looked_in=f"date1:/date2: keys in {label}")
    ref, sec = order_dates(d1, d2, what=path.name)

    shape = (int(nlines), int(width))
    transform = Affine(dlon, 0.0, lon0 - dlon / 2, 0.0, dlat, lat0 - dlat / 2)
    check_grid(transform, shape, what=label, fields=("corner_lon", "post_lon", "corner_lat", "post_lat"))
    check_coherence_shape(coherence, coherence_path, shape, path)
    wrapped: np.ndarray | None = None
    if shape[0] > 0 and shape[1] > 0 and path.stat().st_size == shape[0] * shape[1] * 8:
        # GAMMA fcomplex (big-endian complex64): a wrapped interferogram (.int, .diff, .diff.geo)
        wrapped = np.fromfile(path, dtype=">c8").reshape(shape).astype(np.complex64)
        wrapped[~np.isfinite(wrapped)] = 0
        if not np.any(wrapped != 0):
            raise InputValidationError(f"{path.name}: every pixel is zero (no data)")
        phase: np.ndarray | None = None
        nodata = wrapped == 0
    else:
        phase = read_gamma_float(path, shape)
        nodata = ~np.isfinite(phase)
    return Interferogram(
        path=path,
        source_format="gamma",
        unwrapped_phase=phase,
        wrapped=wrapped,
        transform=transform,
        wavelength_m=float(wavelength),
        reference_date=ref,
        secondary_date=sec,
        nodata_mask=nodata,
        coherence=coherence,
        coherence_path=coherence_path,
        metadata={k: v for k, v in par.items() if len(v) < 200},
        wavelength_source=wl_source,
    )

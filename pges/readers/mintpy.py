"""MintPy interferogram stacks: ``inputs/ifgramStack.h5`` (HDF5), one :class:`Interferogram` per pair.

Layout (MintPy ``objects/stack.py``, class ``ifgramStack``; docs "data structure"):

* ``unwrapPhase`` (n, length, width) float32, radians, positive = motion away from the satellite, 0 or NaN
  = no data; ``coherence`` (n, length, width) float32 0..1; ``connectComponent`` (n, length, width) int
  (0 = not unwrapped); optionally ``wrapPhase`` (n, length, width) float32 radians;
* ``date`` (n, 2) byte strings ``YYYYMMDD``: ``date1`` (earlier) and ``date2`` (later) of each pair;
  ``bperp`` (n,) float32 m, ``B(date2) - B(date1)`` (:mod:`pges.readers.baseline`); ``dropIfgram`` (n,) bool,
  False = excluded by MintPy's network modification;
* root attributes (strings): ``FILE_TYPE = ifgramStack``, ``LENGTH``, ``WIDTH``, ``WAVELENGTH`` (m), and for a
  geocoded stack ``X_FIRST``, ``Y_FIRST`` (outer corner of the first pixel, as ROI_PAC), ``X_STEP``,
  ``Y_STEP`` (degrees, ``X_UNIT = degrees``). A stack in radar coordinates (no ``Y_FIRST``) is refused. A stack
  on a projected grid (``X_UNIT = meters`` and ``EPSG``, as ``prep_hyp3.py`` writes for HyP3's UTM products) is
  warped onto lon/lat, each pair's phase, coherence and components alike (:mod:`pges.readers.reproject`).

Pairs that MintPy dropped (``dropIfgram`` False) are skipped unless ``include_dropped``.

Reference: Yunjun, Z., Fattahi, H., Amelung, F. (2019), Small baseline InSAR time series analysis:
Unwrapping error correction and noise reduction, Computers & Geosciences 133, 104331.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from rasterio.transform import Affine

from pges.errors import InputValidationError
from pges.readers.baseline import baseline_number, later_minus_earlier
from pges.readers.common import Interferogram, open_hdf5, order_dates, parse_date
from pges.readers.reproject import lonlat_grid, warp_into
from pges.readers.validate import check_grid, check_phase_dtype
from pges.readers.wavelength import resolve_wavelength

__all__ = ["is_mintpy_stack", "read_mintpy_stack"]

logger = logging.getLogger(__name__)


def _attr(v: Any) -> str:
    return v.decode(errors="replace") if isinstance(v, bytes) else str(v)


def is_mintpy_stack(path: Path) -> bool:
    """True for an HDF5 file with a ``date`` dataset and ``unwrapPhase`` or ``wrapPhase``."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return "date" in f and ("unwrapPhase" in f or "wrapPhase" in f)
    except OSError:
        return False


def _crs(attrs: dict[str, str], what: str) -> Any | None:
    """The stack's CRS when its grid is projected (MintPy's ``EPSG`` attribute), None on lon/lat.

    Raises:
        InputValidationError: ``X_UNIT`` in metres without an ``EPSG`` attribute, or an ``EPSG`` GDAL does not know.
    """
    from rasterio.crs import CRS
    from rasterio.errors import CRSError

    epsg = attrs.get("EPSG", "").strip()
    if not epsg or epsg == "4326":
        if attrs.get("X_UNIT", "degrees").strip().lower().startswith("m"):
            raise InputValidationError(f"{what}: X_FIRST/X_STEP are in {attrs['X_UNIT']} but no EPSG attribute says "
                                       "in which projection; add it (MintPy: add_attribute.py FILE EPSG=326NN)")
        return None
    try:
        return CRS.from_epsg(int(epsg))
    except (ValueError, CRSError):
        raise InputValidationError(f"{what}: EPSG attribute {epsg!r} is not an EPSG code GDAL knows") from None


def _grid(attrs: dict[str, str], what: str, shape: tuple[int, int], *, lonlat: bool = True) -> Affine:
    """The stack's grid from X/Y_FIRST and X/Y_STEP; checked as lon/lat unless ``lonlat`` is False (projected)."""
    if "Y_FIRST" not in attrs or "X_FIRST" not in attrs:
        raise InputValidationError(
            f"{what}: MintPy stack in radar coordinates (no X_FIRST/Y_FIRST attributes); geocode it first "
            "(MintPy geocode.py inputs/ifgramStack.h5)"
        )
    try:
        x0, y0, dx, dy = (float(attrs[k]) for k in ("X_FIRST", "Y_FIRST", "X_STEP", "Y_STEP"))
    except (KeyError, ValueError) as exc:
        raise InputValidationError(f"{what}: attribute {exc} missing or not a number (X/Y_FIRST, X/Y_STEP)") from None
    transform = Affine(dx, 0.0, x0, 0.0, dy, y0)
    if lonlat:
        check_grid(transform, shape, what=what, fields=("X_FIRST", "X_STEP", "Y_FIRST", "Y_STEP"))
    return transform


def _warped(phase: np.ndarray, nodata: np.ndarray, coh: np.ndarray | None, cc: np.ndarray | None, crs: Any,
            source: Affine, transform: Affine, shape: tuple[int, int]) -> tuple[Any, Any, Any]:
    """One pair's phase (NaN = no data), coherence and components on the lon/lat grid, nearest pixel."""
    phase = warp_into(np.where(nodata, np.nan, phase), crs, source, transform, shape)
    if coh is not None:
        coh = warp_into(coh, crs, source, transform, shape)
    if cc is not None:
        labels = warp_into(np.where(cc == 0, np.nan, cc.astype(np.float32)), crs, source, transform, shape)
        cc = np.nan_to_num(labels, nan=0.0).astype(np.uint16)
    return phase, coh, cc


def read_mintpy_stack(
    path: Path, *, wavelength_m: float | None = None, include_dropped: bool = False
) -> list[Interferogram]:
    """Read every (kept) pair of a MintPy ``ifgramStack.h5``.

    Args:
        path: the HDF5 file.
        wavelength_m: ``--wavelength`` (overrides the ``WAVELENGTH`` attribute).
        include_dropped: also return pairs MintPy marked as dropped.

    Returns:
        One interferogram per pair (unwrapped, or wrapped when the stack has only ``wrapPhase``), each with
        the stack's coherence and connected components of that pair.

    Raises:
        InputValidationError: not an ifgramStack, radar coordinates, no wavelength (names ``--wavelength``),
            shapes that disagree, unparsable dates.
    """
    path = Path(path)
    what = path.name
    with open_hdf5(path) as f:
        attrs = {k: _attr(v) for k, v in f.attrs.items()}
        if "date" not in f or not ("unwrapPhase" in f or "wrapPhase" in f):
            raise InputValidationError(
                f"{what}: HDF5 file without MintPy's date and unwrapPhase datasets (FILE_TYPE "
                f"{attrs.get('FILE_TYPE', 'missing')}); only MintPy ifgramStack.h5 is supported"
            )
        phase_name = "unwrapPhase" if "unwrapPhase" in f else "wrapPhase"
        ds = f[phase_name]
        if ds.ndim != 3:
            raise InputValidationError(f"{what}: {phase_name} has {ds.ndim} dimensions, expected 3 (pair, row, col)")
        check_phase_dtype(ds.dtype, what=f"{what} {phase_name}", wrapped=phase_name == "wrapPhase")
        n, rows, cols = ds.shape
        dates = f["date"][()]
        if dates.shape != (n, 2):
            raise InputValidationError(f"{what}: date is {dates.shape}, expected ({n}, 2) for {n} pairs")
        keep = f["dropIfgram"][()].astype(bool) if "dropIfgram" in f else np.ones(n, bool)
        crs = _crs(attrs, what)
        source = transform = _grid(attrs, what, (rows, cols), lonlat=crs is None)
        shape = (rows, cols)
        if crs is not None:  # a projected stack (HyP3's UTM through prep_hyp3.py): every pair onto one lon/lat grid
            transform, shape = lonlat_grid(crs, source, (rows, cols))
            check_grid(transform, shape, what=what, fields=("X_FIRST", "X_STEP", "Y_FIRST", "Y_STEP"))
            logger.info("%s: warped from %s to lon/lat (%dx%d -> %dx%d pixels, nearest)", what, crs, rows, cols,
                        *shape)
        wavelength, wl_source = resolve_wavelength(wavelength_m, attrs, what=what, looked_for="attribute WAVELENGTH")
        for name in ("coherence", "connectComponent"):
            if name in f and f[name].shape != ds.shape:
                raise InputValidationError(f"{what}: {name} is {f[name].shape} but {phase_name} is {ds.shape}")
        out: list[Interferogram] = []
        for i in range(n):
            d1 = parse_date(_attr(dates[i, 0]), what=f"{what} date[{i}, 0]")
            d2 = parse_date(_attr(dates[i, 1]), what=f"{what} date[{i}, 1]")
            if not keep[i] and not include_dropped:
                logger.info("%s: pair %s_%s is dropped in MintPy (dropIfgram); skipped", what, d1, d2)
                continue
            ref, sec = order_dates(d1, d2, what=f"{what} pair {i}")
            phase = ds[i].astype(np.float32)
            nodata = (phase == 0) | ~np.isfinite(phase)
            coh = f["coherence"][i].astype(np.float32) if "coherence" in f else None
            if coh is not None:
                coh[(coh == 0) | ~np.isfinite(coh)] = np.nan
            cc = f["connectComponent"][i].astype(np.uint16) if "connectComponent" in f else None
            if crs is not None:
                phase, coh, cc = _warped(phase, nodata, coh, cc, crs, source, transform, shape)
                nodata = ~np.isfinite(phase)
            meta = {**attrs, "DATE12": f"{d1:%Y%m%d}_{d2:%Y%m%d}", "PAIR_INDEX": str(i)}
            bperp = baseline_number(f["bperp"][i], what=what, key=f"bperp[{i}]") if "bperp" in f else None
            common = dict(path=path, source_format="mintpy", transform=transform, wavelength_m=wavelength,
                          reference_date=ref, secondary_date=sec, nodata_mask=nodata, coherence=coh,
                          coherence_path=path if coh is not None else None, metadata=meta,
                          connected_components=cc, wavelength_source=wl_source,
                          source_crs=None if crs is None else str(crs),
                          perpendicular_baseline_m=None if bperp is None else later_minus_earlier(bperp, d1, d2))
            if phase_name == "wrapPhase":
                cplx = np.where(nodata, 0, np.exp(1j * np.nan_to_num(phase))).astype(np.complex64)
                out.append(Interferogram(unwrapped_phase=None, wrapped=cplx, **common))  # type: ignore[arg-type]
            else:
                phase[nodata] = np.nan
                out.append(Interferogram(unwrapped_phase=phase, **common))  # type: ignore[arg-type]
    if not out:
        raise InputValidationError(f"{what}: every pair is dropped (dropIfgram); nothing to read")
    return out

"""Finding and reading the coherence of an interferogram, whatever processor wrote it.

Found, in this order: the file the user named; a sibling whose name is the interferogram's with the phase
token swapped for a coherence one (``x_unw.tif`` -> ``x_cc.tif``/``x_coh.tif``/``x_corr.tif``, ``x.unw`` ->
``x.cc``/``x.cor``/``x.coh``, GMTSAR ``unwrap_ll.grd`` -> ``corr_ll.grd``, ISCE2 ``filt_topophase.unw.geo``
-> ``phsig.cor.geo``/``topophase.cor.geo``, HyP3 ``..._unw_phase.tif`` -> ``..._corr.tif``); then a coherence
file (``*.cc``, ``*.coh``, ``*.cor``, ``*_cc.tif``, ``*coh*.tif``, ``*corr*.tif``) holding the same two dates in
its name, beside the interferogram or in ``--coherence-dir`` folders
(:func:`pges.readers.gamma.find_coherence`).

Read by what is beside it: a ``.rsc`` -> ROI_PAC 2-band ``.cor``; a ``.xml``/``.vrt`` -> ISCE2 through
GDAL (the last band: ``topophase.cor`` is amplitude + coherence); ``.grd``/``.nc`` -> GMT grid; ``.tif`` ->
GeoTIFF; anything else -> headerless big-endian float32 (GAMMA) on the interferogram's grid.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pges.errors import InputValidationError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rasterio.transform import Affine

    from pges.readers import Interferogram

__all__ = ["check_coherence_pair", "coherence_looked_for", "find_sibling_coherence", "locate_coherence",
           "read_coherence"]

logger = logging.getLogger(__name__)

_PHASE_TOKEN = re.compile(r"(unw_phase|unwrap_mask|unwrapped|unwrap|phasefilt|filt_topophase|topophase|phase|unw|int)",
                          re.IGNORECASE)
_COH_TOKENS = ("cc", "coh", "cor", "corr")
_ISCE_COH = ("phsig.cor", "topophase.cor", "filt_topophase.cor")


def _candidates(path: Path) -> list[str]:
    name = path.name
    out: list[str] = []
    for m in _PHASE_TOKEN.finditer(name):
        for tok in _COH_TOKENS:
            out.append(name[: m.start()] + tok + name[m.end():])
    if ".unw" in name or ".int" in name:  # ISCE2: filt_topophase.unw.geo -> phsig.cor.geo
        tail = name.split(".unw", 1)[1] if ".unw" in name else name.split(".int", 1)[1]
        out += [c + tail for c in _ISCE_COH]
    return list(dict.fromkeys(c for c in out if c != name))


def check_coherence_pair(coherence: Path, of: str, dates: tuple[date, date] | None) -> None:
    """Refuse a coherence file the user named whose name holds another pair of dates than its interferogram's.

    Args:
        coherence: the file named (``--coherence``).
        of: the interferogram's name, for the message.
        dates: the interferogram's two dates, any order; None when they are not known (nothing to check).

    Raises:
        InputValidationError: the coherence's name holds two dates that are not ``dates``.
    """
    from pges.readers.common import dates_in_name

    named = dates_in_name(coherence.name)
    if named is not None and dates is not None and set(named) != set(dates):
        earlier, later = sorted(dates)
        raise InputValidationError(
            f"{coherence.name}: its dates {named[0]}/{named[1]} are not those of {of} ({earlier}/{later}); "
            "give the coherence of the same pair (--coherence)")


def find_sibling_coherence(path: Path) -> Path | None:
    """The coherence file beside ``path`` whose name is the interferogram's with the phase token swapped."""
    for cand in _candidates(Path(path)):
        full = Path(path).with_name(cand)
        if full.is_file():
            return full
    return None


def locate_coherence(ifg_path: Path, dates: tuple[date, date], search_dirs: list[Path]) -> Path | None:
    """A sibling coherence file, else one with the same dates in its name (beside it or in ``search_dirs``).

    Raises:
        InputValidationError: several files match the dates (ambiguous).
    """
    from pges.readers.gamma import find_coherence

    return find_sibling_coherence(ifg_path) or find_coherence(ifg_path, dates, search_dirs)


def coherence_looked_for(ifg: Interferogram, coherence_dirs: Sequence[str]) -> str:
    """Where the coherence of ``ifg`` was looked for, for a warning that none was found."""
    pair = f"{ifg.secondary_date:%Y%m%d}-{ifg.reference_date:%Y%m%d}"
    where = f"beside it and in {', '.join(coherence_dirs)}" if coherence_dirs else (
        "beside it only; coherence_dirs (--coherence-dir) names folders of coherence files")
    return f"a coherence of the pair {pair} was looked for {where}"


def _gdal_last_band(path: Path) -> np.ndarray:
    import rasterio
    from rasterio.errors import RasterioIOError

    target = path.with_name(path.name + ".vrt") if path.with_name(path.name + ".vrt").is_file() else path
    try:
        with rasterio.open(target) as src:
            return src.read(src.count).astype(np.float32)
    except RasterioIOError as exc:
        raise InputValidationError(f"{path.name}: unreadable coherence: {str(exc).splitlines()[0]}") from exc


def read_coherence(path: Path, shape: tuple[int, int], transform: Affine | None = None) -> np.ndarray:
    """Coherence (0..1, NaN = no data) from any supported coherence file, on a grid of ``shape``.

    With ``transform`` (the interferogram's lon/lat grid), a coherence GeoTIFF in another CRS (HyP3's UTM
    ``_corr.tif``) is warped onto that grid, as its interferogram was (:mod:`pges.readers.reproject`).
    A GeoTIFF of bytes (LiCSAR's ``.geo.cc.tif``) holds coherence x 255.

    Raises:
        InputValidationError: unreadable, wrong size, all NaN/zero, or values outside 0..1.
    """
    from pges.readers.gamma import read_gamma_float
    from pges.readers.geotiff import read_geotiff_band
    from pges.readers.reproject import is_lonlat, warp_into
    from pges.readers.roipac import read_roipac_cor, rsc_path

    path = Path(path)
    if not path.is_file():
        raise InputValidationError(f"{path.name}: coherence file does not exist ({path})")
    low = path.name.lower()
    if low.endswith((".tif", ".tiff")):
        coh, tags, coh_transform, coh_crs = read_geotiff_band(path)
        if tags["_DTYPE"] == "uint8" and np.nanmax(coh) > 1:  # LiCSAR's .geo.cc.tif: coherence x 255 in a byte
            coh = coh / 255.0
        if transform is not None and coh_crs is not None and not is_lonlat(coh_crs):
            coh = warp_into(coh, coh_crs, coh_transform, transform, shape)
    elif low.endswith((".grd", ".nc")):
        from pges.readers.gmtsar import read_gmt_grid

        coh = read_gmt_grid(path).data
    elif rsc_path(path).is_file():
        coh = read_roipac_cor(path, shape)
    elif path.with_name(path.name + ".xml").is_file() or path.with_name(path.name + ".vrt").is_file():
        coh = _gdal_last_band(path)
    else:
        coh = read_gamma_float(path, shape)
    if coh.shape != tuple(shape):
        raise InputValidationError(
            f"{path.name}: {coh.shape[0]}x{coh.shape[1]} but the interferogram is {shape[0]}x{shape[1]}"
        )
    coh = coh.astype(np.float32)
    coh[(coh == 0) | ~np.isfinite(coh)] = np.nan
    finite = coh[np.isfinite(coh)]
    if not finite.size:
        raise InputValidationError(f"{path.name}: coherence is zero or NaN everywhere")
    if finite.min() < 0 or finite.max() > 1.0001:
        raise InputValidationError(
            f"{path.name}: coherence ranges {finite.min():.3g}..{finite.max():.3g}, expected 0..1 "
            "(wrong byte order or not a coherence file?)"
        )
    return coh

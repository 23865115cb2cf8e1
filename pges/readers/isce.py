"""ISCE2 rasters: flat binary files described by an ``.xml`` (and usually a GDAL ``.vrt``) beside them.

ISCE2 writes ``filt_topophase.unw.geo`` (2 bands, band-interleaved by line: amplitude, unwrapped phase in
radians, float32), ``filt_topophase.flat.geo`` / ``*.int`` (1 band complex64: the wrapped interferogram),
``phsig.cor.geo`` (1 band float32 coherence) and ``topophase.cor.geo`` (2 bands: amplitude, coherence),
``*.unw.conncomp.geo`` (byte connected components). The ``.xml`` (``<imageFile>``) gives ``width``,
``length``, ``number_bands``, ``data_type``, ``scheme`` and two coordinates (``coordinate1`` = x, longitude;
``coordinate2`` = y, latitude) with ``startingvalue`` (the outer corner of the first pixel) and ``delta``;
ISCE2 renders the same numbers into the ``.vrt``'s ``GeoTransform``. Both are read here through GDAL
(the ``.vrt`` when present, else GDAL's ISCE driver on the ``.xml``). Rasters in radar coordinates
(``startingvalue`` 0, ``delta`` 1, as topsStack's ``merged/interferograms``) are refused: geocode them first.

The dates come from the folder or file name (``interferograms/20180101_20180113/``); the wavelength from
``radarwavelength`` in an ISCE XML beside the file or up to two folders above it (``topsProc.xml``,
``reference/IW1.xml``, ``insarProc.xml``), else ``--wavelength``. Phase 0 is no data, as ISCE2 writes it.

Reference: Rosen, P. A. et al. (2012), The InSAR Scientific Computing Environment, EUSAR 2012; ISCE2
``components/isceobj/Image/Image.py`` (``renderHdr``/``renderVRT``).
"""

from __future__ import annotations

import logging
import re
import warnings
from pathlib import Path

import numpy as np

from pges.errors import InputValidationError
from pges.readers.common import Interferogram, dates_from_name, order_dates
from pges.readers.stack_baselines import isce_stack_baseline
from pges.readers.validate import check_grid, check_phase_dtype
from pges.readers.wavelength import resolve_wavelength

__all__ = ["is_isce", "isce_wavelength_meta", "read_isce"]

logger = logging.getLogger(__name__)

_WAVELENGTH_RE = re.compile(
    r"radar_?wavelength['\"]?\s*>\s*(?:<value>\s*)?([-+]?[0-9.]+(?:[eE][-+]?\d+)?)", re.IGNORECASE
)


def is_isce(path: Path) -> bool:
    """True when an ISCE2 ``.xml`` or a GDAL ``.vrt`` is beside ``path`` (or ``path`` is the ``.vrt``)."""
    path = Path(path)
    return path.suffix.lower() == ".vrt" or any(
        path.with_name(path.name + s).is_file() for s in (".xml", ".vrt")
    )


def isce_wavelength_meta(path: Path) -> dict[str, str]:
    """``{"RADARWAVELENGTH": value}`` from the first ISCE XML (beside ``path`` or two folders up) that has it."""
    folders = [path.parent, path.parent.parent, path.parent.parent.parent]
    for folder in dict.fromkeys(folders):
        if not folder.is_dir():
            continue
        for xml in sorted(folder.glob("*.xml")) + sorted(folder.glob("reference*/*.xml")):
            try:
                if xml.stat().st_size > 5_000_000:
                    continue
                m = _WAVELENGTH_RE.search(xml.read_text(errors="replace"))
            except OSError:
                continue
            if m:
                return {"RADARWAVELENGTH": m.group(1), "_SOURCE": xml.name}
    return {}


def _open_target(path: Path) -> Path:
    if path.suffix.lower() == ".vrt":
        return path
    vrt = path.with_name(path.name + ".vrt")
    return vrt if vrt.is_file() else path


def read_isce(path: Path, *, wavelength_m: float | None = None) -> Interferogram:
    """Read a geocoded ISCE2 ``.unw`` (2 bands: amplitude, phase) or wrapped ``.int``/``.flat`` (complex).

    Raises:
        InputValidationError: no ``.xml``/``.vrt``, unreadable, radar coordinates, no dates, no wavelength
            (names ``--wavelength``), a grid off the globe, integer phase.
    """
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

    path = Path(path)
    target = _open_target(path)
    data_path = path.with_suffix("") if path.suffix.lower() == ".vrt" else path
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(target) as src:
                count, dtype, transform = src.count, src.dtypes[0], src.transform
                band = src.read(count if count >= 2 and np.dtype(dtype).kind != "c" else 1)
                amp = src.read(1).astype(np.float32) if count >= 2 else None
    except RasterioIOError as exc:
        raise InputValidationError(f"{path.name}: unreadable ISCE2 raster: {str(exc).splitlines()[0]}") from exc
    wrapped = np.dtype(dtype).kind == "c"
    check_phase_dtype(dtype, what=f"{data_path.name} ({target.name})", wrapped=wrapped)
    if transform.a == 1.0 and transform.e in (1.0, -1.0) and transform.c == 0.0:
        raise InputValidationError(
            f"{data_path.name}: ISCE2 raster in radar coordinates (no lon/lat in its .xml/.vrt); geocode it "
            "(e.g. topsApp geocode or geocodeGdal.py) and give the .geo file"
        )
    check_grid(transform, band.shape, what=target.name, fields="coordinate1/coordinate2 (.xml/.vrt)")
    found = next((d for d in (dates_from_name(data_path.name), dates_from_name(data_path.parent.name),
                              dates_from_name(data_path.parent.parent.name)) if d), None)
    if found is None:
        raise InputValidationError(
            f"{data_path.name}: no dates in its name or folder (ISCE2 stacks name folders YYYYMMDD_YYYYMMDD)"
        )
    ref, sec = order_dates(*found, what=data_path.name)
    meta = isce_wavelength_meta(data_path)
    wavelength, source = resolve_wavelength(
        wavelength_m, meta, what=data_path.name, looked_for="radarwavelength in an ISCE2 .xml beside it or above"
    )
    common = dict(path=data_path, source_format="isce2", transform=transform, wavelength_m=wavelength,
                  reference_date=ref, secondary_date=sec, metadata=meta,
                  perpendicular_baseline_m=isce_stack_baseline(data_path, (ref, sec)),
                  wavelength_source=f"{source} ({meta['_SOURCE']})" if "_SOURCE" in meta and source != "--wavelength"
                  else source)
    if wrapped:
        cplx = band.astype(np.complex64)
        cplx[~np.isfinite(cplx)] = 0
        if not np.any(cplx != 0):
            raise InputValidationError(f"{data_path.name}: every pixel is zero (no data)")
        return Interferogram(unwrapped_phase=None, wrapped=cplx, nodata_mask=cplx == 0, **common)  # type: ignore[arg-type]
    phase = band.astype(np.float32)
    nodata = (phase == 0) | ~np.isfinite(phase)
    if nodata.all():
        raise InputValidationError(f"{data_path.name}: every pixel is zero or NaN (no data)")
    phase[nodata] = np.nan
    amplitude = None
    if amp is not None and np.any(amp[np.isfinite(amp)] != 0):
        amp[nodata | (amp == 0)] = np.nan
        amplitude = amp
    return Interferogram(unwrapped_phase=phase, nodata_mask=nodata, amplitude=amplitude, **common)  # type: ignore[arg-type]

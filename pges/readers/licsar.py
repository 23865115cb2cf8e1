"""What a COMET-LiCSAR product's name and frame folder say of its pair: wavelength, track, pass, geometry, B_perp.

LiCSAR processes Sentinel-1 only, by frame. A frame ID is ``NNN[AD]_NNNNN_NNNNNN`` (``124D_05291_081406``): the
first three digits are the relative orbit (track, 1-175), ``A``/``D`` the pass direction (LiCSBAS01/02 find the
frame in the working folder's name by that pattern and take ``int(frame[0:3])`` as the track). The portal
(``LiCSAR_products/<track>/<frame>/``) lays a frame out as::

    <frame>/interferograms/<YYYYMMDD_YYYYMMDD>/<pair>.geo.unw.tif, .geo.cc.tif, .geo.diff_pha.tif
    <frame>/metadata/<frame>.geo.E.tif, .geo.N.tif, .geo.U.tif, metadata.txt, baselines

and LiCSBAS01 downloads it as ``GEOC/<pair>/<pair>.geo.unw.tif`` with the E/N/U rasters and ``metadata.txt`` in
``GEOC/`` itself. Both places are looked in (:func:`metadata_folders`).

* Wavelength (:func:`licsar_wavelength`): no LiCSAR GeoTIFF carries one; LiCSBAS02 writes Sentinel-1's fixed
  ``radar_frequency: 5.405e9 Hz``. It is the default for a file named like LiCSAR's (``YYYYMMDD_YYYYMMDD.geo.unw.tif``)
  or under a frame folder; a wavelength tag or ``--wavelength`` wins.
* Track and pass (:func:`licsar_geometry`): from the frame ID in the file's parent folders.
* Incidence: ``arccos(U)`` (LiCSBAS_plot_ts, and LiCSAR's ``iono_correct.get_inc_frame``), the median over the
  interferogram's footprint of ``<frame>.geo.U.tif``. E, N and U are the unit vector from the ground TO the
  satellite (LiCSBAS_decomposeLOS: "LOSe > 0 -> from east"), sarlake's :func:`pges.gnss.los_unit_vector`.
* Heading: ``atan2(E, N) + 90`` (LiCSAR's ``get_inc_frame``), from the medians of ``.geo.E.tif`` and ``.geo.N.tif``
  over the footprint; degrees clockwise from north, given in -180..180.
* Perpendicular baseline: the frame's ``baselines`` file gives each epoch's relative to the frame's reference epoch
  (``refdate date bperp btemp``, LiCSBAS ``read_bperp_file``); the pair's is ``B(later) - B(earlier)``, as LiCSBAS11
  takes secondary minus primary (:func:`pges.readers.baseline.epoch_baselines`). A ``baselines`` in LiCSBAS02's
  own ``GEOCml*`` output is never read: when LiCSAR's is missing, LiCSBAS's ``LiCSBAS_io_lib`` writes one of
  random values in its place, and that folder holds no GeoTIFF pairs to read it for.
* What the rasters do not give comes from ``metadata.txt`` (``key=value`` lines written by LiCSAR's
  ``submit_to_public_metadata.sh``): ``heading`` (the mean of GAMMA's heading raster) and ``avg_incidence_angle``
  (the reference SLC's ``incidence_angle`` at its centre).

Missing or malformed metadata leaves the value out with a log line; it never stops the read.
"""

from __future__ import annotations

import logging
import math
import re
import warnings
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from pges.readers.baseline import epoch_baselines, from_epochs
from pges.readers.wavelength import SENTINEL1_WAVELENGTH_M

__all__ = ["frame_id", "licsar_geometry", "licsar_wavelength", "metadata_folders"]

logger = logging.getLogger(__name__)

#: a LiCSAR frame ID: track (3 digits), pass (A/D), then two numbers (LiCSBAS01/02's pattern)
_FRAME = re.compile(r"(?<![0-9A-Za-z])(\d{3})([AD])_\d{5}_\d{6}(?![0-9A-Za-z])")
#: LiCSAR's pair rasters of phase: unwrapped, filtered and unfiltered wrapped
_NAME = re.compile(r"^\d{8}_\d{8}\.geo\.(unw|diff_pha|diff_unfiltered_pha)\.tif$", re.IGNORECASE)


def frame_id(path: Path) -> str | None:
    """The LiCSAR frame ID in a file's parent folders (the nearest), or None."""
    for folder in Path(path).absolute().parents:
        found = _FRAME.search(folder.name)
        if found:
            return found.group(0)
    return None


def licsar_wavelength(path: Path) -> tuple[float, str] | None:
    """Sentinel-1's wavelength for a file named like LiCSAR's or under a LiCSAR frame folder; else None."""
    wavelength = SENTINEL1_WAVELENGTH_M
    if _NAME.match(Path(path).name):
        return wavelength, "LiCSAR file name (Sentinel-1)"
    frame = frame_id(path)
    return None if frame is None else (wavelength, f"LiCSAR frame {frame} in its path (Sentinel-1)")


def metadata_folders(path: Path) -> list[Path]:
    """Where a pair's frame metadata may be: ``<frame>/metadata/`` (the portal) and the pairs' folder (LiCSBAS)."""
    pair_dir = Path(path).absolute().parent
    return [d for d in (pair_dir.parent.parent / "metadata", pair_dir.parent) if d.is_dir()]


def _median_over(raster: Path, bbox: tuple[float, float, float, float]) -> float | None:
    """The median of a LiCSAR E/N/U raster's valid pixels (0 = no data) within ``bbox``; None, logged, if none."""
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
    from rasterio.windows import Window, WindowError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(raster) as src:
                if src.crs is None or not src.crs.is_geographic:
                    logger.warning("%s: not on a lon/lat grid (%s); left out", raster.name, src.crs)
                    return None
                whole = Window(0, 0, src.width, src.height)
                window = src.window(*bbox).round_offsets().round_lengths().intersection(whole)
                data = src.read(1, window=window).astype(np.float64)
                nodata = src.nodata
    except WindowError:
        logger.warning("%s: does not cover the interferogram; left out", raster.name)
        return None
    except RasterioIOError as exc:
        logger.warning("%s: unreadable (%s); left out", raster.name, str(exc).splitlines()[0])
        return None
    valid = np.isfinite(data) & (data != 0)
    if nodata is not None:
        valid &= data != nodata
    if not valid.any():
        logger.warning("%s: no value over the interferogram; left out", raster.name)
        return None
    return float(np.median(data[valid]))


def _from_los_rasters(folder: Path, frame: str | None, bbox: tuple[float, float, float, float]) -> dict[str, float]:
    """Incidence (``arccos U``) and heading (``atan2(E, N) + 90``) from the frame's E/N/U rasters in ``folder``."""
    medians: dict[str, float] = {}
    for part in "ENU":
        found = [f for f in sorted(folder.glob(f"*.geo.{part}.tif")) if _of_frame(f.name, frame)]
        value = _median_over(found[0], bbox) if found else None
        if value is not None:
            medians[part] = value
    out: dict[str, float] = {}
    if "U" in medians:
        if -1.0 <= medians["U"] <= 1.0:
            out["incidence_deg"] = round(math.degrees(math.acos(medians["U"])), 4)
        else:
            logger.warning("%s: U = %g is no unit-vector component; incidence left out", folder, medians["U"])
    if {"E", "N"} <= medians.keys():
        out["heading_deg"] = round(_signed(math.degrees(math.atan2(medians["E"], medians["N"])) + 90.0), 4)
    return out


def _of_frame(name: str, frame: str | None) -> bool:
    """A frame raster's name names no other frame than ``frame`` (LiCSAR's ``<frame>.geo.E.tif``)."""
    named = _FRAME.search(name)
    return named is None or frame is None or named.group(0) == frame


def _from_metadata_txt(folder: Path) -> dict[str, float]:
    """``heading`` and ``avg_incidence_angle`` of LiCSAR's ``metadata.txt`` (``key=value`` lines) in ``folder``."""
    found = folder / "metadata.txt"
    if not found.is_file():
        return {}
    try:
        text = found.read_text(errors="replace")
    except OSError as exc:
        logger.warning("%s: unreadable (%s); left out", found, exc)
        return {}
    pairs = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    pairs = {k.strip(): v.strip() for k, v in pairs.items()}
    out: dict[str, float] = {}
    for key, field, ok in (("heading", "heading_deg", (-360.0, 360.0)), ("avg_incidence_angle", "incidence_deg",
                                                                          (0.0, 90.0))):
        if key not in pairs:
            continue
        try:
            value = float(pairs[key])
        except ValueError:
            logger.warning("%s: %s is %r, not a number; left out", found, key, pairs[key])
            continue
        if not ok[0] < value < ok[1]:
            logger.warning("%s: %s %g is out of range; left out", found, key, value)
            continue
        out[field] = _signed(value) if field == "heading_deg" else value
    return out


def _signed(heading: float) -> float:
    """A heading in -180..180 (LiCSAR writes a descending one as 193 or -167)."""
    return (heading + 180.0) % 360.0 - 180.0


def licsar_geometry(path: Path, transform: Any, shape: tuple[int, ...],
                    pair: tuple[date, date] | None = None) -> dict[str, Any]:
    """``track``, ``orbit_state``, ``heading_deg``, ``incidence_deg`` of a LiCSAR raster; empty for another file.

    :class:`pges.readers.common.Interferogram` fields. ``transform`` (lon/lat) and ``shape`` are the interferogram's
    grid, over whose footprint the E/N/U rasters' medians are taken. With the ``pair``'s two dates, also its
    ``perpendicular_baseline_m`` from the frame's ``baselines`` file.
    """
    path = Path(path)
    (x0, y0), (x1, y1) = transform @ (0, 0), transform @ (shape[1], shape[0])
    bbox = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    frame = frame_id(path)
    if frame is None and not _NAME.match(path.name):
        return {}
    out: dict[str, Any] = {}
    if frame is not None:
        track = int(frame[:3])
        if 1 <= track <= 175:
            out["track"] = track
        else:
            logger.warning("%s: frame %s names track %d, not a Sentinel-1 relative orbit (1-175); no track",
                           path.name, frame, track)
        out["orbit_state"] = "ascending" if frame[3] == "A" else "descending"
    for folder in metadata_folders(path):
        for key, value in {**_from_metadata_txt(folder), **_from_los_rasters(folder, frame, bbox)}.items():
            out.setdefault(key, value)
        if pair is not None and "perpendicular_baseline_m" not in out and (folder / "baselines").is_file():
            bperp = from_epochs(epoch_baselines(folder / "baselines"), *pair, what=str(folder / "baselines"))
            if bperp is not None:
                out["perpendicular_baseline_m"] = bperp
    if "heading_deg" not in out:
        logger.info("%s: no LiCSAR frame metadata (E/N/U rasters, metadata.txt) found; no heading", path.name)
    return out

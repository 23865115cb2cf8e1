"""GMTSAR interferograms: GMT grids (``.grd``, netCDF-4/HDF5 or netCDF-3 classic) in an ``intf/<pair>/`` folder.

A GMT grid (GMT >= 4.1 "nf" format, COARDS/CF) has 1-D coordinate variables ``x`` and ``y`` and a 2-D
variable ``z(y, x)`` (float32; ``_FillValue``/NaN = no data; optional ``scale_factor``/``add_offset``); ``y``
normally increases (south first), so rows are flipped to north-up. Coordinates are the centres of the
cells (pixel registration, ``node_offset = 1``) or the grid nodes (``node_offset = 0``): either way the
value at ``x[j], y[i]`` is sample ``(i, j)``, so the affine origin is ``x[0] - dx/2``, ``y_north + dy/2``.

GMTSAR writes, per interferogram folder (``intf/2015092_2015104/``): ``unwrap.grd`` / ``unwrap_mask.grd``
(unwrapped phase, rad), ``phase.grd`` / ``phasefilt.grd`` (wrapped phase, rad), ``corr.grd`` (coherence,
0..1), each in radar coordinates (x = range pixel, y = azimuth line), and ``*_ll.grd`` copies geocoded to
lon/lat by ``proj_ra2ll.csh``. Only the ``_ll`` (lon/lat) grids can be catalogued. The two scenes' ``.PRM``
files sit in the same folder; their names hold the dates (``S1_20150402_ALL_F1.PRM``), their
``radar_wavelength`` the wavelength (m).

References: Sandwell, D. et al. (2011), GMTSAR: An InSAR Processing System Based on Generic Mapping Tools,
UC San Diego; GMT technical reference, "Grid file format" (netCDF COARDS grids).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rasterio.transform import Affine

from pges.errors import InputValidationError
from pges.readers.common import Interferogram, dates_from_name, order_dates, parse_date
from pges.readers.stack_baselines import gmtsar_stack_baseline
from pges.readers.validate import check_grid
from pges.readers.wavelength import resolve_wavelength

__all__ = ["GmtGrid", "gmtsar_kind", "read_gmt_grid", "read_gmtsar"]

logger = logging.getLogger(__name__)

_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


@dataclass
class GmtGrid:
    """A GMT grid, north-up: data (float32, NaN = no data), lon/lat (or radar) transform, attributes."""

    data: np.ndarray
    transform: Affine
    geographic: bool
    attrs: dict[str, Any] = field(default_factory=dict)


def _text(v: Any) -> str:
    if isinstance(v, bytes):
        return v.decode(errors="replace")
    if isinstance(v, np.ndarray) and v.dtype.kind in "SU":
        return " ".join(_text(x) for x in v.ravel())
    return str(v)


def _not_gmt(path: Path) -> InputValidationError:
    from pges.readers import SUPPORTED

    return InputValidationError(
        f"{path.name}: netCDF file that is not a GMT grid (needs x, y and one 2-D z variable; an old GMT 'cf' grid "
        f"converts with `gmt grdconvert in.grd out.grd=nf`); supported: {SUPPORTED}"
    )


def _read_variables(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any], dict[str, Any], dict]:
    """``(x, y, z, z_attrs, global_attrs, x_attrs)`` from a netCDF-4 (h5py) or netCDF-3 (scipy) file."""
    head = path.read_bytes()[:8]
    if head.startswith(_HDF5_MAGIC):
        import h5py

        with h5py.File(path, "r") as f:
            names = [k for k in f if isinstance(f[k], h5py.Dataset)]
            two_d = [k for k in names if f[k].ndim == 2]
            zname = "z" if "z" in two_d else (two_d[0] if len(two_d) == 1 else None)
            if zname is None or "x" not in names or "y" not in names:
                raise _not_gmt(path)
            z = f[zname][()]
            zattrs = {k: f[zname].attrs[k] for k in f[zname].attrs}
            xattrs = {k: f["x"].attrs[k] for k in f["x"].attrs}
            return f["x"][()], f["y"][()], z, zattrs, {k: f.attrs[k] for k in f.attrs}, xattrs
    if head[:3] == b"CDF":
        from scipy.io import netcdf_file

        with netcdf_file(path, "r", mmap=False) as f:
            names = list(f.variables)
            two_d = [k for k in names if len(f.variables[k].shape) == 2]
            zname = "z" if "z" in two_d else (two_d[0] if len(two_d) == 1 else None)
            if zname is None or "x" not in names or "y" not in names:
                raise _not_gmt(path)
            zv = f.variables[zname]
            return (np.array(f.variables["x"][:]), np.array(f.variables["y"][:]), np.array(zv[:]),
                    dict(zv._attributes), dict(f._attributes), dict(f.variables["x"]._attributes))
    from pges.readers import SUPPORTED

    raise InputValidationError(f"{path.name}: not a netCDF file (GMT grids are netCDF-3 or netCDF-4); "
                               f"supported: {SUPPORTED}")


def read_gmt_grid(path: Path) -> GmtGrid:
    """Read a GMT netCDF grid, north-up, with no data as NaN.

    Raises:
        InputValidationError: not a netCDF GMT grid, coordinates that are not regular, no valid value.
    """
    path = Path(path)
    if not path.is_file():
        raise InputValidationError(f"{path.name}: file does not exist ({path})")
    x, y, z, zattrs, gattrs, _ = _read_variables(path)
    if z.ndim != 2 or z.shape != (y.size, x.size):
        raise InputValidationError(f"{path.name}: z is {z.shape} but x has {x.size} and y {y.size} values")
    if z.dtype.kind not in "fiu":
        raise InputValidationError(f"{path.name}: z has data type {z.dtype.name}, expected numbers")
    data = z.astype(np.float64)
    fill = zattrs.get("_FillValue", zattrs.get("missing_value"))
    if fill is not None and np.all(np.isfinite(np.atleast_1d(fill))):
        data[z == np.atleast_1d(fill)[0]] = np.nan
    data = data * float(np.atleast_1d(zattrs.get("scale_factor", 1.0))[0]) + float(
        np.atleast_1d(zattrs.get("add_offset", 0.0))[0]
    )
    if x.size < 2 or y.size < 2:
        raise InputValidationError(f"{path.name}: a grid needs at least 2 x 2 nodes, has {x.size} x {y.size}")
    dx, dy = float(np.diff(x).mean()), float(np.diff(y).mean())
    if not (np.allclose(np.diff(x), dx, rtol=1e-4) and np.allclose(np.diff(y), dy, rtol=1e-4)):
        raise InputValidationError(f"{path.name}: x/y coordinates are not evenly spaced")
    if dy > 0:  # GMT stores south first: flip to north-up
        data, y = data[::-1], y[::-1]
    step_y = -abs(dy)
    # MintPy's prep_gmtsar test: a step under a degree is lon/lat; radar grids step by whole looks
    geographic = 1e-7 < abs(dx) < 1.0 and 1e-7 < abs(dy) < 1.0
    transform = Affine(dx, 0.0, float(x[0]) - dx / 2, 0.0, step_y, float(y[0]) - step_y / 2)
    attrs = {k: _text(v) for k, v in {**gattrs, **{f"z:{k}": v for k, v in zattrs.items()}}.items()}
    return GmtGrid(data.astype(np.float32), transform, geographic, attrs)


def gmtsar_kind(path: Path) -> str:
    """``unwrapped``, ``wrapped``, ``coherence``, ``los`` or ``unknown`` from GMTSAR's file names."""
    stem = Path(path).name.lower().split(".")[0]
    if stem.startswith("unwrap"):
        return "unwrapped"
    if stem.startswith(("phasefilt", "phase", "filtphase")):
        return "wrapped"
    if stem.startswith(("corr", "coh")):
        return "coherence"
    if stem.startswith("los"):
        return "los"
    return "unknown"


def _parse_prm(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in path.read_text(errors="replace").splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k.strip().upper()] = v.strip()
    return out


def _dates_and_prm(path: Path) -> tuple[Any, Any, dict[str, str]]:
    prms = sorted(path.parent.glob("*.PRM"))
    dated = [(m.group(1), p) for p in prms if (m := re.search(r"(?<!\d)((?:19|20)\d{6})(?!\d)", p.stem))]
    prm: dict[str, str] = _parse_prm(prms[0]) if prms else {}
    days = sorted({d for d, _ in dated})
    if len(days) == 2:
        d1, d2 = (parse_date(d, what=f"{path.parent.name}/*.PRM") for d in days)
    else:
        found = dates_from_name(path.name) or dates_from_name(path.parent.name)
        if found is None:
            raise InputValidationError(
                f"{path.name}: no dates: put the two scenes' .PRM files (named with YYYYMMDD) beside it "
                "or name its folder YYYYMMDD_YYYYMMDD"
            )
        d1, d2 = found
    ref, sec = order_dates(d1, d2, what=path.name)
    return ref, sec, prm


def read_gmtsar(path: Path, *, wavelength_m: float | None = None) -> Interferogram:
    """Read a geocoded GMTSAR interferogram grid (``unwrap*_ll.grd`` or wrapped ``phase*_ll.grd``).

    Raises:
        InputValidationError: radar-coordinate or non-phase grid, no dates, no wavelength (names
            ``--wavelength``), a grid off the globe.
    """
    path = Path(path)
    kind = gmtsar_kind(path)
    if kind in ("coherence", "los"):
        what = "a coherence grid" if kind == "coherence" else "LOS displacement (mm), not phase"
        raise InputValidationError(
            f"{path.name}: is {what}; give the interferogram (unwrap_ll.grd or phasefilt_ll.grd)"
        )
    grid = read_gmt_grid(path)
    if not grid.geographic:
        raise InputValidationError(
            f"{path.name}: GMT grid in radar coordinates (x = range pixel); geocode it with GMTSAR's "
            "proj_ra2ll.csh and give the *_ll.grd"
        )
    check_grid(grid.transform, grid.data.shape, what=path.name, fields="x/y coordinates")
    ref, sec, prm = _dates_and_prm(path)
    wavelength, source = resolve_wavelength(
        wavelength_m, prm, what=path.name, looked_for="radar_wavelength in a .PRM beside it"
    )
    finite = grid.data[np.isfinite(grid.data)]
    if not finite.size or not np.any(finite != 0):
        raise InputValidationError(f"{path.name}: every node is NaN or zero (no data)")
    if kind == "unknown":  # fall back on the values: within [-pi, pi] is wrapped phase
        kind = "wrapped" if finite.min() >= -np.pi - 1e-3 and finite.max() <= np.pi + 1e-3 else "unwrapped"
    nodata = ~np.isfinite(grid.data)
    common = dict(path=path, source_format="gmtsar", transform=grid.transform, wavelength_m=wavelength,
                  reference_date=ref, secondary_date=sec, nodata_mask=nodata, metadata=grid.attrs,
                  wavelength_source=source, perpendicular_baseline_m=gmtsar_stack_baseline(path, (ref, sec)))
    if kind == "wrapped":
        cplx = np.where(nodata, 0, np.exp(1j * np.nan_to_num(grid.data))).astype(np.complex64)
        return Interferogram(unwrapped_phase=None, wrapped=cplx, **common)  # type: ignore[arg-type]
    return Interferogram(unwrapped_phase=grid.data, **common)  # type: ignore[arg-type]

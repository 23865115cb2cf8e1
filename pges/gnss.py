"""GNSS daily position time series (NGL ``.tenv3``, UNAVCO/PBO ``.pos``) and their projection onto a LOS.

Both readers return a :class:`GNSSTimeSeries`: east/north/up displacements in metres RELATIVE TO THE FIRST
EPOCH, their 1-sigma uncertainties, the station's mean latitude, longitude (wrapped to -180..180; NGL prints
Lhasa as -268.896 = 91.104 E) and ellipsoidal height, and the epochs as dates and decimal years.

Formats: NGL ``.tenv3`` (Blewitt, Hammond & Kreemer 2018, Eos 99, doi:10.1029/2018EO104623; columns in
``tests/data/gnss/README_tenv3.txt``: east/north/up are integer + fractional parts, in metres, from a
reference meridian, the equator and the ellipsoid), and PBO ``.pos`` v1.1.0 (``dN dE dU`` in metres from
the header's NEU reference position).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from pges.errors import InputValidationError

__all__ = [
    "GNSSTimeSeries",
    "decimal_year",
    "fit_velocity",
    "los_unit_vector",
    "project_enu_to_los",
    "read_gnss",
    "read_pbo_pos",
    "read_tenv3",
]

logger = logging.getLogger(__name__)

_MJD0 = date(1858, 11, 17)


@dataclass(frozen=True)
class GNSSTimeSeries:
    """A station's daily ENU displacement series (metres, relative to the first epoch)."""

    station: str
    lat: float  # degrees north
    lon: float  # degrees east, -180..180
    height: float  # m above the WGS-84 ellipsoid
    dates: np.ndarray  # datetime64[D]
    decimal_year: np.ndarray
    east: np.ndarray  # m
    north: np.ndarray
    up: np.ndarray
    sigma_east: np.ndarray  # m, 1 sigma
    sigma_north: np.ndarray
    sigma_up: np.ndarray
    source_format: str

    def __len__(self) -> int:
        return int(self.dates.size)


def decimal_year(days: np.ndarray) -> np.ndarray:
    """``datetime64[D]`` -> decimal year (``year + (day_of_year - 1) / days_in_year``; 1 Jan = ``year.0``)."""
    days = np.asarray(days, dtype="datetime64[D]")
    years = days.astype("datetime64[Y]")
    start = years.astype("datetime64[D]")
    length = (years + 1).astype("datetime64[D]") - start
    return years.astype(int) + 1970 + (days - start).astype(float) / length.astype(float)


def _wrap_lon(lon: float) -> float:
    return float((lon + 180.0) % 360.0 - 180.0)


def _load(path: Path, usecols: tuple[int, ...], what: str, skiprows: int) -> np.ndarray:
    if not path.is_file():
        raise InputValidationError(f"{path.name}: GNSS file does not exist ({path})")
    try:
        data = np.loadtxt(path, usecols=usecols, ndmin=2, skiprows=skiprows)
    except (ValueError, IndexError) as exc:
        raise InputValidationError(f"{path.name}: not a {what} file ({str(exc).splitlines()[0]})") from exc
    if data.shape[0] == 0:
        raise InputValidationError(f"{path.name}: no epochs in the {what} file")
    return data


def read_tenv3(path: str | Path) -> GNSSTimeSeries:
    """Read a Nevada Geodetic Laboratory ``.tenv3`` file.

    Raises:
        InputValidationError: missing file, wrong number of columns, no rows.
    """
    path = Path(path)
    cols = (2, 3, 7, 8, 9, 10, 11, 12, 14, 15, 16, 20, 21, 22)
    d = _load(path, cols, "NGL .tenv3", skiprows=1)
    station = path.read_text().splitlines()[1].split()[0]
    mjd = d[:, 1].astype(int)
    dates = np.datetime64(_MJD0, "D") + mjd.astype("timedelta64[D]")
    east = d[:, 2] + d[:, 3]
    north = d[:, 4] + d[:, 5]
    up = d[:, 6] + d[:, 7]
    return GNSSTimeSeries(
        station=station,
        lat=float(np.median(d[:, 11])),
        lon=_wrap_lon(float(np.median(d[:, 12]))),
        height=float(np.median(d[:, 13])),
        dates=dates,
        decimal_year=d[:, 0],
        east=east - east[0],
        north=north - north[0],
        up=up - up[0],
        sigma_east=d[:, 8],
        sigma_north=d[:, 9],
        sigma_up=d[:, 10],
        source_format="tenv3",
    )


def read_pbo_pos(path: str | Path) -> GNSSTimeSeries:
    """Read a UNAVCO/PBO ``.pos`` (v1.1.0) file.

    Raises:
        InputValidationError: missing file, no ``*YYYYMMDD`` column line, no rows.
    """
    path = Path(path)
    if not path.is_file():
        raise InputValidationError(f"{path.name}: GNSS file does not exist ({path})")
    lines = path.read_text(errors="replace").splitlines()
    header = next((i for i, line in enumerate(lines) if line.startswith("*YYYYMMDD")), None)
    if header is None:
        raise InputValidationError(f"{path.name}: not a PBO .pos file (no '*YYYYMMDD' column line)")
    station = next(
        (ln.split(":", 1)[1].strip() for ln in lines[:header] if ln.startswith("4-character ID")), path.stem[:4]
    )
    d = _load(path, (0, 12, 13, 14, 15, 16, 17, 18, 19, 20), "PBO .pos", skiprows=header + 1)
    ymd = d[:, 0].astype(int)
    dates = np.array(
        [np.datetime64(date(v // 10000, v // 100 % 100, v % 100), "D") for v in ymd], dtype="datetime64[D]"
    )
    north, east, up = d[:, 4], d[:, 5], d[:, 6]
    return GNSSTimeSeries(
        station=station,
        lat=float(np.median(d[:, 1])),
        lon=_wrap_lon(float(np.median(d[:, 2]))),
        height=float(np.median(d[:, 3])),
        dates=dates,
        decimal_year=decimal_year(dates) + 0.5 / 365.25,  # epochs are at 12:00
        east=east - east[0],
        north=north - north[0],
        up=up - up[0],
        sigma_east=d[:, 8],
        sigma_north=d[:, 7],
        sigma_up=d[:, 9],
        source_format="pos",
    )


def read_gnss(path: str | Path) -> GNSSTimeSeries:
    """Read a ``.tenv3`` or ``.pos`` file (by suffix).

    Raises:
        InputValidationError: another suffix, or a bad file.
    """
    path = Path(path)
    if path.suffix.lower() == ".tenv3":
        return read_tenv3(path)
    if path.suffix.lower() == ".pos":
        return read_pbo_pos(path)
    raise InputValidationError(f"{path.name}: unknown GNSS format (expected .tenv3 or .pos)")


def los_unit_vector(incidence_deg: float, heading_deg: float) -> np.ndarray:
    """East, north, up components of the unit vector from the ground TO the satellite (right-looking SAR).

    With incidence ``theta`` and platform heading ``alpha`` (flight azimuth, clockwise from north), the
    radar looks to azimuth ``alpha + 90``, so the ground-to-satellite vector is
    ``(-sin(theta) cos(alpha), sin(theta) sin(alpha), cos(theta))``. A displacement projected on it is
    positive toward the satellite, the LOS sign convention of sarlake (Fialko, Simons & Agnew 2001, GRL 28,
    3063, eq. 1, with the sign turned to range decrease).
    """
    th, al = np.deg2rad(incidence_deg), np.deg2rad(heading_deg)
    return np.array([-np.sin(th) * np.cos(al), np.sin(th) * np.sin(al), np.cos(th)])


def project_enu_to_los(east: np.ndarray, north: np.ndarray, up: np.ndarray, los_enu: np.ndarray) -> np.ndarray:
    """Project ENU displacements (any units, broadcastable) onto a LOS unit vector ``(e, n, u)``."""
    le, ln, lu = np.asarray(los_enu, dtype=float)
    return np.asarray(east) * le + np.asarray(north) * ln + np.asarray(up) * lu


def fit_velocity(t_years: np.ndarray, y: np.ndarray, sigma: np.ndarray | None = None) -> tuple[float, float]:
    """Weighted least-squares line ``y = a + v t``; return ``(v, sigma_v)`` in units of y per year.

    ``sigma_v`` is the formal error scaled by the reduced chi-square of the fit (so white-noise-only; GNSS
    velocity errors with coloured noise are several times larger, Williams 2003, J. Geodesy 76, 483).

    Raises:
        InputValidationError: fewer than 3 epochs.
    """
    t = np.asarray(t_years, float)
    y = np.asarray(y, float)
    if t.size < 3:
        raise InputValidationError(f"need at least 3 epochs to fit a velocity, got {t.size}")
    w = np.ones_like(t) if sigma is None else 1.0 / np.maximum(np.asarray(sigma, float), 1e-6) ** 2
    G = np.column_stack([np.ones_like(t), t - t.mean()])
    W = G * w[:, None]
    cov = np.linalg.inv(G.T @ W)
    coef = cov @ (W.T @ y)
    res = y - G @ coef
    chi2 = float(np.sum(w * res**2) / max(t.size - 2, 1))
    return float(coef[1]), float(np.sqrt(cov[1, 1] * chi2))

"""An ARIA GUNW's imaging geometry (pges.readers.aria_geometry): ARIA's azimuth convention, cubes holding nothing."""

from __future__ import annotations

import logging
from pathlib import Path

import h5py
import numpy as np
import pytest

NAME = "S1-GUNW-A-R-044-tops-20240208_20240115-050000-01444E_04081N-PP-22da-v3_0_1.nc"


@pytest.mark.parametrize("heading", [-12.0, -168.0, 0.0, 90.0, -90.0, 179.0, -179.5])
def test_the_heading_is_recovered_from_arias_target_to_sensor_azimuth(heading):
    """ARIA's azimuthAngle is the target-to-sensor line of sight's angle counter-clockwise from east; the truth here
    is sarlake's own ground-to-satellite vector (pges.gnss.los_unit_vector) of a known right-looking geometry."""
    from pges.gnss import los_unit_vector
    from pges.readers.aria_geometry import heading_from_azimuth

    east, north, _ = los_unit_vector(np.array([30.0, 38.0, 45.0]), heading)
    found = heading_from_azimuth(np.degrees(np.arctan2(north, east)))
    assert found is not None
    assert abs((found - heading + 180.0) % 360.0 - 180.0) < 1e-9
    assert -180.0 <= found < 180.0  # HyP3's range: Sentinel-1 ascending ~ -12, descending ~ -168


def test_azimuths_that_wrap_round_average_as_directions():
    """The same direction written either side of the cut (+-180, or 0/360): an arithmetic mean or median of
    179.5 and -179.5 is 0, a look the other way (heading 180 instead of 0)."""
    from pges.readers.aria_geometry import heading_from_azimuth

    for alphas, heading in (([179.5, -179.5, 179.8, -179.8, np.nan], 0.0), ([359.6, 0.4, 359.9, 0.1], -180.0)):
        found = heading_from_azimuth(np.array(alphas))
        assert found is not None
        assert found == pytest.approx(heading, abs=1e-9)
    assert heading_from_azimuth(np.array([np.nan])) is None


def _gunw(path: Path, cubes: dict[str, np.ndarray], fill: float = -9999.0) -> Path:
    """A small GUNW in ARIA's layout (h5py), with ``cubes`` in /science/grids/imagingGeometry."""
    rows, cols = 6, 8
    with h5py.File(path, "w") as f:
        data = f.create_group("science/grids/data")
        data["latitude"] = np.linspace(40.9, 40.8, rows)
        data["longitude"] = np.linspace(14.4, 14.5, cols)
        data["unwrappedPhase"] = np.linspace(1.0, 5.0, rows * cols, dtype=np.float32).reshape(rows, cols)
        f["science/radarMetaData/wavelength"] = 0.05546576
        group = f.create_group("science/grids/imagingGeometry")
        group["heightsMeta"] = np.array([-1500.0, 0.0, 3000.0, 9000.0])
        group["latitudeMeta"] = np.linspace(41.0, 40.7, 4)
        group["longitudeMeta"] = np.linspace(14.3, 14.6, 5)
        for name, values in cubes.items():
            group[name] = values
            if np.issubdtype(values.dtype, np.floating):
                group[name].attrs["_FillValue"] = np.float32(fill)
    return path


@pytest.mark.parametrize("azimuth", [np.full((4, 4, 5), b"east"), np.full((4, 4, 5), -168 + 1j, np.complex64)],
                         ids=["text", "complex"])
def test_cubes_of_fill_values_or_no_real_numbers_are_left_out_with_a_log_line(tmp_path, caplog, azimuth):
    """A GUNW whose cubes hold nothing usable (all fill, text, complex) must still be read, its geometry left out,
    and the log say which cube of which file; a crash or a silent 0 deg (or -9999 deg) incidence are both wrong."""
    from pges.readers.aria import read_aria_gunw

    cubes = {"incidenceAngle": np.full((4, 4, 5), -9999.0, np.float32), "azimuthAngle": azimuth}
    with caplog.at_level(logging.WARNING):
        ifg = read_aria_gunw(_gunw(tmp_path / NAME, cubes))
    assert ifg.incidence_deg is None
    assert ifg.heading_deg is None
    assert ifg.orbit_state == "ascending"
    said = caplog.text
    assert f"{NAME}: science/grids/imagingGeometry/incidenceAngle holds no value" in said
    assert f"{NAME}: science/grids/imagingGeometry/azimuthAngle is not a 3-D cube of real numbers" in said


def test_a_partly_filled_cube_gives_the_values_it_has_at_zero_metres(tmp_path):
    """Fill values (ARIA's _FillValue) and other heights must not pull the value: the level at 0 m holds 41 deg where
    it is not fill, the others 10 deg off."""
    from pges.readers.aria import read_aria_gunw

    incidence = np.full((4, 4, 5), 51.0, np.float32)
    incidence[1] = 41.0
    incidence[1, :, ::2] = -9999.0
    azimuth = np.full((4, 4, 5), -168.0, np.float32)  # ascending: heading -12
    azimuth[1, 0] = -9999.0
    ifg = read_aria_gunw(_gunw(tmp_path / NAME, {"incidenceAngle": incidence, "azimuthAngle": azimuth}))
    assert ifg.incidence_deg == 41.0
    assert ifg.heading_deg == pytest.approx(-12.0, abs=1e-4)


def test_a_real_gunw_name_gives_asfs_own_track_pass_dates_and_sentinel1s_wavelength(tmp_path):
    """ARIA's naming read against ASF's own record of that product (tests/data/sar_metadata/aria_gunw_record.json,
    SOURCES.md): its path number, pass direction, acquisition date of the reference and temporal baseline; the
    reference's absolute orbit gives the same track by the HyP3 reader's rule. A GUNW without the wavelength
    variable was refused ('give --wavelength'): its name says Sentinel-1."""
    import json
    from datetime import date

    from pges.readers.aria import read_aria_gunw
    from pges.readers.hyp3 import relative_orbit

    record = json.loads((Path(__file__).parent / "data" / "sar_metadata" / "aria_gunw_record.json").read_text())
    path = _gunw(tmp_path / f"{record['GranuleUR']}.nc", {})
    with h5py.File(path, "a") as f:
        del f["science/radarMetaData/wavelength"]
    ifg = read_aria_gunw(path)
    assert ifg.track == record["PATH_NUMBER"]
    assert ifg.track == relative_orbit("A", record["OrbitNumbers"][0])
    assert ifg.orbit_state == record["ASCENDING_DESCENDING"]
    assert ifg.reference_date == date.fromisoformat(record["BeginningDateTime"][:10])  # the later, as ARIA's
    assert (ifg.reference_date - ifg.secondary_date).days == record["TEMPORAL_BASELINE_DAYS"]
    assert ifg.wavelength_m == pytest.approx(299_792_458.0 / 5.405e9, rel=1e-12)
    assert ifg.wavelength_source == "S1-GUNW file name (Sentinel-1)"
    assert read_aria_gunw(path, wavelength_m=0.0236).wavelength_m == 0.0236  # --wavelength still wins

"""GNSS readers on the real LHAS (.tenv3) and P156 (.pos) series, and the LOS projection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pges.errors import InputValidationError
from pges.gnss import fit_velocity, los_unit_vector, project_enu_to_los, read_gnss, read_pbo_pos, read_tenv3

DATA = Path(__file__).parent / "data" / "gnss"


def test_lhas_tenv3() -> None:
    g = read_tenv3(DATA / "LHAS.tenv3")
    assert g.station == "LHAS" and g.source_format == "tenv3"
    assert len(g) == 3631
    assert str(g.dates[0]) == "1995-05-19" and str(g.dates[-1]) == "2007-01-29"
    assert g.lat == pytest.approx(29.6573, abs=1e-4)
    assert g.lon == pytest.approx(360 - 268.8960, abs=1e-4)  # printed as -268.896 = 91.104 E
    assert g.height == pytest.approx(3624.7, abs=0.1)
    assert g.east[0] == g.north[0] == g.up[0] == 0.0
    # independent check on the raw columns: decimal year (3), east integer + fraction (8, 9)
    raw = np.loadtxt(DATA / "LHAS.tenv3", skiprows=1, usecols=(2, 7, 8, 9, 10))
    v_east_raw = np.polyfit(raw[:, 0], raw[:, 1] + raw[:, 2], 1)[0]
    v_north_raw = np.polyfit(raw[:, 0], raw[:, 3] + raw[:, 4], 1)[0]
    v_east, s_east = fit_velocity(g.decimal_year, g.east)
    assert v_east == pytest.approx(v_east_raw, abs=1e-6)
    assert fit_velocity(g.decimal_year, g.north)[0] == pytest.approx(v_north_raw, abs=1e-6)
    # Lhasa moves ~46 mm/yr east and ~16 mm/yr north in ITRF (Eurasia + India-Asia convergence)
    assert 0.040 < v_east < 0.050 and 0.012 < v_north_raw < 0.020
    assert 0 < s_east < 0.001


def test_p156_pos() -> None:
    g = read_pbo_pos(DATA / "P156.pbo.final_igs08.pos")
    assert g.station == "P156" and g.source_format == "pos"
    assert len(g) == 3196
    assert str(g.dates[0]) == "2006-06-08" and str(g.dates[-1]) == "2015-03-14"
    assert g.lat == pytest.approx(40.0244, abs=1e-4) and g.lon == pytest.approx(-123.9061, abs=1e-4)
    assert g.height == pytest.approx(489.0, abs=0.1)
    # independent: MJD (col 3) and dE (col 17) straight from the file
    raw = np.loadtxt(DATA / "P156.pbo.final_igs08.pos", skiprows=37, usecols=(2, 16, 15))
    v_e_raw = np.polyfit(raw[:, 0] / 365.25, raw[:, 1], 1)[0]
    v_n_raw = np.polyfit(raw[:, 0] / 365.25, raw[:, 2], 1)[0]
    v_e, _ = fit_velocity(g.decimal_year, g.east)
    v_n, _ = fit_velocity(g.decimal_year, g.north)
    assert v_e == pytest.approx(v_e_raw, abs=2e-5) and v_n == pytest.approx(v_n_raw, abs=2e-5)
    # northern California coast in IGS08: ~32 mm/yr west, ~12 mm/yr north
    assert -0.036 < v_e < -0.028 and 0.009 < v_n < 0.015


def test_read_gnss_by_suffix_and_errors(tmp_path: Path) -> None:
    assert read_gnss(DATA / "LHAS.tenv3").station == "LHAS"
    with pytest.raises(InputValidationError, match="unknown GNSS format"):
        read_gnss(tmp_path / "x.csv")
    bad = tmp_path / "BAD.pos"
    bad.write_text("not a pos file\n")
    with pytest.raises(InputValidationError, match="no '\\*YYYYMMDD'"):
        read_pbo_pos(bad)


def test_los_unit_vector_and_projection() -> None:
    u = los_unit_vector(34.0, -10.0)  # ascending, right-looking: looks east, so ground->satellite points west
    assert np.linalg.norm(u) == pytest.approx(1.0)
    assert u[0] < 0 and u[2] == pytest.approx(np.cos(np.deg2rad(34.0)))
    # pure uplift of 10 mm shows as +10 cos(inc) mm toward the satellite; eastward motion as negative
    assert project_enu_to_los(0.0, 0.0, 10.0, u) == pytest.approx(10 * np.cos(np.deg2rad(34.0)))
    assert project_enu_to_los(10.0, 0.0, 0.0, u) < 0
    d = los_unit_vector(34.0, 190.0)  # descending looks west: ground->satellite points east
    assert d[0] > 0
    e, n, up = np.ones(5), np.zeros(5), np.zeros(5)
    np.testing.assert_allclose(project_enu_to_los(e, n, up, d), d[0])

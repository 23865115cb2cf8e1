"""`sarlake unwrap` of ESA SNAP's wrapped interferogram (BEAM-DIMAP ``i_ifg``/``q_ifg`` bands), made from real data.

SNAP users unwrap by exporting to SNAPHU and importing its result back; `sarlake unwrap x.dim` refused the product
('no unwrapped phase band'). The product here is written as SNAP writes it (``test_cli_ingest_snap``'s writer): the
real Sydney pair geo_060619-061002 wrapped from ROI_PAC's own unwrapped phase into SNAP's complex interferogram, with
the real GAMMA coherence as its ``coh`` band. ROI_PAC's phase is the truth the product is compared with, inside its
connected components, up to the reference point; SNAP's sign is the order of the pair (reference x conj(secondary)).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_cli_ingest_options import DATA, UNW, _cli, _lake, _one_error_line, _sql
from test_cli_ingest_snap import _beam_dimap
from test_cli_unwrap_s3 import assert_no_cycle_lost


def _snap_wrapped(tmp_path: Path, *, reference_first: bool) -> tuple[Path, np.ndarray]:
    """The terrain-corrected wrapped interferogram of geo_060619-061002 as SNAP writes it; and ROI_PAC's phase."""
    from pges.readers import read_interferogram

    ifg = read_interferogram(UNW[0], coherence_dirs=[DATA / "gamma_coherence"])
    assert ifg.coherence is not None
    truth = ifg.unwrapped_phase
    dates, phase = "19Jun2006_02Oct2006", truth
    if not reference_first:  # SNAP's reference is the later date: reference x conj(secondary) negates the phase
        dates, phase = "02Oct2006_19Jun2006", -truth
    ok = np.isfinite(phase)
    cplx = np.where(ok, np.exp(1j * np.nan_to_num(phase)), 0)
    bands = {f"i_ifg_VV_{dates}": (np.where(ok, cplx.real, np.nan), "real"),
             f"q_ifg_VV_{dates}": (np.where(ok, cplx.imag, np.nan), "imaginary"),
             f"coh_VV_{dates}": (ifg.coherence, "coherence")}
    return _beam_dimap(tmp_path / "S1_Orb_Stack_Ifg_Deb_Flt_TC.dim", bands, ifg.transform, ifg.wavelength_m), truth


@pytest.mark.parametrize("reference_first", [True, False])
def test_a_snap_wrapped_interferogram_is_unwrapped_to_roipacs_phase_whichever_date_is_its_reference(
        settings, tmp_path, reference_first):
    _lake()
    dim, truth = _snap_wrapped(tmp_path, reference_first=reference_first)
    out = _cli("unwrap", str(dim), "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    (row,) = _sql("SELECT product_id, met_uri, reference_date, secondary_date FROM products")
    assert (str(row["secondary_date"]), str(row["reference_date"])) == ("2006-06-19", "2006-10-02")
    props = json.loads(Path(row["met_uri"]).read_text())["properties"]
    assert props["sarlake:source_format"] == "snap"
    # what the file says of its acquisition, as ingest records it (the unwrap PGE wrote only --track/--orbit-state)
    assert (props["sat:relative_orbit"], props["sat:orbit_state"]) == (388, "descending")
    # and the id carries that track, as ingest's do: SNAP and ISCE2 name every pair's file alike
    assert row["product_id"].startswith("EXT-SNAP-T388-S1_Orb_Stack_Ifg_Deb_Flt_TC-20061002_20060619-UNW-")
    assert props["view:incidence_angle"] == pytest.approx((19.25 + 26.75) / 2)
    assert props["sarlake:coherence_mean"] > 0  # its coh band was read: no coherence estimated from the phase
    assert "coherence_estimated" not in props.get("sarlake:flags", [])
    phase, expected = assert_no_cycle_lost(Path(row["met_uri"]).parent, truth)
    assert np.corrcoef(phase, expected)[0, 1] > 0.9  # and its sign (-truth + c would read -0.9)


def test_ingest_sends_a_snap_wrapped_interferogram_to_unwrap(settings, tmp_path):
    """Before, ingest said only 'no unwrapped phase band'; now it says what the product is and which command
    takes it."""
    _lake()
    dim, _ = _snap_wrapped(tmp_path, reference_first=True)
    line = _one_error_line(_cli("ingest", str(dim), "--aoi", "sydney"))
    assert f"{dim.name}: is a wrapped interferogram; unwrap it first with `sarlake unwrap {dim.name}`" in line


def test_snaps_virtual_phase_band_is_left_to_its_i_and_q_bands():
    """SNAP's ``Phase_ifg`` is an expression of i and q with no raster: a product is wrapped by its i and q bands;
    a ``Phase_ifg`` written as a raster (Band Maths, 'virtual' unticked) is read when there are none."""
    from pges.readers.dimap import wrapped_bands

    i, q = {"name": "i_ifg_VV_19Jun2006_02Oct2006", "virtual": False}, {"name": "q_ifg_VV_19Jun2006_02Oct2006",
                                                                       "virtual": False}
    virtual = {"name": "Phase_ifg_VV_19Jun2006_02Oct2006", "virtual": True}
    written = {"name": "Phase_ifg_VV_19Jun2006_02Oct2006", "virtual": False}
    assert wrapped_bands([i, q, virtual]) == [(i, q)]
    assert wrapped_bands([virtual]) == []
    assert wrapped_bands([written]) == [(written, None)]
    assert wrapped_bands([i]) == []  # an i band without its q is no interferogram

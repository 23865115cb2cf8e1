"""`qa score` reads every format ingest reads (pges.qa.any_format), checked against the ROI_PAC route on real data.

An ARIA GUNW and a MintPy stack are made from the real Sydney interferograms (as `test_cli_ingest_options` makes
them); what QA reads from each must be what the ROI_PAC reader reads from the original files.
"""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import rasterio
from test_cli_ingest_options import DATA, UNW, _gunw  # tests/ is on sys.path


def test_a_gunw_is_scored_on_its_own_phase_coherence_and_components(tmp_path):
    """`qa score S1-GUNW-...nc` said 'not a GeoTIFF (.tif) nor a ROI_PAC .unw': a GUNW could only be judged once
    ingested. Its phase (ARIA's sign undone) must be ROI_PAC's, its coherence GAMMA's, its components its own."""
    from pges.qa.any_format import read_inputs
    from pges.qa.score import read_files
    from pges.readers import read_interferogram

    ifg = read_interferogram(UNW[0], coherence_dirs=[DATA / "gamma_coherence"])
    assert ifg.coherence is not None
    path = _gunw(tmp_path / "S1-GUNW-D-R-071-tops-20061002_20060619-114010-15090E_34200S-PP-7915-v2_0_6.nc", ifg,
                 north_up=False)
    (product,) = read_inputs(path)
    roipac = read_files(UNW[0])
    ok = np.isfinite(roipac.unw)
    assert product.name == str(path)
    np.testing.assert_array_equal(np.isfinite(product.unw), ok)
    np.testing.assert_allclose(product.unw[ok], roipac.unw[ok], rtol=1e-6)
    assert product.coherence is not None
    np.testing.assert_allclose(product.coherence[ok], ifg.coherence[ok], rtol=1e-6)
    assert product.conncomp is not None
    assert set(np.unique(product.conncomp[ok])) == {0, 1}  # the strip the unwrapper left out, and the rest


def test_a_mintpy_stack_without_a_wavelength_is_scored_pair_by_pair(tmp_path):
    """A stack gives one product per pair, named <file>:<earlier>_<later>. It has no WAVELENGTH, which its reader
    insists on for ingest; QA scores radians and does not need one."""
    from pges.qa.any_format import read_inputs
    from pges.qa.score import read_files
    from pges.readers import read_interferogram

    ifgs = [read_interferogram(u) for u in UNW[:2]]
    rows, cols = ifgs[0].shape
    transform = ifgs[0].transform
    path = tmp_path / "ifgramStack.h5"
    with h5py.File(path, "w") as f:
        f["unwrapPhase"] = np.stack([np.nan_to_num(i.unwrapped_phase) for i in ifgs]).astype(np.float32)
        f["date"] = np.array([[f"{i.secondary_date:%Y%m%d}".encode(), f"{i.reference_date:%Y%m%d}".encode()]
                              for i in ifgs])
        f["dropIfgram"] = np.array([True, True])
        for key, value in {"FILE_TYPE": "ifgramStack", "LENGTH": str(rows), "WIDTH": str(cols), "UNIT": "radian",
                           "X_FIRST": str(transform.c), "Y_FIRST": str(transform.f), "X_STEP": str(transform.a),
                           "Y_STEP": str(transform.e), "X_UNIT": "degrees", "Y_UNIT": "degrees"}.items():
            f.attrs[key] = value
    products = read_inputs(path)
    assert [p.name for p in products] == [f"{path}:20060619_20061002", f"{path}:20060828_20061211"]
    for product, src in zip(products, UNW[:2], strict=True):
        roipac = read_files(src)
        ok = np.isfinite(roipac.unw)
        np.testing.assert_array_equal(np.isfinite(product.unw), ok)
        np.testing.assert_allclose(product.unw[ok], roipac.unw[ok], rtol=1e-6)


def test_a_file_no_reader_knows_is_refused_naming_it_and_the_formats(tmp_path):
    from pges.errors import InputValidationError
    from pges.qa.any_format import read_inputs

    odd = tmp_path / "phase.unw"  # no .rsc, .xml or .par beside it
    odd.write_bytes(b"\0" * 4096)
    with pytest.raises(InputValidationError, match=r"^phase\.unw: ROI_PAC header phase\.unw\.rsc is missing and no "
                                                   r"ISCE2 .*; supported: GeoTIFF .*ARIA S1-GUNW \.nc"):
        read_inputs(odd)


def test_a_product_whose_frequency_is_no_radars_is_scored_on_its_radians(tmp_path):
    """QA reads radians and never uses the wavelength. A SNAP product whose radar_frequency is 0 was refused by
    `qa score` ('not a radar frequency') because the retry matched '--wavelength' in the message, which that one
    lacked; the readers now raise a WavelengthError for every wavelength they cannot use, and QA catches the type."""
    from test_cli_ingest_snap import _sydney

    from pges.qa.any_format import read_inputs
    from pges.qa.score import read_files
    from pges.readers.wavelength import SPEED_OF_LIGHT

    dim, ifg = _sydney(tmp_path)
    mhz = repr(SPEED_OF_LIGHT / ifg.wavelength_m / 1e6)
    dim.write_text(dim.read_text(encoding="iso-8859-1").replace(f'mode="rw">{mhz}<', 'mode="rw">0.0<'),
                   encoding="iso-8859-1")
    (product,) = read_inputs(dim)
    roipac = read_files(UNW[0])
    ok = np.isfinite(roipac.unw)
    np.testing.assert_array_equal(np.isfinite(product.unw), ok)
    np.testing.assert_allclose(product.unw[ok], roipac.unw[ok], rtol=1e-6)


def test_every_wavelength_a_reader_cannot_use_is_a_wavelength_error_naming_the_flag(tmp_path):
    """Missing, not a number, not a radar frequency, out of range: each is a WavelengthError (an
    InputValidationError, exit 2) whose message names --wavelength; a length in a GeoTIFF without a wavelength is
    not one (its phase cannot be read in radians without it)."""
    from pges.errors import InputValidationError
    from pges.readers.validate import WavelengthError
    from pges.readers.wavelength import resolve_wavelength

    cases = [{}, {"WAVELENGTH": "abc"}, {"RADAR_FREQUENCY": "0"}, {"WAVELENGTH": "5.6"}]
    for meta in cases:
        with pytest.raises(WavelengthError, match="--wavelength METRES"):
            resolve_wavelength(None, meta, what="x.unw")
    assert issubclass(WavelengthError, InputValidationError)
    rsc = tmp_path / "geo_060619-061002.unw.rsc"
    (tmp_path / "geo_060619-061002.unw").write_bytes(UNW[0].read_bytes())
    rsc.write_text("\n".join(line for line in (UNW[0].parent / f"{UNW[0].name}.rsc").read_text().splitlines()
                             if not line.startswith("WAVELENGTH")) + "\n")
    from pges.readers import read_interferogram

    with pytest.raises(WavelengthError, match=r"geo_060619-061002\.unw\.rsc: header has no WAVELENGTH"):
        read_interferogram(tmp_path / "geo_060619-061002.unw")


def test_a_coherence_of_another_pair_is_refused(tmp_path):
    """`qa score geo_060619-061002.unw --coherence 20061106-20070326_utm.unw.cc` scored the product with another
    pair's coherence (same grid, so nothing else noticed). The dates in the names must agree, for a ROI_PAC .unw, a
    GeoTIFF named with its dates and a GUNW alike; a file whose name has no dates is read as before."""
    import shutil

    from pges.errors import InputValidationError
    from pges.qa.any_format import read_inputs
    from pges.readers import read_interferogram

    right = DATA / "gamma_coherence" / "20060619-20061002_utm.unw.cc"
    wrong = DATA / "gamma_coherence" / "20061106-20070326_utm.unw.cc"
    ifg = read_interferogram(UNW[0], coherence_dirs=[DATA / "gamma_coherence"])
    assert ifg.coherence_path == right  # UNW[0] is geo_060619-061002.unw
    gunw = _gunw(tmp_path / "S1-GUNW-D-R-071-tops-20061002_20060619-114010-15090E_34200S-PP-7915-v2_0_6.nc", ifg,
                 north_up=False)
    tif = tmp_path / "20060619_20061002_unw.tif"
    with rasterio.open(tif, "w", driver="GTiff", width=ifg.shape[1], height=ifg.shape[0], count=1,
                       dtype="float32", crs="EPSG:4326", transform=ifg.transform, nodata=np.nan) as dst:
        dst.write(ifg.unwrapped_phase.astype("float32"), 1)
    for product in (UNW[0], gunw, tif):
        with pytest.raises(InputValidationError) as err:
            read_inputs(product, wrong)
        assert str(err.value).startswith(f"{wrong.name}: its dates 2006-11-06/2007-03-26 are not those of "
                                         f"{product.name} (2006-06-19/2006-10-02)")
        (scored,) = read_inputs(product, right)
        ok = np.isfinite(scored.unw)
        np.testing.assert_allclose(scored.coherence[ok], ifg.coherence[ok], rtol=1e-6)
    undated = tmp_path / "coherence.cc"
    shutil.copyfile(wrong, undated)
    (scored,) = read_inputs(UNW[0], undated)  # no dates to check: the user's word is taken
    assert scored.coherence is not None


HYP3 = "S1AA_20060619T114010_20061002T114010_VVP105_INT80_G_ueF_5D1E"


def _hyp3_product(folder):
    """HyP3's phase and coherence GeoTIFFs side by side: a bowl whose noise grows where the coherence is low."""
    from test_pges_qa_score import _phase, _write_tif

    folder.mkdir(parents=True, exist_ok=True)
    coh = np.where(np.arange(64)[None, :] < 32, 0.9, 0.15).repeat(64, axis=0).astype("float32")
    noise = np.random.default_rng(3).normal(0, 1, coh.shape) * (1 - coh) * 2
    unw = _write_tif(folder / f"{HYP3}_unw_phase.tif", (_phase() + noise).astype("float32"))
    corr = _write_tif(folder / f"{HYP3}_corr.tif", coh)
    return unw, corr, coh


def test_a_hyp3_phase_is_scored_with_the_coherence_beside_it_as_ingest_reads_it(tmp_path):
    """`qa score X_unw_phase.tif` scored a HyP3 product without its coherence ('degraded: no coherence'), where
    ingest reads the X_corr.tif beside it; so did a download from S3, which fetched the coherence and left it unread.
    Without --coherence the one beside it is now read (what the file holds), and named."""
    from pges.qa.any_format import read_inputs
    from pges.readers import read_interferogram

    unw, corr, coh = _hyp3_product(tmp_path / "hyp3")
    (product,) = read_inputs(unw)
    assert product.coherence is not None
    np.testing.assert_array_equal(product.coherence, coh)
    assert product.extra == {"coherence_found": str(corr)}
    assert read_interferogram(unw).coherence_path == corr  # what ingest reads beside it
    features = product.features()
    assert "coherence" not in features.missing
    assert features.values["coherence_mean"] == pytest.approx(0.525, abs=1e-6)  # halves of 0.9 and 0.15
    # named explicitly, the same layer; a coherence of another pair beside it is not taken for this one's
    (given,) = read_inputs(unw, corr)
    np.testing.assert_array_equal(given.coherence, product.coherence)
    assert given.extra == {}
    corr.rename(tmp_path / "hyp3" / "S1AA_20061106T114010_20070326T114010_VVP105_INT80_G_ueF_5D1E_corr.tif")
    (alone,) = read_inputs(unw)
    assert alone.coherence is None
    assert alone.extra == {}


def test_a_coherence_beside_the_phase_that_cannot_be_read_with_it_leaves_the_phase_scored_without_one(tmp_path,
                                                                                                    caplog):
    """A file nobody named must not stop the score: on another grid, it is left out and the log says why."""
    import logging

    from test_pges_qa_score import _write_tif

    from pges.errors import InputValidationError
    from pges.qa.any_format import read_inputs

    unw, corr, coh = _hyp3_product(tmp_path / "hyp3")
    _write_tif(corr, coh[:40, :40])  # multilooked otherwise than the phase
    with caplog.at_level(logging.WARNING, logger="pges.qa.score"):
        (product,) = read_inputs(unw)
    assert product.coherence is None
    assert product.extra == {}
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [unw.name]
    assert "scored without the coherence found beside it: the coherence file:" in caplog.records[0].getMessage()
    with pytest.raises(InputValidationError, match="^the coherence file: "):  # named, it is still refused
        read_inputs(unw, corr)

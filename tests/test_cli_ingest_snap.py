"""`sarlake ingest` of ESA SNAP's BEAM-DIMAP products (``<name>.dim`` + ``<name>.data/``), made from real data.

The product is written the way SNAP writes it (snap-engine ``DimapHeaderWriter``/``EnviHeader``): the ``.dim``'s
``Spectral_Band_Info``/``Data_File``/``Geoposition``/``Abstracted_Metadata`` elements, and per band an ENVI ``.hdr``
with ``byte order = 1`` and a big-endian float32 ``.img`` (GDAL's ENVI writer writes the machine's byte order, so the
raster is written as SNAP's Java writer does). The truth for its LOS is PyRate's MATLAB millimetres of the same
ROI_PAC interferogram.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_cli_ingest_options import DATA, UNW, _cli, _lake, _one_error_line, _sql, assert_los_is_pyrates_negated

SPEED_OF_LIGHT = 299_792_458.0
_WKT = ('GEOGCS["WGS84(DD)", DATUM["WGS84", SPHEROID["WGS84", 6378137.0, 298.257223563]], PRIMEM["Greenwich", 0.0], '
        'UNIT["degree", 0.017453292519943295], AXIS["Geodetic longitude", EAST], AXIS["Geodetic latitude", NORTH]]')


def _envi(folder: Path, band: str, values: np.ndarray, transform, unit: str) -> None:
    """``<band>.img`` (big-endian float32, 0 = no data) and ``<band>.hdr`` as SNAP's ``EnviHeader`` writes them."""
    np.nan_to_num(values).astype(">f4").tofile(folder / f"{band}.img")
    lines = ["ENVI", f"description = {{Sentinel-1 IW Level-1 SLC Product - Unit: {unit}}}",
             f"samples = {values.shape[1]}", f"lines = {values.shape[0]}", "bands = 1", "header offset = 0",
             "file type = ENVI Standard", "data type = 4", "interleave = bsq", "byte order = 1",
             f"band names = {{ {band} }}"]
    if transform is not None:  # a map grid; radar geometry (tie-point geocoding) has no map info
        lines.append(f"map info = {{Geographic Lat/Lon,1.0,1.0,{transform.c!r},{transform.f!r},{transform.a!r},"
                     f"{-transform.e!r},WGS84,units=Degrees}}")
    (folder / f"{band}.hdr").write_text("\n".join(lines) + "\n")


def _beam_dimap(dim: Path, bands: dict[str, tuple[np.ndarray, str]], transform, wavelength_m: float, *,
                geocoded: bool = True, baselines: str = "") -> Path:
    """A BEAM-DIMAP product: ``dim`` + ``<stem>.data/`` holding ``bands`` (name -> (values, unit)); ``baselines``:
    the ``Baselines`` element of its Abstracted_Metadata (s1tbx's ``Ref_<date>/Secondary_<date>``), if any."""
    data = dim.with_suffix(".data")
    data.mkdir(parents=True)
    rows, cols = next(iter(bands.values()))[0].shape
    matrix = ",".join(repr(v) for v in (transform.a, 0.0, 0.0, transform.e, transform.c, transform.f))
    files, infos = [], []
    for index, (name, (values, unit)) in enumerate(bands.items()):
        _envi(data, name, values, transform if geocoded else None, unit)
        files.append(f'        <Data_File>\n            <DATA_FILE_PATH href="{data.name}/{name}.hdr" />\n'
                     f"            <BAND_INDEX>{index}</BAND_INDEX>\n        </Data_File>")
        infos.append(f"""        <Spectral_Band_Info>
            <BAND_INDEX>{index}</BAND_INDEX>
            <BAND_DESCRIPTION />
            <BAND_NAME>{name}</BAND_NAME>
            <BAND_RASTER_WIDTH>{cols}</BAND_RASTER_WIDTH>
            <BAND_RASTER_HEIGHT>{rows}</BAND_RASTER_HEIGHT>
            <DATA_TYPE>float32</DATA_TYPE>
            <PHYSICAL_UNIT>{unit}</PHYSICAL_UNIT>
            <SOLAR_FLUX>0.0</SOLAR_FLUX>
            <BAND_WAVELEN>0.0</BAND_WAVELEN>
            <BANDWIDTH>0.0</BANDWIDTH>
            <SCALING_FACTOR>1.0</SCALING_FACTOR>
            <SCALING_OFFSET>0.0</SCALING_OFFSET>
            <LOG10_SCALED>false</LOG10_SCALED>
            <NO_DATA_VALUE_USED>true</NO_DATA_VALUE_USED>
            <NO_DATA_VALUE>0.0</NO_DATA_VALUE>{f'''
            <IMAGE_TO_MODEL_TRANSFORM>{matrix}</IMAGE_TO_MODEL_TRANSFORM>''' if geocoded else ''}
        </Spectral_Band_Info>""")
    if geocoded:
        geocoding = (f"    <Coordinate_Reference_System>\n        <WKT>\n             {_WKT}\n        </WKT>\n"
                     f"    </Coordinate_Reference_System>\n    <Geoposition>\n"
                     f"        <IMAGE_TO_MODEL_TRANSFORM>{matrix}</IMAGE_TO_MODEL_TRANSFORM>\n    </Geoposition>")
    else:
        geocoding = ("    <Geoposition>\n        <Geoposition_Points>\n"
                     "            <TIE_POINT_GRID_NAME_LAT>latitude</TIE_POINT_GRID_NAME_LAT>\n"
                     "            <TIE_POINT_GRID_NAME_LON>longitude</TIE_POINT_GRID_NAME_LON>\n"
                     "        </Geoposition_Points>\n    </Geoposition>")
    mhz = SPEED_OF_LIGHT / wavelength_m / 1e6
    files_xml, infos_xml = "\n".join(files), "\n".join(infos)
    dim.write_text(f"""<?xml version="1.0" encoding="ISO-8859-1"?>
<Dimap_Document name="{dim.name}">
    <Metadata_Id>
        <METADATA_FORMAT version="2.12.1">DIMAP</METADATA_FORMAT>
        <METADATA_PROFILE>BEAM-DATAMODEL-V1</METADATA_PROFILE>
    </Metadata_Id>
    <Dataset_Id>
        <DATASET_SERIES>BEAM-PRODUCT</DATASET_SERIES>
        <DATASET_NAME>{dim.stem}</DATASET_NAME>
    </Dataset_Id>
    <Dataset_Use>
        <DATASET_COMMENTS>Sentinel-1 IW Level-1 SLC Product</DATASET_COMMENTS>
    </Dataset_Use>
    <Production>
        <PRODUCT_TYPE>SLC</PRODUCT_TYPE>
        <PRODUCT_SCENE_RASTER_START_TIME>19-JUN-2006 23:46:12.000000</PRODUCT_SCENE_RASTER_START_TIME>
        <PRODUCT_SCENE_RASTER_STOP_TIME>19-JUN-2006 23:46:28.000000</PRODUCT_SCENE_RASTER_STOP_TIME>
    </Production>
{geocoding}
    <Raster_Dimensions>
        <NCOLS>{cols}</NCOLS>
        <NROWS>{rows}</NROWS>
        <NBANDS>{len(bands)}</NBANDS>
    </Raster_Dimensions>
    <Data_Access>
        <DATA_FILE_FORMAT>ENVI</DATA_FILE_FORMAT>
        <DATA_FILE_FORMAT_DESC>ENVI File Format</DATA_FILE_FORMAT_DESC>
        <DATA_FILE_ORGANISATION>BAND_SEPARATE</DATA_FILE_ORGANISATION>
{files_xml}
    </Data_Access>
    <Image_Interpretation>
{infos_xml}
    </Image_Interpretation>
    <Dataset_Sources>
        <MDElem name="metadata">
            <MDElem name="Abstracted_Metadata">
                <MDATTR name="PRODUCT" type="ascii">{dim.stem}</MDATTR>
                <MDATTR name="MISSION" type="ascii">ENVISAT</MDATTR>
                <MDATTR name="PASS" desc="ASCENDING or DESCENDING" type="ascii" mode="rw">DESCENDING</MDATTR>
                <MDATTR name="REL_ORBIT" desc="Relative orbit" type="int32" mode="rw">388</MDATTR>
                <MDATTR name="first_line_time" desc="First zero doppler azimuth time" unit="utc" type="utc" \
mode="rw">19-JUN-2006 23:46:12.000000</MDATTR>
                <MDATTR name="incidence_near" unit="deg" type="float64" mode="rw">19.25</MDATTR>
                <MDATTR name="incidence_far" unit="deg" type="float64" mode="rw">26.75</MDATTR>
                <MDATTR name="radar_frequency" desc="Radar frequency" unit="MHz" type="float64" \
mode="rw">{mhz!r}</MDATTR>{baselines}
            </MDElem>
            <MDElem name="Slave_Metadata">
                <MDElem name="02Oct2006">
                    <MDATTR name="PASS" desc="ASCENDING or DESCENDING" type="ascii" mode="rw">DESCENDING</MDATTR>
                    <MDATTR name="radar_frequency" unit="MHz" type="float64" mode="rw">{mhz!r}</MDATTR>
                </MDElem>
            </MDElem>
        </MDElem>
    </Dataset_Sources>
</Dimap_Document>
""", encoding="iso-8859-1")
    return dim


def _sydney(tmp_path: Path, *, reference_first: bool = True, geocoded: bool = True,
            dates: str = "19Jun2006_02Oct2006") -> tuple[Path, object]:
    """The real ROI_PAC pair geo_060619-061002 (+ GAMMA coherence) as SNAP's terrain-corrected SNAPHU import."""
    from pges.readers import read_interferogram

    ifg = read_interferogram(UNW[0], coherence_dirs=[DATA / "gamma_coherence"])
    assert ifg.coherence is not None
    phase = ifg.unwrapped_phase
    if not reference_first:  # SNAP's reference is the later date: reference x conj(secondary) negates the phase
        dates, phase = "_".join(reversed(dates.split("_"))), -phase
    bands = {f"coh_VV_{dates}": (ifg.coherence, "coherence"), f"Unw_Phase_ifg_VV_{dates}": (phase, "phase"),
             "displacement": (-phase * ifg.wavelength_m / (4 * np.pi), "m")}
    ref, sec = dates.split("_")  # s1tbx: each secondary's Perp Baseline relative to the reference (87.5 m later)
    perp = {ref: 0.0, sec: 87.5 if reference_first else -87.5}
    baselines = (f'\n<MDElem name="Baselines"><MDElem name="Ref_{ref}">' + "".join(
        f'<MDElem name="Secondary_{d}"><MDATTR name="Perp Baseline" type="float64" mode="rw">{v}</MDATTR></MDElem>'
        for d, v in perp.items()) + "</MDElem></MDElem>")
    dim = _beam_dimap(tmp_path / "S1_Orb_Stack_Ifg_Deb_TC.dim", bands, ifg.transform, ifg.wavelength_m,
                      geocoded=geocoded, baselines=baselines)
    return dim, ifg


@pytest.mark.parametrize("reference_first", [True, False])
def test_a_snap_product_is_ingested_with_its_dates_wavelength_track_pass_incidence_coherence_and_sign(
        settings, tmp_path, reference_first):
    """SNAP's BEAM-DIMAP output could not be ingested ('no header beside it'). Its LOS must be PyRate's MATLAB mm
    negated (the sign of the ROI_PAC phase it was made from), whichever date SNAP took as reference; its coherence
    GAMMA's; its wavelength, track, pass, incidence and perpendicular baseline those of its Abstracted_Metadata."""
    _lake()
    dim, ifg = _sydney(tmp_path, reference_first=reference_first)
    out = _cli("ingest", str(dim), "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    rows = _sql("SELECT met_uri, reference_date, secondary_date FROM products")
    assert len(rows) == 1  # one Unw_Phase band: one product (coherence and displacement are not products)
    assert (str(rows[0]["secondary_date"]), str(rows[0]["reference_date"])) == ("2006-06-19", "2006-10-02")
    met = Path(rows[0]["met_uri"])
    props = json.loads(met.read_text())["properties"]
    assert props["sarlake:source_format"] == "snap"
    assert props["sarlake:wavelength_m"] == pytest.approx(ifg.wavelength_m, rel=1e-12)
    assert (props["sat:relative_orbit"], props["sat:orbit_state"]) == (388, "descending")
    assert props["view:incidence_angle"] == pytest.approx((19.25 + 26.75) / 2)
    assert props["sarlake:perpendicular_baseline_m"] == 87.5  # B(2006-10-02) - B(2006-06-19), whichever is Ref_
    assert props["sarlake:grid"]["transform"] == pytest.approx(list(ifg.transform)[:6])
    assert_los_is_pyrates_negated(met, UNW[0], ifg.coherence)


@pytest.mark.parametrize("level", ["its folder", "a folder above it"])
def test_a_folder_with_a_snap_product_ingests_it_once_and_not_its_band_rasters(settings, tmp_path, level):
    """Given the folder SNAP wrote into (or one above it), the .dim is the one interferogram; its .data/ rasters are
    not read alone."""
    _lake()
    dim, ifg = _sydney(tmp_path / "in" / "snap")
    out = _cli("ingest", str(dim.parent if level == "its folder" else dim.parent.parent), "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    rows = _sql("SELECT met_uri FROM products")
    assert len(rows) == 1
    props = json.loads(Path(rows[0]["met_uri"]).read_text())["properties"]
    assert props["sarlake:source_format"] == "snap"
    assert props["sarlake:wavelength_m"] == pytest.approx(ifg.wavelength_m, rel=1e-12)


def test_a_snap_product_in_radar_geometry_is_refused_with_what_to_do(settings, tmp_path):
    """Before Terrain Correction a SNAP product has tie-point geocoding and no map info: no lon/lat grid to use."""
    _lake()
    dim, _ = _sydney(tmp_path, geocoded=False)
    line = _one_error_line(_cli("ingest", str(dim), "--aoi", "sydney"))
    assert dim.name in line
    assert "radar geometry" in line
    assert "Terrain Correction" in line
    assert _sql("SELECT count(*) AS n FROM products")[0]["n"] == 0


@pytest.mark.parametrize("damage, expected", [
    ("no_data_folder", "S1_Orb_Stack_Ifg_Deb_TC.data/ folder beside it"),
    ("no_band_raster", "Unw_Phase_ifg_VV_19Jun2006_02Oct2006.img is missing"),
    ("no_band_header", "Unw_Phase_ifg_VV_19Jun2006_02Oct2006.hdr is missing"),
    ("bad_date", "cannot parse the date '31Jun2006'"),
])
def test_a_broken_snap_product_is_refused_naming_the_file_and_what_to_do(settings, tmp_path, damage, expected):
    """A .dim copied without its .data folder, a band raster or its header missing (not taken for radar geometry),
    a band name with an impossible date."""
    _lake()
    dim, _ = _sydney(tmp_path, dates="31Jun2006_02Oct2006" if damage == "bad_date" else "19Jun2006_02Oct2006")
    if damage == "no_data_folder":
        dim.with_suffix(".data").rename(tmp_path / "elsewhere")
    if damage in ("no_band_raster", "no_band_header"):
        suffix = ".img" if damage == "no_band_raster" else ".hdr"
        (dim.with_suffix(".data") / f"Unw_Phase_ifg_VV_19Jun2006_02Oct2006{suffix}").unlink()
    line = _one_error_line(_cli("ingest", str(dim), "--aoi", "sydney"))
    assert dim.name in line
    assert expected in line

"""`sarlake ingest`: real Envisat ROI_PAC interferograms are catalogued; a corrupt one catalogues nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from click.testing import CliRunner

DATA = Path(__file__).parent / "data" / "envisat_sydney_roipac"


def _cli(*args):
    from sarlake.cli import cli

    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _sydney():
    """Init the lake and add the AOI the Envisat stack belongs to (ingest --aoi needs an AOI that exists)."""
    assert _cli("init").exit_code == 0
    assert _cli("aoi", "add", "sydney", "--bbox", "150.8", "-34.3", "151.0", "-34.1").exit_code == 0


def test_ingest_catalogues_the_real_stack(settings):
    unw = sorted((DATA / "roipac_unw").glob("*.unw"))
    _sydney()
    result = _cli("ingest", *map(str, unw), "--coherence-dir", str(DATA / "gamma_coherence"), "--aoi", "sydney",
                  "--mission", "envisat")
    assert result.exit_code == 0, result.output
    out = _cli("sql", "SELECT product_id, reference_date, secondary_date, west, north, product_type, met_uri "
                      "FROM products ORDER BY secondary_date, reference_date", "--format", "json")
    rows = json.loads(out.output)
    assert len(rows) == len(unw) == 17
    for row in rows:
        # geo_YYMMDD-YYMMDD: secondary (earlier) then reference (later)
        name = next(p.stem for p in unw if p.stem in row["product_id"])
        sec, ref = name.removeprefix("geo_").split("-")
        assert row["secondary_date"] == f"20{sec[:2]}-{sec[2:4]}-{sec[4:]}"
        assert row["reference_date"] == f"20{ref[:2]}-{ref[2:4]}-{ref[4:]}"
        assert row["product_type"] == "L2_IFG"
        assert abs(row["west"] - 150.91) < 1e-6 and abs(row["north"] + 34.17) < 1e-6  # X_FIRST / Y_FIRST
        met = json.loads(Path(row["met_uri"]).read_text())
        assert "coherence" in met["assets"]
    again = _cli("ingest", *map(str, unw), "--coherence-dir", str(DATA / "gamma_coherence"), "--aoi", "sydney",
                 "--mission", "envisat")
    assert again.exit_code == 0
    assert json.loads(_cli("sql", "SELECT count(*) AS n FROM products", "--format", "json").output)[0]["n"] == 17


def test_a_truncated_raster_catalogues_nothing(settings, tmp_path):
    good = sorted((DATA / "roipac_unw").glob("*.unw"))[:2]
    for path in good:
        shutil.copy(path, tmp_path / path.name)
        shutil.copy(path.with_suffix(".unw.rsc"), tmp_path / (path.name + ".rsc"))
    bad = tmp_path / good[1].name
    bad.write_bytes(bad.read_bytes()[:5000])
    assert _cli("init").exit_code == 0
    result = CliRunner().invoke(__import__("sarlake.cli", fromlist=["cli"]).cli,
                                ["ingest", str(tmp_path / good[0].name), str(bad)])
    assert result.exit_code == 2
    assert bad.name in result.output and "bytes" in result.output
    assert len(result.output.strip().splitlines()) == 1
    rows = json.loads(_cli("sql", "SELECT count(*) AS n FROM products", "--format", "json").output)
    assert rows[0]["n"] == 0


def test_timeseries_from_the_lake_selects_good_products_and_catalogues_l3(settings):
    import numpy as np
    import rasterio

    unw = sorted((DATA / "roipac_unw").glob("*.unw"))
    _sydney()
    assert _cli("ingest", *map(str, unw), "--aoi", "sydney").exit_code == 0
    # QA marks one interferogram bad: the time series must leave it out.
    from lake.write import update

    bad_id = json.loads(_cli("sql", "SELECT product_id FROM products ORDER BY product_id LIMIT 1",
                             "--format", "json").output)[0]["product_id"]
    update("products", [{"product_id": bad_id, "p_error": 0.9}])
    result = _cli("timeseries", "sydney", "--reference", "-34.175", "150.915")
    assert result.exit_code == 0, result.output
    rows = json.loads(_cli("sql", "SELECT met_uri, start_time FROM products WHERE product_type = 'L3_TS'",
                           "--format", "json").output)
    assert len(rows) == 1
    met = json.loads(Path(rows[0]["met_uri"]).read_text())
    assert len(met["provenance"]["inputs"]) == 16
    assert not any(bad_id in uri for uri in met["provenance"]["inputs"])
    with rasterio.open(Path(rows[0]["met_uri"]).parent / met["assets"]["velocity"]["href"]) as ds:
        v = ds.read(1, masked=True)
    assert np.nanmin(v.filled(np.nan)) < -15  # the mining subsidence bowls, mm/yr away from the satellite
    assert _cli("timeseries", "nowhere").exit_code == 2


def test_a_reference_off_the_globe_is_refused_naming_the_option(settings):
    """The PGE's bounds were reported under the run-config key 'parameters.reference.lat', not the option typed."""
    _sydney()
    pair = sorted((DATA / "roipac_unw").glob("geo_061002-07*.unw"))  # two interferograms sharing 2006-10-02
    assert _cli("ingest", *map(str, pair), "--aoi", "sydney").exit_code == 0
    for lat_lon, says in [(("95", "0"), "latitude 95.0: input should be less than or equal to 90"),
                          (("-34.2", "-200"), "longitude -200.0: input should be greater than or equal to -180")]:
        result = _cli("timeseries", "sydney", "--reference", *lat_lon)
        assert result.exit_code == 2, result.output
        assert f"Invalid value for '--reference': {says}" in result.output
        assert "parameters.reference" not in result.output


def test_an_uninitialised_lake_is_refused_before_any_input_is_read(settings, tmp_path):
    """Before, both commands read (and unwrap unwrapped) every input, published the products, and only the
    cataloguing at the end said the lake has no tables."""
    unw = DATA / "roipac_unw" / "geo_060619-061002.unw"
    phase = np.fromfile(unw, "<f4").reshape(72, 2, 47)[:, 1]
    wrapped = tmp_path / "geo_060619-061002.int"
    np.where(phase != 0, np.exp(1j * phase), 0).astype("<c8").tofile(wrapped)
    shutil.copyfile(f"{unw}.rsc", f"{wrapped}.rsc")
    for command in (["ingest", str(unw)], ["unwrap", str(wrapped)]):
        result = CliRunner().invoke(__import__("sarlake.cli", fromlist=["cli"]).cli, command)
        assert result.exit_code == 2, result.output
        assert "is not initialised" in result.output
        assert "run `sarlake init` first" in result.output
        published = [p for p in Path(settings.products_root).rglob("*") if p.is_file()]
        assert published == [], command
    assert _cli("init").exit_code == 0
    assert _cli("ingest", str(unw)).exit_code == 0
    assert json.loads(_cli("sql", "SELECT count(*) AS n FROM products", "--format", "json").output)[0]["n"] == 1


def test_a_coherence_file_of_no_input_pair_is_refused(settings):
    """`--coherence` of another pair was dropped in silence: the product was published flagged no_coherence, as if
    the user had given none. Now the run is refused (exit 2) naming the file and its pair, and nothing is published;
    with the right files beside it, each input still takes its own pair's coherence."""
    coh = DATA / "gamma_coherence"
    unw = [DATA / "roipac_unw" / "geo_060619-061002.unw", DATA / "roipac_unw" / "geo_061106-070326.unw"]
    assert _cli("init").exit_code == 0
    result = CliRunner().invoke(__import__("sarlake.cli", fromlist=["cli"]).cli,
                                ["ingest", *map(str, unw), "--coherence", str(coh / "20060619-20061002_utm.unw.cc"),
                                 "--coherence", str(coh / "20070219-20070430_utm.unw.cc")])
    assert result.exit_code == 2, result.output
    assert ("20070219-20070430_utm.unw.cc: this --coherence file is of the pair 2007-02-19/2007-04-30, which no "
            "interferogram read has") in result.output
    assert [p for p in Path(settings.products_root).rglob("*") if p.is_file()] == []
    good = _cli("ingest", *map(str, unw), "--coherence", str(coh / "20060619-20061002_utm.unw.cc"),
                "--coherence", str(coh / "20061106-20070326_utm.unw.cc"))
    assert good.exit_code == 0, good.output
    rows = json.loads(_cli("sql", "SELECT met_uri FROM products", "--format", "json").output)
    assert len(rows) == 2
    assert all("coherence" in json.loads(Path(r["met_uri"]).read_text())["assets"] for r in rows)


def test_the_coherence_of_an_input_left_out_by_skip_bad_is_not_an_error(settings, tmp_path):
    coh = DATA / "gamma_coherence"
    for name in ("geo_060619-061002.unw", "geo_061106-070326.unw"):
        shutil.copy(DATA / "roipac_unw" / name, tmp_path / name)
        shutil.copy(DATA / "roipac_unw" / f"{name}.rsc", tmp_path / f"{name}.rsc")
    bad = tmp_path / "geo_061106-070326.unw"
    bad.write_bytes(bad.read_bytes()[:5000])
    assert _cli("init").exit_code == 0
    result = _cli("ingest", str(tmp_path / "geo_060619-061002.unw"), str(bad), "--skip-bad",
                  "--coherence", str(coh / "20060619-20061002_utm.unw.cc"),
                  "--coherence", str(coh / "20061106-20070326_utm.unw.cc"))
    assert result.exit_code == 0, result.output
    assert json.loads(_cli("sql", "SELECT count(*) AS n FROM products", "--format", "json").output)[0]["n"] == 1


def test_a_coherence_pairs_with_an_input_whose_folder_holds_its_dates(settings, tmp_path):
    """ISCE2 dates a pair by its folder (``20180101_20180113/filt_topophase.unw.geo``). Its `--coherence` was paired
    by the input's file name alone, so it was refused as 'of a pair no interferogram read has' though that pair was
    read; it is now the pair's coherence, taken before the sibling `phsig.cor.geo` the reader would find."""
    from test_pges_readers_formats import _isce_folder

    folder, _, _, coh = _isce_folder(tmp_path)
    given, other = tmp_path / "coh" / "20180101_20180113.cor", tmp_path / "coh" / "20180113_20180125.cor"
    given.parent.mkdir()
    for path in (given, other):  # GAMMA's headerless big-endian float32 on the product's grid
        (coh * 0.5).astype(">f4").tofile(path)
    assert _cli("init").exit_code == 0
    unw = str(folder / "filt_topophase.unw.geo")
    refused = CliRunner().invoke(__import__("sarlake.cli", fromlist=["cli"]).cli,
                                 ["ingest", unw, "--coherence", str(given), "--coherence", str(other)])
    assert refused.exit_code == 2, refused.output  # the other names a pair no input has: still refused
    assert f"{other.name}: this --coherence file is of the pair 2018-01-13/2018-01-25" in refused.output
    result = _cli("ingest", unw, "--coherence", str(given))
    assert result.exit_code == 0, result.output
    (row,) = json.loads(_cli("sql", "SELECT met_uri FROM products", "--format", "json").output)
    assert json.loads(Path(row["met_uri"]).read_text())["properties"]["sarlake:source_coherence_file"] == given.name


def test_a_grid_in_longitudes_0_to_360_is_catalogued_at_its_place_west_of_greenwich(settings, tmp_path):
    """A product written with longitudes 180..360 (GMTSAR over a 0..360 DEM) was refused as outside every AOI,
    since AOIs and footprints are -180..180. Truth: a real ROI_PAC file whose header puts its origin at 237.5
    degrees east, i.e. -122.5, with the same pixels."""
    import rasterio

    from pges.readers import read_interferogram

    src = DATA / "roipac_unw" / "geo_060619-061002.unw"
    moved = tmp_path / src.name
    shutil.copy(src, moved)
    moved.with_name(src.name + ".rsc").write_text(
        (DATA / "roipac_unw" / (src.name + ".rsc")).read_text().replace("150.910000000", "237.500000000"))
    assert _cli("init").exit_code == 0
    assert _cli("aoi", "add", "bay", "--bbox", "-122.6", "-34.3", "-122.4", "-34.1").exit_code == 0
    result = _cli("ingest", str(moved), "--aoi", "bay", "--mission", "envisat")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(_cli("sql", "SELECT west, east, uri FROM products", "--format", "json").output)
    assert abs(row["west"] - -122.5) < 1e-9
    assert abs(row["east"] - (-122.5 + 47 * 0.000833333)) < 1e-6  # WIDTH x X_STEP of the header
    with rasterio.open(Path(row["uri"]) / "unwrapped_phase.tif") as cog:
        assert abs(cog.bounds.left - -122.5) < 1e-9
        phase = cog.read(1)
    original = read_interferogram(src).unwrapped_phase
    assert np.array_equal(np.isnan(phase), np.isnan(original))
    assert np.array_equal(phase[~np.isnan(phase)], original[~np.isnan(original)])


def test_an_archived_product_refused_at_cataloguing_says_what_the_run_left_and_repair_catalogues_the_rest(
        settings, tmp_path):
    """Ingesting the stack again with its coherence, one product of which the roll had archived without it: the
    catalogue refuses that one (other content at an archived version), after the PGE wrote every folder. The
    refusal said nothing of the others; it now says they stay uncatalogued and how to catalogue them."""
    from datetime import UTC, datetime, timedelta

    from lake.archive_roll import run_roll
    from sarlake.workflows.daac_simulator import SimulatedDaac

    first, second = sorted((DATA / "roipac_unw").glob("*.unw"))[:2]
    _sydney()
    assert _cli("ingest", str(first), "--aoi", "sydney", "--mission", "envisat").exit_code == 0
    daac, later = SimulatedDaac(tmp_path / "daac-state", settings), datetime.now(UTC) + timedelta(days=40)
    for _ in range(3):
        run_roll(settings, now=later)
        daac.serve_folder()
    rows = json.loads(_cli("sql", "SELECT product_id, tier FROM products", "--format", "json").output)
    assert [r["tier"] for r in rows] == ["archive"]

    from sarlake.cli import cli

    out = CliRunner().invoke(cli, ["ingest", str(first), str(second), "--coherence-dir", str(DATA / "gamma_coherence"),
                                   "--aoi", "sydney", "--mission", "envisat", "--replace"])
    assert out.exit_code == 2, out.output
    assert "is archived with other content (coherence.tif" in out.output
    assert "Nothing of this run was catalogued: the 2 product folder(s) it wrote under " in out.output
    assert "`sarlake lake verify --repair` catalogues the others" in out.output
    repaired = json.loads(_cli("lake", "verify", "--repair", "--json").output)
    (made,) = repaired["repaired"]["catalogued"]
    assert second.stem in made
    after = {r["product_id"]: r["tier"] for r in json.loads(
        _cli("sql", "SELECT product_id, tier FROM products", "--format", "json").output)}
    assert after == {rows[0]["product_id"]: "archive", made: "hot"}
    # the refused folder, left in place: reported by the hot tier's check and by the archive tier's
    assert {f["kind"] for f in repaired["findings"]} == {"stale_hot_copy"}
    assert {f["path"].split("/sydney/")[1].split("/")[0] for f in repaired["findings"]} == {rows[0]["product_id"]}


def test_new_content_for_an_archived_product_is_ingested_as_a_revision_and_delivered_as_a_new_version(
        settings, tmp_path):
    """An archived product ingested again with its coherence was refused for good: the advice named a new PGE
    version, which an ingest cannot make, and `products remove` then ingest left it hot for ever. `--revision`
    makes the new content a new version, which the roll delivers; the DAAC's files are then its bytes."""
    import hashlib
    from datetime import UTC, datetime, timedelta

    from lake.archive_roll import run_roll
    from lake.archive_verify import verify_archive
    from sarlake.cli import cli
    from sarlake.workflows.daac_simulator import SimulatedDaac

    first = sorted((DATA / "roipac_unw").glob("*.unw"))[0]
    _sydney()
    assert _cli("ingest", str(first), "--aoi", "sydney", "--mission", "envisat").exit_code == 0
    daac, later = SimulatedDaac(tmp_path / "daac-state", settings), datetime.now(UTC) + timedelta(days=40)

    def roll() -> None:
        for _ in range(3):
            run_roll(settings, now=later)
            daac.serve_folder()

    roll()
    (old,) = json.loads(_cli("sql", "SELECT product_id, version, tier, uri FROM products", "--format", "json").output)
    assert old["tier"] == "archive"
    archived = {f.name: f.read_bytes() for f in Path(old["uri"]).iterdir()}
    again = ["ingest", str(first), "--coherence-dir", str(DATA / "gamma_coherence"), "--aoi", "sydney",
             "--mission", "envisat", "--replace"]
    refused = CliRunner().invoke(cli, again)
    assert refused.exit_code == 2, refused.output
    assert ("To ingest this content as a new version, which the roll delivers to the DAAC in its turn, ingest "
            "it again with `--replace --revision 2`. Nothing of this run was catalogued") in refused.output
    assert "sarlake:version" not in refused.output  # the lake's generic advice (it names no revision): not repeated
    made = CliRunner().invoke(cli, [*again, "--revision", "2"])
    assert made.exit_code == 0, made.output
    (row,) = json.loads(_cli("sql", "SELECT product_id, version, tier, uri FROM products", "--format", "json").output)
    assert (row["product_id"], row["version"], row["tier"]) == (old["product_id"], f"{old['version']}.2", "hot")
    shown = _cli("products", "show", row["product_id"]).output
    assert f"made by       ingest {old['version']} (product version {old['version']}.2)" in shown
    hot = Path(row["uri"])
    assert (hot / "coherence.tif").is_file()
    digest = hashlib.sha256((hot / "coherence.tif").read_bytes()).hexdigest()
    roll()
    (after,) = json.loads(_cli("sql", "SELECT version, tier, uri FROM products", "--format", "json").output)
    assert (after["version"], after["tier"]) == (f"{old['version']}.2", "archive")
    assert hashlib.sha256((Path(after["uri"]) / "coherence.tif").read_bytes()).hexdigest() == digest
    # the DAAC keeps the first version as it acknowledged it, in its own folder
    assert Path(after["uri"]).name == f"{old['product_id']}-v{old['version'].replace('.', '_')}_2"
    assert Path(old["uri"]).name == f"{old['product_id']}-v{old['version'].replace('.', '_')}"
    assert {f.name: f.read_bytes() for f in Path(old["uri"]).iterdir()} == archived
    assert "coherence.tif" not in archived
    assert verify_archive(settings) == []
    assert [e["version"] for e in daac.ingested() if e["product"] == old["product_id"]] == [
        old["version"], f"{old['version']}.2"]


def test_ingesting_a_product_into_a_second_aoi_says_it_moved_and_which_folder_is_left(settings):
    """A product belongs to one AOI: ingested into a second (NSW around Sydney), its catalogue row moved there
    without a word, so Sydney's time series lost it and the first folder stayed behind. The move is now said,
    naming the folder left; `lake verify` reports that same folder, and nothing is deleted."""
    unw = str(sorted((DATA / "roipac_unw").glob("*.unw"))[0])
    _sydney()
    assert _cli("aoi", "add", "nsw", "--bbox", "150", "-35", "152", "-33").exit_code == 0
    first = _cli("ingest", unw, "--aoi", "sydney", "--mission", "envisat")
    assert first.exit_code == 0
    assert "warning" not in first.output
    (before,) = json.loads(_cli("sql", "SELECT product_id, uri FROM products", "--format", "json").output)
    moved = _cli("ingest", unw, "--aoi", "nsw", "--mission", "envisat")
    assert moved.exit_code == 0, moved.output
    assert (f"warning: {before['product_id']} was catalogued in AOI sydney; it now belongs to AOI nsw, and its "
            f"folder {before['uri']} is no longer catalogued") in moved.output
    (row,) = json.loads(_cli("sql", "SELECT aoi, uri FROM products", "--format", "json").output)
    assert row["aoi"] == "nsw"
    assert row["uri"] != before["uri"]
    assert Path(before["uri"]).is_dir()
    found = json.loads(_cli("lake", "verify", "--json").output)["findings"]
    assert [(f["kind"], str(Path(f["path"]).parent)) for f in found] == [("stale_hot_copy", before["uri"])]
    again = _cli("ingest", unw, "--aoi", "nsw", "--mission", "envisat")  # kept where it is: no move
    assert again.exit_code == 0
    assert "warning" not in again.output


def test_a_product_removed_after_its_delivery_and_ingested_again_is_told_at_the_ingest_which_revision_delivers_it(
        settings, tmp_path):
    """`products remove` then ingest, at the version the DAAC acknowledged: the roll keeps it hot for good, which
    only `archive verify` said. The ingest now says so, naming the revision past every version delivered."""
    from datetime import UTC, datetime, timedelta

    from lake.archive_roll import run_roll
    from sarlake.workflows.daac_simulator import SimulatedDaac

    unw = str(sorted((DATA / "roipac_unw").glob("*.unw"))[0])
    _sydney()
    daac, later = SimulatedDaac(tmp_path / "daac-state", settings), datetime.now(UTC) + timedelta(days=40)

    def roll() -> None:
        for _ in range(3):
            run_roll(settings, now=later)
            daac.serve_folder()

    args = ["ingest", unw, "--aoi", "sydney", "--mission", "envisat"]
    first = _cli(*args)
    assert "warning" not in first.output
    pid = first.output.split()[0]
    roll()
    assert _cli("products", "remove", pid, "--reason", "with coherence").exit_code == 0
    again = _cli(*args, "--coherence-dir", str(DATA / "gamma_coherence"))
    assert again.exit_code == 0
    assert (f"warning: {pid} version 0.1.0 was delivered to the DAAC ({pid}.v0.1.0.a1) before it was removed, and "
            "the roll never delivers a version twice: this copy stays hot. To deliver it, ingest it again with "
            "`--replace --revision 2`") in again.output
    revised = _cli(*args, "--coherence-dir", str(DATA / "gamma_coherence"), "--replace", "--revision", "2")
    assert "warning" not in revised.output
    roll()
    (row,) = json.loads(_cli("sql", "SELECT version, tier FROM products", "--format", "json").output)
    assert (row["version"], row["tier"]) == ("0.1.0.2", "archive")
    # the first file again, without --revision: version 0.1.0 in place of 0.1.0.2, and said nowhere (archive verify
    # compared a hot product with the newest delivery only)
    back = _cli(*args, "--replace")
    assert (f"warning: {pid} version 0.1.0 was delivered to the DAAC ({pid}.v0.1.0.a1) before version 0.1.0.2, which "
            "this copy now replaces in the catalogue, and the roll never delivers a version twice: this copy stays "
            "hot. To deliver it, ingest it again with `--replace --revision 3`") in back.output
    found = json.loads(_cli("archive", "verify", "--json").output)["findings"]
    assert [(f["kind"], f["product_id"]) for f in found] == [("hot_after_delivery", pid)]
    assert _cli("products", "remove", pid, "--reason", "the first again").exit_code == 0
    assert "`--replace --revision 3`" in _cli(*args, "--replace").output  # 0.1.0 and 0.1.0.2 delivered


def test_a_revision_replaced_by_a_lower_version_is_said_with_the_revisions_that_restore_it(settings):
    """`ingest --replace` without `--revision` over a product at revision 3 made it version 0.1.0 again, its
    revision's files replaced, and said nothing. Truth: the versions the catalogue holds before and after."""
    unw = str(sorted((DATA / "roipac_unw").glob("*.unw"))[0])
    _sydney()
    args = ["ingest", unw, "--aoi", "sydney", "--mission", "envisat"]
    pid = _cli(*args).output.split()[0]
    revised = _cli(*args, "--replace", "--revision", "3")
    assert "warning" not in revised.output  # upward: nothing to say

    def version() -> str:
        (row,) = json.loads(_cli("sql", "SELECT version FROM products", "--format", "json").output)
        return row["version"]

    assert version() == "0.1.0.3"
    back = _cli(*args, "--replace")
    assert back.exit_code == 0
    assert version() == "0.1.0"
    assert (f"warning: {pid} was at version 0.1.0.3, and this ingest replaced it with version 0.1.0, a lower one. "
            "To have it at version 0.1.0.3 again, ingest it again with `--replace --revision 3`; as a new version, "
            "with `--replace --revision 4`") in back.output
    assert "warning" not in _cli(*args, "--replace").output  # the same version again: nothing went back
    restored = _cli(*args, "--replace", "--revision", "3")
    assert "warning" not in restored.output
    assert version() == "0.1.0.3"


def test_a_removed_product_ingested_again_from_its_kept_folder_is_said_and_recorded(settings):
    """`products remove` (files kept), then the same ingest: the product came back into the catalogue, but the
    summary said "nothing new: 1 product(s) already published and kept" and provenance still ended at the
    removal. Now the summary says it was catalogued again and provenance records the return after the removal."""
    unw = sorted((DATA / "roipac_unw").glob("*.unw"))
    _sydney()
    args = ["ingest", "--aoi", "sydney", "--mission", "envisat"]
    pid = _cli(*args, str(unw[0])).output.split()[0]
    assert _cli("products", "remove", pid, "--reason", "bad orbit").exit_code == 0
    again = _cli(*args, str(unw[0]), str(unw[1]))
    assert again.exit_code == 0, again.output
    target = settings.products_root.rstrip("/") + "/L2_IFG/sydney"
    assert again.output.splitlines()[-1] == (f"catalogued 1 new product(s) under {target}; 1 product(s) removed before "
                                             "catalogued again from their kept folder(s)")
    assert _cli("products", "show", pid).exit_code == 0
    history = json.loads(_cli("sql", f"SELECT run_id, pge_name, parameters FROM provenance WHERE product_id = '{pid}' "
                                     "ORDER BY finished_at", "--format", "json").output)
    assert [h["pge_name"] for h in history] == ["ingest", "sarlake-remove", "sarlake-return"]
    assert json.loads(history[2]["parameters"])["removed_by"] == history[1]["run_id"]
    assert history[2]["run_id"].startswith("manual__ingest__")
    # once back, ingesting it again is the plain "kept" case, with no second return
    third = _cli(*args, str(unw[0]))
    assert third.output.splitlines()[-1] == (f"nothing new under {target}: 1 product(s) already published and kept "
                                             "(--replace re-ingests them)")
    assert len(json.loads(_cli("sql", f"SELECT run_id FROM provenance WHERE product_id = '{pid}'", "--format",
                               "json").output)) == 3

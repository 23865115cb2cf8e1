"""The data-quality gate (Great Expectations 1.x): bad products are quarantined with the reason, good ones published."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest


def _cog(path: Path, data: np.ndarray) -> None:
    import rasterio
    from rasterio.transform import from_origin

    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
                       dtype="float32", crs="EPSG:4326", transform=from_origin(14.4, 40.84, 0.001, 0.001),
                       nodata=np.nan) as ds:
        ds.write(data.astype("float32"), 1)


def _product(settings, pid: str, **overrides) -> dict:
    folder = Path(settings.products_root) / pid
    rng = np.random.default_rng(0)
    phase = rng.normal(0, 3, (40, 40))
    if overrides.pop("mostly_nan", False):
        phase[:, :34] = np.nan
    _cog(folder / "unwrapped_phase.tif", phase)
    _cog(folder / "coherence.tif", rng.uniform(0.2, 0.9, (40, 40)))
    (folder / f"{pid}.met.json").write_text("{}")
    row = {"product_id": pid, "product_type": "L2_IFG", "start_time": datetime(2024, 1, 1, tzinfo=UTC),
           "end_time": datetime(2024, 1, 13, tzinfo=UTC), "west": 14.40, "south": 40.79, "east": 14.46,
           "north": 40.84, "footprint_wkt": "POLYGON ((14.41 40.80, 14.45 40.80, 14.45 40.83, 14.41 40.80))",
           "coherence_mean": 0.6, "uri": str(folder), "met_uri": str(folder / f"{pid}.met.json"),
           "assets": json.dumps({"unw": {"href": "unwrapped_phase.tif", "sarlake:sha256": "ab" * 32,
                                         "file:size": 100}})}
    row.update(overrides)
    return row


def test_gate_quarantines_each_bad_product_for_its_own_reason(settings) -> None:
    from lake.catalog import init_lake, load_table
    from lake.write import upsert
    from sarlake.workflows.quality import data_docs_index, gate_products

    init_lake(settings)
    rows = [
        _product(settings, "GOOD"),
        _product(settings, "COH", coherence_mean=1.4),
        _product(settings, "OUTSIDE", footprint_wkt="POLYGON ((15 41, 15.1 41, 15.1 41.1, 15 41))"),
        _product(settings, "BACKWARDS", end_time=datetime(2023, 12, 1, tzinfo=UTC)),
        _product(settings, "NOSUM", assets=json.dumps({"unw": {"href": "unwrapped_phase.tif", "file:size": 100}})),
        _product(settings, "HOLES", mostly_nan=True),
    ]
    upsert("products", rows, settings)
    result = gate_products(None, settings)
    assert result.checked == 6 and result.published == ["GOOD"]
    reasons = {pid: " ".join(why) for pid, why in result.quarantined.items()}
    assert set(reasons) == {"COH", "OUTSIDE", "BACKWARDS", "NOSUM", "HOLES"}
    assert "column=coherence_mean" in reasons["COH"]
    assert "column=footprint_in_bbox" in reasons["OUTSIDE"]
    assert "column_A=end_time" in reasons["BACKWARDS"]
    assert "column=checksums_present" in reasons["NOSUM"]
    assert "column=nan_share" in reasons["HOLES"]
    stored = {r["product_id"]: r for r in load_table("products", settings).scan().to_arrow().to_pylist()}
    assert stored["GOOD"]["status"] == "published" and stored["GOOD"]["quality_failures"] is None
    assert stored["COH"]["status"] == "quarantined"
    assert any("coherence_mean" in x for x in json.loads(stored["COH"]["quality_failures"]))
    assert len(stored) == 6  # kept, never deleted
    assert Path(data_docs_index(settings)).is_file()
    assert "products" in Path(data_docs_index(settings)).read_text()


@pytest.mark.parametrize("suite", ["acquisitions", "events", "qa_predictions"])
def test_other_suites_flag_out_of_range_rows(settings, suite) -> None:
    import pandas as pd

    from sarlake.workflows.quality import run_suite

    frames = {
        "acquisitions": pd.DataFrame({"acquisition_id": ["a", "b"], "direction": ["A", "X"],
                                      "wavelength_m": [0.0555, 0.0555], "south": [40.0, 40.0], "north": [41.0, 41.0]}),
        "events": pd.DataFrame({"event_id": ["e1", "e2"], "magnitude": [6.1, 12.0], "lat": [35.0, 35.0],
                                "lon": [139.0, 139.0], "alert": ["green", "green"]}),
        "qa_predictions": pd.DataFrame({"product_id": ["p1", "p2"], "p_error": [0.2, 1.3]}),
    }
    assert set(run_suite(suite, frames[suite], settings)) == {frames[suite].iloc[1, 0]}


def test_a_time_series_with_no_velocity_anywhere_is_quarantined_not_published(settings) -> None:
    """The timeseries DAG published a series whose dates fell in two parts that no pixel's interferograms joined:
    network connected_pixel_fraction 0, no finite velocity. Its met.json said so; the gate did not read it."""
    from lake.catalog import init_lake
    from lake.write import upsert
    from sarlake.workflows.quality import gate_products

    init_lake(settings)

    def series(pid: str, valid: float, connected: float) -> dict:
        row = _product(settings, pid, product_type="L3_TS")
        Path(row["met_uri"]).write_text(json.dumps({"properties": {
            "sarlake:velocity_stats_mm_yr": {"valid_fraction": valid},
            "sarlake:network": {"connected": connected == 1.0, "connected_pixel_fraction": connected}}}))
        return row

    upsert("products", [series("TS_GOOD", 0.74, 0.74), series("TS_EMPTY", 0.0, 0.0),
                        series("TS_MASKED", 0.0, 0.9)], settings)
    result = gate_products(None, settings)
    assert result.published == ["TS_GOOD"]
    reasons = {pid: " ".join(why) for pid, why in result.quarantined.items()}
    assert set(reasons) == {"TS_EMPTY", "TS_MASKED"}
    assert "column=velocity_valid_fraction" in reasons["TS_EMPTY"] and "connected_pixel_fraction" in reasons[
        "TS_EMPTY"]
    assert "column=velocity_valid_fraction" in reasons["TS_MASKED"] and "connected" not in reasons["TS_MASKED"]


def test_a_suite_run_logs_no_great_expectations_chatter(sarlake_home: Path) -> None:
    """The quality gate's task log holds the gate's own lines, not GX's import-time INFO records (200 of
    them: 'Skipping registering function ... because it is a closure') or its tqdm bars, which Airflow logs
    at level error (task.stderr). A fresh process, like an Airflow task, with the root logger at INFO."""
    import subprocess
    import sys

    script = (
        "import logging; logging.basicConfig(level=logging.INFO)\n"
        "import pandas as pd\n"
        "from sarlake.workflows.quality import run_suite\n"
        "frame = pd.DataFrame({'product_id': ['p1', 'p2'], 'p_error': [0.2, 1.3]})\n"
        "print(sorted(run_suite('qa_predictions', frame)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=600)
    assert proc.stdout.strip() == "['p2']"
    assert "INFO:great_expectations" not in proc.stderr
    assert "Calculating Metrics" not in proc.stderr


def _cli(*args: str):
    from click.testing import CliRunner

    from sarlake.cli import cli

    return CliRunner().invoke(cli, list(args))


def test_an_operator_checks_a_corrected_product_again_and_it_is_published(settings) -> None:
    """A quarantined product stayed quarantined for good: the gate published only pending ones, and no operator
    command ran the gate. `sarlake products check --quarantined` re-checks them: a corrected one is published."""
    from lake.catalog import init_lake, load_table
    from lake.write import update, upsert

    init_lake(settings)
    upsert("products", [_product(settings, "GOOD"), _product(settings, "COH", coherence_mean=1.4),
                        _product(settings, "HOLES", mostly_nan=True)], settings)
    first = _cli("products", "check")  # every pending product, as the quality_gate DAG does
    assert first.exit_code == 0, first.output
    assert "published    GOOD" in first.output
    assert "quarantined  COH: " in first.output and "column=coherence_mean" in first.output
    # the Data Docs name the validation after the command that ran it (GX's own Run Name is "__none__"), and its
    # page, linked from the index, is served under that name
    from urllib.parse import unquote

    from sarlake.workflows.quality_docs import read_page

    runs = {p.name for p in (settings.home / "gx" / "uncommitted" / "validations" / "products").iterdir()}
    assert runs == {"sarlake products check"}
    link = re.search(r"validations/products/[^\"'\\]+\.html", read_page("index.html", settings)[0].decode())
    assert link is not None
    assert "coherence_mean" in read_page(unquote(link.group()), settings)[0].decode()

    update("products", [{"product_id": "COH", "coherence_mean": 0.6}], settings)  # the catalogue row corrected
    again = _cli("products", "check", "--quarantined")
    assert again.exit_code == 0, again.output
    assert "published    COH" in again.output
    assert "quarantined  HOLES: " in again.output and "column=nan_share" in again.output
    assert "GOOD" not in again.output  # only the quarantined ones
    stored = {r["product_id"]: r for r in load_table("products", settings).scan().to_arrow().to_pylist()}
    assert [stored[p]["status"] for p in ("GOOD", "COH", "HOLES")] == ["published", "published", "quarantined"]
    assert stored["COH"]["quality_failures"] is None

    named = _cli("products", "check", "GOOD", "NOPE")
    assert named.exit_code == 2
    assert "product 'NOPE' is not in the catalogue" in named.output and "nothing checked" in named.output
    assert _cli("products", "check", "--quarantined").output.startswith("quarantined  HOLES")

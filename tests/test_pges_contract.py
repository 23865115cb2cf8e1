"""The PGE contract: invocation, exit codes, result file, met.json, atomic outputs (docs/contracts.md)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pges.cli import main
from pges.contract import RunConfig, default_config_yaml, parse_run_config
from pges.errors import InputValidationError, PGEError, ProcessingError
from pges.registry import PGES

SMALL_SIM = {
    "bbox": [14.40, 40.78, 14.45, 40.82],
    "track": 44,
    "direction": "A",
    "frame": "F0440",
    "aoi": "vesuvius",
    "acquisitions": [{"id": "S1_044A_20240103", "start_time": "2024-01-03T05:00:00Z"}],
}


def _pge(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pges", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_errors_carry_codes() -> None:
    assert issubclass(InputValidationError, ValueError) and issubclass(InputValidationError, PGEError)
    assert issubclass(ProcessingError, RuntimeError)
    assert (InputValidationError.code, InputValidationError.exit_code) == ("INVALID_INPUT", 2)
    assert (ProcessingError.code, ProcessingError.exit_code) == ("PROCESSING_FAILED", 1)


def test_unknown_key_exits_2_and_names_it(tmp_path: Path, sarlake_home: Path) -> None:
    cfg = {"pge": "interferogram", "run_id": "r", "inputs": ["a", "b"], "output_dir": str(tmp_path / "out"),
           "parameters": {"lookz": 4}}
    path = tmp_path / "rc.yaml"
    path.write_text(yaml.safe_dump(cfg))
    proc = _pge("interferogram", "--run-config", str(path), "--result-file", str(tmp_path / "res.json"), cwd=tmp_path)
    assert proc.returncode == 2
    line = proc.stderr.strip().splitlines()[-1]
    assert "unknown run-config key 'parameters.lookz'" in line and "did you mean 'looks_" in line
    result = json.loads((tmp_path / "res.json").read_text())
    assert result["status"] == "failed" and result["exit_code"] == 2
    assert result["error"]["code"] == "INVALID_INPUT" and "parameters.lookz" in result["error"]["message"]
    assert not (tmp_path / "out").exists()


def test_nested_unknown_key_suggests_sibling() -> None:
    model = PGES["interferogram"].run_config_model()
    with pytest.raises(InputValidationError, match=r"'parameters.unwrap.costs' \(did you mean 'cost'\?\)"):
        parse_run_config(
            model, {"pge": "interferogram", "output_dir": "x", "parameters": {"unwrap": {"costs": "defo"}}}
        )
    with pytest.raises(InputValidationError, match=r"'parameters.looks_range'"):
        parse_run_config(model, {"pge": "interferogram", "output_dir": "x", "parameters": {"looks_range": 0}})
    with pytest.raises(InputValidationError, match=r"'pge' is 'simulate'"):
        parse_run_config(model, {"pge": "simulate", "output_dir": "x", "parameters": {}}, pge="interferogram")


def test_list_help_and_default_config(tmp_path: Path) -> None:
    proc = _pge("--list", cwd=tmp_path)
    assert proc.returncode == 0 and "simulate" in proc.stdout and "interferogram" in proc.stdout
    assert _pge("--help", cwd=tmp_path).returncode == 0
    for name in ("simulate", "interferogram"):
        spec = PGES[name]
        text = default_config_yaml(name, spec.parameters_model())
        assert "# " in text and f"pge: {name}" in text
        data = yaml.safe_load(text)
        data["output_dir"] = str(tmp_path)
        cfg = parse_run_config(spec.run_config_model(), data, pge=name)
        assert isinstance(cfg, RunConfig)


def test_run_config_json_and_result_file(tmp_path: Path, sarlake_home: Path) -> None:
    cfg = {"pge": "simulate", "run_id": "rid-1", "output_dir": str(tmp_path / "arch"), "parameters": SMALL_SIM}
    res = tmp_path / "res.json"
    assert main(["simulate", "--run-config-json", json.dumps(cfg), "--result-file", str(res)]) == 0
    result = json.loads(res.read_text())
    assert result["status"] == "ok" and result["exit_code"] == 0 and result["error"] is None
    assert result["pge"] == "simulate" and result["run_id"] == "rid-1"
    (product,) = result["products"]
    assert product["id"] == "S1_044A_20240103"
    met_path = Path(product["met_uri"])
    assert met_path == tmp_path / "arch" / "S1_044A_20240103" / "S1_044A_20240103.met.json"
    item = json.loads(met_path.read_text())
    # STAC Item shape
    assert item["type"] == "Feature" and item["stac_version"] == "1.0.0" and item["id"] == product["id"]
    assert item["geometry"]["type"] == "Polygon"
    ring = item["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 5
    w, s, e, n = item["bbox"]
    assert w < e and s < n
    assert all(w <= x <= e and s <= y <= n for x, y in ring)
    props = item["properties"]
    assert props["sarlake:product_type"] == "L1_SLC" and props["start_datetime"] == "2024-01-03T05:00:00Z"
    assert props["sat:relative_orbit"] == 44 and props["sat:orbit_state"] == "ascending"
    assert any("sar" in ext for ext in item["stac_extensions"])
    # checksums match the files
    for name, asset in item["assets"].items():
        files = asset.get("sarlake:files") or [asset]
        for entry in files:
            data = (met_path.parent / entry["href"]).read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            assert entry["sarlake:sha256"] == digest, name
            assert entry["file:checksum"] == "1220" + digest and entry["file:size"] == len(data)
    assert {"slc", "lat", "lon", "dem", "truth"} <= set(item["assets"])
    prov = item["provenance"]
    assert prov["pge_name"] == "simulate" and prov["run_id"] == "rid-1" and prov["parameters"]["track"] == 44
    assert {"numpy", "rasterio", "gdal"} <= set(prov["software"]) and prov["host"]
    assert prov["started_at"] <= prov["finished_at"]
    # nothing left in the scratch folder
    assert not any((sarlake_home / "scratch" / "pges").iterdir())


def test_processing_failure_exits_1_and_leaves_nothing(tmp_path: Path, sarlake_home: Path, monkeypatch) -> None:
    import pges.simulate.pge as sim

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(sim, "simulate_date", boom)
    cfg = {"pge": "simulate", "output_dir": str(tmp_path / "arch"), "parameters": SMALL_SIM}
    res = tmp_path / "res.json"
    assert main(["simulate", "--run-config-json", json.dumps(cfg), "--result-file", str(res)]) == 1
    result = json.loads(res.read_text())
    assert result["status"] == "failed" and result["exit_code"] == 1
    assert result["error"]["code"] == "PROCESSING_FAILED" and "disk on fire" in result["error"]["message"]
    assert not (tmp_path / "arch").exists() or not any((tmp_path / "arch").iterdir())
    assert not any((sarlake_home / "scratch" / "pges").iterdir())


def test_missing_dem_exits_2(tmp_path: Path, sarlake_home: Path) -> None:
    sahara = {**SMALL_SIM, "bbox": [10.0, 25.0, 10.1, 25.1]}
    cfg = {"pge": "simulate", "output_dir": str(tmp_path / "arch"), "parameters": sahara}
    path = tmp_path / "rc.json"
    path.write_text(json.dumps(cfg))
    proc = _pge("simulate", "--run-config", str(path), cwd=tmp_path)
    assert proc.returncode == 2
    assert "no DEM covers bbox" in proc.stderr and "pass parameters.dem=PATH" in proc.stderr
    assert not (tmp_path / "arch").exists()
    res = tmp_path / "res.json"
    cfg["parameters"] = {**SMALL_SIM, "dem": str(tmp_path / "nope.hgt")}
    assert main(["simulate", "--run-config-json", json.dumps(cfg), "--result-file", str(res)]) == 2
    assert "nope.hgt does not exist" in json.loads(res.read_text())["error"]["message"]


def test_s3_output_is_uploaded(tmp_path: Path, sarlake_home: Path, monkeypatch) -> None:
    moto = pytest.importorskip("moto")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with moto.mock_aws():
        import boto3

        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="lake")
        cfg = {"pge": "simulate", "output_dir": "s3://lake/archive", "parameters": SMALL_SIM}
        res = tmp_path / "res.json"
        assert main(["simulate", "--run-config-json", json.dumps(cfg), "--result-file", str(res)]) == 0
        (product,) = json.loads(res.read_text())["products"]
        assert product["met_uri"] == "s3://lake/archive/S1_044A_20240103/S1_044A_20240103.met.json"
        listing = boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket="lake")["Contents"]
        keys = {o["Key"] for o in listing}
        assert "archive/S1_044A_20240103/slc.tif" in keys and "archive/S1_044A_20240103/truth/phase_rad.tif" in keys
        # a second run sees the product and skips it
        assert main(["simulate", "--run-config-json", json.dumps(cfg), "--result-file", str(res)]) == 0
        assert json.loads(res.read_text())["products"][0]["skipped"] is True

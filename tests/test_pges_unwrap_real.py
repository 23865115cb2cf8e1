"""The ``unwrap`` PGE on real data: Envisat ROI_PAC interferograms over Sydney, wrapped and unwrapped again.

The truth is ROI_PAC's own unwrapped phase (PyRate's test data, tests/data/SOURCES.md). Each one is wrapped
into a ROI_PAC ``.int`` (complex64, its ``.rsc`` beside it), unwrapped by the PGE with the real GAMMA coherence
found by date, and compared with ROI_PAC's phase inside the connected components: up to a constant (the
reference point), no pixel may differ by a cycle.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio

from pges.contract import RunConfig, parse_run_config
from pges.runner import execute
from pges.unwrap.config import UnwrapParameters
from pges.unwrap.pge import run

DATA = Path(__file__).parent / "data" / "envisat_sydney_roipac"
UNW = sorted((DATA / "roipac_unw").glob("*.unw"))[::3]  # 6 of the 17 pairs keep the test short


@pytest.fixture(scope="module")
def wrapped(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, np.ndarray]]:
    folder = tmp_path_factory.mktemp("int")
    out = []
    for unw in UNW:
        phase = np.fromfile(unw, "<f4").reshape(72, 2, 47)[:, 1]
        ifg = np.where(phase != 0, np.exp(1j * phase), 0).astype("<c8")
        dst = folder / unw.name.replace(".unw", ".int")
        ifg.tofile(dst)
        shutil.copyfile(str(unw) + ".rsc", str(dst) + ".rsc")
        out.append((dst, np.where(phase != 0, phase, np.nan)))
    return out


@pytest.mark.slow
def test_real_roipac_stack_unwraps_back_to_roipac_phase(wrapped, tmp_path: Path) -> None:
    cfg = parse_run_config(RunConfig[UnwrapParameters], {  # type: ignore[misc]
        "pge": "unwrap", "inputs": [str(p) for p, _ in wrapped], "output_dir": str(tmp_path / "out"),
        "parameters": {"coherence_dirs": [str(DATA / "gamma_coherence")], "mission": "envisat"}}, pge="unwrap")
    result = execute("unwrap", cfg, run)
    assert len(result["products"]) == len(UNW) == 6
    in_cc, cycle_errors = [], 0
    for (src, truth), product in zip(wrapped, result["products"], strict=True):
        folder = Path(product["met_uri"]).parent
        with rasterio.open(folder / "unwrapped_phase.tif") as ds:
            phase = ds.read(1)
        with rasterio.open(folder / "connected_components.tif") as ds:
            cc = ds.read(1)
        inside = (cc > 0) & np.isfinite(truth)
        diff = phase[inside] - truth[inside]
        cycle_errors += int(np.sum(np.abs(diff - np.median(diff)) > np.pi))
        in_cc.append(inside.sum() / np.isfinite(truth).sum())
        assert src.stem in product["id"]
    print(f"share in connected components: {np.mean(in_cc):.3f}; pixels off by a cycle: {cycle_errors}")
    assert cycle_errors == 0
    assert np.mean(in_cc) > 0.9

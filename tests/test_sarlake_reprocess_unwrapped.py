"""`sarlake reprocess` on interferograms the unwrap PGE made from another processor's wrapped files.

They were refused ("no SLCs to re-make it from") although the wrapped file they came from was there to unwrap again.
Here: a MintPy stack holding only the wrapped phase of two real Sydney pairs (ROI_PAC's unwrapped phase, wrapped;
grid and wavelength from ROI_PAC's `.rsc`), unwrapped with `sarlake unwrap`; then one of them is reprocessed.
Truth: ROI_PAC's own unwrapped phase of that pair, the stack's dates, the original's provenance, and the
champion's scores in `qa_predictions`.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
from test_cli_ingest_options import UNW, _cli, _lake, _sql
from test_cli_unwrap_s3 import assert_no_cycle_lost


def _rsc(unw: Path) -> dict[str, str]:
    return dict(line.split()[:2] for line in Path(str(unw) + ".rsc").read_text().splitlines() if line.strip())


def _wrapped_mintpy_stack(path: Path, unws: list[Path]) -> dict[str, np.ndarray]:
    """A MintPy ``ifgramStack.h5`` with only ``wrapPhase`` of ``unws``; ROI_PAC's phase of each pair by its dates."""
    phases, dates = [], []
    for unw in unws:
        phase = np.fromfile(unw, "<f4").reshape(72, 2, 47)[:, 1]
        phases.append(np.where(phase != 0, phase, np.nan))
        first, second = unw.stem.split("_")[1].split("-")  # geo_060619-061002
        dates.append([f"20{first}".encode(), f"20{second}".encode()])
    rsc = _rsc(unws[0])
    with h5py.File(path, "w") as f:
        f.create_dataset("wrapPhase", data=np.stack([np.angle(np.exp(1j * np.nan_to_num(p))) for p in phases])
                         .astype(np.float32))
        f.create_dataset("date", data=np.array(dates))
        attrs = {"FILE_TYPE": "ifgramStack", "LENGTH": rsc["FILE_LENGTH"], "WIDTH": rsc["WIDTH"],
                 "WAVELENGTH": rsc["WAVELENGTH"], "X_FIRST": rsc["X_FIRST"], "Y_FIRST": rsc["Y_FIRST"],
                 "X_STEP": rsc["X_STEP"], "Y_STEP": rsc["Y_STEP"], "X_UNIT": "degrees", "Y_UNIT": "degrees"}
        for k, v in attrs.items():
            f.attrs[k] = v
    return {"_".join(sorted(d.decode() for d in pair)): p for pair, p in zip(dates, phases, strict=True)}


def test_one_pair_of_a_wrapped_stack_is_unwrapped_again_with_the_other_unwrapper_and_both_kept(settings, tmp_path):
    from qa_champion import register_champion

    _lake()
    stack = tmp_path / "mintpy" / "ifgramStack.h5"
    stack.parent.mkdir()
    truth = _wrapped_mintpy_stack(stack, UNW[:2])  # 20060619_20061002 and 20060828_20061211
    out = _cli("unwrap", str(stack), "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    made = {r["pair"]: r["product_id"] for r in _sql(
        "SELECT product_id, strftime(secondary_date, '%Y%m%d') || '_' || strftime(reference_date, '%Y%m%d') AS pair "
        "FROM products")}
    assert sorted(made) == sorted(truth)
    register_champion()
    original = made["20060828_20061211"]

    out = _cli("reprocess", original)
    assert out.exit_code == 0, out.output
    rows = {r["product_id"]: r for r in _sql("SELECT product_id, pge_name, reference_date::VARCHAR AS ref, "
                                             "secondary_date::VARCHAR AS sec, met_uri FROM products")}
    (new,) = set(rows) - set(made.values())  # one product: the other pair of the stack was not made again
    assert (rows[new]["pge_name"], rows[new]["ref"], rows[new]["sec"]) == ("unwrap", "2006-12-11", "2006-08-28")
    assert_no_cycle_lost(Path(rows[new]["met_uri"]).parent, truth["20060828_20061211"])

    prov = {r["product_id"]: r for r in _sql("SELECT product_id, pge_name, inputs, parameters FROM provenance")}
    assert prov[new]["pge_name"] == "unwrap" and list(prov[new]["inputs"]) == [str(stack)]
    old_params, new_params = json.loads(prov[original]["parameters"]), json.loads(prov[new]["parameters"])
    assert (old_params["unwrap"]["method"], new_params["unwrap"]["method"]) == ("snaphu", "quality")
    assert (old_params["filter"]["strength"], new_params["filter"]["strength"]) == (0.0, 0.3)
    assert new_params["pairs"] == ["20061211_20060828"]

    scores = {r["product_id"]: r["p_error"] for r in _sql("SELECT product_id, p_error FROM qa_predictions")}
    lineage = {r["product_id"]: r for r in _sql("SELECT product_id, original_id, reason, p_error, is_default "
                                                "FROM product_lineage")}
    assert set(lineage) == {original, new}
    assert {r["original_id"] for r in lineage.values()} == {original}
    assert lineage[new]["reason"] == "requested"
    assert lineage[new]["p_error"] == pytest.approx(scores[new])
    default = min((original, new), key=lambda p: scores[p])
    assert [p for p, r in lineage.items() if r["is_default"]] == [default]
    assert f"{original} (p(error) {scores[original]:.3f}) -> {new} (p(error) {scores[new]:.3f}); default: " \
           f"{default}" in out.output

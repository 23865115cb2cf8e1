"""Would features of the unwrapped phase's step across a moat help? A trial, not a feature set.

The stop-38 note proposed reading whether the unwrapper crossed a decorrelated moat with a jump, so that a clean
enclosure (a lake's island, continuous phase) is told from an island a cycle off. For every coherent part enclosed
by low coherence (found as ``coherence_enclosed_fraction`` finds them), the step is the median of the unwrapped
phase on the part's rim (3 pixels deep) less a plane fitted to the coherent pixels just across the moat (the 4
pixels nearest the part). Three candidates per product: the largest |step|, and the shares of the valid pixels in
parts whose |step| exceeds 1 rad and in parts whose |step| is under 0.5 rad.

The champion's feature recipe (ordinal boosting, not routed) is fitted on the simulator's truth of the labelled
set's training scenes with and without them, and scored on its held-out scenes and on the second simulator's
first N products (clean products with an enclosure counted apart, as in ``qa_ring_trial.py``); and, to tell the
candidates' information from what the labelled set lets a model learn, fitted on the second simulator's own
products in 5 folds.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python scripts/qa_moat_step_trial.py SET_DIR [--second 600] [--workers 2]
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NAMES = ("moat_step_max", "moat_stepped_share", "moat_flat_share")


def part_steps(unw: np.ndarray, coh: np.ndarray | None) -> list[tuple[float, int]]:
    """``(step in rad, pixels)`` of each enclosed coherent part of one product (none without coherence)."""
    from scipy import ndimage

    from pges.qa.enclosure import enclosed_parts
    from pges.qa.grid import box3

    if coh is None:
        return []
    valid = np.isfinite(unw) & np.isfinite(coh)
    found = enclosed_parts(coh, valid, int(valid.sum()), box3(valid.astype(np.float64)))
    if found is None:
        return []
    level, threshold, labels, keep = found
    coherent = (level >= threshold) & valid
    out = []
    for lab in np.flatnonzero(keep):
        part = labels == lab
        rim = part & (ndimage.distance_transform_edt(part) <= 3) & valid
        across = coherent & ~part
        if not across.any():
            continue
        d_out = ndimage.distance_transform_edt(~part)
        band = across & (d_out <= d_out[across].min() + 4)
        if band.sum() < 6 or rim.sum() < 6:
            continue
        ii, jj = np.nonzero(band)
        coef, *_ = np.linalg.lstsq(np.column_stack([np.ones(ii.size), ii, jj]), unw[band].astype(np.float64),
                                   rcond=None)
        ri, rj = np.nonzero(rim)
        out.append((float(np.median(unw[rim] - (coef[0] + coef[1] * ri + coef[2] * rj))), int(part.sum())))
    return out


def candidates(unw: np.ndarray, coh: np.ndarray | None) -> list[float]:
    """The three candidates of one product, in :data:`NAMES` order."""
    parts = part_steps(unw, coh)
    n = float(np.isfinite(unw).sum()) or 1.0
    if not parts:
        return [0.0, 0.0, 0.0]
    step = np.abs([s for s, _ in parts])
    size = np.array([p for _, p in parts], dtype=np.float64)
    return [float(step.max()), float(size[step > 1.0].sum() / n), float(size[step < 0.5].sum() / n)]


def _from_set(job: tuple[np.ndarray, np.ndarray | None]) -> list[float]:
    return candidates(*job)


def _second(seed: int) -> tuple[np.ndarray, list[float], int]:
    from pges.train.second_simulator import simulate_product

    product, truth = simulate_product(seed)
    return product.features().vector(), candidates(product.unw, product.coherence), int(truth["UWE"])


def main() -> None:
    from qa_ring_trial import _enclosed, _report

    from pges.train.labelled_set import load_set
    from pges.train.models import OrdinalBoosting
    from pges.train.quiet import quiet_stdout

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("set_dir", type=Path, help="a labelled set (qa_dataset folder)")
    ap.add_argument("--second", type=int, default=600, help="second-simulator products to score")
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    data = load_set(a.set_dir)
    ids = [str(i) for i in data.product_id]
    z = np.load(a.set_dir / "arrays.npz")  # opened once: each open reads the whole archive's index (~90 ms)
    names = set(z.files)
    rasters = [(z[f"{i}/unw"], z[f"{i}/coherence"] if f"{i}/coherence" in names else None) for i in ids]
    with quiet_stdout(), ProcessPoolExecutor(a.workers) as pool:
        extra = np.array(list(pool.map(_from_set, rasters, chunksize=16)))
        second = list(pool.map(_second, range(a.second), chunksize=8))
    x, y, split = data.features, np.array([int(data.truth[i]["UWE"]) for i in ids]), np.asarray(data.split)
    x2 = np.stack([s[0] for s in second]).astype(np.float64)
    e2, y2 = np.array([s[1] for s in second]), np.array([s[2] for s in second])
    for name, xs, ys in (("labelled set", extra, y), ("second simulator", e2, y2)):
        for k in range(4):
            sel = ys == k
            print(f"{name} UWE_{k} ({int(sel.sum())}): " + ", ".join(
                f"{n} mean {xs[sel, j].mean():.3f}, nonzero {100 * (xs[sel, j] > 0).mean():.0f} %"
                for j, n in enumerate(NAMES)))
    print("\n| features | scored on | products | F1 (UWE >= 2) | ROC AUC | UWE_0..3 | clean with an enclosure "
          "flagged |\n|---|---|---:|---|---|---|---|")
    tr, te = split == "train", split == "test"
    for name, fit_x, test_x, second_x in (("current", x, x, x2),
                                          ("+ moat steps", np.column_stack([x, extra]), np.column_stack([x, extra]),
                                           np.column_stack([x2, e2]))):
        model = OrdinalBoosting().fit(fit_x[tr], y[tr])  # the champion's recipe: its defaults
        print(_report(f"{name} | held out", y[te], model.predict_proba(test_x[te]), _enclosed(x[te])))
        print(_report(f"{name} | second simulator", y2, model.predict_proba(second_x), _enclosed(x2)))
    # what the candidates can tell where clean enclosures exist: the recipe fitted on the second simulator itself
    from sklearn.model_selection import StratifiedKFold

    for name, second_x in (("current", x2), ("+ moat steps", np.column_stack([x2, e2]))):
        proba = np.zeros((len(y2), 4))
        for fit, score in StratifiedKFold(5, shuffle=True, random_state=0).split(second_x, y2):
            proba[score] = OrdinalBoosting().fit(second_x[fit], y2[fit]).predict_proba(second_x[score])
        print(_report(f"{name}, fitted on the second simulator (5-fold) | second simulator", y2, proba, _enclosed(x2)))


if __name__ == "__main__":
    main()

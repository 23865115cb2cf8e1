"""Would candidate QA features help? Grouped cross-validation on labelled sets' training scenes, with and without.

A trial, not a feature set: the candidates below read a product's own rasters (``arrays.npz`` of each set), are
appended to the current features, and the champion's recipe (ordinal boosting, not routed) is fitted in 5 folds
grouped by scene on the *training* scenes of the sets given (held-out scenes are not read), trained on the crowd
consensus and scored out of fold against the simulator's truth: F1 for "UWE >= 2" and accuracy per class at
0.5 / 0.5 and at the shipped thresholds 0.40 / 0.85. Candidates, for the unwrapper's own errors (a region a cycle
off whose boundary is 2 pi spread over a few pixels of steep, aliased fringes, docs/qa.md):

* ``steep``: share of edges between valid pixels whose wrapped step exceeds 1.5, 2.0 and 2.5 rad, and the 90th
  and 99th percentiles of the wrapped steps;
* ``residues``: residues grown by 2 pixels and joined (8-connected): the largest cluster's area and the total
  area of clusters of 3 or more residues (shares of the valid pixels), the share of 2x2 loops in 9x9 windows
  holding more than 5 % residues, and the share of steep (> 2 rad) edges across which the unwrapped phase steps
  a cycle away from the wrapped phase (where the unwrapper cut through steep fringes).

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python scripts/qa_feature_trial.py SET_DIR LABELS.csv [MORE_SETS...]
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STEEP = ("steep_1.5", "steep_2.0", "steep_2.5", "step_p90", "step_p99")
RESIDUES = ("residue_cluster_largest", "residue_clusters_total", "residue_dense_share", "steep_cut_share")
VARIANTS = {"current features": (), "+ steep": STEEP, "+ residues": RESIDUES, "+ both": STEEP + RESIDUES}
_DATA: dict[str, np.ndarray] = {}


def candidates(unw: np.ndarray, wrapped: np.ndarray | None, coherence: np.ndarray | None) -> list[float]:
    """The candidate features of one product, in :data:`STEEP` + :data:`RESIDUES` order (NaN: no valid edge)."""
    from scipy import ndimage

    from pges.qa.grid import wrap as _wrap

    unw = unw.astype(np.float64)
    w = _wrap(unw) if wrapped is None else wrapped.astype(np.float64)
    valid = np.isfinite(unw) & np.isfinite(w) & (True if coherence is None else np.isfinite(coherence))
    dx, dy = _wrap(np.diff(w, axis=1)), _wrap(np.diff(w, axis=0))
    vx, vy = valid[:, 1:] & valid[:, :-1], valid[1:] & valid[:-1]
    steps = np.abs(np.concatenate([dx[vx], dy[vy]]))
    if steps.size == 0:
        return [np.nan] * (len(STEEP) + len(RESIDUES))
    out = [float((steps > t).mean()) for t in (1.5, 2.0, 2.5)] + [float(np.percentile(steps, q)) for q in (90, 99)]
    loops = valid[:-1, :-1] & valid[1:, :-1] & valid[:-1, 1:] & valid[1:, 1:]
    curl = dx[:-1] + dy[:, 1:] - dx[1:] - dy[:, :-1]
    residues = (np.abs(curl) > np.pi) & loops
    grown = ndimage.binary_dilation(residues, np.ones((5, 5), bool))
    labels, n = ndimage.label(grown, np.ones((3, 3), bool))
    largest = total = 0.0
    if n:
        index = np.arange(1, n + 1)
        count, area = ndimage.sum(residues, labels, index), ndimage.sum(grown, labels, index)
        largest, total = float(area.max() / valid.sum()), float(area[count >= 3].sum() / valid.sum())
    dense = float((ndimage.uniform_filter(residues.astype(np.float64), 9)[loops] > 0.05).mean()) if loops.any() else 0.0
    sx, sy = vx & (np.abs(dx) > 2.0), vy & (np.abs(dy) > 2.0)
    cut_x, cut_y = np.abs(np.diff(unw, axis=1) - dx) > np.pi, np.abs(np.diff(unw, axis=0) - dy) > np.pi
    steep = int(sx.sum() + sy.sum())
    cut = float((cut_x & sx).sum() + (cut_y & sy).sum()) / steep if steep else 0.0
    return out + [largest, total, dense, cut]


def _load(pairs: list[tuple[Path, str]]) -> dict[str, np.ndarray]:
    from pges.train import evaluate
    from pges.train.labelled_set import load_set, read_labels

    parts = []
    for folder, labels_csv in pairs:
        data, labels = load_set(folder), read_labels(labels_csv)
        ids = [str(i) for i in data.product_id]
        z = np.load(folder / "arrays.npz")
        names = set(z.files)  # a list of 10,500 names: a set, not a scan per product
        extra = [candidates(z[f"{i}/unw"], z[f"{i}/wrapped"] if f"{i}/wrapped" in names else None,
                            z[f"{i}/coherence"] if f"{i}/coherence" in names else None) for i in ids]
        parts.append({"x": data.features, "extra": np.array(extra), "scene": np.asarray(data.scene_id).astype(str),
                      "y": np.array([labels[i][0] for i in ids]), "split": np.array([labels[i][1] for i in ids]),
                      "truth": np.array([int(data.truth[i]["UWE"]) for i in ids]),
                      "cause": np.array([evaluate.cause_of(data.truth[i]) for i in ids])})
    whole = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    train = whole["split"] == "train"
    return {k: v[train] for k, v in whole.items()}


def _columns(names: tuple[str, ...]) -> np.ndarray:
    keep = [(STEEP + RESIDUES).index(n) for n in names]
    return np.column_stack([_DATA["x"], _DATA["extra"][:, keep]])


def _fold(job: tuple[str, int]) -> tuple[str, np.ndarray, np.ndarray]:
    from sklearn.model_selection import GroupKFold

    from pges.train.models import OrdinalBoosting

    variant, fold = job
    fit, score = list(GroupKFold(5).split(_DATA["y"], groups=_DATA["scene"]))[fold]
    x = _columns(VARIANTS[variant])
    return variant, score, OrdinalBoosting().fit(x[fit], _DATA["y"][fit]).predict_proba(x[score])


def main() -> None:
    from pges.qa.model_io import decide_class
    from pges.train import evaluate

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="+", help="SET_DIR LABELS.csv pairs")
    args = parser.parse_args()
    if len(args.sets) % 2:
        parser.error("give each set folder with its labels CSV")
    _DATA.update(_load([(Path(a), b) for a, b in zip(args.sets[::2], args.sets[1::2], strict=True)]))
    truth = _DATA["truth"]
    print(f"{len(truth)} training products of {len(set(_DATA['scene']))} scenes, truth UWE_0..3 "
          f"{np.bincount(truth, minlength=4).tolist()}, 5 folds grouped by scene", flush=True)
    proba = {v: np.zeros((len(truth), 4)) for v in VARIANTS}
    with ProcessPoolExecutor(2) as pool:  # forked workers share _DATA
        for variant, rows, p in pool.map(_fold, [(v, f) for v in VARIANTS for f in range(5)]):
            proba[variant][rows] = p
    own = _DATA["cause"] == "unwrapper"
    for variant, p in proba.items():
        row = [variant, f"F1 {evaluate.metrics(truth, p)['f1_uwe2']:.3f}"]
        for thresholds in ((0.5, 0.5), (0.40, 0.85)):
            c = decide_class(p, thresholds)
            acc = [100 * float((c[truth == k] == k).mean()) for k in range(4)]
            row.append(f"{thresholds}: " + " / ".join(f"{a:.1f}" for a in acc) + f" (mean {np.mean(acc):.1f})")
        row.append(f"the unwrapper's own errors: class right {100 * float((c[own] == truth[own]).mean()):.0f} % "
                   f"of {int(own.sum())}")
        print(" | ".join(row), flush=True)


if __name__ == "__main__":
    main()

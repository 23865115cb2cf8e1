"""Would the truth be better without an offset behind pixels that carry no phase? A trial of a rule, not adopted.

The truth (``pges.train.truth.error_map``) parts regions only at missing pixels: the offset across a band of
missing lines is unknowable from the data, so it is not an unwrapping error, but the offset of an island behind a
moat of coherence 0 (scattering replaced with independent speckle, or water), as unknowable, is. The linked
reading (``linked_error_cycles``, ``uwe_linked`` in ``truth.csv``) treats the two alike: regions are those of the
valid pixels whose pair coherence is above 0. This script simulates scenes (deterministic by seed, the labelled
set's recipe), takes the three classes each product records (``UWE``, the truth; ``uwe_linked``; ``uwe_observable``,
whose regions are those of the judged pixels, coherence >= 0.25), and fits the champion's feature recipe (ordinal
boosting, not routed) in 5 folds grouped by scene on each, scored against the same one. docs/qa.md, "The linked
truth (trial, not adopted)", has the answer and the full training run that followed.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python scripts/qa_linked_truth_trial.py --scenes 420 --cache /tmp/lt.npz
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RULES = ("UWE", "uwe_linked", "uwe_observable")


def simulate(scenes: int, first: int, workers: int) -> dict[str, np.ndarray]:
    """Features, the three classes, cause and scene of every product of the scenes asked for."""
    from pges.train import evaluate
    from pges.train.dataset import simulate_scenes

    rows: dict[str, list] = {k: [] for k in ("x", "scene", "cause", *RULES)}
    for i, products in enumerate(simulate_scenes(range(first, first + scenes), workers=workers)):
        for p in products:
            rows["x"].append(p.features)
            rows["scene"].append(p.scene_id)
            rows["cause"].append(evaluate.cause_of(p.truth))
            for r in RULES:
                rows[r].append(int(p.truth[r]))
        if i % 50 == 0:
            print(f"scene {first + i}: {len(rows['scene'])} products", flush=True)
    return {k: np.asarray(v) for k, v in rows.items()}


def cross_validate(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Out-of-fold class probabilities of ordinal boosting, 5 folds grouped by scene."""
    from sklearn.model_selection import GroupKFold

    from pges.train.models import OrdinalBoosting

    proba = np.zeros((len(y), 4))
    for fit, score in GroupKFold(5).split(x, y, groups=groups):
        proba[score] = OrdinalBoosting().fit(x[fit], y[fit]).predict_proba(x[score])
    return proba


def row(name: str, m: dict[str, float]) -> str:
    cls = " / ".join(f"{100 * m[f'accuracy_uwe{k}']:.0f}" for k in range(4))
    mean = 100 * np.mean([m[f"accuracy_uwe{k}"] for k in range(4)])
    return f"| {name} | {m['f1_uwe2']:.3f} | {cls} % ({mean:.1f}) | {m['roc_auc_uwe2']:.3f} |"


def main() -> None:
    from pges.train import evaluate

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenes", type=int, default=420)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cache", help="an .npz to save the simulated set to, or read it from when it exists")
    a = ap.parse_args()
    if a.cache and Path(a.cache).exists():
        d = dict(np.load(a.cache))
    else:
        d = simulate(a.scenes, a.first, a.workers)
        if a.cache:
            np.savez_compressed(a.cache, **d)
    x = np.asarray(d["x"], dtype=np.float64)
    print(f"{len(x)} products of {len(set(d['scene']))} scenes")
    for r in RULES:
        print(f"{r}: UWE_0..3 = {np.bincount(d[r], minlength=4).tolist()}; differs from UWE on "
              f"{int((d[r] != d['UWE']).sum())}")
    print("\ntruth (rows) against linked (columns):")
    print(np.array([[int(((d['UWE'] == i) & (d['uwe_linked'] == j)).sum()) for j in range(4)] for i in range(4)]))
    moved = d["UWE"] != d["uwe_linked"]
    causes = {str(c): int(n) for c, n in zip(*np.unique(d["cause"][moved], return_counts=True), strict=True)}
    print(f"class changed on {int(moved.sum())}, downward on {int((d['uwe_linked'] < d['UWE'])[moved].sum())}; by "
          f"cause: {causes}")
    for c in ("hidden", "both"):
        sel = d["cause"] == c
        linked = np.bincount(d["uwe_linked"][sel], minlength=4).tolist()
        print(f"cause {c} ({int(sel.sum())}): linked UWE_0..3 = {linked}")
    print("\n| truth (trained and scored on it) | F1 (UWE >= 2) | UWE_0..3 (mean) | ROC AUC |\n|---|---|---|---|")
    probas = {}
    for r in RULES:
        probas[r] = cross_validate(x, d[r], d["scene"])
        print(row(r, evaluate.metrics(d[r], probas[r])), flush=True)
    print(row("trained on UWE, scored on uwe_linked", evaluate.metrics(d["uwe_linked"], probas["UWE"])))
    for r in ("UWE", "uwe_linked"):
        pe, cls = evaluate.p_error(probas[r])
        for c in evaluate.CAUSES:
            sel = d["cause"] == c
            if sel.any():
                print(f"{r}: cause {c} ({int(sel.sum())}): class right {100 * (cls[sel] == d[r][sel]).mean():.1f} %")


if __name__ == "__main__":
    main()

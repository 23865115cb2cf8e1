"""Would the step severity per *coherent* pixel help? Grouped cross-validation on a labelled set's training scenes.

A trial, not a feature set. ``cc_step_severity`` (feature set 5) divides the cycles x pixels of the parts cut off by
|dphi| > pi edges by every valid pixel, while the truth's severity divides by the pixels that carry phase
(``pges.train.truth.judged_pixels``). On a product with much decorrelated area the feature then reads a UWE_2 error
as UWE_1. The candidate divides by the high-coherence pixels the numerator counts (coherence >= 0.3):
``cc_step_severity / (1 - coherence_low_fraction)``, the feature itself where there is no coherence layer.

It prints (1) on the training products that are clean or whose error is only an unwrapper's failure, how often
each reading, cut at the UWE class bounds, gives the truth's class; (2) the champion's feature recipe (ordinal
boosting, not routed), fitted in 5 folds grouped by scene on the training scenes with and without the candidate,
scored out of fold against the simulator's truth: F1 for "UWE >= 2" and accuracy per class at 0.5 / 0.5.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python scripts/qa_severity_trial.py SET_DIR LABELS.csv
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_DATA: dict[str, np.ndarray] = {}


def per_coherent_pixel(severity: np.ndarray, low_fraction: np.ndarray) -> np.ndarray:
    """The step severity per high-coherence pixel; the severity as it is without a coherence layer (NaN)."""
    share = 1.0 - np.where(np.isfinite(low_fraction), low_fraction, 0.0)
    return severity / np.maximum(share, 0.05)


def _load(folder: Path, labels_csv: str) -> dict[str, np.ndarray]:
    from pges.qa.features import FEATURE_NAMES
    from pges.train import evaluate
    from pges.train.labelled_set import load_set, read_labels

    data, labels = load_set(folder), read_labels(labels_csv)
    ids = [str(i) for i in data.product_id]
    x = np.asarray(data.features, dtype=np.float64)
    col = {n: FEATURE_NAMES.index(n) for n in ("cc_step_severity", "coherence_low_fraction")}
    whole = {"x": x, "cand": per_coherent_pixel(x[:, col["cc_step_severity"]], x[:, col["coherence_low_fraction"]]),
             "sev": x[:, col["cc_step_severity"]], "scene": np.asarray(data.scene_id).astype(str),
             "y": np.array([labels[i][0] for i in ids]), "split": np.array([labels[i][1] for i in ids]),
             "truth": np.array([int(data.truth[i]["UWE"]) for i in ids]),
             "cause": np.array([evaluate.cause_of(data.truth[i]) for i in ids])}
    train = whole["split"] == "train"
    return {k: v[train] for k, v in whole.items()}


def _fold(job: tuple[bool, int]) -> tuple[bool, np.ndarray, np.ndarray]:
    from sklearn.model_selection import GroupKFold

    from pges.train.models import OrdinalBoosting

    with_candidate, fold = job
    fit, score = list(GroupKFold(5).split(_DATA["y"], groups=_DATA["scene"]))[fold]
    x = np.column_stack([_DATA["x"], _DATA["cand"]]) if with_candidate else _DATA["x"]
    return with_candidate, score, OrdinalBoosting().fit(x[fit], _DATA["y"][fit]).predict_proba(x[score])


def main() -> None:
    from pges.qa.model_io import decide_class
    from pges.train import evaluate
    from pges.train.truth import UWE_SEVERITY

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("set_dir")
    parser.add_argument("labels")
    args = parser.parse_args()
    _DATA.update(_load(Path(args.set_dir), args.labels))
    truth, cause = _DATA["truth"], _DATA["cause"]
    print(f"{len(truth)} training products, truth UWE_0..3 {np.bincount(truth, minlength=4).tolist()}; causes "
          f"{dict(zip(*np.unique(cause, return_counts=True), strict=True))}", flush=True)
    failure = np.isin(cause, ["clean", "failure"])  # what a product shows in full: none, or an unwrapper's failure
    for name, values in (("cc_step_severity (per valid pixel)", _DATA["sev"]), ("per coherent pixel", _DATA["cand"])):
        cls = np.searchsorted(UWE_SEVERITY, values, side="right")
        acc = [100 * float((cls[failure & (truth == k)] == k).mean()) for k in range(4)]
        print(f"| {name} cut at the class bounds, clean and failure-only products ({int(failure.sum())}) | "
              + " / ".join(f"{a:.1f}" for a in acc) + f" (mean {np.mean(acc):.1f}) |", flush=True)
    proba = {v: np.zeros((len(truth), 4)) for v in (False, True)}
    with ProcessPoolExecutor(2) as pool:  # forked workers share _DATA
        for variant, rows, p in pool.map(_fold, [(v, f) for v in (False, True) for f in range(5)]):
            proba[variant][rows] = p
    for variant, p in proba.items():
        c = decide_class(p, (0.5, 0.5))
        acc = [100 * float((c[truth == k] == k).mean()) for k in range(4)]
        by_cause = ", ".join(f"{k} {100 * float((c[cause == k] == truth[cause == k]).mean()):.1f}"
                             for k in np.unique(cause))
        print(f"| ordinal boosting{' + per coherent pixel' if variant else ''} | F1 "
              f"{evaluate.metrics(truth, p)['f1_uwe2']:.3f} | " + " / ".join(f"{a:.1f}" for a in acc)
              + f" (mean {np.mean(acc):.1f}) | class right by cause: {by_cause} |", flush=True)


if __name__ == "__main__":
    main()

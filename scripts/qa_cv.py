"""Where the shipped QA recipe loses its middle classes: grouped cross-validation on the training split only.

Fits the champion's recipe (ordinal boosting, coherence-routed) in 5 folds grouped by scene on the labelled set's
*training* scenes (the held-out scenes are not read) and scores the out-of-fold predictions against the
simulator's truth, in these settings:

* ``consensus``: trained on the crowd consensus, as ``train`` does;
* ``truth``: trained on the simulator's truth: what the crowd's label noise costs;
* ``soft``: trained on the Dawid-Skene posteriors of the raters' tags (each "UWE >= k" model sees a product as
  a positive with weight P(>= k) and a negative with weight 1 - P(>= k)): learning from the crowd's
  uncertainty instead of its argmax (needs ``--tags``, the ``user_tags`` rows of the set's products);

then, on the ``consensus`` predictions: the accuracy per class and error cause; the accuracy of the product's own
severity estimate (``cc_step_severity`` cut where the classes are cut) on clean products and unwrapper
failures; and the class decision (``pges.qa.model_io.decide_class``) with the thresholds ``train`` would fit on
these predictions (``pges.train.decision``: best mean per-class accuracy against the consensus).

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python scripts/qa_cv.py SET_DIR LABELS.csv [--tags TAGS.csv]

``TAGS.csv`` comes from the lake that holds the set's crowd tags:

    sarlake sql "SELECT product_id, \"user\", tag_type, intensity FROM user_tags WHERE tag_type = 'UWE'" \
        --format csv -o TAGS.csv
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: severity cuts of the UWE classes (pges.train.truth.uwe_class), cycles per coherent pixel
CUTS = (0.005, 0.035, 0.09)


def _fit_soft(x: np.ndarray, target: np.ndarray):  # type: ignore[no-untyped-def]
    """The ordinal recipe fitted to (n, 4) label probabilities instead of classes."""
    from pges.train.models import OrdinalBoosting

    model = OrdinalBoosting(max_iter=300, learning_rate=0.05, random_state=0)
    model.classes_, model.models_, n = np.arange(4), [], len(x)
    for k in (1, 2, 3):
        q = target[:, k:].sum(axis=1)
        w = np.r_[q * n / (2 * q.sum()), (1 - q) * n / (2 * (1 - q).sum())]  # balanced, as class_weight is
        keep = w > 1e-6
        model.models_.append(model.booster().fit(np.vstack([x, x])[keep], np.r_[np.ones(n), np.zeros(n)][keep],
                                                 sample_weight=w[keep]))
    return model


def out_of_fold(x: np.ndarray, x_without: np.ndarray, target: np.ndarray, groups: np.ndarray,
                soft: bool = False) -> np.ndarray:
    """(n, 4) out-of-fold probabilities of the coherence-routed ordinal recipe, 5 folds grouped by scene.

    The folds are ``train``'s own (:func:`pges.train.decision.out_of_fold`); with hard labels the model is
    ``train``'s (:func:`pges.train.models.fit_routed`), with soft ones the same pair fitted by :func:`_fit_soft`.
    """
    from pges.train.decision import out_of_fold as folds
    from pges.train.models import CoherenceRouted, fit_routed

    _, i_flag, keep = CoherenceRouted.columns()

    def fit_predict(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if not soft:
            return fit_routed("ordinal_boosting", x[a], x_without[a], target[a]).predict_proba(x[b])
        xa = x[a].copy()
        xa[:, i_flag] = 0.0
        pair = CoherenceRouted(_fit_soft(xa, target[a]), _fit_soft(x_without[a][:, keep], target[a]))
        return pair.predict_proba(x[b])

    proba = folds(fit_predict, len(x), np.zeros(len(x)), groups)
    if proba is None:
        raise SystemExit("the training split has fewer than 5 scenes: nothing to cross-validate")
    return proba


def _accuracies(cls: np.ndarray, y: np.ndarray) -> list[float]:
    return [float((cls[y == k] == k).mean()) for k in range(4)]


def _line(name: str, f1: float | str, acc: list[float]) -> str:
    f1s = f"{f1:.3f}" if isinstance(f1, float) else f1
    return f"| {name} | {f1s} | " + " | ".join(f"{100 * a:.0f} %" for a in acc) + " |"


def _soft_targets(tags: Path, ids: list[str]) -> np.ndarray:
    import pandas as pd
    from crowdkit.aggregation import DawidSkene

    from lake.consensus import DS_ITERATIONS

    df = pd.read_csv(tags)
    df = df[df["tag_type"] == "UWE"].rename(columns={"product_id": "task", "user": "worker", "intensity": "label"})
    proba = DawidSkene(n_iter=DS_ITERATIONS).fit_predict_proba(df[["task", "worker", "label"]])
    return proba.reindex(ids)[[0, 1, 2, 3]].fillna(0.0).to_numpy()


def main() -> None:
    from pges.qa.features import FEATURE_NAMES
    from pges.qa.model_io import decide_class
    from pges.train import evaluate
    from pges.train.decision import fit_thresholds
    from pges.train.labelled_set import load_set, read_labels

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("set_dir", type=Path)
    ap.add_argument("labels", type=Path)
    ap.add_argument("--tags", type=Path, help="CSV of user_tags rows (product_id, user, tag_type, intensity)")
    a = ap.parse_args()

    data, labels = load_set(a.set_dir), read_labels(str(a.labels))  # the train PGE's own readers
    tr = np.array([labels[str(i)][1] == "train" for i in data.product_id])
    ids_tr = [str(i) for i in data.product_id[tr]]
    x, xw, groups = data.features[tr], data.features_without_coherence[tr], data.scene_id[tr]
    y = np.array([labels[i][0] for i in ids_tr])
    y_true = np.array([int(data.truth[i]["UWE"]) for i in ids_tr])
    runs = {"consensus": (y, False), "truth": (y_true, False)}
    if a.tags:
        runs["soft"] = (_soft_targets(a.tags, ids_tr), True)
    with ProcessPoolExecutor(2) as pool:
        futures = {k: pool.submit(out_of_fold, x, xw, t, groups, s) for k, (t, s) in runs.items()}
        probas = {k: f.result() for k, f in futures.items()}
    print(f"training split: {len(ids_tr)} products of {len(set(groups))} scenes, 5 folds grouped by scene\n")
    head = " | F1 (UWE >= 2) | UWE_0 | UWE_1 | UWE_2 | UWE_3 |\n|---|---|---|---|---|---|"
    print("| trained on (out-of-fold, vs truth)" + head)
    for k, p in probas.items():
        m = evaluate.metrics(y_true, p)
        print(_line(k, m["f1_uwe2"], [m[f"accuracy_uwe{c}"] for c in range(4)]))

    p = probas["consensus"]
    cls = p.argmax(axis=1)
    has_coh = ~np.isnan(x[:, FEATURE_NAMES.index("coherence_mean")])
    causes = np.array([evaluate.cause_of(data.truth[i]) for i in ids_tr])
    print("\n| true class, cause, coherence layer | products | class right | predicted UWE_0..3 |\n|---|---:|---:|---|")
    for c in (1, 2):
        for cause in evaluate.CAUSES[1:]:
            for with_coh in (True, False):
                s = (y_true == c) & (causes == cause) & (has_coh == with_coh)
                if s.sum() >= 5:
                    print(f"| UWE_{c}, {cause}, {'with' if with_coh else 'without'} | {int(s.sum())} | "
                          f"{100 * (cls[s] == c).mean():.0f} % | {np.bincount(cls[s], minlength=4).tolist()} |")

    step = np.digitize(np.nan_to_num(x[:, FEATURE_NAMES.index("cc_step_severity")]), CUTS)
    s = np.isin(causes, ("clean", "failure")) & has_coh
    print("\n| clean products and unwrapper failures with a coherence layer" + head)
    print(_line(f"the model ({int(s.sum())} products)", "", _accuracies(cls[s], y_true[s])))
    print(_line("`cc_step_severity` cut at the class cuts", "", _accuracies(step[s], y_true[s])))
    u = causes == "unwrapper"
    print(f"\nthe unwrapper's own errors: {int(u.sum())} products, `cc_step_severity` = 0 on "
          f"{100 * float((x[u, FEATURE_NAMES.index('cc_step_severity')] == 0).mean()):.0f} % of them")

    t = fit_thresholds(p, y)  # what train does, here on these out-of-fold predictions
    print("\n| class decision (consensus-trained, vs truth)" + head)
    print(_line("argmax", "", _accuracies(cls, y_true)))
    print(_line("consistent with p(error) >= 0.5, thresholds 0.5 / 0.5", "", _accuracies(decide_class(p), y_true)))
    print(_line(f"thresholds {t[0]} / {t[1]} (best mean accuracy vs consensus)", "",
                _accuracies(decide_class(p, t), y_true)))


if __name__ == "__main__":
    main()

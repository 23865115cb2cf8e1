"""What the crowd's label noise costs, and how much of it the products' features win back (``pges.train.relabel``).

Fits the champion's feature recipe (ordinal boosting; not coherence-routed) on a labelled set's training split
with four sets of labels and scores each on products no labelled set holds (a ``qa_segmentation_trial.py simulate``
file of fresh scenes) against the simulator's truth, at p = 0.5 and at class thresholds fitted out of fold against
the labels used (as ``train`` fits them):

* ``consensus``: Dawid-Skene's labels, as ``train`` read them before;
* ``relabelled``: the consensus relabelled with the features, one E-step (what ``train`` does now);
* ``relabelled twice``: a second step from the first's labels (an EM of two rounds);
* ``truth``: the simulator's truth (no label noise at all): what no crowd can give, the bound of the above.

The crowd's likelihoods are the labels CSV's own (``crowd_uwe0..3``, read by the train PGE's reader), pinned to
the set's data version; a CSV exported before those columns existed gets them from the lake that labelled the set
(``SARLAKE_HOME``: its ``user_tags`` and ``rater_confusion``). With ``--segmenter`` the features get the
U-Net's summaries of that model version's U-Net (an MLflow model folder of ``unet_ordinal_boosting``), as the
two-step model's classifier sees them.

    SARLAKE_HOME=HOME OMP_NUM_THREADS=2 .venv/bin/python scripts/qa_relabel_trial.py \
        HOME/products/QA_TRAINING_SET/qa-set-0-840 HOME/products/QA_TRAINING_LABELS/labels-....csv FRESH.npz \
        [--segmenter HOME/mlartifacts/models/m-.../artifacts]
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def row(name: str, labels: np.ndarray, x: np.ndarray, train: np.ndarray, truth: np.ndarray, scenes: np.ndarray,
        fresh_x: np.ndarray, fresh_y: np.ndarray) -> str:
    """One Markdown row: training labels right, F1 and per-class accuracy at 0.5 and at fitted thresholds."""
    from sklearn.metrics import f1_score

    from pges.qa.model_io import decide_class
    from pges.train.decision import model_thresholds
    from pges.train.models import MODELS

    def fit(_: str, mask: np.ndarray):  # type: ignore[no-untyped-def]
        return MODELS["ordinal_boosting"](x[mask], labels[mask], 0, False).model

    proba = fit("", train).predict_proba(fresh_x)
    th = model_thresholds(fit, "ordinal_boosting", lambda _, m: x[m], train, labels, scenes)
    cells = [name, f"{100 * (labels[train] == truth[train]).mean():.1f} %",
             f"{f1_score(fresh_y >= 2, proba[:, 2:].sum(axis=1) >= 0.5):.3f}"]
    for t in ((0.5, 0.5), th):
        cls = decide_class(proba, t)
        acc = [100 * (cls[fresh_y == k] == k).mean() for k in range(4)]
        cells.append(" / ".join(f"{a:.0f}" for a in acc) + f" % ({np.mean(acc):.1f})")
    cells.append(f"{th[0]:.2f} / {th[1]:.2f}")
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("set_dir", type=Path)
    parser.add_argument("labels", type=Path)
    parser.add_argument("fresh", type=Path, help="products of fresh scenes (qa_segmentation_trial.py simulate)")
    parser.add_argument("--segmenter", type=Path, help="an unet_ordinal_boosting MLflow model folder")
    args = parser.parse_args()

    from pges.train.labelled_set import read_labels
    from pges.train.models import MODELS
    from pges.train.relabel import crowd_relabel, read_crowd_likelihoods

    # the set's features as it saved them (load_set would recompute every product's from arrays.npz: minutes)
    samples = np.load(args.set_dir / "samples.npz")
    ids, scenes = samples["product_id"], samples["scene_id"]
    with (args.set_dir / "truth" / "truth.csv").open() as f:
        truth_of = {r["product_id"]: int(r["UWE"]) for r in csv.DictReader(f)}
    given = read_labels(str(args.labels))  # the train PGE's own reader
    truth = np.array([truth_of[i] for i in ids])
    consensus = np.array([given[i][0] for i in ids])
    train = np.array([given[i][1] == "train" for i in ids])
    like = read_crowd_likelihoods(str(args.labels), ids)
    if like is None:  # exported before the CSV carried them
        from lake.rater_model import crowd_likelihoods

        crowd = crowd_likelihoods(list(ids))
        like = np.array([crowd.get(i, np.full(4, np.nan)) for i in ids])
    fresh = np.load(args.fresh)
    x, fresh_x = samples["features"], fresh["x"]
    if args.segmenter:
        from pges.qa.model_load import load_local
        from pges.qa.segmentation import SegmentedModel

        unet = SegmentedModel(load_local(args.segmenter).segmenter, None)
        x = unet.features({"features": x, "tiles": samples["tiles"]})
        fresh_x = unet.features({"features": fresh_x, "tiles": fresh["tile"]})

    def relabelled(labels: np.ndarray) -> np.ndarray:
        def fit(_: str, mask: np.ndarray):  # type: ignore[no-untyped-def]
            return MODELS["ordinal_boosting"](x[mask], labels[mask], 0, False).model
        return crowd_relabel(fit, lambda _, m: x[m], train, labels, scenes, like)

    once = relabelled(consensus)
    print(f"{int(train.sum())} training products of {len(set(scenes[train]))} scenes, {len(fresh['uwe'])} fresh "
          f"products; crowd likelihoods for {int(np.isfinite(like).all(axis=1).sum())}")
    print("| labels | training labels right | F1 (UWE >= 2) | UWE_0..3 at 0.5 / 0.5 (mean) | UWE_0..3 at fitted "
          "thresholds (mean) | thresholds |")
    print("|---|---|---|---|---|---|")
    for name, labels in (("consensus", consensus), ("relabelled", once), ("relabelled twice", relabelled(once)),
                         ("truth", truth)):
        print(row(name, labels, x, train, truth, scenes, fresh_x, fresh["uwe"]), flush=True)


if __name__ == "__main__":
    main()

"""How sure are the held-out figures? Score registered versions on scenes no training run has seen, with intervals.

The shipped run's held-out split has 410 products, 58 of them UWE_1 and 63 UWE_2, so one class's accuracy there
moves by about 6 points with the sample (one standard error). This script scores registered versions on a set of
*new* scenes of the same simulator (``qa_segmentation_trial.py simulate`` with seeds no labelled set or U-Net set
uses), with every product held out by construction, and prints each figure with a 95 % interval from a bootstrap
over scenes (a scene's products are not independent: they share its terrain, atmosphere and artefacts).

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python scripts/qa_segmentation_trial.py simulate NEW.npz \
        --scenes 840 --first-scene 500000
    SARLAKE_HOME=... .venv/bin/python scripts/qa_fresh_scenes.py NEW.npz [--versions champion,challenger]
        [--held-out SET.npz]   (also the labelled set's own held-out split, to check the scoring reproduces it)

With ``--held-out`` it also draws as many of the new scenes as the split has, 4,000 times, and says how often such a
split reads each version's held-out F1 or more. Each version's lead over the others (the first listed less each
other, paired over the same scenes, ``pges.train.intervals.paired``) closes the printout. Metrics and intervals
as ``train`` logs them (``pges.train.evaluate.metrics``, ``pges.train.intervals``), classes decided with each
version's thresholds.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def _ci(out: dict[str, float], name: str, scale: float = 100.0, digits: int = 0) -> str:
    return f"{out[f'{name}_low'] * scale:.{digits}f}-{out[f'{name}_high'] * scale:.{digits}f}"


def report(label: str, z: dict[str, np.ndarray], proba: np.ndarray, thresholds: tuple[float, float],
           draws: int) -> None:
    """One Markdown row: F1, per-class and mean accuracy with their 95 % intervals, and class right by cause."""
    from pges.qa.model_io import decide_class
    from pges.train.evaluate import CAUSES, metrics
    from pges.train.intervals import intervals, resampled

    y = z["uwe"]
    m = metrics(y, proba, thresholds=thresholds)
    cls = decide_class(proba, thresholds)
    out = intervals(y, proba, z["scene"], thresholds=thresholds, draws=draws)
    # the same draws as the intervals (the same seed): the share of them with every class at 85 % or more
    every = (resampled(y, cls, z["scene"], draws)["accuracy"] >= 0.85).all(axis=1).mean()
    per_class = " | ".join(f"{m[f'accuracy_uwe{k}'] * 100:.1f} % ({_ci(out, f'accuracy_uwe{k}')})" for k in range(4))
    causes = ", ".join(f"{c} {100 * float((cls[s] == y[s]).mean()):.0f} % ({int(s.sum())})"
                       for c in CAUSES if (s := z["cause"] == c).any())
    print(f"| {label} | {len(y)} ({len(set(z['scene']))}) | {m['f1_uwe2']:.3f} ({_ci(out, 'f1_uwe2', 1, 3)}) | "
          f"{per_class} | {out['mean_class_accuracy'] * 100:.1f} % ({_ci(out, 'mean_class_accuracy', 100, 1)}) | "
          f"{m['roc_auc_uwe2']:.3f} | {100 * every:.1f} % | {causes} |", flush=True)


def subset_f1(z: dict[str, np.ndarray], proba: np.ndarray, thresholds: tuple[float, float], size: int,
              draws: int = 4000) -> np.ndarray:
    """F1 ("UWE >= 2") of ``draws`` random subsets of ``size`` scenes (without replacement): what a held-out split
    of that many scenes would read."""
    from pges.qa.model_io import decide_class
    from pges.train.intervals import figures, scene_counts

    counts = scene_counts(z["scene"], z["uwe"], decide_class(proba, thresholds))
    rng = np.random.default_rng(0)
    picks = np.zeros((draws, len(counts)))
    for row in picks:
        row[rng.choice(len(counts), size, replace=False)] = 1
    return figures(picks @ counts)["f1"]


def _load(path: Path, held_out: bool) -> dict[str, np.ndarray]:
    from pges.train.labelled_set import split_of

    z = dict(np.load(path))
    if held_out:
        test = np.array([split_of(s) == "test" for s in z["scene"]])
        z = {k: v[test] for k, v in z.items()}
    return z


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", type=Path, help="a set of new scenes (qa_segmentation_trial.py simulate)")
    ap.add_argument("--versions", default="champion,challenger", help="aliases or version numbers")
    ap.add_argument("--held-out", type=Path, default=None, help="the labelled set (its held-out split is scored too)")
    ap.add_argument("--draws", type=int, default=2000, help="bootstrap resamples of the scenes")
    args = ap.parse_args()

    from lake.settings import get_settings
    from pges.qa.model_io import decide_class, to_model_input
    from pges.qa.score import Scorer
    from pges.train.evaluate import metrics
    from pges.train.intervals import paired
    from sarlake.workflows.qa import model_cache

    sets = {"new scenes": _load(args.path, False)}
    if args.held_out is not None:
        sets = {"held-out split": _load(args.held_out, True), **sets}
        overlap = set(sets["held-out split"]["scene"]) & set(sets["new scenes"]["scene"])
        assert not overlap, f"{len(overlap)} scenes are in both sets"
    for name, z in sets.items():
        print(f"{name}: {len(z['uwe'])} products of {len(set(z['scene']))} scenes "
              f"({min(z['scene'])} .. {max(z['scene'])}), truth UWE_0..3 {np.bincount(z['uwe'], minlength=4).tolist()}")
    print("\n| version | set | products (scenes) | F1 (UWE >= 2), 95 % interval | UWE_0 | UWE_1 | UWE_2 | UWE_3 | "
          "mean class | ROC AUC | resamples with every class >= 85 % | class right by cause |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    settings = get_settings()
    subsets: list[str] = []
    classes: dict[str, dict[str, np.ndarray]] = {}  # set -> version -> decided classes
    shortfalls: list[np.ndarray] = []  # per version: subset F1 less held-out F1 (the same draws for every version)
    for version in (v.strip() for v in args.versions.split(",") if v.strip()):
        scorer = Scorer(settings.mlflow_tracking_uri, settings.qa_model_name, version, cache_dir=model_cache(settings))
        if scorer.input_kind == "browse":
            print(f"| v{scorer.version} ({version}) | - | browse thumbnails are not in these sets |")
            continue
        proba: dict[str, np.ndarray] = {}
        for name, z in sets.items():
            empty = np.zeros((len(z["uwe"]), 0))
            proba[name] = scorer.predict_proba({scorer.input_kind: to_model_input(scorer.input_kind, z["x"], empty,
                                                                                  z["tile"])})
            report(f"v{scorer.version} ({version}) | {name}", z, proba[name], scorer.thresholds, args.draws)
            classes.setdefault(name, {})[f"v{scorer.version}"] = decide_class(proba[name], scorer.thresholds)
        if "held-out split" in sets:  # how often a split of as many new scenes reads the held-out F1 or more
            held, new = sets["held-out split"], sets["new scenes"]
            f1 = subset_f1(new, proba["new scenes"], scorer.thresholds, len(set(held["scene"])))
            m = metrics(held["uwe"], proba["held-out split"], thresholds=scorer.thresholds)["f1_uwe2"]
            subsets.append(f"v{scorer.version}: held-out F1 {m:.3f}; {len(set(held['scene']))} new scenes drawn "
                           f"4,000 times: mean {f1.mean():.3f}, sd {f1.std():.4f}, >= {m:.3f} in "
                           f"{100 * (f1 >= m).mean():.2f} % of the draws")
            shortfalls.append(f1 - m)
    if shortfalls:
        d = np.array(shortfalls)
        subsets.append(f"every version at or above its held-out F1 in {100 * (d >= 0).all(axis=0).mean():.3f} % of "
                       f"the draws; their mean F1 at or above their mean held-out F1 in "
                       f"{100 * (d.mean(axis=0) >= 0).mean():.2f} %")
    print("\n" + "\n".join(subsets))
    for name, by_version in classes.items():  # each version against the first, paired over the set's scenes
        first, *others = by_version
        for other in others:
            d = paired(sets[name]["uwe"], by_version[first], by_version[other], sets[name]["scene"], args.draws)
            print(f"{name}: {first} - {other}: F1 {d['f1_uwe2_difference']:+.3f} ({d['f1_uwe2_difference_low']:+.3f}"
                  f" to {d['f1_uwe2_difference_high']:+.3f}), mean class "
                  f"{100 * d['mean_class_accuracy_difference']:+.1f} points "
                  f"({100 * d['mean_class_accuracy_difference_low']:+.1f} to "
                  f"{100 * d['mean_class_accuracy_difference_high']:+.1f})")


if __name__ == "__main__":
    main()

"""What limits the QA classifier: label noise, the truth's class definition, or the features?

Reads a labelled set (``qa_dataset`` product folder) and its consensus labels CSV, and on the set's fixed
held-out scenes measures the same model (ordinal boosting on the current feature set, the shipped champion's
recipe) in these settings, each against the simulator's truth and against the crowd consensus:

* ``shipped``: trained on the crowd consensus (as ``train`` does);
* ``truth-trained``: trained on the simulator's truth (no label noise): what the label noise costs;
* ``oracle+features``: the features plus the *true* error area share (share of coherent, uncorrupted pixels
  off by >= 1 cycle, ``uwe_fraction`` of the truth): what a perfect estimate of the error area would give;
* ``oracle-area``: that area share alone; ``oracle-severity``: the truth's own severity (sanity: 1.0);
* the bound for a product-only method: ``oracle+features`` on products with a usable coherence layer, the
  shipped recipe on the others (whose islands are not in the data).

With ``--observable N`` it re-simulates the held-out scenes (deterministic by seed, N workers) and scores the
shipped model against the *observable* class (``pges.train.truth.observable_error_cycles``: errors inside a
coherent connected region only), and breaks its accuracy down by what caused the error.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python scripts/qa_ceiling.py SET_DIR LABELS.csv [--observable 2]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _column(name: str) -> int:
    from pges.qa.features import FEATURE_NAMES

    return FEATURE_NAMES.index(name)


def _fit_predict(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray) -> np.ndarray:
    from pges.train.models import OrdinalBoosting

    return OrdinalBoosting().fit(x_train, y_train).predict_proba(x_test)  # the champion's recipe: its defaults


def _row(name: str, m: dict[str, float], prefix: str) -> str:
    return (f"| {name} | {m[prefix + 'f1_uwe2']:.3f} | "
            + " | ".join(f"{100 * m[f'{prefix}accuracy_uwe{k}']:.0f} %" for k in range(4))
            + f" | {m[prefix + 'roc_auc_uwe2']:.3f} |")


def _observable(scene_ids: list[str], workers: int) -> dict[str, dict[str, Any]]:
    from concurrent.futures import ProcessPoolExecutor

    from pges.train.dataset import simulate_scene
    from pges.train.quiet import quiet_stdout

    seeds = [int(s.split("-")[1]) for s in scene_ids]
    out: dict[str, dict[str, Any]] = {}
    with quiet_stdout(), ProcessPoolExecutor(workers) as pool:
        for batch in pool.map(simulate_scene, seeds, chunksize=2):
            out.update({p.product_id: p.truth for p in batch})
    return out


def main() -> None:
    from pges.train import evaluate
    from pges.train.labelled_set import load_set

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("set_dir", type=Path)
    ap.add_argument("labels", type=Path)
    ap.add_argument("--observable", type=int, default=0, help="re-simulate the held-out scenes with N workers")
    ap.add_argument("--json", type=Path, help="write the figures here")
    a = ap.parse_args()

    data = load_set(a.set_dir)
    with a.labels.open() as f:
        labels = {r["product_id"]: (int(r["label"]), r["split"]) for r in csv.DictReader(f)}
    ids = [str(i) for i in data.product_id]
    y = np.array([labels[i][0] for i in ids])
    split = np.array([labels[i][1] for i in ids])
    truth = data.truth
    y_true = np.array([int(truth[i]["UWE"]) for i in ids])
    frac = np.array([float(truth[i]["uwe_fraction"]) for i in ids])
    sev = np.array([float(truth[i]["uwe_severity"]) for i in ids])
    tr, te = split == "train", split == "test"
    x = data.features
    settings = {
        "shipped": (x, y),
        "truth-trained": (x, y_true),
        "oracle+features": (np.column_stack([x, frac]), y),
        "oracle-area": (frac[:, None], y),
        "oracle-severity": (sev[:, None], y_true),
    }
    results: dict[str, dict[str, float]] = {}
    probas: dict[str, np.ndarray] = {}
    for name, (xx, yy) in settings.items():
        proba = _fit_predict(xx[tr], yy[tr], xx[te])
        probas[name] = proba
        m = evaluate.metrics(y_true[te], proba, "truth_")
        m.update(evaluate.metrics(y[te], proba, "consensus_"))
        results[name] = m
    print(f"held out: {int(te.sum())} products; consensus agrees with truth on "
          f"{100 * float((y[te] == y_true[te]).mean()):.1f} % of them\n")
    print("| setting | F1 (UWE >= 2) | UWE_0 | UWE_1 | UWE_2 | UWE_3 | ROC AUC |\n|---|---|---|---|---|---|---|")
    for name, m in results.items():
        print(_row(f"{name}, vs truth", m, "truth_"))
        print(_row(f"{name}, vs consensus", m, "consensus_"))

    record: dict[str, object] = {"settings": results}
    test_ids = [i for i, s in zip(ids, split, strict=True) if s == "test"]
    _, cls = __import__("pges.qa.model_io", fromlist=["p_error"]).p_error(probas["shipped"])
    pred = dict(zip(test_ids, cls.tolist(), strict=True))
    def cause(t: dict[str, str]) -> str:
        pmr = ", PMR >= 2" if int(t["PMR"]) >= 2 else ""
        return f"{evaluate.cause_of(t)}{pmr}"

    causes = sorted({cause(truth[i]) for i in test_ids})
    print("\n| error cause (truth) | held-out products | class right | UWE >= 2 right |\n|---|---:|---:|---:|")
    breakdown = {}
    for label in causes:
        sel = [i for i in test_ids if cause(truth[i]) == label]
        right = np.mean([pred[i] == int(truth[i]["UWE"]) for i in sel])
        bin_right = np.mean([(pred[i] >= 2) == (int(truth[i]["UWE"]) >= 2) for i in sel])
        breakdown[label] = {"n": len(sel), "class_right": float(right), "binary_right": float(bin_right)}
        print(f"| {label} | {len(sel)} | {100 * right:.0f} % | {100 * bin_right:.0f} % |")
    record["causes"] = breakdown
    coherent = np.array([not np.isnan(v) for v in x[te][:, _column("coherence_mean")]])
    print("\n| shipped, by input | held-out products | F1 (UWE >= 2) | UWE_0 | UWE_1 | UWE_2 | UWE_3 |")
    print("|---|---:|---|---|---|---|---|")
    by_input = {}
    for name, mask in (("with a coherence layer", coherent), ("without (missing or ignored)", ~coherent)):
        m = evaluate.metrics(y_true[te][mask], probas["shipped"][mask], "")
        by_input[name] = m
        print(f"| {name} | {int(mask.sum())} | {m['f1_uwe2']:.3f} | "
              + " | ".join(f"{100 * m[f'accuracy_uwe{k}']:.0f} %" for k in range(4)) + " |")
    record["by_input"] = by_input
    # The bound for a product-only method: the true error area where the product has a usable coherence layer
    # (where an island's moat is in the data), the shipped recipe where it has none (where it is not).
    bound = np.where(coherent[:, None], probas["oracle+features"], probas["shipped"])
    m = evaluate.metrics(y_true[te], bound, "truth_")
    record["bound_observable"] = m
    print("\n| bound (held-out, vs truth) | F1 (UWE >= 2) | UWE_0 | UWE_1 | UWE_2 | UWE_3 | ROC AUC |")
    print("|---|---|---|---|---|---|---|")
    print(_row("true error area where a coherence layer is usable, shipped recipe elsewhere", m, "truth_"))

    if a.observable:
        scenes = sorted({i.rsplit("-", 1)[0].replace("SIMQA", "scene") for i in test_ids})
        obs = _observable(scenes, a.observable)
        same = [i for i in test_ids if i in obs and int(obs[i]["UWE"]) == int(truth[i]["UWE"])]
        print(f"\nre-simulated {len(obs)} held-out products; truth reproduced on {len(same)}")
        keep = np.array([i in obs for i in test_ids])
        y_obs = np.array([int(obs[i]["uwe_observable"]) if i in obs else -1 for i in test_ids])
        m = evaluate.metrics(y_obs[keep], probas["shipped"][keep], "observable_")
        changed = int((y_obs[keep] != y_true[te][keep]).sum())
        print(f"observable class differs from the truth class on {changed} of {int(keep.sum())} products; "
              f"observable UWE_0..3 = {np.bincount(y_obs[keep], minlength=4).tolist()}")
        print(_row("shipped, vs observable class", m, "observable_"))
        record["observable"] = {"metrics": m, "changed": changed, "n": int(keep.sum()),
                                "counts": np.bincount(y_obs[keep], minlength=4).tolist()}
    if a.json:
        a.json.write_text(json.dumps(record, indent=2, default=float))


if __name__ == "__main__":
    main()

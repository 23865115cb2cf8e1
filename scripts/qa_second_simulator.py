"""Score a registered QA model on products of the second simulator (pges.train.second_simulator): does it
generalise beyond the simulator it was trained on (issue 8)? Prints Markdown tables for docs/qa.md.

    SARLAKE_HOME=... .venv/bin/python scripts/qa_second_simulator.py [--products 600] [--workers 2]
        [--versions champion,challenger | 3,7 | all]   (aliases, version numbers, or every version)

Each product is scored twice: with every layer the interferogram PGE makes (coherence, wrapped phase,
components, relief) and as a ROI_PAC-style ``.unw`` alone. Metrics against the second simulator's truth
(pges.train.evaluate.metrics: F1 for UWE >= 2, per-class accuracy, ROC AUC).
"""

from __future__ import annotations

import argparse
import collections
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

PROFILES = ("all layers", ".unw alone")
MECHANISMS = ("ring", "fault zone", "creep", "bowl", "none")


def _mechanism(t: dict[str, Any]) -> str:
    """The scene's most error-prone element, in that order (a product may hold several)."""
    if t["rings"]:
        return "ring"
    if t["fault_rad"]:
        return "fault zone"
    if t["creep_rad"]:
        return "creep"
    return "bowl" if t["bowl_rad"] else "none"


def _versions(spec: str, name: str, client: Any) -> list[str]:
    if spec == "all":
        return sorted((str(v.version) for v in client.search_model_versions(f"name = '{name}'")), key=int)
    return [a.strip() for a in spec.split(",") if a.strip()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--products", type=int, default=600)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--versions", default="champion,challenger")
    args = ap.parse_args()

    import mlflow

    from lake.settings import get_settings
    from pges.qa.model_io import DEFAULT_THRESHOLDS, decide_class
    from pges.qa.score import ProductInputs, Scorer, model_inputs
    from pges.train.evaluate import metrics
    from pges.train.second_simulator import simulate_product
    from sarlake.workflows.qa import model_cache

    t0 = time.perf_counter()
    seeds = range(args.first_seed, args.first_seed + args.products)
    with ProcessPoolExecutor(args.workers) as pool:
        made = list(pool.map(simulate_product, seeds, chunksize=8))
    products, truths = [p for p, _ in made], [t for _, t in made]
    y = np.array([t["UWE"] for t in truths])
    mech = np.array([_mechanism(t) for t in truths])
    counts = " / ".join(str(int((y == k).sum())) for k in range(4))
    print(f"{len(made)} products of the second simulator (seeds {seeds.start}-{seeds.stop - 1}) in "
          f"{time.perf_counter() - t0:.0f} s; truth UWE_0..3 = {counts}; "
          f"unwrappers {dict(collections.Counter(t['unwrapper'] for t in truths))}\n")
    # model inputs of every kind, computed once per profile for every version and the reference
    inputs = {PROFILES[0]: model_inputs(products)[0],
              PROFILES[1]: model_inputs([ProductInputs(p.name, p.unw) for p in products])[0]}
    visible = np.array([t["UWE"] == t["uwe_outside_rings"] for t in truths])
    print(f"{int(visible.sum())} products keep their class without the pixels inside the rings (an offset behind a "
          "decorrelated ring is in no product: 'visible' below); in the others it is what sets the class\n")
    settings = get_settings()
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    client = mlflow.MlflowClient()
    print("| model | inputs | products | F1 (UWE >= 2) | UWE_0 | UWE_1 | UWE_2 | UWE_3 | ROC AUC | class right by "
          "scene: " + ", ".join(MECHANISMS) + " |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---|")

    def row(label: str, profile: str, proba: np.ndarray, thresholds: tuple[float, float] = DEFAULT_THRESHOLDS) -> None:
        for subset, sel in (("all", np.ones(len(y), bool)), ("visible", visible)):
            m = metrics(y[sel], proba[sel], thresholds=thresholds)  # classes as the version's scorers decide them
            cls, ys, ms = decide_class(proba[sel], thresholds), y[sel], mech[sel]
            right = ", ".join(f"{(cls[ms == c] == ys[ms == c]).mean() * 100:.0f} % ({(ms == c).sum()})"
                              if (ms == c).any() else "-" for c in MECHANISMS)
            print(f"| {label} | {profile} | {subset} ({int(sel.sum())}) | {m['f1_uwe2']:.3f} | "
                  + " | ".join(f"{m[f'accuracy_uwe{k}'] * 100:.0f} %" for k in range(4))
                  + f" | {m['roc_auc_uwe2']:.3f} | {right} |", flush=True)

    for version in _versions(args.versions, settings.qa_model_name, client):
        try:
            scorer = Scorer(settings.mlflow_tracking_uri, settings.qa_model_name, version,
                            cache_dir=model_cache(settings))
        except Exception as exc:  # an alias not set in this registry, or a stale feature set
            print(f"| {version} | - | - | {exc} |")
            continue
        mv = client.get_model_version(settings.qa_model_name, scorer.version)
        label = f"v{scorer.version} {client.get_run(mv.run_id).info.run_name} ({version})"
        for profile in PROFILES:
            row(label, profile, scorer.predict_proba(inputs[profile]), scorer.thresholds)
    for profile in PROFILES:
        row("reference: ordinal boosting fitted on this simulator (5-fold CV)", profile,
            in_domain(inputs[profile]["features"], y))


def in_domain(x: Any, y: np.ndarray) -> np.ndarray:
    """Class probabilities of the shipped feature recipe fitted on 4/5 of these products, for the other 1/5.

    What the features can tell on this simulator when a model has seen it: the yardstick for how much a model
    trained on the first simulator loses by not having seen it. ``x``: the feature frame (``model_inputs``).
    """
    from sklearn.model_selection import StratifiedKFold

    from pges.train.models import fit_model

    x = x.copy()
    x.loc[:, x.isna().all()] = 0.0  # a feature no product has (triplets): constant, as the binning needs a value
    proba = np.zeros((len(y), 4))
    for a, b in StratifiedKFold(5, shuffle=True, random_state=0).split(x, y):
        proba[b] = fit_model("ordinal_boosting", x.iloc[a], y[a]).predict_proba(x.iloc[b])
    return proba


if __name__ == "__main__":
    main()

"""Score a registered QA model on products of the second simulator (pges.train.second_simulator): does it
generalise beyond the simulator it was trained on (issue 8)? Prints Markdown tables for docs/qa.md.

    SARLAKE_HOME=... .venv/bin/python scripts/qa_second_simulator.py [--products 600] [--workers 2]
        [--versions champion,challenger | all]

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
    from pges.qa.score import ProductInputs, Scorer
    from pges.train.evaluate import metrics
    from pges.train.second_simulator import simulate_product
    from sarlake.workflows.qa import model_cache

    t0 = time.perf_counter()
    seeds = range(args.first_seed, args.first_seed + args.products)
    with ProcessPoolExecutor(args.workers) as pool:
        made = list(pool.map(simulate_product, seeds, chunksize=8))
    y = np.array([p.truth["UWE"] for p in made])
    mech = np.array([_mechanism(p.truth) for p in made])
    counts = " / ".join(str(int((y == k).sum())) for k in range(4))
    print(f"{len(made)} products of the second simulator (seeds {seeds.start}-{seeds.stop - 1}) in "
          f"{time.perf_counter() - t0:.0f} s; truth UWE_0..3 = {counts}; "
          f"unwrappers {dict(collections.Counter(p.truth['unwrapper'] for p in made))}\n")
    inputs = {
        PROFILES[0]: [ProductInputs(p.name, p.unw, p.coherence, p.wrapped, p.conncomp, p.dem) for p in made],
        PROFILES[1]: [ProductInputs(p.name, p.unw) for p in made],
    }
    visible = np.array([p.truth["UWE"] == p.truth["uwe_outside_rings"] for p in made])
    print(f"{int(visible.sum())} products keep their class without the pixels inside the rings (an offset behind a "
          "decorrelated ring is in no product: 'visible' below); in the others it is what sets the class\n")
    settings = get_settings()
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    client = mlflow.MlflowClient()
    print("| model | inputs | products | F1 (UWE >= 2) | UWE_0 | UWE_1 | UWE_2 | UWE_3 | ROC AUC | class right by "
          "scene: " + ", ".join(MECHANISMS) + " |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---|")

    def row(label: str, profile: str, proba: np.ndarray) -> None:
        for subset, sel in (("all", np.ones(len(y), bool)), ("visible", visible)):
            m = metrics(y[sel], proba[sel])
            cls = proba[sel].argmax(axis=1)
            right = ", ".join(f"{(cls[ms == c] == y[sel][ms == c]).mean() * 100:.0f} % ({(ms == c).sum()})"
                              if (ms := mech[sel]) is not None and (ms == c).any() else "-" for c in MECHANISMS)
            print(f"| {label} | {profile} | {subset} ({int(sel.sum())}) | {m['f1_uwe2']:.3f} | "
                  + " | ".join(f"{m[f'accuracy_uwe{k}'] * 100:.0f} %" for k in range(4))
                  + f" | {m['roc_auc_uwe2']:.3f} | {right} |", flush=True)

    for version in _versions(args.versions, settings.qa_model_name, client):
        try:
            scorer = _by_number(settings, version) if version.isdigit() else Scorer(
                settings.mlflow_tracking_uri, settings.qa_model_name, version, cache_dir=model_cache(settings))
        except Exception as exc:  # an alias not set in this registry, or a stale feature set
            print(f"| {version} | - | - | {exc} |")
            continue
        mv = client.get_model_version(settings.qa_model_name, scorer.version)
        label = f"v{scorer.version} {mv.tags.get('sarlake.model_kind', '')} ({version})"
        for profile in PROFILES:
            recs = scorer.score(inputs[profile])
            row(label, profile, np.array([r["class_probabilities"] for r in recs]))
    for profile in PROFILES:
        row("reference: ordinal boosting fitted on this simulator (5-fold CV)", profile,
            in_domain(np.stack([pi.features().vector() for pi in inputs[profile]]), y))


def in_domain(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Class probabilities of the shipped feature recipe fitted on 4/5 of these products, for the other 1/5.

    What the features can tell on this simulator when a model has seen it: the yardstick for how much a model
    trained on the first simulator loses by not having seen it.
    """
    from sklearn.model_selection import StratifiedKFold

    from pges.train.models import OrdinalBoosting

    x = np.where(np.isnan(x).all(axis=0), 0.0, x)  # a feature no product has (triplets): constant
    proba = np.zeros((len(y), 4))
    for a, b in StratifiedKFold(5, shuffle=True, random_state=0).split(x, y):
        model = OrdinalBoosting(max_iter=300, learning_rate=0.05, random_state=0).fit(x[a], y[a])
        proba[b] = model.predict_proba(x[b])
    return proba


def _by_number(settings: Any, version: str) -> Any:
    """A scorer of a registered version given by number (the Scorer resolves aliases): a temporary alias."""
    import mlflow

    from pges.qa.score import Scorer
    from sarlake.workflows.qa import model_cache

    client = mlflow.MlflowClient()
    alias = f"second-sim-{version}"
    client.set_registered_model_alias(settings.qa_model_name, alias, version)
    try:
        return Scorer(settings.mlflow_tracking_uri, settings.qa_model_name, alias, cache_dir=model_cache(settings))
    finally:
        client.delete_registered_model_alias(settings.qa_model_name, alias)


if __name__ == "__main__":
    main()

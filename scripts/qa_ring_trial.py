"""Would clean enclosures in the training simulator stop the learned "an enclosed island is an error" shortcut?

In the labelled set every coherent part enclosed by low coherence is a hidden island and carries an error, so the
models learn that an enclosure means an error; the second simulator's lakes and rings enclose islands the unwrapper
mostly gets right, and there the champion flags most clean products that have one (docs/qa.md, "A second
simulator"). This trial makes the same scenes again with one change to the COH artefact (``pges.simulate``'s low
coherence ellipse): on half of the dates that have one it is a *ring* 4-8 pixels wide around an island whose phase
goes on from its surroundings, an enclosure that is not an error (the truth still measures whatever the unwrapper
did there). Nothing else moves: each artefact draws from its own generator, so only COH's draws change.

The champion's feature recipe (ordinal boosting, not routed, on the simulator's truth) is fitted on the training
scenes of the original set and of the trial set, and each fit is scored on both sets' held-out scenes and on the
second simulator's first N products, with their clean products that have an enclosure counted apart.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python scripts/qa_ring_trial.py SET_DIR [--scenes 420] [--workers 2] \
        [--ring-share 0.5] [--full-rings]
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: share of the COH artefacts drawn as a ring, and the ring's noise power fraction per intensity 0-3 (the
#: simulator's filled ellipse uses 0 / 0.5 / 0.8 / 1.0); set by --ring-share and --full-rings
RING = {"share": 0.5, "noise": (0.0, 0.5, 0.8, 1.0)}


def coh_or_ring(phase, slc, amplitude, k, rng, ctx):  # type: ignore[no-untyped-def]
    """COH as the simulator draws it, or (half of the time) its ellipse's rim only: a ring around a clean island."""
    from pges.simulate import artefacts as a

    if k == 0 or rng.random() >= RING["share"]:
        return a.coh(phase, slc, amplitude, k, rng, ctx)
    i, j = a._ij(ctx.shape)
    r, c = ctx.shape
    r0, c0 = rng.uniform(0.25, 0.75) * r, rng.uniform(0.25, 0.75) * c
    ra, rb = rng.uniform(0.1, 0.2) * r, rng.uniform(0.1, 0.2) * c
    width = rng.uniform(4, 8)
    outer = ((i - r0) / ra) ** 2 + ((j - c0) / rb) ** 2 <= 1.0
    inner = ((i - r0) / max(ra - width, 1)) ** 2 + ((j - c0) / max(rb - width, 1)) ** 2 <= 1.0
    ring = outer & ~inner
    return phase, a._blend(slc, amplitude, ring, RING["noise"][k], rng), ring


def _ringed_scene(job: tuple[int, dict[str, Any]]) -> list[tuple[str, str, np.ndarray, dict[str, Any]]]:
    from pges.simulate import artefacts
    from pges.train.dataset import simulate_scene
    from pges.train.labelled_set import split_of

    seed, ring = job
    RING.update(ring)
    artefacts.INJECTORS["COH"] = coh_or_ring
    return [(p.product_id, split_of(p.scene_id), p.features, p.truth) for p in simulate_scene(seed)]


def _enclosed(x: np.ndarray) -> np.ndarray:
    from pges.qa.features import FEATURE_NAMES

    return np.nan_to_num(x[:, FEATURE_NAMES.index("coherence_enclosed_fraction")]) > 0.003


def _report(name: str, y: np.ndarray, proba: np.ndarray, enclosed: np.ndarray) -> str:
    from pges.qa.model_io import p_error
    from pges.train import evaluate

    m = evaluate.metrics(y, proba, "")
    _, cls = p_error(proba)
    clean_enc = (y == 0) & enclosed
    flagged = f"{100 * float((cls[clean_enc] >= 2).mean()):.0f} % of {int(clean_enc.sum())}" if clean_enc.any() else "-"
    return (f"| {name} | {len(y)} | {m['f1_uwe2']:.3f} | {m['roc_auc_uwe2']:.3f} | "
            + " / ".join(f"{100 * m[f'accuracy_uwe{k}']:.0f}" for k in range(4)) + f" % | {flagged} |")


def main() -> None:
    from pges.train.labelled_set import load_set
    from pges.train.models import OrdinalBoosting
    from pges.train.quiet import quiet_stdout
    from pges.train.second_check import load_second_check

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("set_dir", type=Path, help="the original labelled set (qa_dataset folder) of the same scenes")
    ap.add_argument("--scenes", type=int, default=420)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--second", type=int, default=600, help="second-simulator products to score")
    ap.add_argument("--ring-share", type=float, default=0.5, help="share of the COH artefacts drawn as a ring")
    ap.add_argument("--full-rings", action="store_true", help="every ring fully decorrelated, whatever its intensity")
    a = ap.parse_args()
    ring = {"share": a.ring_share, "noise": (0.0, 1.0, 1.0, 1.0) if a.full_rings else RING["noise"]}

    base = load_set(a.set_dir)
    sets: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {"original": (
        base.features, np.array([int(base.truth[i]["UWE"]) for i in base.product_id]), base.split)}
    with quiet_stdout(), ProcessPoolExecutor(a.workers) as pool:
        jobs = [(seed, ring) for seed in range(a.scenes)]
        made = [p for batch in pool.map(_ringed_scene, jobs, chunksize=4) for p in batch]
    with quiet_stdout():
        second = load_second_check(a.second, a.workers)
    sets["with rings"] = (np.array([p[2] for p in made]), np.array([int(p[3]["UWE"]) for p in made]),
                          np.array([p[1] for p in made]))
    print(f"trial set: {len(made)} products, truth UWE_0..3 = {np.bincount(sets['with rings'][1], minlength=4)}; "
          f"original {len(base.product_id)}, {np.bincount(sets['original'][1], minlength=4)}")
    x2, y2 = np.asarray(second.inputs["features"], np.float64), second.y
    print("\n| trained on | scored on | products | F1 (UWE >= 2) | ROC AUC | UWE_0..3 | clean with an enclosure "
          "flagged |\n|---|---|---:|---|---|---|---|")
    for fit_name, (x, y, split) in sets.items():
        model = OrdinalBoosting().fit(x[split == "train"], y[split == "train"])  # the champion's recipe: its defaults
        for test_name, (xt, yt, st) in sets.items():
            te = st == "test"
            print(_report(f"{fit_name} | {test_name} held out", yt[te], model.predict_proba(xt[te]),
                          _enclosed(xt[te])))
        print(_report(f"{fit_name} | second simulator", y2, model.predict_proba(x2), _enclosed(x2)))


if __name__ == "__main__":
    main()

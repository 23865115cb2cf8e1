"""Would a segmentation of the cycle-off regions help? A U-Net trained on the simulator's error maps, as a trial.

The feature recipe is bounded by how well the features estimate the share of the product a cycle off
(docs/qa.md, "What limits the classifier"); the classifiers learn it from one label per product. Here a small
U-Net (Keras) learns it from every pixel: its input is the ConvNet's masked phase tile (64x64x2: unwrapped phase
and coherence, ``pges.qa.images.phase_tile``), its target the truth's error map resampled the same way (pixels a
cycle or more off, on the judged pixels only: valid, coherent, uncorrupted, each region referenced on its own as
``pges.train.truth.error_cycles`` does). Its map of p(pixel in error) is summarised into four features (mean
p over the valid pixels, share above 0.5, largest blob above 0.5, maximum) appended to the current features, and
the champion's recipe (ordinal boosting, not routed, trained on the truth) is scored on the held-out scenes
(``split_of``: one scene in five) with and without them, against the simulator's truth.

No leak: the U-Net is trained on a second set of *other* scenes (other seeds, their training-split scenes only),
so its features of every product of the evaluated set, training and held-out alike, are of tiles it never saw.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python scripts/qa_segmentation_trial.py simulate SET.npz --scenes 420
    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python scripts/qa_segmentation_trial.py simulate OTHER.npz \
        --scenes 1200 --first-scene 1000
    nice -n 10 .venv/bin/python scripts/qa_segmentation_trial.py evaluate SET.npz --unet-set OTHER.npz --epochs 15

A learning curve of the U-Net (docs/qa.md, "More scenes for the U-Net"): simulate one large U-Net set (e.g.
``--scenes 4800 --first-scene 100000``) and fit on its first N scenes with ``evaluate ... --unet-scenes N``.
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


def _scene(seed: int) -> list[dict[str, Any]]:
    """One scene's products with the truth's error tile kept beside the phase tile (``SampleProduct.error_tile``)."""
    from pges.train import dataset, evaluate

    return [{"id": s.product_id, "scene": s.scene_id, "x": s.features, "tile": s.tile, "err": s.error_tile,
             "uwe": int(s.truth["UWE"]), "cause": evaluate.cause_of(s.truth)} for s in dataset.simulate_scene(seed)]


def simulate(path: Path, scenes: int, workers: int, first: int = 0) -> None:
    rows: list[dict[str, Any]] = []
    with ProcessPoolExecutor(workers) as pool:
        for i, part in enumerate(pool.map(_scene, range(first, first + scenes), chunksize=4)):
            rows.extend(part)
            if i % 20 == 0:
                print(f"scene {i}: {len(rows)} products", flush=True)
    np.savez_compressed(path, **{k: np.array([r[k] for r in rows]) for k in rows[0]})
    print(f"{len(rows)} products of {scenes} scenes -> {path}")


def fit_unet(tiles: np.ndarray, err: np.ndarray, seed: int, epochs: int, width: int = 16, levels: int = 1) -> Any:
    """The pipeline's U-Net (``pges.train.segmenter.fit_unet``) at ``width`` channels and ``levels`` outputs."""
    from pges.train.segmenter import fit_unet as fit

    model, losses = fit(tiles, err, seed, epochs, width, levels=levels)
    print("  U-Net loss per epoch: " + ", ".join(f"{v:.4f}" for v in losses), flush=True)
    return model


def seg_features(model: Any, tiles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The summaries of the predicted maps (``pges.qa.segmentation.summaries``), and the maps (n, 64, 64, levels)."""
    from pges.qa.segmentation import summaries
    from pges.train.segmenter import KerasMaps

    maps = KerasMaps(model).predict(tiles)
    return summaries(maps, tiles), maps


def evaluate_set(path: Path, epochs: int, unet_set: Path, reuse: bool = False, width: int = 16,
                 levels: int = 1, seed: int = 0, unet_scenes: int | None = None) -> None:
    from sklearn.metrics import log_loss

    from pges.qa.model_io import decide_class
    from pges.train import evaluate
    from pges.train.labelled_set import split_of
    from pges.train.models import OrdinalBoosting
    from pges.train.segmenter import pixel_scores

    z = dict(np.load(path))
    test = np.array([split_of(s) == "test" for s in z["scene"]])
    tr = ~test
    print(f"{int(tr.sum())} training products ({len(set(z['scene'][tr]))} scenes), {int(test.sum())} held out "
          f"({len(set(z['scene'][test]))} scenes); truth UWE_0..3 held out {np.bincount(z['uwe'][test]).tolist()}",
          flush=True)
    other = dict(np.load(unet_set))
    keep = np.array([split_of(s) == "train" for s in other["scene"]])
    if unet_scenes is not None:  # the first scenes of the U-Net set, as a smaller set of the same seeds would be
        keep &= np.isin(other["scene"], list(dict.fromkeys(other["scene"].tolist()))[:unet_scenes])
    assert not set(other["scene"]) & set(z["scene"]), "the U-Net's scenes must be apart from the set's"
    print(f"U-Net: {int(keep.sum())} products of {len(set(other['scene'][keep]))} other scenes", flush=True)
    saved = path.with_suffix(".seg.npy" if (width, levels, seed, unet_scenes) == (16, 1, 0, None)
                             else f".seg-w{width}-l{levels}-s{seed}-n{unet_scenes}-e{epochs}.npy")
    if reuse and saved.is_file():
        seg = np.load(saved)
    else:
        model = fit_unet(other["tile"][keep], other["err"][keep], seed, epochs, width, levels)
        seg, maps = seg_features(model, z["tile"])
        np.save(saved, seg)
        px = pixel_scores(maps, z["err"])
        judged = z["err"] >= 0
        loss = log_loss(z["err"][judged] >= 1, np.clip(maps[..., 0][judged], 1e-6, 1 - 1e-6), labels=[False, True])
        print(f"pixels of the set (none seen in training): recall of pixels in error {px['unet_pixel_recall']:.3f}, "
              f"precision {px['unet_pixel_precision']:.3f}, log loss {loss:.4f}", flush=True)
        for k in range(2, levels + 1):
            print(f"  {k} or more cycles off: recall {px[f'unet_pixel_recall_{k}']:.3f}, "
                  f"precision {px[f'unet_pixel_precision_{k}']:.3f}", flush=True)
    y, truth = z["uwe"], z["uwe"][test]
    own = z["cause"][test] == "unwrapper"
    for name, x in (("current features", z["x"]), ("+ U-Net map", np.column_stack([z["x"], seg])),
                    ("U-Net map alone", seg)):
        p = OrdinalBoosting().fit(x[tr], y[tr]).predict_proba(x[test])
        m = evaluate.metrics(truth, p)
        row = [name, f"F1 {m['f1_uwe2']:.3f}", f"ROC AUC {m['roc_auc_uwe2']:.3f}"]
        for thresholds in ((0.5, 0.5), (0.40, 0.85)):
            c = decide_class(p, thresholds)
            acc = [100 * float((c[truth == k] == k).mean()) for k in range(4)]
            row.append(f"{thresholds}: " + " / ".join(f"{a:.1f}" for a in acc) + f" (mean {np.mean(acc):.1f})")
        row.append(f"unwrapper's own {100 * float((c[own] == truth[own]).mean()):.0f} % of {int(own.sum())}")
        for cause in ("hidden", "failure", "both"):
            sel = z["cause"][test] == cause
            row.append(f"{cause} {100 * float((c[sel] == truth[sel]).mean()):.0f} % of {int(sel.sum())}")
        print(" | ".join(row), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("simulate")
    s.add_argument("path", type=Path)
    s.add_argument("--scenes", type=int, default=420)
    s.add_argument("--first-scene", type=int, default=0)
    s.add_argument("--workers", type=int, default=2)
    e = sub.add_parser("evaluate")
    e.add_argument("path", type=Path)
    e.add_argument("--epochs", type=int, default=12)
    e.add_argument("--unet-set", type=Path, required=True, help="a set of other scenes to train the U-Net on")
    e.add_argument("--width", type=int, default=16, help="the U-Net's channels at full resolution")
    e.add_argument("--levels", type=int, default=1, help="the U-Net's outputs: p(k or more cycles off), k = 1..")
    e.add_argument("--seed", type=int, default=0, help="the U-Net's seed (the spread between fits)")
    e.add_argument("--unet-scenes", type=int, default=None,
                   help="fit the U-Net on the first N scenes of --unet-set only (a learning curve)")
    e.add_argument("--reuse", action="store_true", help="the U-Net features saved by an earlier run (SET.seg.npy)")
    a = parser.parse_args()
    if a.cmd == "simulate":
        simulate(a.path, a.scenes, a.workers, a.first_scene)
    else:
        evaluate_set(a.path, a.epochs, a.unet_set, a.reuse, a.width, a.levels, a.seed, a.unet_scenes)


if __name__ == "__main__":
    main()

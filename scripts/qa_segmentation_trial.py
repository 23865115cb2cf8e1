"""Would a segmentation of the cycle-off regions help? A U-Net trained on the simulator's error maps, as a trial.

The feature recipe is bounded by how well the features estimate the share of the product a cycle off
(docs/qa.md, "What limits the classifier"); the classifiers learn it from one label per product. Here a small
U-Net (Keras) learns it from every pixel: its input is the ConvNet's masked phase tile (64x64x2: unwrapped phase
and coherence, ``pges.qa.images.phase_tile``), its target the truth's error map resampled the same way (pixels a
cycle or more off, on the judged pixels only: valid, coherent, uncorrupted, each region referenced on its own as
``pges.train.dataset._error_cycles`` does). Its map of p(pixel in error) is summarised into four features (mean
p over the valid pixels, share above 0.5, largest blob above 0.5, maximum) appended to the current features, and
the champion's recipe (ordinal boosting, not routed, trained on the truth) is scored on the held-out scenes
(``split_of``: one scene in five) with and without them, against the simulator's truth.

No leak: the U-Net is trained on a second set of *other* scenes (other seeds, their training-split scenes only),
so its features of every product of the evaluated set, training and held-out alike, are of tiles it never saw.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python scripts/qa_segmentation_trial.py simulate SET.npz --scenes 420
    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python scripts/qa_segmentation_trial.py simulate OTHER.npz \
        --scenes 1200 --first-scene 1000
    nice -n 10 .venv/bin/python scripts/qa_segmentation_trial.py evaluate SET.npz --unet-set OTHER.npz --epochs 15
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

def _error_map(unw: np.ndarray, true: np.ndarray, coherence: np.ndarray, corrupted: np.ndarray) -> np.ndarray:
    """|whole cycles| of ``unw - true`` as a map (-1 where not judged), by the rules of ``_error_cycles``."""
    from scipy import ndimage

    from pges.train import dataset

    judged = dataset._judged(unw, coherence, corrupted)
    regions, n = ndimage.label(np.isfinite(unw))
    out = np.full(unw.shape, -1, dtype=np.int8)
    for k in range(1, n + 1):
        sel = judged & (regions == k)
        if sel.sum() < 10:
            continue
        diff = (unw - true)[sel]
        out[sel] = np.clip(np.abs(np.round((diff - np.median(diff)) / dataset.TWO_PI)), 0, 100)
    return out


def _scene(seed: int) -> list[dict[str, Any]]:
    """One scene's products with the truth's error map kept beside the tile (the same resampling)."""
    from pges.qa.images import TILE_SIZE, _resample
    from pges.train import dataset, evaluate

    maps: list[np.ndarray] = []
    original = dataset._error_cycles

    def recording(unw: np.ndarray, true: np.ndarray, coherence: np.ndarray, corrupted: np.ndarray) -> np.ndarray:
        maps.append(_error_map(unw, true, coherence, corrupted))
        return original(unw, true, coherence, corrupted)

    dataset._error_cycles = recording
    try:
        samples = dataset.simulate_scene(seed)
    finally:
        dataset._error_cycles = original
    out = []
    for s, m in zip(samples, maps, strict=True):  # one map per unwrapped pair, in product order
        judged = m >= 0
        cls, _, _ = dataset.uwe_class(m[judged].astype(np.float64))
        assert cls == int(s.truth["UWE"]), (s.product_id, cls, s.truth["UWE"])  # the map is the truth's own
        out.append({"id": s.product_id, "scene": s.scene_id, "x": s.features, "tile": s.tile,
                    "err": _resample(m, TILE_SIZE), "uwe": int(s.truth["UWE"]),
                    "cause": evaluate.cause_of(s.truth)})
    return out


def simulate(path: Path, scenes: int, workers: int, first: int = 0) -> None:
    rows: list[dict[str, Any]] = []
    with ProcessPoolExecutor(workers) as pool:
        for i, part in enumerate(pool.map(_scene, range(first, first + scenes), chunksize=4)):
            rows.extend(part)
            if i % 20 == 0:
                print(f"scene {i}: {len(rows)} products", flush=True)
    np.savez_compressed(path, **{k: np.array([r[k] for r in rows]) for k in rows[0]})
    print(f"{len(rows)} products of {scenes} scenes -> {path}")


def _unet(seed: int, width: int = 16) -> Any:
    """A small U-Net: 64 -> 8 pixels and back with skip connections, one sigmoid per pixel.

    ``width`` channels at full resolution, 2, 3 and 4 times as many at 1/2, 1/4 and 1/8.
    """
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)

    def block(x: Any, n: int) -> Any:
        x = layers.Conv2D(n, 3, padding="same", activation="relu")(x)
        return layers.Conv2D(n, 3, padding="same", activation="relu")(x)

    inp = keras.Input(shape=(64, 64, 2))
    c1 = block(inp, width)
    c2 = block(layers.MaxPooling2D()(c1), 2 * width)
    c3 = block(layers.MaxPooling2D()(c2), 3 * width)
    c4 = block(layers.MaxPooling2D()(c3), 4 * width)
    u3 = block(layers.Concatenate()([layers.UpSampling2D()(c4), c3]), 3 * width)
    u2 = block(layers.Concatenate()([layers.UpSampling2D()(u3), c2]), 2 * width)
    u1 = block(layers.Concatenate()([layers.UpSampling2D()(u2), c1]), width)
    return keras.Model(inp, layers.Conv2D(1, 1, activation="sigmoid")(u1))


def _pixel_loss(target: Any, p: Any) -> Any:
    """Binary cross-entropy on the judged pixels only (target channel 1 is the judged mask)."""
    import keras.ops as ops

    y, w = target[..., :1], target[..., 1:]
    p = ops.clip(p, 1e-6, 1 - 1e-6)
    bce = -(y * ops.log(p) + (1 - y) * ops.log(1 - p))
    return ops.sum(bce * w) / (ops.sum(w) + 1.0)


def _dihedral(a: np.ndarray, k: int) -> np.ndarray:
    a = np.rot90(a, k % 4, axes=(1, 2))
    return a[:, :, ::-1] if k >= 4 else a


def fit_unet(tiles: np.ndarray, err: np.ndarray, seed: int, epochs: int, width: int = 16) -> Any:
    """Train on the tiles, each epoch under a random dihedral transform per tile; target "a cycle or more off"."""
    import keras

    target = np.stack([(err > 0).astype(np.float32), (err >= 0).astype(np.float32)], axis=-1)
    both = np.concatenate([tiles.astype(np.float32), target], axis=-1)
    model = _unet(seed, width)
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss=_pixel_loss)
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        k = rng.integers(0, 8, len(both))
        moved = np.concatenate([_dihedral(both[k == j], j) for j in range(8)])
        hist = model.fit(moved[..., :2], moved[..., 2:], batch_size=64, epochs=1, verbose=0, shuffle=True)
        print(f"  U-Net epoch {epoch}: loss {hist.history['loss'][-1]:.4f}", flush=True)
    return model


def seg_features(model: Any, tiles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The four summaries of the predicted map (over the tile's valid pixels), and the maps."""
    from scipy import ndimage

    maps = model.predict(tiles.astype(np.float32), batch_size=256, verbose=0)[..., 0]
    valid = (tiles[..., 0] != 0) | (tiles[..., 1] != 0)
    out = []
    for p, v in zip(maps, valid, strict=True):
        n = max(int(v.sum()), 1)
        hot = (p > 0.5) & v
        labels, k = ndimage.label(hot)
        largest = float(np.bincount(labels.ravel())[1:].max()) / n if k else 0.0
        out.append([float(p[v].sum()) / n, float(hot.sum()) / n, largest, float(p[v].max()) if v.any() else 0.0])
    return np.array(out), maps


def evaluate_set(path: Path, epochs: int, unet_set: Path, reuse: bool = False, width: int = 16) -> None:
    from pges.qa.model_io import decide_class
    from pges.train import evaluate
    from pges.train.labelled_set import split_of
    from pges.train.models import OrdinalBoosting

    z = dict(np.load(path))
    test = np.array([split_of(s) == "test" for s in z["scene"]])
    tr = ~test
    print(f"{int(tr.sum())} training products ({len(set(z['scene'][tr]))} scenes), {int(test.sum())} held out "
          f"({len(set(z['scene'][test]))} scenes); truth UWE_0..3 held out {np.bincount(z['uwe'][test]).tolist()}",
          flush=True)
    other = dict(np.load(unet_set))
    keep = np.array([split_of(s) == "train" for s in other["scene"]])
    assert not set(other["scene"]) & set(z["scene"]), "the U-Net's scenes must be apart from the set's"
    print(f"U-Net: {int(keep.sum())} products of {len(set(other['scene'][keep]))} other scenes", flush=True)
    saved = path.with_suffix(".seg.npy" if width == 16 else f".seg-w{width}.npy")
    if reuse and saved.is_file():
        seg = np.load(saved)
    else:
        model = fit_unet(other["tile"][keep], other["err"][keep], 0, epochs, width)
        seg, maps = seg_features(model, z["tile"])
        np.save(saved, seg)
        judged = z["err"] >= 0
        hit = (maps > 0.5) & judged
        wrong = (z["err"] > 0) & judged
        print(f"pixels of the set (none seen in training): recall of pixels in error {hit[wrong].mean():.3f}, "
              f"precision {wrong[hit].mean():.3f}", flush=True)
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
    e.add_argument("--reuse", action="store_true", help="the U-Net features saved by an earlier run (SET.seg.npy)")
    a = parser.parse_args()
    if a.cmd == "simulate":
        simulate(a.path, a.scenes, a.workers, a.first_scene)
    else:
        evaluate_set(a.path, a.epochs, a.unet_set, a.reuse, a.width)


if __name__ == "__main__":
    main()

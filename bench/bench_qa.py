"""QA scoring speed: feature extraction + p(error) for 512x512 products, one core, for two served models.

Products are synthetic 512x512 unwrapped interferograms (a deformation bowl, a ramp, noise, half of them with an
island off by 1-3 cycles) with coherence and wrapped phase; the model is a Random Forest of the ``train`` PGE's
size fitted on their features before timing. Timed: features of every product + one batch prediction, on one
core (BLAS/OpenMP threads limited to 1), as CPU time of this process (``time.process_time``): on a machine
shared with other jobs wall time measures the neighbours too; the wall-clock rate is in the reference column.
Reference: the features alone, same run, same products.

Second row: the two-step model (``unet_ordinal_boosting``) as a scorer serves it: features, the phase tile, the
8-channel U-Net by LiteRT (converted from a Keras U-Net fitted for a few epochs on these products' tiles against
a crude target, since speed does not depend on skill), its summaries and ordinal boosting of the training recipe's
size (300 iterations per threshold) on features + summaries.

Third row: the kind of the champion shipped since 2026-12-04 (v9, ``convnet+ordinal_boosting``) as a scorer serves
it: features, the phase tile, the ConvNet of the ``train`` PGE's full size (3 double-conv blocks of 16-64 filters,
fitted here by the PGE's own recipe on these products' tiles) by LiteRT, and ordinal boosting of the training
recipe's size on the features, averaged (``pges.qa.model_load.AveragedModel``, as ``combined`` loads a registered
average). The shipped feature member is a coherence-routed pair of such models; each product goes to one of them.

Fourth row: the ConvNet averaged with the two-step model (``convnet+unet_ordinal_boosting``, a candidate since
2026-12-05): the same ConvNet and two-step model as the rows above, both by LiteRT, averaged.
"""

from __future__ import annotations

import time

import numpy as np

N = 200
SIZE = 512


def _products(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    i, j = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    out = []
    for k in range(n):
        bowl = rng.uniform(2, 12) * np.exp(-((i - rng.uniform(100, 400)) ** 2 + (j - rng.uniform(100, 400)) ** 2)
                                           / rng.uniform(5e3, 4e4))
        phi = bowl + rng.uniform(-0.02, 0.02) * i + rng.normal(0, rng.uniform(0.1, 0.6), i.shape)
        wrapped = ((phi + np.pi) % (2 * np.pi) - np.pi).astype(np.float32)
        unw = phi.astype(np.float32)
        cycles = int(rng.integers(1, 4)) if k % 2 else 0
        if cycles:
            island = np.hypot(i - rng.uniform(60, 450), j - rng.uniform(60, 450)) < rng.uniform(15, 50)
            unw[island] += 2 * np.pi * cycles
        coh = np.clip(rng.normal(0.6, 0.15, i.shape), 0, 1).astype(np.float32)
        out.append((unw, coh, wrapped, cycles))
    return out


def _timed(products: list, score) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    """Best of 5 passes (on this shared machine one run varies by +-30 %): features of every product, then
    ``score(products, features)``; products per CPU-s in all and for the features alone, and per wall second."""
    from pges.qa.features import compute_features

    best_total = best_feat = best_wall = float("inf")
    for _ in range(5):
        w0, t0 = time.perf_counter(), time.process_time()
        vec = np.stack([compute_features(u, c, w).vector() for u, c, w, _ in products])
        t1 = time.process_time()
        score(products, vec)
        t2, w2 = time.process_time(), time.perf_counter()
        best_feat, best_total, best_wall = min(best_feat, t1 - t0), min(best_total, t2 - t0), min(best_wall, w2 - w0)
    return N / best_total, N / best_feat, N / best_wall


def _timed_served(products: list, model) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    """:func:`_timed` for a served model of features and phase tiles (each product's tile made in the timing)."""
    from pges.qa.images import phase_tile
    from pges.qa.model_io import p_error, to_model_input

    def score(batch: list, vec: np.ndarray) -> None:
        tiles = np.stack([phase_tile(u, c) for u, c, *_ in batch])
        p_error(model.predict(to_model_input("features+tiles", vec, None, tiles)))

    return _timed(products, score)


def run() -> list[dict]:
    from sklearn.ensemble import RandomForestClassifier
    from threadpoolctl import threadpool_limits

    from pges.qa.features import compute_features
    from pges.qa.model_io import p_error, to_model_input

    products = _products(N)
    with threadpool_limits(1):
        feats = np.stack([compute_features(u, c, w).vector() for u, c, w, _ in products])
        y = np.array([min(k, 3) for *_, k in products])
        x = to_model_input("features", np.nan_to_num(feats), np.zeros((N, 0)), np.zeros((N, 0)))  # named columns
        rf = RandomForestClassifier(400, n_jobs=1, random_state=0).fit(x, y)  # as served: no names warning
        x_empty = np.zeros((N, 0))
        total, alone, wall = _timed(products, lambda _, vec: p_error(rf.predict_proba(
            to_model_input("features", np.nan_to_num(vec), x_empty, x_empty))))
    return [_row("QA features + RF p(error)", (total, alone, wall)), *_served_rows(products, feats, y)]


def _row(name: str, timed: tuple[float, float, float]) -> dict:
    total, alone, wall = timed
    return {"name": f"{name}, {SIZE}x{SIZE}, 1 core", "value": total, "unit": "products per CPU-s",
            "target": ">= 200", "reference": f"features alone {alone:,.0f}/CPU-s; wall clock {wall:,.0f}/s (same run)"}


def _served_rows(products: list, feats: np.ndarray, y: np.ndarray) -> list[dict]:
    """The two-step model, the ConvNet averaged with ordinal boosting, and the ConvNet averaged with the two-step
    model, each timed as a scorer serves it (reference: the features alone, same run)."""
    import tempfile
    from pathlib import Path

    from threadpoolctl import threadpool_limits

    from pges.qa.images import TILE_SIZE, phase_tile, resample
    from pges.qa.litert import LiteRTModel, to_litert
    from pges.qa.model_io import to_model_input
    from pges.qa.model_load import AveragedModel
    from pges.qa.segmentation import SegmentedModel, summaries
    from pges.train.models import MODELS, OrdinalBoosting
    from pges.train.segmenter import KerasMaps, Probabilities, fit_unet

    tiles = np.stack([phase_tile(u, c) for u, c, *_ in products])
    # a crude target (pixels a cycle or more from the median of unw - wrapped: islands and the bowl's fringes):
    # the U-Net's speed does not depend on what it learnt
    errors = np.stack([resample((np.abs(u - w - np.median(u - w)) > np.pi).astype(np.int8), TILE_SIZE)
                       for u, _, w, _ in products])
    unet, _ = fit_unet(tiles, errors, seed=0, epochs=3, width=8)
    x = np.column_stack([np.nan_to_num(feats), summaries(KerasMaps(unet).predict(tiles), tiles)])
    two_step_booster = OrdinalBoosting(max_iter=300).fit(x, y)
    convnet = MODELS["convnet"](tiles, y, 0, False).model  # full size (quick=False): the PGE's recipes
    booster = MODELS["ordinal_boosting"](to_model_input("features", feats, None, None), y, 0, False).model
    with tempfile.TemporaryDirectory(prefix="bench-qa-") as tmp, threadpool_limits(1):
        two_step = SegmentedModel(LiteRTModel(to_litert(unet, Path(tmp) / "unet.tflite")),
                                  Probabilities(two_step_booster))
        served_convnet = LiteRTModel(to_litert(convnet, Path(tmp) / "convnet.tflite"))
        return [
            _row("QA features + U-Net (LiteRT) + ordinal boosting p(error)", _timed_served(products, two_step)),
            _row("QA features + ConvNet (LiteRT) averaged with ordinal boosting p(error)",
                 _timed_served(products, AveragedModel([("tiles", served_convnet),
                                                        ("features", Probabilities(booster))]))),
            _row("QA features + ConvNet (LiteRT) averaged with U-Net (LiteRT) + ordinal boosting p(error)",
                 _timed_served(products, AveragedModel([("tiles", served_convnet), ("features+tiles", two_step)]))),
        ]


if __name__ == "__main__":
    for row in run():
        print(row)

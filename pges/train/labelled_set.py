"""The labelled set of the ``qa_dataset`` PGE in memory, its fixed split by scene and the labels CSV ``train`` reads.

A set is one folder: ``samples.npz`` (ids, features, images), ``products.csv`` (the split), ``truth/truth.csv``
(the simulator's truth, kept apart) and, for sets made since the features are recomputed, ``arrays.npz`` (every
product's rasters), from which :func:`load_set` recomputes the current feature set. Its met.json says which
truth rule measured the classes (:func:`truth_rule`).
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pges.errors import InputValidationError
from pges.train.truth import TRUTH_RULE_BEFORE

__all__ = ["LabelledSet", "fetch_set", "load_set", "read_labels", "recompute_features", "split_of", "truth_rule"]

logger = logging.getLogger(__name__)


def split_of(scene_id: str) -> str:
    """``test`` for one scene in five (fixed by the scene id's hash), else ``train``."""
    return "test" if hashlib.sha256(scene_id.encode()).digest()[0] % 5 == 0 else "train"


@dataclass
class LabelledSet:
    """A labelled set in memory."""

    product_id: np.ndarray
    scene_id: np.ndarray
    features: np.ndarray
    browse: np.ndarray
    tiles: np.ndarray
    split: np.ndarray
    truth: dict[str, dict[str, Any]]
    folder: Path
    #: the features of every product computed without its coherence (None for a set without rasters)
    features_without_coherence: np.ndarray | None = None
    #: the phase tiles drawn without the coherence (None for a set without rasters)
    tiles_without_coherence: np.ndarray | None = None
    #: the rule its truth judged pixels by (:data:`pges.train.truth.TRUTH_RULE`; older sets: the one before it)
    truth_rule: str = TRUTH_RULE_BEFORE


def fetch_set(met_uri: str, fetch: Callable[[str], Path]) -> Path:
    """The local folder of a labelled set, from its met.json URI.

    Every file the met.json lists (``samples.npz``, ``products.csv``, ``arrays.npz``, ``truth/truth.csv``) goes
    through ``fetch`` (:meth:`pges.runner.RunContext.fetch`): a local set is read where it is, a set on S3 is
    downloaded beside its met.json in the work folder.

    Raises:
        InputValidationError: the met.json or a file it lists cannot be read.
    """
    met = fetch(met_uri)
    try:
        assets = json.loads(met.read_text()).get("assets", {})
    except (OSError, ValueError) as exc:
        raise InputValidationError(f"{met_uri}: not a readable met.json ({exc})") from exc
    base = met_uri.rsplit("/", 1)[0] if "/" in met_uri else "."
    for asset in assets.values():
        files = asset.get("sarlake:files") or ([] if asset.get("type") == "inode/directory" else [asset])
        for f in files:
            fetch(f"{base}/{f['href']}")
    return met.parent


def load_set(folder: Path) -> LabelledSet:
    """Read a ``qa_dataset`` product folder."""
    try:
        z = np.load(folder / "samples.npz")
        with (folder / "products.csv").open() as f:
            split = {r["product_id"]: r["split"] for r in csv.DictReader(f)}
        with (folder / "truth" / "truth.csv").open() as f:
            truth = {r["product_id"]: r for r in csv.DictReader(f)}
    except OSError as exc:
        raise InputValidationError(f"cannot read the labelled set in {folder}: {exc}") from exc
    ids = z["product_id"]
    features, browse, tiles = z["features"], z["browse"], z["tiles"]
    without = tiles_without = None
    if (folder / "arrays.npz").is_file():
        features, browse, tiles, without, tiles_without = recompute_features(folder / "arrays.npz", ids)
    return LabelledSet(ids, z["scene_id"], features, browse, tiles, np.array([split[i] for i in ids]), truth, folder,
                       without, tiles_without, truth_rule(folder))


def truth_rule(folder: Path) -> str:
    """The truth rule a set's met.json records (``sarlake:truth_rule``); a set without the record is older than it.

    Raises:
        InputValidationError: the met.json cannot be read.
    """
    mets = sorted(folder.glob("*.met.json"))
    if not mets:
        return TRUTH_RULE_BEFORE
    try:
        properties = json.loads(mets[0].read_text()).get("properties", {})
    except (OSError, ValueError) as exc:
        raise InputValidationError(f"{mets[0]}: not a readable met.json ({exc})") from exc
    return str(properties.get("sarlake:truth_rule", TRUTH_RULE_BEFORE))


def recompute_features(arrays: Path, ids: np.ndarray) -> tuple[np.ndarray, ...]:
    """The current features, images, features and tiles without coherence of every product, from ``arrays.npz``.

    Browse images and phase tiles are remade too; the features (and tiles) without coherence train the second
    model of a :class:`pges.train.models.CoherenceRouted` pair.

    A set made under an older feature set is thus never stale: the features are the product's, as a lake
    product's are recomputed by the ``qa`` PGE. The images are remade from the inputs the product kept, so an
    image model never sees a coherence layer the product's input profile dropped (older sets drew every image
    with the coherence).
    """
    from collections import defaultdict

    from pges.qa.features import FEATURE_SET, compute_features
    from pges.qa.images import browse_rgb, phase_tile

    z = np.load(arrays)
    by_product: dict[str, dict[str, np.ndarray]] = defaultdict(dict)
    for key in z.files:
        pid, name = key.split("/", 1)
        by_product[pid][name] = z[key]
    rows, browse, tiles, without, tiles_without = [], [], [], [], []
    for pid in ids:
        a = by_product[str(pid)]
        share = float(a["triplet_misclosure_share"]) if "triplet_misclosure_share" in a else None
        rows.append(compute_features(a["unw"], a.get("coherence"), a.get("wrapped"), a.get("conncomp"), a.get("dem"),
                                     triplet_misclosure_share=share, label=str(pid)).vector())
        without.append(rows[-1] if a.get("coherence") is None else compute_features(
            a["unw"], None, a.get("wrapped"), a.get("conncomp"), a.get("dem"), triplet_misclosure_share=share,
            label=str(pid)).vector())
        browse.append(browse_rgb(a["unw"], a.get("coherence")))
        tiles.append(phase_tile(a["unw"], a.get("coherence")))
        tiles_without.append(tiles[-1] if a.get("coherence") is None else phase_tile(a["unw"]))
    logger.info("features %s of %d products recomputed from %s", FEATURE_SET, len(rows), arrays)
    return np.stack(rows), np.stack(browse), np.stack(tiles), np.stack(without), np.stack(tiles_without)


def read_labels(path: str) -> dict[str, tuple[int, str]]:
    """``product_id -> (label, split)`` from a labels CSV (columns product_id, label, split)."""
    try:
        with Path(path).open() as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise InputValidationError(f"cannot read labels file {path}: {exc.strerror or exc}") from exc
    if not rows or not {"product_id", "label", "split"} <= set(rows[0]):
        raise InputValidationError(f"labels file {path} needs the columns product_id, label, split")
    return {r["product_id"]: (int(r["label"]), r["split"]) for r in rows}

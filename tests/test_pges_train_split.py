"""The train PGE refuses a labelled set whose held-out split is empty (a set of a few scenes), with exit-2 input error.

One scene in five goes to the held-out split by the hash of its id (``split_of``), so a set of 4 scenes can put
every product in training: fitting went ahead and crashed in evaluation with "0 samples".
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from pges.errors import InputValidationError
from pges.train import labelled_set, pge


def _train_only_scenes(n: int) -> list[str]:
    scenes = [f"scene-{k:04d}" for k in range(200) if labelled_set.split_of(f"scene-{k:04d}") == "train"]
    return scenes[:n]


def test_a_set_with_no_held_out_scene_is_refused_naming_the_setting(tmp_path, monkeypatch):
    scenes = _train_only_scenes(4)
    assert len(scenes) == 4
    ids = [f"{s}-p{k}" for s in scenes for k in range(5)]
    fake = SimpleNamespace(product_id=np.array(ids), scene_id=np.array([i.rsplit("-", 1)[0] for i in ids]))
    monkeypatch.setattr(pge, "load_set", lambda folder: fake)
    labels = tmp_path / "labels.csv"
    labels.write_text("product_id,label,split\n" + "".join(
        f"{i},{k % 4},{labelled_set.split_of(i.rsplit('-', 1)[0])}\n" for k, i in enumerate(ids)))
    met = tmp_path / "set" / "met.json"
    met.parent.mkdir()
    met.write_text("{}")
    cfg = SimpleNamespace(inputs=[str(met)], parameters=SimpleNamespace(labels=str(labels)))
    ctx = SimpleNamespace(fetch=Path)  # local inputs are read where they are (RunContext.fetch)
    with pytest.raises(InputValidationError) as err:
        pge.run_train(cfg, ctx)
    message = str(err.value)
    assert "0 in the held-out one" in message
    assert "--scenes" in message
    assert "20 products fell in the training split" in message


def test_images_of_a_labelled_set_are_remade_from_the_inputs_each_product_kept(tmp_path):
    # a product whose input profile dropped its coherence must not show one to the image models: the tile's
    # coherence channel is 1 ("unknown") on its valid pixels, and the kept layer's values for the other product
    rng = np.random.default_rng(0)
    unw = rng.normal(0, 1, (64, 64)).astype(np.float32)
    coh = rng.uniform(0.1, 0.9, (64, 64)).astype(np.float32)
    np.savez_compressed(tmp_path / "arrays.npz", **{"a/unw": unw, "a/coherence": coh, "b/unw": unw})
    _, browse, tiles, _, _ = labelled_set.recompute_features(tmp_path / "arrays.npz", np.array(["a", "b"]))
    assert tiles.shape == (2, 64, 64, 2) and browse.shape == (2, 32, 32, 3)
    assert np.allclose(tiles[0, ..., 1], coh, atol=1e-3)
    assert (tiles[1, ..., 1] == 1).all() and (browse[1, ..., 1] == 255).all()

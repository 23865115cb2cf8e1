"""Wrong cuts in real phase: the Sydney stack's clean interferograms, each given an unwrapper's failure in turn.

The real check of promotion (``qa_sydney.py``) has no product in a non-closing triplet: every triplet of the
Sydney stack closes, so "products in non-closing triplets should score worse" (issue 8) cannot be read off it.
This check makes such products. Each of the stack's clean interferograms (all its triplets close) gets, one
variant at a time, one wrong cut of :func:`pges.train.unwrap_failures.apply_failure`: an irregular island or the
part beyond a line from edge to edge, 0.4-30 % of the valid pixels, offset by +-1..3 cycles. These are the variants
whose ``real_cuts_*`` metrics every training run logs (:func:`pges.train.realcuts.cut_variants`, the same seeds).
Each is written as a ROI_PAC ``.unw`` beside a copy of the original's ``.rsc`` (same grid, dates and coherence
file), and:

* its true class is the severity of the cut (:func:`pges.train.truth.uwe_class` over its valid pixels: the
  original is taken as right, which its closure supports);
* the stack's closure is measured again with the variant in place of the original
  (:func:`pges.train.dataset.triplet_misclosure`), so its triplets, and the two other interferograms of each,
  now read "suspect";
* every variant and the 17 originals are scored as ``sarlake qa score --manifest`` scores
  (:func:`sarlake.workflows.qa.score_files`) by each registry version asked for.

It prints, per version: the seed-style table by true class (count, mean p(error), accuracy), precision, recall and
F1 for UWE >= 2, ROC AUC, the mean p(error) of the cut products, of their unharmed triplet partners and of the clean
originals, and how often the cut product scores highest of the three in a triplet its cut broke (closure says
"one of these is wrong", the score says which). The cuts are the kind of error the training set's failures are,
so this measures how the models carry that error from simulated phase to real phase (real troposphere, real
decorrelation, a 47 x 72 grid with no usable coherence layer), not how they meet errors of other kinds.

    SARLAKE_HOME=... .venv/bin/python scripts/qa_sydney_cuts.py [--versions champion,challenger] [--variants 8]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT / "tests" / "data" / "envisat_sydney_roipac"
MANIFEST = DATA / "qa_real_check.csv"


def write_variant(original: Path, phase: np.ndarray, out: Path) -> None:
    """``phase`` (NaN = no data) as a ROI_PAC ``.unw`` at ``out``, the original's amplitude and ``.rsc`` kept."""
    raw = np.fromfile(original, dtype="<f4")
    length = phase.shape[0]
    raw = raw.reshape(length, 2, phase.shape[1]).copy()
    raw[:, 1, :] = np.where(np.isfinite(phase), phase, 0.0)
    out.parent.mkdir(parents=True, exist_ok=True)
    raw.astype("<f4").tofile(out)
    shutil.copyfile(f"{original}.rsc", f"{out}.rsc")


def make_variants(rows: list[dict[str, str]], n_variants: int, seed: int,
                  folder: Path) -> tuple[list[dict[str, Any]], list[tuple[int, int]]]:
    """The cut products (their files, true class, kind of cut and the triplets it broke), ``n_variants`` cuts of each
    clean product; and every row's pair of date indices."""
    from pges.readers.roipac import read_roipac_unw
    from pges.train.dataset import triplet_closures
    from pges.train.realcheck import pair_indices
    from pges.train.realcuts import cut_variants

    files = [DATA / r["unw"] for r in rows]
    ifgs = {f: read_roipac_unw(f) for f in files}
    key = pair_indices(ifgs)
    phases = {key[f]: ifgs[f].unwrapped_phase for f in files}
    out = []
    for n, (row, f) in enumerate(zip(rows, files, strict=True)):
        if row["clean"] != "1":
            continue
        for v, (cut, klass, failure) in enumerate(cut_variants(phases[key[f]], n_variants, [seed, n])):
            broken = [t for t, bad in triplet_closures({**phases, key[f]: cut}).items()
                      if bad and key[f] in ((t[0], t[1]), (t[1], t[2]), (t[0], t[2]))]
            path = folder / f"v{v}" / f.name
            write_variant(f, cut, path)
            out.append({"unw": str(path), "coherence": str(DATA / row["coherence"]) if row["coherence"] else None,
                        "pair": key[f], "uwe": klass, "kind": failure.kind, "broken": broken})
    return out, [key[f] for f in files]


def report(version: str, variants: list[dict[str, Any]], rows: list[dict[str, str]],
           originals: dict[tuple[int, int] | str, dict[str, Any]], cuts: list[dict[str, Any]]) -> None:
    """Print one version's figures: ``originals`` are the clean originals' score records by pair (and by name),
    ``cuts`` the variants' records in their order."""
    from pges.train.evaluate import metrics

    clean = [originals[Path(r["unw"]).name] for r in rows if r["clean"] == "1"]
    records = cuts + clean
    truth = np.array([v["uwe"] for v in variants] + [0] * len(clean))
    p = np.array([s["p_error"] for s in records])
    klass = np.array([s["uwe_class"] for s in records])
    print(f"\n### {version}\n\n| true class | products | mean p(error) | class right |\n|---|---:|---:|---:|")
    for k in range(4):
        m = truth == k
        if m.any():
            print(f"| UWE_{k} | {m.sum()} | {p[m].mean():.2f} | {(klass[m] == k).mean():.0%} |")
    b = metrics(truth, np.array([s["class_probabilities"] for s in records]))
    print(f"\nUWE >= 2: precision {b['precision_uwe2']:.3f}, recall {b['recall_uwe2']:.3f}, F1 {b['f1_uwe2']:.3f}, "
          f"ROC AUC {b['roc_auc_uwe2']:.3f} ({len(variants)} cut products and the {len(clean)} clean originals)")
    cut_p = p[: len(variants)]
    found, partners, n_broken = 0, [], 0
    for v, p_cut in zip(variants, cut_p, strict=True):
        for a, b_, c in v["broken"]:
            others = [originals[q]["p_error"] for q in ((a, b_), (b_, c), (a, c)) if q != v["pair"]]
            partners += others
            found += int(all(p_cut > o for o in others))
            n_broken += 1
    suspect = np.array([bool(v["broken"]) for v in variants])
    print(f"closure: {suspect.sum()} of {len(variants)} cut products in a non-closing triplet, mean p(error) "
          f"{cut_p[suspect].mean():.2f} (cut products whose triplets still close: {(~suspect).sum()}, "
          f"{cut_p[~suspect].mean() if (~suspect).any() else float('nan'):.2f}); their unharmed triplet partners "
          f"{np.mean(partners):.2f}; the clean originals {np.mean([s['p_error'] for s in clean]):.2f}; "
          f"the cut product scores highest of its triplet in {found} of {n_broken} broken triplets")


def main() -> None:
    import csv

    from sarlake.workflows.qa import score_files

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--versions", default="champion,challenger", help="aliases or version numbers, comma-separated")
    ap.add_argument("--variants", type=int, default=8, help="cuts per clean interferogram")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    with MANIFEST.open() as f:
        rows = list(csv.DictReader(f))
    with tempfile.TemporaryDirectory(prefix="sydney-cuts-") as tmp:
        variants, pairs = make_variants(rows, a.variants, a.seed, Path(tmp))
        counts = np.bincount([v["uwe"] for v in variants], minlength=4)
        print(f"{len(variants)} cut products of {sum(r['clean'] == '1' for r in rows)} clean interferograms; "
              f"true UWE_0..3 = {' / '.join(map(str, counts))} (+ the originals, UWE_0); islands "
              f"{sum(v['kind'] == 'island' for v in variants)}, edges {sum(v['kind'] == 'edge' for v in variants)}")
        items = [(str(DATA / r["unw"]), str(DATA / r["coherence"]) if r["coherence"] else None, None) for r in rows]
        items += [(v["unw"], v["coherence"], None) for v in variants]
        for version in a.versions.split(","):
            scores = list(score_files(items, alias=version))
            originals: dict[tuple[int, int] | str, dict[str, Any]] = {}
            for r, pair, s in zip(rows, pairs, scores[: len(rows)], strict=True):
                originals[pair] = originals[Path(r["unw"]).name] = s
            label = f"{version}: {scores[0]['model_name']} v{scores[0]['model_version']}"
            report(label, variants, rows, originals, scores[len(rows):])

if __name__ == "__main__":
    main()

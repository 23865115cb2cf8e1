"""Wrong cuts in real phase: the Sydney stack's clean interferograms, each given an unwrapper's failure in turn.

The real check of promotion (``qa_sydney.py``) has no product in a non-closing triplet: every triplet of the
Sydney stack closes, so "products in non-closing triplets should score worse" (issue 8) cannot be read off it.
This check makes such products. Each of the stack's clean interferograms (all its triplets close) gets, one
variant at a time, one wrong cut of :func:`pges.train.unwrap_failures.apply_failure`: an irregular island or the
part beyond a line from edge to edge, 0.4-30 % of the valid pixels, offset by +-1..3 cycles. These are the variants
whose ``real_cuts_*`` metrics every training run logs (:func:`pges.train.realcuts.cut_variants`, the same seeds).
Each is written as a ROI_PAC ``.unw`` beside a copy of the original's ``.rsc`` (same grid, dates and coherence
file), and:

* its true class is the severity of the cut (:func:`pges.train.dataset.uwe_class` over its valid pixels: the
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
TWO_PI = 2.0 * np.pi


def write_variant(original: Path, phase: np.ndarray, out: Path) -> None:
    """``phase`` (NaN = no data) as a ROI_PAC ``.unw`` at ``out``, the original's amplitude and ``.rsc`` kept."""
    raw = np.fromfile(original, dtype="<f4")
    length = phase.shape[0]
    raw = raw.reshape(length, 2, phase.shape[1]).copy()
    raw[:, 1, :] = np.where(np.isfinite(phase), phase, 0.0)
    out.parent.mkdir(parents=True, exist_ok=True)
    raw.astype("<f4").tofile(out)
    shutil.copyfile(f"{original}.rsc", f"{out}.rsc")


def make_variants(rows: list[dict[str, str]], n_variants: int, seed: int, folder: Path) -> list[dict[str, Any]]:
    """The cut products: their files, true class, cut and closure, for ``n_variants`` cuts of each clean product."""
    from pges.readers.roipac import read_roipac_unw
    from pges.train.dataset import triplet_misclosure
    from pges.train.realcuts import cut_variants

    files = [DATA / r["unw"] for r in rows]
    ifgs = {f: read_roipac_unw(f) for f in files}
    dates = sorted({d for i in ifgs.values() for d in (i.secondary_date, i.reference_date)})
    index = {d: k for k, d in enumerate(dates)}
    key = {f: (index[i.secondary_date], index[i.reference_date]) for f, i in ifgs.items()}
    phases = {key[f]: ifgs[f].unwrapped_phase for f in files}
    names = {key[f]: f.name for f in files}
    out = []
    for n, (row, f) in enumerate(zip(rows, files, strict=True)):
        if row["clean"] != "1":
            continue
        for v, (cut, klass, failure) in enumerate(cut_variants(phases[key[f]], n_variants, [seed, n])):
            valid = np.isfinite(cut)
            cycles = np.abs(np.rint((cut[valid] - phases[key[f]][valid]) / TWO_PI))
            fraction, severity = float((cycles > 0).mean()), float(cycles.mean())
            closure = triplet_misclosure({**phases, key[f]: cut})
            broken = [(a, b, c) for a, b, c in _triplets(set(phases)) if key[f] in ((a, b), (b, c), (a, c))
                      and _breaks(phases | {key[f]: cut}, (a, b, c))]
            path = folder / f"v{v}" / f.name
            write_variant(f, cut, path)
            out.append({"unw": str(path), "coherence": str(DATA / row["coherence"]) if row["coherence"] else None,
                        "original": f.name, "pair": key[f], "uwe": klass, "severity": severity,
                        "fraction": fraction, "kind": failure.kind, "cycles": failure.cycles,
                        "non_closing_share": closure.get(key[f], float("nan")), "broken": broken,
                        "names": names})
    return out


def _triplets(pairs: set[tuple[int, int]]) -> list[tuple[int, int, int]]:
    nodes = sorted({n for p in pairs for n in p})
    return [(a, b, c) for a in nodes for b in nodes for c in nodes
            if a < b < c and {(a, b), (b, c), (a, c)} <= pairs]


def _breaks(phases: dict[tuple[int, int], np.ndarray], t: tuple[int, int, int]) -> bool:
    from pges.train.dataset import triplet_misclosure

    a, b, c = t
    return triplet_misclosure({p: phases[p] for p in ((a, b), (b, c), (a, c))}).get((a, b), 0.0) > 0


def report(version: str, variants: list[dict[str, Any]], rows: list[dict[str, str]], original_p: dict[str, float],
           cut_p: np.ndarray) -> None:
    from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

    clean = [r for r in rows if r["clean"] == "1"]
    truth = np.array([v["uwe"] for v in variants] + [0] * len(clean))
    p = np.concatenate([cut_p, [original_p[Path(r["unw"]).name] for r in clean]])
    klass = np.concatenate([[v["class"] for v in variants], [original_p[f"class:{Path(r['unw']).name}"]
                                                              for r in clean]])
    print(f"\n### {version}\n\n| true class | products | mean p(error) | class right |\n|---|---:|---:|---:|")
    for k in range(4):
        m = truth == k
        if m.any():
            print(f"| UWE_{k} | {m.sum()} | {p[m].mean():.2f} | {(klass[m] == k).mean():.0%} |")
    y, yhat = truth >= 2, p >= 0.5
    print(f"\nUWE >= 2: precision {precision_score(y, yhat, zero_division=0):.3f}, recall "
          f"{recall_score(y, yhat, zero_division=0):.3f}, F1 {f1_score(y, yhat, zero_division=0):.3f}, "
          f"ROC AUC {roc_auc_score(y, p):.3f} ({len(variants)} cut products and the {len(clean)} clean originals)")
    found, partners, n_broken = 0, [], 0
    for v, p_cut in zip(variants, cut_p, strict=True):
        for a, b, c in v["broken"]:
            others = [original_p[v["names"][q]] for q in ((a, b), (b, c), (a, c)) if q != v["pair"]]
            partners += others
            found += int(all(p_cut > o for o in others))
            n_broken += 1
    suspect = np.array([v["non_closing_share"] > 0 for v in variants])
    p_clean = np.mean([original_p[Path(r["unw"]).name] for r in clean])
    print(f"closure: {suspect.sum()} of {len(variants)} cut products in a non-closing triplet, mean p(error) "
          f"{cut_p[suspect].mean():.2f} (cut products whose triplets still close: {(~suspect).sum()}, "
          f"{cut_p[~suspect].mean() if (~suspect).any() else float('nan'):.2f}); their unharmed triplet partners "
          f"{np.mean(partners):.2f}; the clean originals {p_clean:.2f}; "
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
        variants = make_variants(rows, a.variants, a.seed, Path(tmp))
        counts = np.bincount([v["uwe"] for v in variants], minlength=4)
        print(f"{len(variants)} cut products of {sum(r['clean'] == '1' for r in rows)} clean interferograms; "
              f"true UWE_0..3 = {' / '.join(map(str, counts))} (+ the originals, UWE_0); islands "
              f"{sum(v['kind'] == 'island' for v in variants)}, edges {sum(v['kind'] == 'edge' for v in variants)}")
        originals = [(str(DATA / r["unw"]), str(DATA / r["coherence"]) if r["coherence"] else None, None)
                     for r in rows]
        items = originals + [(v["unw"], v["coherence"], None) for v in variants]
        for version in a.versions.split(","):
            scores = list(score_files(items, alias=version))
            original_p: dict[str, float] = {}
            for r, s in zip(rows, scores[: len(rows)], strict=True):
                original_p[Path(r["unw"]).name] = s["p_error"]
                original_p[f"class:{Path(r['unw']).name}"] = s["uwe_class"]
            for v, s in zip(variants, scores[len(rows):], strict=True):
                v["class"] = s["uwe_class"]
            label = f"{version}: {scores[0]['model_name']} v{scores[0]['model_version']}"
            report(label, variants, rows, original_p, np.array([s["p_error"] for s in scores[len(rows):]]))


if __name__ == "__main__":
    main()

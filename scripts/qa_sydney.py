"""Score the real Envisat Sydney stack (tests/data) with the champion and put each score beside the stack's
triplet closure: for every interferogram, the share of its triplets (i, j, k with all three pairs in the
stack) whose unwrapped phases do not close (pges.train.dataset.triplet_misclosure). Prints a Markdown table.

    SARLAKE_HOME=... .venv/bin/python scripts/qa_sydney.py [ALIAS_OR_VERSION]   (default: champion)
    .venv/bin/python scripts/qa_sydney.py --manifest   (re)write the real check manifest of promotion,
        tests/data/envisat_sydney_roipac/qa_real_check.csv, from the stack's closure (pges.train.realcheck)
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "envisat_sydney_roipac"
MANIFEST = DATA / "qa_real_check.csv"


def write_manifest() -> None:
    from pges.readers.roipac import read_roipac_unw
    from pges.train.realcheck import closure_manifest

    unw_files = sorted((DATA / "roipac_unw").glob("*.unw"))
    coh: dict[Path, Path | None] = {}
    for f in unw_files:
        i = read_roipac_unw(f)
        c = DATA / "gamma_coherence" / f"{i.secondary_date:%Y%m%d}-{i.reference_date:%Y%m%d}_utm.unw.cc"
        coh[f] = c if c.is_file() else None
    rows = closure_manifest(unw_files, coh, MANIFEST)
    print(f"{MANIFEST}: {len(rows)} products, {sum(r['clean'] == 1 for r in rows)} clean, "
          f"{sum(r['clean'] == 0 for r in rows)} in a non-closing triplet, {sum(r['clean'] == '' for r in rows)} "
          "in no triplet")


def main() -> None:
    from lake.settings import get_settings
    from pges.train.realcheck import false_alarm_share
    from sarlake.workflows.qa import score_files

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("version", nargs="?", default="champion", help="alias or version of the registered QA model")
    ap.add_argument("--manifest", action="store_true", help=f"(re)write {MANIFEST.relative_to(ROOT)} instead")
    a = ap.parse_args()
    if a.manifest:
        write_manifest()
        return
    with MANIFEST.open() as f:
        rows = list(csv.DictReader(f))
    items = [(str(DATA / r["unw"]), str(DATA / r["coherence"]) if r["coherence"] else None, None) for r in rows]
    scores = list(score_files(items, alias=a.version))
    s = get_settings()
    print(f"Model: {scores[0]['model_name']} v{scores[0]['model_version']} ({s.mlflow_tracking_uri})\n")
    print("| interferogram | triplets | non-closing share | p(error) | class |")
    print("|---|---:|---:|---:|---:|")
    for r, sc in sorted(zip(rows, scores, strict=True), key=lambda t: -t[1]["p_error"]):
        share = r["non_closing_share"] or "-"
        print(f"| {Path(r['unw']).name} | {r['triplets']} | {share} | {sc['p_error']:.3f} | UWE_{sc['uwe_class']} |")
    clean = np.array([int(r["clean"]) if r["clean"] else -1 for r in rows])
    m = false_alarm_share(np.array([sc["p_error"] for sc in scores]), clean)
    print(f"\nfalse alarms: {int(m['real_flagged'])} of {len(rows)} flagged; share of the "
          f"{int(m['real_clean_products'])} clean (all triplets close) flagged {m['real_false_alarm_share']:.2f}, "
          f"their mean p(error) {m['real_clean_mean_p_error']:.3f}; products in a non-closing triplet: "
          f"{int(m['real_suspect_products'])} (mean p(error) {m['real_suspect_mean_p_error']:.3f})")


if __name__ == "__main__":
    main()

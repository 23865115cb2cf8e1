"""Finding an interferogram's coherence by its dates in a folder of many: what ingest and ``qa score`` do per file.

Without a coherence named beside it (HyP3's ``_corr.tif`` next to its ``_unw_phase.tif``), ingest and ``qa score``
look for a coherence-like file named with the pair's dates in the interferogram's folder
(``pges.readers.coherence.locate_coherence``). A folder of ROI_PAC ``.unw`` files without coherence, as a user
downloads a stack, makes that scan run once per interferogram over the whole folder. Timed: the lookup of 50
interferograms (per interferogram, wall time) in folders of 1,000 and 10,000 files (half ``.unw``, half ``.rsc``,
empty: only names and stats count). Reference, same run and folder: one plain listing of it (``os.listdir``), the
floor of any scan.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

SIZES = (1_000, 10_000)
LOOKUPS = 50


def _folder(root: Path, files: int) -> list[tuple[Path, tuple[date, date]]]:
    """``files`` / 2 ROI_PAC names (``geo_YYMMDD-YYMMDD.unw`` + ``.rsc``), none with a coherence; their pairs."""
    root.mkdir(parents=True)
    later = date(2030, 1, 1)
    out = []
    for i in range(files // 2):
        earlier = date(2000, 1, 1) + timedelta(days=i)
        unw = root / f"geo_{earlier:%y%m%d}-{later:%y%m%d}.unw"
        unw.touch()
        (root / f"{unw.name}.rsc").touch()
        out.append((unw, (earlier, later)))
    return out


def run() -> list[dict]:
    from pges.readers.coherence import locate_coherence

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-coh-") as tmp:
        for files in SIZES:
            products = _folder(Path(tmp) / str(files), files)[:LOOKUPS]
            t0 = time.perf_counter()
            for path, dates in products:
                assert locate_coherence(path, dates, []) is None
            per = (time.perf_counter() - t0) / len(products)
            t0 = time.perf_counter()
            os.listdir(products[0][0].parent)
            listing = time.perf_counter() - t0
            rows.append({"name": f"coherence lookup by dates, folder of {files:,} files without coherence",
                         "value": per * 1e3, "unit": "ms per interferogram", "target": "",
                         "reference": f"one listing of the folder, same run: {listing * 1e3:.2f} ms"})
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)

"""The real check set of promotion: real interferograms whose truth comes from triplet closure.

A QA model trained on simulated products must still work on real ones (issue 8). Promotion therefore scores
every candidate on a set of real products whose unwrapping is known to be right or wrong from the stack itself:
an interferogram all of whose triplets close (``unw_ij + unw_jk - unw_ik`` within pi, see
:func:`pges.train.dataset.triplet_misclosure`) has no unwrapping error (``clean`` = 1); one in a triplet that
does not close is suspect (``clean`` = 0); one in no triplet has no truth (``clean`` empty, scored but not
counted). A candidate's *false-alarm share* is the share of the clean products it flags (p(error) >= 0.5).

The set is a manifest CSV (columns ``unw``, ``coherence``, ``dem``, ``clean``; paths relative to the manifest),
written from a stack's closure by :func:`closure_manifest` (``scripts/qa_sydney.py --manifest``), never by hand.
This module reads files only through :mod:`pges.readers` (no lake).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pges.errors import InputValidationError

__all__ = ["RealCheck", "closure_manifest", "false_alarm_share", "fetch_real_check", "load_real_check",
           "pair_indices", "triplet_counts"]

logger = logging.getLogger(__name__)

#: p(error) at or above which a product is flagged (as in ``sarlake qa`` and ``evaluate.metrics``)
FLAG_AT = 0.5


@dataclass
class RealCheck:
    """Real products in memory: their model inputs per kind and their closure truth."""

    names: list[str]
    clean: np.ndarray  # 1 clean, 0 suspect, -1 unknown (in no triplet)
    degraded: np.ndarray  # bool: scored without some input (coherence missing or ignored, ...)
    inputs: dict[str, Any]  # input kind -> model input
    source: str
    #: the products read (rasters), for checks made from them (pges.train.realcuts)
    products: list[Any] = field(default_factory=list)

    def summary(self, p_error: np.ndarray) -> dict[str, float]:
        """``real_false_alarm_share`` (flagged share of the clean products) and companions, for MLflow."""
        return false_alarm_share(p_error, self.clean)


def false_alarm_share(p_error: np.ndarray, clean: np.ndarray) -> dict[str, float]:
    """Metrics of p(error) on real products against their closure truth.

    Returns:
        ``real_false_alarm_share`` (share of ``clean == 1`` flagged at p >= 0.5; NaN without clean products),
        ``real_clean_mean_p_error``, ``real_suspect_mean_p_error`` (NaN when none), ``real_clean_products``,
        ``real_suspect_products``, ``real_flagged`` (all products, truth or not).
    """
    p = np.asarray(p_error, dtype=np.float64)
    clean = np.asarray(clean)
    ok, bad = clean == 1, clean == 0
    return {
        "real_false_alarm_share": float((p[ok] >= FLAG_AT).mean()) if ok.any() else float("nan"),
        "real_clean_mean_p_error": float(p[ok].mean()) if ok.any() else float("nan"),
        "real_suspect_mean_p_error": float(p[bad].mean()) if bad.any() else float("nan"),
        "real_clean_products": float(ok.sum()), "real_suspect_products": float(bad.sum()),
        "real_flagged": float((p >= FLAG_AT).sum()),
    }


def _clean_value(raw: str | None, manifest: Path, line: int) -> int:
    raw = (raw or "").strip()
    if raw in ("", "-"):
        return -1
    if raw not in ("0", "1"):
        raise InputValidationError(f"{manifest}:{line}: clean must be 1, 0 or empty (no closure truth), got {raw!r}")
    return int(raw)


def fetch_real_check(manifest: str, fetch: Callable[[str], Path]) -> Path:
    """A local real check manifest: one on disk as it is; one on S3 downloaded with every file it names.

    A PGE in a pod sees no disk of the orchestrator, so a production real check lives on S3 beside its files.
    Each ``unw``, ``coherence`` and ``dem`` value (relative to the manifest, or a URI of its own) and the ``.rsc``
    beside a ROI_PAC ``.unw`` go through ``fetch`` (:meth:`pges.runner.RunContext.fetch`), and the manifest is
    rewritten beside its copy with the local paths.

    Raises:
        InputValidationError: the manifest or a file it names cannot be downloaded.
    """
    if "://" not in manifest or manifest.startswith("file://"):
        return Path(manifest.removeprefix("file://"))
    local = fetch(manifest)
    try:
        rows = list(csv.DictReader(local.read_text().splitlines()))
    except (OSError, ValueError) as exc:
        raise InputValidationError(f"cannot read the real check manifest {manifest}: {exc}") from exc
    base = manifest.rsplit("/", 1)[0]
    for row in rows:
        for column in ("unw", "coherence", "dem"):
            value = (row.get(column) or "").strip()
            if not value:
                continue
            uri = value if "://" in value else f"{base}/{value}"
            row[column] = str(fetch(uri))
            if column == "unw" and not value.lower().endswith((".tif", ".tiff")):
                fetch(f"{uri}.rsc")  # a ROI_PAC .unw is read with its header
    fetched = local.with_name(f"{local.stem}.fetched.csv")
    with fetched.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["unw", "clean"])
        w.writeheader()
        w.writerows(rows)
    return fetched


def load_real_check(manifest: str | Path) -> RealCheck:
    """Read a real check manifest and compute every product's model inputs (features, browse, tiles).

    Raises:
        InputValidationError: a manifest that is missing, lacks the ``unw``/``clean`` columns, has a bad
            ``clean`` value, or names an unreadable file (one line naming it).
    """
    from pges.qa.score import model_inputs, read_files

    path = Path(manifest)
    try:
        rows = list(csv.DictReader(path.read_text().splitlines()))
    except OSError as exc:
        raise InputValidationError(f"cannot read the real check manifest {path}: {exc.strerror or exc} "
                                   "(the train PGE's real_check parameter, SARLAKE_QA_REAL_CHECK)") from exc
    if not rows or not {"unw", "clean"} <= set(rows[0]):
        raise InputValidationError(f"real check manifest {path} needs the columns unw, clean (and coherence, dem)")

    def resolve(value: str | None) -> str | None:
        value = (value or "").strip()
        return str(path.parent / value) if value and not Path(value).is_absolute() else (value or None)

    products, clean = [], []
    for line, r in enumerate(rows, start=2):
        products.append(read_files(resolve(r["unw"]) or "", resolve(r.get("coherence")), resolve(r.get("dem"))))
        clean.append(_clean_value(r["clean"], path, line))
    inputs, feats = model_inputs(products)
    check = RealCheck([Path(p.name).name for p in products], np.array(clean), np.array([f.degraded for f in feats]),
                      inputs, str(path), products)
    logger.info("real check %s: %d products, %d clean, %d suspect", path, len(products), int((check.clean == 1).sum()),
                int((check.clean == 0).sum()))
    return check


def pair_indices(ifgs: dict[Any, Any]) -> dict[Any, tuple[int, int]]:
    """Each interferogram's ``(earlier, later)`` date index in its stack, the keys of triplet closure."""
    dates = sorted({d for i in ifgs.values() for d in (i.secondary_date, i.reference_date)})
    index = {d: k for k, d in enumerate(dates)}
    return {f: (index[i.secondary_date], index[i.reference_date]) for f, i in ifgs.items()}


def triplet_counts(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """How many triplets (all three pairs present) each pair is in."""
    nodes = sorted({n for p in pairs for n in p})
    counts: dict[tuple[int, int], int] = {}
    for i, a in enumerate(nodes):
        for j, b in enumerate(nodes[i + 1:], start=i + 1):
            for c in nodes[j + 1:]:
                if {(a, b), (b, c), (a, c)} <= pairs:
                    for p in ((a, b), (b, c), (a, c)):
                        counts[p] = counts.get(p, 0) + 1
    return counts


def closure_manifest(unw_files: list[Path], coherence_of: dict[Path, Path | None], out: Path) -> list[dict[str, Any]]:
    """Write the real check manifest of a ROI_PAC stack from its triplet closure; return its rows.

    ``clean`` is 1 for an interferogram all of whose triplets close, 0 for one in a triplet that does not, empty
    for one in no triplet. Paths are written relative to the manifest's folder.
    """
    from pges.readers.roipac import read_roipac_unw
    from pges.train.dataset import triplet_misclosure

    ifgs = {f: read_roipac_unw(f) for f in unw_files}
    key = pair_indices(ifgs)
    phases = {key[f]: i.unwrapped_phase for f, i in ifgs.items() if i.unwrapped_phase is not None}
    closure = triplet_misclosure(phases)
    counts = triplet_counts(set(phases))
    rows = []
    for f in unw_files:
        share = closure.get(key[f])
        coh = coherence_of.get(f)
        rows.append({"unw": Path(f).resolve().relative_to(out.parent.resolve()).as_posix(),
                     "coherence": Path(coh).resolve().relative_to(out.parent.resolve()).as_posix() if coh else "",
                     "dem": "", "clean": "" if share is None else int(share == 0),
                     "triplets": counts.get(key[f], 0), "non_closing_share": "" if share is None else f"{share:.2f}"})
    with out.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return rows

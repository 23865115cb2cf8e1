"""Compare the catalogue with storage, and repair what can be repaired.

:func:`verify` returns a :class:`Report`: a list of :class:`Finding` s, each with a ``kind``, the table and
product concerned, a path and a one-line detail. Kinds (more may be added, e.g. archive-tier checks):

=========================  ==================================================================  ==========
kind                       meaning                                                             repair
=========================  ==================================================================  ==========
``uncatalogued_product``   a published ``<product>.met.json`` under the products root that     catalogued
                           the ``products`` table does not hold (not the records of QA and
                           training runs, :data:`RUN_RECORD_TYPES`, which are never products, nor
                           the files of a product removed with ``sarlake products remove``)
``stale_hot_copy``         a published met.json of a product the catalogue holds elsewhere     the cached
                           (``lake.stale_copies``: a roll or a cataloguing that stopped        copy, when
                           halfway, other content refused, two hot folders)                    archived bytes
``missing_file``           a catalogued product's met.json or one of its asset files is gone   no
``checksum_mismatch``      an asset file's sha256 differs from the one in its met.json         no
``missing_provenance``     a product row without the provenance row of its run                 from journal
``pending_journal``        a cataloguing that stopped between its commits (``lake.journal``)   completed
``duplicate_key``          a natural key stored more than once in a table                      no
``unreadable_metadata``    a met.json that is not valid JSON or lacks required fields          no
=========================  ==================================================================  ==========
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from lake.removal import REMOVED_BY
from lake.run_records import SCORE_REPORTS
from lake.settings import Settings, get_settings, is_remote
from lake.stale_copies import describe
from lake.storage import exists, join, list_uris, local_path, read_bytes

__all__ = ["Finding", "RepairResult", "Report", "repair", "verify"]

logger = logging.getLogger(__name__)

#: Product types PGEs publish as the record of a run, read by the application and never catalogued as products:
#: a QA scoring batch's report, a labelled training set, a training run. Not "uncatalogued", and never repaired.
RUN_RECORD_TYPES = frozenset({SCORE_REPORTS, "QA_TRAINING_SET", "QA_TRAINING_RUN"})

#: Kinds that :func:`repair` can fix.
REPAIRABLE = frozenset({"uncatalogued_product", "pending_journal", "missing_provenance"})


@dataclass(frozen=True)
class Finding:
    """One inconsistency between the catalogue and storage.

    Attributes:
        kind: what is wrong (see the module doc).
        table: the lake table concerned.
        product_id: the product concerned, when there is one.
        path: the file, object or record concerned.
        detail: one line for a person.
    """

    kind: str
    table: str
    product_id: str | None
    path: str | None
    detail: str


@dataclass
class Report:
    """What :func:`verify` found and how much it looked at."""

    findings: list[Finding] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)

    @property
    def consistent(self) -> bool:
        """True when nothing was found."""
        return not self.findings

    def counts(self) -> dict[str, int]:
        """Findings per kind."""
        return dict(Counter(f.kind for f in self.findings))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"consistent": self.consistent, "checked": self.checked, "counts": self.counts(),
                "findings": [asdict(f) for f in self.findings]}


@dataclass(frozen=True)
class RepairResult:
    """What :func:`repair` did, and the report of a :func:`verify` run afterwards."""

    journal_completed: int
    catalogued: list[str]
    after: Report
    cached: list[str] = field(default_factory=list)


def _normal(uri: str) -> str:
    if is_remote(uri):
        return uri
    return os.path.abspath(local_path(uri))


def _sha256(uri: str, settings: Settings) -> str:
    h = hashlib.sha256()
    if is_remote(uri):
        h.update(read_bytes(uri, settings))
        return h.hexdigest()
    with open(local_path(uri), "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _asset_files(met_uri: str, doc: dict[str, Any]) -> list[tuple[str, str | None]]:
    """``(uri, sha256 or None)`` of every file the met.json's assets name (hrefs are relative to it)."""
    base = met_uri.rsplit("/", 1)[0]
    out = []
    for asset in (doc.get("assets") or {}).values():
        if not isinstance(asset, dict) or not asset.get("href"):
            continue
        entries = asset.get("sarlake:files") if asset.get("type") == "inode/directory" else [asset]
        for entry in entries or []:
            href = str(entry["href"])
            uri = href if "://" in href or href.startswith("/") else join(base, href)
            digest = entry.get("sarlake:sha256")
            if digest is None and str(entry.get("file:checksum", "")).startswith("1220"):
                digest = entry["file:checksum"][4:]
            out.append((uri, digest))
    return out


def _check_product(product: dict[str, Any], settings: Settings, checksums: bool) -> tuple[list[Finding], int]:
    pid, met = product["product_id"], product["met_uri"]
    if not exists(met, settings):
        return [Finding("missing_file", "products", pid, met, "the product's met.json is gone")], 0
    try:
        doc = json.loads(read_bytes(met, settings))
    except json.JSONDecodeError as exc:
        return [Finding("unreadable_metadata", "products", pid, met, f"not valid JSON: {exc.msg}")], 0
    findings, n = [], 0
    for uri, digest in _asset_files(met, doc):
        n += 1
        if not exists(uri, settings):
            findings.append(Finding("missing_file", "products", pid, uri, "an asset named by the met.json is gone"))
        elif checksums and digest and (actual := _sha256(uri, settings)) != digest:
            findings.append(Finding("checksum_mismatch", "products", pid, uri,
                                    f"sha256 {actual[:12]}... differs from the met.json's {digest[:12]}..."))
    return findings, n


def _duplicates(settings: Settings) -> list[Finding]:
    from lake.catalog import load_table
    from lake.keys import KEY_SEP, key_array
    from lake.tables import TABLES

    findings = []
    for name, spec in TABLES.items():
        keys = key_array(load_table(name, settings).scan(selected_fields=spec.key).to_arrow(), spec.key)
        for key, n in Counter(keys.to_pylist()).items():
            if n > 1:
                shown = key.replace(KEY_SEP, "/")
                findings.append(Finding("duplicate_key", name, shown if name == "products" else None, None,
                                        f"key {shown} is stored {n} times"))
    return findings


def verify(settings: Settings | None = None, *, checksums: bool = True) -> Report:
    """Compare the catalogue with the hot products in storage.

    Hot products are those under the products root, and any other not at the archive tier, wherever it was
    catalogued from.

    Args:
        settings: the lake settings; default :func:`lake.settings.get_settings`.
        checksums: also recompute every asset's sha256 (reads every byte; off for a quick check).

    Returns:
        The report; ``report.consistent`` is True when nothing was found.
    """
    from lake.catalog import load_table
    from lake.journal import pending

    settings = settings or get_settings()
    report = Report()
    products = load_table("products", settings).scan(
        selected_fields=("product_id", "run_id", "met_uri", "tier")).to_arrow().to_pylist()
    provenance = load_table("provenance", settings).scan(
        selected_fields=("product_id", "run_id", "pge_name")).to_arrow()
    runs = set(zip(provenance.column("product_id").to_pylist(), provenance.column("run_id").to_pylist(), strict=True))
    removed = {pid for pid, pge in zip(provenance.column("product_id").to_pylist(),
                                       provenance.column("pge_name").to_pylist(), strict=True) if pge == REMOVED_BY}
    root = _normal(settings.products_root).rstrip("/") + "/"
    # under the products root, and any hot or cached one catalogued elsewhere (`ingest --output-dir`, `pge run
    # --catalogue` of a run-config's own output_dir): archived ones are the DAAC's, checked by `archive verify`
    hot = [p for p in products if p["met_uri"] and (_normal(p["met_uri"]).startswith(root) or p["tier"] != "archive")]
    files = 0
    for product in hot:
        found, n = _check_product(product, settings, checksums)
        report.findings += found
        files += n
    for p in products:
        if (p["product_id"], p["run_id"]) not in runs:
            report.findings.append(Finding("missing_provenance", "provenance", p["product_id"], None,
                                           f"no provenance row for run {p['run_id']!r}"))
    catalogued = {_normal(p["met_uri"]) for p in products if p["met_uri"]}
    elsewhere = {p["product_id"]: p["met_uri"] for p in products if p["met_uri"]}
    tiers = {p["product_id"]: p["tier"] for p in products}
    published = [u for u in list_uris(settings.products_root, ".met.json", settings)
                 if not any(part.startswith(".") for part in u[len(root):].split("/"))]  # skip staging folders
    records = kept = 0
    for uri in published:
        if _normal(uri) not in catalogued:
            if _run_record_folder(uri[len(root):]) or _product_type(uri, settings) in RUN_RECORD_TYPES:
                records += 1
                continue
            pid = uri.rsplit("/", 1)[-1].removesuffix(".met.json")
            if pid in removed and pid not in elsewhere:  # `sarlake products remove` kept its files on purpose
                kept += 1
                continue
            if pid in elsewhere:  # e.g. archived by a roll that stopped before expiring the hot copy
                report.findings.append(Finding("stale_hot_copy", "products", pid, uri,
                                               describe(tiers.get(pid), elsewhere[pid])))
                continue
            report.findings.append(Finding("uncatalogued_product", "products", pid, uri,
                                           "published met.json that the catalogue does not hold"))
    for record in (journal := pending(settings)):
        report.findings.append(Finding("pending_journal", "products", None, record.uri,
                                       f"cataloguing of {len(record.product_ids)} product(s) begun at "
                                       f"{record.created_at.isoformat()} did not finish: "
                                       + ", ".join(record.product_ids[:5])))
    report.findings += _duplicates(settings)
    report.checked = {"products": len(products), "hot_products": len(hot), "asset_files": files,
                      "published_met_json": len(published), "run_records": records, "removed_files_kept": kept,
                      "journal_records": len(journal)}
    return report


def _run_record_folder(relative: str) -> bool:
    """Whether a met.json lies in a run-record folder (``<products_root>/QA_SCORES/...``): known without reading it.

    The application layer writes each run record under a folder named after its type, so ``verify`` need not
    read the met.json of every ``QA_SCORES`` report (one per scoring batch, accumulating) on every call.
    """
    return relative.lstrip("/").split("/", 1)[0] in RUN_RECORD_TYPES


def _product_type(met_uri: str, settings: Settings) -> str | None:
    """``sarlake:product_type`` of a published met.json (None when unreadable: the caller reports it as is)."""
    try:
        doc = json.loads(read_bytes(met_uri, settings))
    except (OSError, ValueError):
        return None
    props = doc.get("properties") if isinstance(doc, dict) else None
    return props.get("sarlake:product_type") if isinstance(props, dict) else None


def repair(settings: Settings | None = None, *, catalogue_uncatalogued: bool = True,
           checksums: bool = True) -> RepairResult:
    """Complete interrupted cataloguings, catalogue what the catalogue lacks, and cache leftover archived copies.

    A leftover copy of an archived or cached product that holds the delivered bytes becomes its cached copy
    (:func:`lake.stale_copies.adoptable`). Missing files, checksum mismatches and duplicate keys are not
    repairable here: they stay in the report.

    Args:
        settings: the lake settings; default :func:`lake.settings.get_settings`.
        catalogue_uncatalogued: also catalogue published met.json files that no product row names.
        checksums: recompute checksums in the verification that follows.

    Returns:
        What was done, and a fresh report.
    """
    from lake.catalogue import catalogue_products
    from lake.exceptions import ProductMetadataError
    from lake.journal import complete, pending
    from lake.stale_copies import adoptable

    settings = settings or get_settings()
    completed = 0
    for record in pending(settings):
        complete(record, settings)
        completed += 1
    catalogued: list[str] = []
    found = verify(settings, checksums=False).findings  # cataloguing what no row names makes no copy archived
    if catalogue_uncatalogued:
        for finding in found:
            if finding.kind != "uncatalogued_product" or finding.path is None:
                continue
            try:
                catalogued += catalogue_products([finding.path], {"task_id": "repair"}, settings)
            except ProductMetadataError as exc:
                logger.warning("cannot catalogue %s: %s", finding.path, exc)
    cached: list[str] = []
    for met in adoptable(found, settings):
        try:
            cached += catalogue_products([met], {"task_id": "repair"}, settings)
        except ProductMetadataError as exc:  # other content: left where it is, reported again below
            logger.warning("not made the cached copy: %s", exc)
    return RepairResult(completed, catalogued, verify(settings, checksums=checksums), cached)

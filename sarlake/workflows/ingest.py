"""Ingest -> catalogue: external interferograms become L2_IFG products in the lake.

The AOI, when named, must exist in the lake; its polygon goes to the ingest PGE, which refuses inputs whose
footprint does not overlap it. Every input is read and checked before anything is published; one bad input
publishes and catalogues nothing unless ``skip_bad`` (then it is left out and reported).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sarlake.workflows.pge import manual_run_id

__all__ = ["IngestReport", "catalogue_result", "external_run_config", "ingest_and_catalogue", "ingest_run_config",
           "moved_note", "next_revision"]


@dataclass
class IngestReport:
    """What an ingest did: where, which products, which inputs were left out (skip_bad) and why."""

    target: str
    ids: list[str]
    rejected: list[dict[str, str]] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # already published and not replaced
    left_out: list[dict[str, str]] = field(default_factory=list)  # a folder's files read as other rasters
    moved: list[dict[str, str | None]] = field(default_factory=list)  # in another AOI before: id, aoi, uri, to
    undelivered: list[str] = field(default_factory=list)  # notes: made hot at a version delivered before
    went_back: list[str] = field(default_factory=list)  # notes: catalogued at a version below the one it replaced
    returned: dict[str, str] = field(default_factory=dict)  # kept ones removed before: id -> the removal's run id

    def __iter__(self):  # type: ignore[no-untyped-def]
        """Unpack as ``target, ids`` (the earlier return value)."""
        return iter((self.target, self.ids))


def ingest_run_config(paths: list[str], aoi: str | None = None, output_dir: str | None = None,
                      run_id: str | None = None, what: str = "--aoi", **params: Any) -> dict[str, Any]:
    """The ingest PGE's run-config: the same for ``sarlake ingest`` and the ``ingest`` DAG.

    Args:
        paths: interferogram files, folders, ``s3://`` objects or prefixes.
        aoi: AOI the products belong to: must exist; its polygon goes in as ``aoi_wkt``.
        output_dir: where the products go; default ``<products_root>/L2_IFG/<aoi or 'ingested'>``.
        run_id: the run recorded in provenance (the DAG run's); default ``manual__ingest__<UTC time>``.
        what: how a refused AOI is named in the message (``--aoi`` for the CLI, ``aoi`` for the DAG form).
        **params: further ingest parameters (:class:`pges.ingest.config.IngestParameters`).

    Raises:
        As :func:`external_run_config`.
    """
    return external_run_config("ingest", paths, aoi, output_dir, run_id, what, **params)


def external_run_config(pge: str, paths: list[str], aoi: str | None = None, output_dir: str | None = None,
                        run_id: str | None = None, what: str = "--aoi", **params: Any) -> dict[str, Any]:
    """The run-config of a PGE that reads other processors' files (``ingest``, ``unwrap``), from the CLI or a DAG.

    The lake is checked first (nothing is read for a lake that could not catalogue the products); the AOI, when
    named, must exist and its polygon goes in as ``aoi_wkt``; ``max_objects`` and ``max_gib``, how much one S3
    listing may download, come from the settings (``SARLAKE_INGEST__*``); the products go under
    ``<products_root>/L2_IFG/<aoi or 'ingested'/'unwrapped'>`` unless ``output_dir``; the run id is the DAG run's, or
    ``manual__<pge>__<UTC time>``.

    Raises:
        CatalogError: the lake was never initialised (``sarlake init``): refused before any input is read.
        InvalidNameError: ``aoi`` breaks the naming rule of :mod:`lake.names`.
        InvalidAOIError: ``aoi`` is not in the lake.
    """
    from lake.aoi import require_aoi
    from lake.catalog import require_lake
    from lake.names import join_under
    from lake.settings import get_settings

    settings = get_settings()
    require_lake(settings)
    if aoi is not None:
        params["aoi_wkt"] = require_aoi(aoi, settings, what=what).geometry_wkt
        params["aoi"] = aoi
    params = {"max_objects": settings.ingest.max_objects, "max_gib": settings.ingest.max_gib, **params}
    folder = aoi or {"ingest": "ingested", "unwrap": "unwrapped"}.get(pge, pge)
    target = output_dir or join_under(settings.products_root, "L2_IFG", folder, what="output folder")
    run_id = run_id or manual_run_id(pge)
    return {"pge": pge, "run_id": run_id, "inputs": [str(p) for p in paths], "output_dir": target,
            "parameters": params}


def catalogue_result(result: dict[str, Any], target: str, run_context: dict[str, Any],
                     form: bool = False) -> IngestReport:
    """Catalogue what an ingest PGE run published (its result record); the report of that ingest.

    ``form``: a refusal names the ``ingest`` DAG form's fields rather than the CLI's options.
    """
    from lake.catalogue import catalogue_products
    from lake.exceptions import ArchivedContentError, ProductMetadataError
    from lake.removal import record_returns

    met_uris = [p["met_uri"] for p in result["products"]]
    kept = [p["id"] for p in result["products"] if p.get("skipped")]
    before = _catalogued({p["id"] for p in result["products"]})
    try:
        ids = catalogue_products(met_uris, run_context)
    except ProductMetadataError as exc:  # e.g. an archived product with other content: the PGE has written them all
        written = len(result["products"]) - len(kept)
        left = (f"Nothing of this run was catalogued: the {written} product folder(s) it wrote under {target} stay "
                "there; `sarlake lake verify --repair` catalogues the others, or run it again without that input")
        if isinstance(exc, ArchivedContentError):  # the lake's fact, then this ingest's own way to a new version
            how = _revision_flags(next_revision(exc.version), form)
            message = (f"{exc.fact}. To ingest this content as a new version, which the roll delivers to the DAAC "
                       f"in its turn, ingest it again with {how}. {left}")
            raise ArchivedContentError(message, exc.product_id, exc.version, exc.fact) from exc
        raise ProductMetadataError(f"{exc}. {left}") from exc
    report = IngestReport(target, ids, list(result.get("rejected") or []), kept, list(result.get("left_out") or []))
    report.returned = record_returns([pid for pid in kept if pid not in before], run_context)
    after = _catalogued(set(ids) | set(before))  # one read for both notes
    changed = {pid: after[pid] for pid in ids if pid in after and after[pid]["tier"] in (None, "hot")
               and (pid not in before or (before[pid]["version"] or "1") != (after[pid]["version"] or "1"))}
    delivered = _delivered_before(changed, before, form)
    report.undelivered = list(delivered.values())
    report.went_back = _went_back({pid: row for pid, row in changed.items() if pid not in delivered}, before, form)
    report.moved = [{"id": pid, "aoi": old["aoi"], "uri": old["uri"], "to": after[pid]["aoi"]}
                    for pid, old in sorted(before.items()) if pid in after and after[pid]["aoi"] != old["aoi"]
                    and after[pid]["uri"] != old["uri"] and old["tier"] in (None, "hot")]
    return report


def moved_note(move: dict[str, str | None]) -> str:
    """What an ingest did to a product catalogued in another AOI before (:attr:`IngestReport.moved`)."""
    def named(aoi: str | None) -> str:
        return f"AOI {aoi}" if aoi else "no AOI"

    back = f"into AOI {move['aoi']}" if move["aoi"] else "with no AOI"
    return (f"{move['id']} was catalogued in {named(move['aoi'])}; it now belongs to {named(move['to'])}, and its "
            f"folder {move['uri']} is no longer catalogued (a product belongs to one AOI): delete that folder, or "
            f"ingest it {back} again to move it back")


def _delivered_before(changed: dict[str, dict[str, Any]], before: dict[str, dict[str, Any]],
                      form: bool) -> dict[str, str]:
    """Notes, by product id, on hot products ``changed`` by this ingest (their rows) to a version the DAAC holds.

    The roll never delivers a version twice, so such a product stays hot (``hot_after_delivery`` in ``sarlake
    archive verify``): one removed, then ingested again, or one ingested again without ``--revision`` in place of a
    later revision. Said here, the user learns it at the ingest, with the revision that delivers it.
    """
    from lake.archive_transfers import delivered_versions
    from lake.settings import get_settings

    delivered = delivered_versions(set(changed), get_settings())
    notes: dict[str, str] = {}
    for pid, row in sorted(changed.items()):
        version = row["version"] or "1"
        if (pid, version) in delivered:
            n = max(next_revision(v) for p, v in delivered if p == pid)  # past every version delivered
            when = ("before it was removed" if pid not in before else
                    f"before version {before[pid]['version']}, which this copy now replaces in the catalogue")
            notes[pid] = (f"{pid} version {version} was delivered to the DAAC ({delivered[pid, version]}) {when}, and "
                          "the roll never delivers a version twice: this copy stays hot. To deliver it, ingest it "
                          f"again with {_revision_flags(n, form)}")
    return notes


def _went_back(changed: dict[str, dict[str, Any]], before: dict[str, dict[str, Any]], form: bool) -> list[str]:
    """Notes on products this ingest catalogued at a version below the one it replaced.

    ``--replace`` without ``--revision`` makes a product its PGE's version again, so a product at revision 3 went
    back to ``0.1.0`` without a word, its revision's files replaced. Said here, with the revisions that restore it.
    """
    from sarlake.workflows.versions import version_key

    notes = []
    for pid, row in sorted(changed.items()):
        old, new = before[pid]["version"] if pid in before else None, row["version"]
        if old and new and version_key(new) < version_key(old):
            again = next_revision(old)
            notes.append(f"{pid} was at version {old}, and this ingest replaced it with version {new}, a lower one. To "
                         f"have it at version {old} again, ingest it again with {_revision_flags(again - 1, form)}; "
                         f"as a new version, with {_revision_flags(again, form)}")
    return notes


def _catalogued(ids: set[str]) -> dict[str, dict[str, Any]]:
    """The catalogue's rows of ``ids`` (AOI, location, tier), none read when there are none."""
    from lake.archive_cache import stored_products
    from lake.settings import get_settings

    return {r["product_id"]: r for r in stored_products(ids, get_settings())} if ids else {}


def _revision_flags(n: int, form: bool) -> str:
    """How to ingest again as revision ``n``: in the ingest form's words, or the CLI's."""
    return f"replace ticked and revision {n}" if form else f"`--replace --revision {n}`"


def next_revision(version: str | None) -> int:
    """The ``--revision`` after ``version``: ``0.1.0`` -> 2, ``0.1.0.2`` -> 3 (``pges.ingest.pge.product_version``)."""
    parts = (version or "").split(".")
    return int(parts[3]) + 1 if len(parts) == 4 and parts[3].isdigit() else 2


def ingest_and_catalogue(paths: list[str], output_dir: str | None = None, aoi: str | None = None,
                         **params: Any) -> IngestReport:
    """Read, check and publish external interferograms with the ingest PGE, then catalogue them.

    Args:
        paths: interferogram files or folders (GeoTIFF, ROI_PAC, GAMMA, ISCE2, GMTSAR, MintPy stacks).
        output_dir: where the products go; default ``<products_root>/L2_IFG/<aoi or 'ingested'>``.
        aoi: AOI the products belong to (must exist; footprints must overlap it).
        **params: further ingest parameters (``mission``, ``track``, ``wavelength_m``, ``coherence``,
            ``overwrite`` (``--replace``), ``skip_bad``, ``revision``, ...).

    Returns:
        The report (unpacks as ``target, ids``).

    Raises:
        InvalidNameError: ``aoi`` breaks the naming rule of :mod:`lake.names`.
        InvalidAOIError: ``aoi`` is not in the lake.
        InputValidationError: a bad input (nothing published or catalogued) or none left after skip_bad.
    """
    from sarlake.workflows.pge import run_pge

    run_config = ingest_run_config(paths, aoi, output_dir, **params)
    result = run_pge("ingest", run_config)
    return catalogue_result(result, run_config["output_dir"],
                            {"run_id": run_config["run_id"], "task_id": "ingest", "runner": "local"})

"""The data-quality gate: run the Great Expectations suites of ``expectations/`` and quarantine what fails.

:func:`gate_products` validates catalogued products (table suite ``products`` plus the per-product raster suite
``rasters``) with a GX 1.x file context under ``<home>/gx``: one pandas Data Source, one Data Asset and Batch
Definition per suite, a Validation Definition and a Checkpoint whose result lists the unexpected rows by
product id. Products that fail any expectation get ``status = 'quarantined'`` and ``quality_failures`` (the
failed expectations, JSON) through ``lake.write.update``; the others, if pending or quarantined, become
``published`` (a quarantined product checked again, ``sarlake products check``, is published once it passes).
Nothing is deleted. Quarantined products are left out of archive delivery (``SARLAKE_DAAC__EXCLUDE_STATUSES``)
and of time series (``sarlake timeseries`` skips them unless ``--include-quarantined``).

Data Docs are rebuilt at ``<home>/gx/uncommitted/data_docs/local_site/index.html``, or on an S3 lake at
``<warehouse>/_quality/docs/index.html`` (:mod:`sarlake.workflows.quality_docs`, :func:`data_docs_index`).
"""

from __future__ import annotations

import importlib
import json
import logging
import math
from dataclasses import dataclass, field
from typing import Any

from lake.settings import Settings, get_settings

__all__ = ["GateResult", "data_docs_index", "gate_pending", "gate_products", "raster_stats", "run_suite"]

logger = logging.getLogger(__name__)


@dataclass
class GateResult:
    """Products checked, quarantined (with the expectations they failed) and published."""

    checked: int = 0
    quarantined: dict[str, list[str]] = field(default_factory=dict)
    published: list[str] = field(default_factory=list)
    data_docs: str = ""


def data_docs_index(settings: Settings | None = None) -> str:
    """Where the Data Docs site's index page is: a local path, or an ``s3://`` URI on an S3 lake."""
    from sarlake.workflows.quality_docs import index_location

    return index_location(settings or get_settings())


def _context(settings: Settings) -> Any:
    from sarlake.workflows.quality_docs import context

    return context(settings)


def run_suite(name: str, frame: Any, settings: Settings | None = None, run_name: str | None = None
              ) -> dict[str, list[str]]:
    """Validate ``frame`` (pandas) with the suite ``expectations/<name>.py``; return failing keys.

    ``run_name`` (the Airflow run, or the command) names the validation in the Data Docs; GX's own is ``__none__``.

    Returns:
        ``key value -> [failed expectation descriptions]`` for every row that failed something.
    """
    context = _context(settings or get_settings())
    failing, validated = _validate(name, frame, context, run_name)
    context.build_data_docs(resource_identifiers=validated)
    return failing


def _validate(name: str, frame: Any, context: Any, run_name: str | None) -> tuple[dict[str, list[str]], list[Any]]:
    """:func:`run_suite` in ``context`` without the Data Docs: the failing keys and the validation results' ids.

    The caller builds the Data Docs of what it validated once (``build_data_docs``): each build reads every result
    its index lists (up to :data:`sarlake.workflows.quality_docs.INDEX_RUNS`, from S3 on an S3 lake).
    """
    import great_expectations as gx

    module = importlib.import_module(f"expectations.{name}")

    source = context.data_sources.add_or_update_pandas(name="sarlake")
    try:
        asset = source.get_asset(name)
    except LookupError:
        asset = source.add_dataframe_asset(name=name)
    try:
        batch = asset.get_batch_definition("whole")
    except (KeyError, LookupError):
        batch = asset.add_batch_definition_whole_dataframe("whole")
    present = set(frame.columns)
    wanted = [e for e in module.expectations() if _columns(e) <= present]
    suite = context.suites.add_or_update(gx.ExpectationSuite(name=module.SUITE, expectations=wanted))
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=module.SUITE, data=batch, suite=suite))
    checkpoint = context.checkpoints.add_or_update(gx.Checkpoint(
        name=module.SUITE, validation_definitions=[definition], actions=[],
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [module.KEY]},
    ))
    from great_expectations.core.run_identifier import RunIdentifier

    result = checkpoint.run(batch_parameters={"dataframe": frame},
                            run_id=RunIdentifier(run_name=run_name.replace("/", "_")) if run_name else None)
    failing: dict[str, list[str]] = {}
    for run in result.run_results.values():
        for r in run.results:
            if r.success:
                continue
            config = r.expectation_config
            args = ", ".join(f"{k}={v}" for k, v in sorted(config.kwargs.items()) if k != "batch_id")
            what = f"{config.type}({args})"
            rows = (r.result or {}).get("unexpected_index_list") or []
            keys = [row[module.KEY] for row in rows if isinstance(row, dict) and module.KEY in row]
            if not keys:  # a table-level expectation (e.g. uniqueness summary): every row is suspect
                keys = [str(k) for k in frame[module.KEY].tolist()]
            for key in keys:
                failing.setdefault(str(key), []).append(what)
    return failing, list(result.run_results)


def _columns(expectation: Any) -> set[str]:
    """Columns an expectation reads (an expectation on a column the frame lacks is left out)."""
    names = (getattr(expectation, attr, None) for attr in ("column", "column_A", "column_B"))
    return {n for n in names if isinstance(n, str)}


def _derived(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add the columns the products suite checks but the table does not hold."""
    from shapely import wkt
    from shapely.geometry import box

    out = []
    for r in rows:
        inside = True
        if r.get("footprint_wkt") and None not in (r.get("west"), r.get("south"), r.get("east"), r.get("north")):
            try:
                geom = wkt.loads(r["footprint_wkt"])
                inside = geom.is_valid and box(r["west"], r["south"], r["east"], r["north"]).buffer(1e-6).covers(geom)
            except Exception:  # noqa: BLE001 - an unreadable footprint is a failed check, not a crash
                inside = False
        sizes, checksums = [], True
        try:
            assets = json.loads(r.get("assets") or "{}")
        except ValueError:
            assets = {}
        for a in assets.values() if isinstance(assets, dict) else []:
            if not isinstance(a, dict) or a.get("type") == "inode/directory":
                continue
            checksums = checksums and bool(a.get("sarlake:sha256") or a.get("file:checksum"))
            sizes.append(int(a.get("file:size") or 0))
        out.append({**r, "footprint_in_bbox": bool(inside), "checksums_present": bool(checksums and assets),
                    "min_asset_bytes": min(sizes) if sizes else 0})
    return out


def raster_stats(met_uri: str, settings: Settings | None = None) -> dict[str, float]:
    """NaN share and largest |phase| of ``unwrapped_phase.tif``, range of ``coherence.tif`` (NaN if absent)."""
    import numpy as np
    import rasterio

    settings = settings or get_settings()
    base = met_uri.rsplit("/", 1)[0]
    stats = {"nan_share": math.nan, "phase_abs_max": math.nan, "coherence_min": math.nan, "coherence_max": math.nan}

    def read(name: str) -> Any:
        uri = f"{base}/{name}"
        if uri.startswith("s3://"):
            from lake.storage import read_bytes

            with rasterio.MemoryFile(read_bytes(uri, settings)) as mem, mem.open() as ds:
                return ds.read(1, masked=True).astype("float64").filled(np.nan)
        with rasterio.open(uri.removeprefix("file://")) as ds:
            return ds.read(1, masked=True).astype("float64").filled(np.nan)

    try:
        phase = read("unwrapped_phase.tif")
        stats["nan_share"] = float(np.isnan(phase).mean())
        stats["phase_abs_max"] = float(np.nanmax(np.abs(phase))) if np.isfinite(phase).any() else math.nan
        coh = read("coherence.tif")
        stats["coherence_min"], stats["coherence_max"] = float(np.nanmin(coh)), float(np.nanmax(coh))
    except (OSError, rasterio.errors.RasterioIOError, FileNotFoundError) as exc:
        logger.warning("no raster statistics for %s: %s", met_uri, exc)
    return stats


def timeseries_stats(met_uri: str, settings: Settings | None = None) -> dict[str, float]:
    """Share of pixels with a velocity and share connected by the network, from an L3 time series' met.json."""
    from lake.storage import read_json

    try:
        met = read_json(met_uri, settings or get_settings())
    except (OSError, ValueError) as exc:
        logger.warning("no time-series statistics for %s: %s", met_uri, exc)
        return {"velocity_valid_fraction": math.nan, "connected_pixel_fraction": math.nan}
    props = met.get("properties", met)
    return {"velocity_valid_fraction": _number((props.get("sarlake:velocity_stats_mm_yr") or {}).get("valid_fraction")),
            "connected_pixel_fraction": _number((props.get("sarlake:network") or {}).get("connected_pixel_fraction"))}


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) else math.nan


def gate_products(product_ids: list[str] | None = None, settings: Settings | None = None,
                  run_name: str | None = None) -> GateResult:
    """Validate products (all, or those given) and quarantine or publish them.

    Args:
        product_ids: products to check (e.g. those catalogued by this run); all when None.
        settings: the lake settings.
        run_name: what ran the gate (the DAG run's id, the command), the validations' Run Name in the Data Docs.

    Returns:
        What was checked, quarantined (with reasons) and published, and the Data Docs index.
    """
    import pandas as pd
    from pyiceberg.expressions import AlwaysTrue, BooleanExpression, In

    from lake.catalog import load_table
    from lake.write import update

    settings = settings or get_settings()
    row_filter: BooleanExpression = AlwaysTrue()
    if product_ids is not None:
        if not product_ids:
            return GateResult(data_docs=data_docs_index(settings))
        row_filter = In("product_id", set(product_ids))  # type: ignore[call-arg,arg-type,misc]
    rows = load_table("products", settings).scan(row_filter=row_filter).to_arrow().to_pylist()
    result = GateResult(checked=len(rows))
    if not rows:
        return result
    context = _context(settings)  # one for the gate's suites, and one Data Docs build of them all
    failing, validated = _validate("products", pd.DataFrame(_derived(rows)), context, run_name)
    rasters = [{"product_id": r["product_id"], **raster_stats(r["met_uri"], settings)}
               for r in rows if r.get("met_uri") and r.get("product_type") == "L2_IFG"]
    series = [{"product_id": r["product_id"], **timeseries_stats(r["met_uri"], settings)}
              for r in rows if r.get("met_uri") and r.get("product_type") == "L3_TS"]
    for name, table in (("rasters", rasters), ("timeseries", series)):
        if table:
            more, ids = _validate(name, pd.DataFrame(table), context, run_name)
            validated += ids
            for key, why in more.items():
                failing.setdefault(key, []).extend(why)
    context.build_data_docs(resource_identifiers=validated)
    patches = []
    for r in rows:
        pid = r["product_id"]
        if pid in failing:
            result.quarantined[pid] = failing[pid]
            patches.append({"product_id": pid, "status": "quarantined",
                            "quality_failures": json.dumps(failing[pid])})
        elif r.get("status") in (None, "pending", "quarantined"):  # a quarantined one re-checked after a fix
            result.published.append(pid)
            patches.append({"product_id": pid, "status": "published", "quality_failures": None})
    update("products", patches, settings)
    result.data_docs = data_docs_index(settings)
    logger.info("quality gate: %d checked, %d quarantined, %d published", result.checked,
                len(result.quarantined), len(result.published))
    return result


def gate_pending(settings: Settings | None = None, run_name: str | None = None) -> GateResult:
    """Gate every product still ``pending`` (or without a status): what cataloguing added since the last gate."""
    from sarlake.workflows.quality_selection import products_to_check

    settings = settings or get_settings()
    return gate_products(products_to_check(settings=settings), settings, run_name)

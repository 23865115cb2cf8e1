"""Where the quality gate's Data Docs site lives, and its pages as the Airflow UI serves them.

On a local lake the gate keeps a GX file context under ``<home>/gx`` and its site in
``<home>/gx/uncommitted/data_docs/local_site``. On a lake whose warehouse is in S3 the gate runs where nothing
local lasts (a task pod under the KubernetesExecutor), so its validation results go to
``<warehouse>/_quality/validations``, the suites as last run to ``<warehouse>/_quality/expectations``, and the
site is built at ``<warehouse>/_quality/docs`` (:class:`sarlake.workflows.gx_s3.S3StoreBackend`): each run adds
its pages, and the index lists the newest :data:`INDEX_RUNS` validation results, whichever pod ran them. The
rest of that context (the data source, validation definitions, checkpoints) is made again by every run, in memory.

The browse app serves either site behind Airflow's login at ``/sarlake/browse/data-docs/`` (:func:`read_page`).
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from lake.settings import Settings, is_remote

__all__ = ["INDEX_RUNS", "ExpiredValidations", "PageNotFound", "context", "expire", "index_location", "read_page",
           "site_root"]

#: validation results the S3 site's index lists (the newest); older pages stay, unlinked, until they expire
#: (:func:`expire`, the ``maintenance`` DAG)
INDEX_RUNS = 500
SITE = "local_site"


class PageNotFound(LookupError):
    """No page of the Data Docs site at that path."""


@dataclass(frozen=True)
class ExpiredValidations:
    """What :func:`expire` deleted (validation results, each with its page) and kept, and the site's index."""

    removed: int
    kept: int
    index: str


def site_root(settings: Settings) -> str:
    """The site's folder: ``<warehouse>/_quality/docs`` on an S3 lake, else under ``<home>/gx``."""
    if is_remote(settings.warehouse):
        return settings.warehouse.rstrip("/") + "/_quality/docs"
    return str(settings.home / "gx" / "uncommitted" / "data_docs" / SITE)


def index_location(settings: Settings) -> str:
    """The site's index page: an ``s3://`` URI or a local path."""
    return site_root(settings) + "/index.html"


def context(settings: Settings) -> Any:
    """The GX context the gate validates in: a file context under ``<home>/gx``, or an S3-backed ephemeral one.

    Great Expectations is quiet in it: its INFO records (about 200 at import: 'Skipping registering function ...')
    and its progress bars (stderr, which an Airflow task logs at level error) would bury the gate's own lines.
    """
    import logging

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx: Any
    if not is_remote(settings.warehouse):
        root = settings.home
        root.mkdir(parents=True, exist_ok=True)
        ctx = gx.get_context(mode="file", project_root_dir=str(root))
        sites = ctx.variables.data_docs_sites or {}  # (a copy)
        if SITE in sites and sites[SITE].get("show_how_to_buttons", True):  # as on S3: GX's how-tos (its CLI,
            sites[SITE]["show_how_to_buttons"] = False  # team sites) are not how sarlake keeps its suites
            ctx.variables.data_docs_sites = sites
            ctx.variables.save()
    else:
        ctx = gx.get_context(mode="ephemeral", project_config=_s3_config(settings))
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return ctx


def _s3_config(settings: Settings) -> Any:
    from great_expectations.data_context.types.base import DataContextConfig, InMemoryStoreBackendDefaults

    from sarlake.workflows.gx_s3 import lake_token

    base = settings.warehouse.rstrip("/") + "/_quality"
    backend = {"module_name": "sarlake.workflows.gx_s3", "class_name": "S3StoreBackend", "lake": lake_token(settings)}
    config = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults())
    config.stores[config.expectations_store_name] = {  # type: ignore[index]
        "class_name": "ExpectationsStore", "store_backend": {**backend, "uri": f"{base}/expectations"}}
    config.stores[config.validation_results_store_name] = {  # type: ignore[index]
        "class_name": "ValidationResultsStore", "store_backend": {**backend, "uri": f"{base}/validations"}}
    config.data_docs_sites = {SITE: {
        "class_name": "SiteBuilder", "show_how_to_buttons": False,
        "store_backend": {**backend, "uri": site_root(settings)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder", "validation_results_limit": INDEX_RUNS}}}
    config.analytics_enabled = False
    return config


def expire(settings: Settings, older_than: timedelta, now: datetime | None = None) -> ExpiredValidations:
    """Delete the gate's validation results run more than ``older_than`` ago, and their pages; rebuild the index.

    The index is rebuilt with the newest validation left (its page rendered again): GX then removes every page
    whose result is gone. A local lake the gate never ran on is left as it is.
    """
    if not is_remote(settings.warehouse) and not (settings.home / "gx").is_dir():
        return ExpiredValidations(0, 0, index_location(settings))
    ctx = context(settings)
    store = ctx.validation_results_store
    keys = store.list_keys()
    cutoff = (now or datetime.now(UTC)) - older_than
    old = [key for key in keys if key.run_id.run_time.astimezone(UTC) < cutoff]
    for key in old:
        store.remove_key(key)
    kept = [key for key in keys if key not in old]
    if old:
        newest = max(kept, key=lambda key: key.run_id.run_time) if kept else None
        ctx.build_data_docs(resource_identifiers=[newest] if newest is not None else None)
        if not is_remote(settings.warehouse):  # GX's folder backend deletes the files, never their folders
            roots = (settings.home / "gx" / "uncommitted" / "validations", Path(site_root(settings)) / "validations")
            for key in old:
                _remove_run_folders(key.to_tuple(), roots)
    return ExpiredValidations(len(old), len(kept), index_location(settings))


def _remove_run_folders(key: tuple[str, ...], roots: tuple[Path, ...]) -> None:
    """Remove an expired result's run-time folder, then its run's, where they are empty.

    ``key`` is the result's (suite, run name, run time, batch). The suite's folder stays: a gate run may be
    writing its next result there.
    """
    for root in roots:
        for depth in (1, 2):
            folder = root.joinpath(*key[:-depth])
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()


def read_page(path: str, settings: Settings) -> tuple[bytes, str]:
    """A file of the site (``index.html``, ``validations/...``, ``static/...``) and its media type.

    Raises:
        PageNotFound: no such file, or a path that leaves the site.
    """
    parts = PurePosixPath(path or "index.html").parts
    if not parts or any(p in ("..", "") or p.startswith("/") for p in parts):
        raise PageNotFound(f"no Data Docs page {path!r}")
    relative = "/".join(parts)
    media = mimetypes.guess_type(relative)[0] or "application/octet-stream"
    root = site_root(settings)
    if is_remote(root):
        from lake.storage import read_bytes

        try:
            return read_bytes(f"{root}/{relative}", settings), media
        except FileNotFoundError:
            raise PageNotFound(_missing(relative, root)) from None
    file = Path(root, relative)
    if not file.is_file():
        raise PageNotFound(_missing(relative, root))
    return file.read_bytes(), media


def _missing(relative: str, root: str) -> str:
    if relative == "index.html":
        return (f"no Data Docs site at {root} yet: the quality gate builds it (trigger the quality_gate DAG, "
                "or run `sarlake products check`)")
    return f"no Data Docs page {relative!r} in {root}"

"""The browse app: a FastAPI app mounted in Airflow's API server at ``/sarlake/browse``, behind Airflow's auth.

Every route (the page, its scripts, the JSON API, the images) depends on Airflow's ``get_user``: the UI's
session cookie (``_token``, set by Airflow's login) or an ``Authorization: Bearer`` JWT. Without one the JSON
API answers 401 and the page sends the browser to Airflow's login. Each route also asks the auth manager for
the custom view ``sarlake-browse`` (:mod:`sarlake_plugins.access`; the simple auth manager lets every logged-in
user): a refusal is a 403 that names what to grant, on the page too. Tagging is the tags API
(:mod:`sarlake_plugins.tags_api`, ``/sarlake/api/products/{id}/tags``), which records the logged-in user.

=====================================  ==============================================================
``GET /sarlake/browse/``               the page (faceted search, product page, map)
``GET /sarlake/browse/api/search``     facets with counts, a page of results, the SQL behind them
``GET /sarlake/browse/api/products/ID``             product page data (met.json, provenance, QA, tags, shortcuts)
``GET /sarlake/browse/api/products/ID/browse.png``  its browse image (from inside the products root)
``GET /sarlake/browse/api/products/ID/layers/NAME.png``  a raster layer as an image
``GET /sarlake/browse/api/map``        AOI outlines and the footprints of the products matching the filters
``GET /sarlake/browse/api/aois/NAME``  AOI page data (products by type and tier, events, shortcuts)
``GET /sarlake/browse/api/shortcuts/ACTION``   the DAG run a shortcut asks for (``?aoi=`` or ``?product=``)
``GET /sarlake/browse/data-docs/PATH``  the quality gate's Data Docs site (GX), from the lake or the gate's folder
``GET /sarlake/browse/vendor/npm/PATH`` files installed from npm (Leaflet; the Data Docs pages' scripts, styles)
=====================================  ==============================================================

Shortcuts (forward / on-demand for an AOI, reprocess / archive restore for a product) are only *prepared* here
(:mod:`.shortcuts`): the page posts the prepared conf to Airflow's own ``POST /api/v2/dags/{dag_id}/dagRuns``
with the user's session, so Airflow checks the permission and records the triggering user.

Bad filters answer 422 with ``{"detail": "..."}`` (the page shows it); unknown products 404.

When the API server starts, a background thread opens the lake and materializes the ``browse`` table
(:func:`_warm_up`), so the first page after a restart does not wait for it.
"""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from sarlake_plugins import request_errors
from sarlake_plugins.lazy_asgi import in_api_server

try:  # the API server provides it; importing it needs Airflow's configuration
    from airflow.api_fastapi.core_api.security import GetUserDep

    from sarlake_plugins.access import BROWSE, custom_view

    #: every route's dependency: a login, and the auth manager's yes for the custom view ``sarlake-browse``
    authorise = custom_view(BROWSE, "the lake browser")
    _ACCESS = [Depends(authorise)]
except ImportError:  # pragma: no cover - documentation builds without Airflow
    GetUserDep = Any  # type: ignore[misc,assignment]
    _ACCESS = []

__all__ = ["STATIC", "VENDOR", "app"]

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
#: ``make browse-assets`` installs Leaflet and the Data Docs pages' scripts from npm here; the app serves them
VENDOR = Path(__file__).parent / "vendor"
LEAFLET_DIST = VENDOR / "node_modules" / "leaflet" / "dist"

# no /docs, /redoc or /openapi.json: FastAPI serves them outside the app's dependencies, so without a login
app = FastAPI(title="sarlake browse", version="1", description=__doc__, docs_url=None, redoc_url=None,
              openapi_url=None, dependencies=_ACCESS)


def _answer(status: int) -> Any:
    """An exception handler answering ``status`` with the exception's message (``{"detail": ...}``)."""

    def handler(request: Request, exc: Exception) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=status)

    return handler


def _register_error_handlers() -> None:
    from sarlake_plugins.browse.products import ProductNotFound
    from sarlake_plugins.browse.shortcuts import AoiNotFound, ShortcutError

    app.add_exception_handler(ProductNotFound, _answer(404))  # an unknown product or AOI, on any route
    app.add_exception_handler(AoiNotFound, _answer(404))
    app.add_exception_handler(ShortcutError, _answer(422))  # a shortcut that cannot be prepared
    request_errors.install(app)  # a request FastAPI refuses: what and where, never the value sent; S3 refusing
    # the lake's credentials or not answering: a 503 that says so


_register_error_handlers()


@app.exception_handler(HTTPException)
async def _login_or_json(request: Request, exc: HTTPException) -> Response:
    """401/403 on the page itself: go to Airflow's login (and back); elsewhere the JSON error.

    A refusal by the auth manager's policy (:class:`sarlake_plugins.access.Refused`) is no missing login: the page
    says it in one line instead of sending the browser back to the login, which would send it here again.
    """
    from fastapi.exception_handlers import http_exception_handler

    from sarlake_plugins.access import Refused

    if isinstance(exc, Refused) and _is_page(request.url.path):
        return HTMLResponse(f"<!doctype html><title>sarlake browse</title><p>{_html_escape(str(exc.detail))}</p>",
                            status_code=403)
    if exc.status_code in (401, 403) and _is_page(request.url.path):
        from airflow.api_fastapi.app import get_auth_manager

        return RedirectResponse(get_auth_manager().get_url_login(next_url=str(request.url)), status_code=307)
    return await http_exception_handler(request, exc)


def _is_page(path: str) -> bool:
    """The browse page or a Data Docs page: what a browser opens, so a missing login goes to the login page."""
    return path.rstrip("/").endswith("/browse") or "/data-docs/" in path


def _connect(fresh: bool = True) -> Any:
    from sarlake_plugins.browse.connection import cursor

    return cursor(fresh)


def _filters(request: Request) -> Any:
    from sarlake_plugins.browse.filters import FilterError, parse_query

    try:
        return parse_query(list(request.query_params.multi_items()))
    except FilterError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None


@app.get("/", response_class=HTMLResponse, include_in_schema=False)
def page(user: GetUserDep) -> HTMLResponse:
    """The browse page (search, product and map views in one page), with the user and the comment limit filled in."""
    from lake.tags import MAX_COMMENT_LENGTH

    html = (STATIC / "index.html").read_text().replace("{{user}}", _html_escape(user.get_name()))
    html = html.replace("{{max_comment_length}}", str(MAX_COMMENT_LENGTH))  # the tag form's maxlength (browse.js)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


def _html_escape(text: str) -> str:
    import html

    return html.escape(text)


@app.get("/static/{name}", include_in_schema=False)
def static(name: str) -> FileResponse:
    """The page's own scripts and styles."""
    path = (STATIC / name).resolve()
    if path.parent != STATIC.resolve() or not path.is_file():
        raise HTTPException(status_code=404, detail=f"no static file {name!r}")
    return FileResponse(path)


@app.get("/data-docs/{path:path}", include_in_schema=False)
def data_docs(path: str) -> Response:
    """A page of the quality gate's Data Docs site: ``<warehouse>/_quality/docs`` on an S3 lake, else ``<home>/gx``."""
    from lake.settings import get_settings
    from sarlake.workflows.quality_docs import PageNotFound, read_page
    from sarlake_plugins.browse.datadocs import localize

    try:
        body, media = read_page(path, get_settings())
    except PageNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    if media == "text/html":  # its CDN scripts and styles from this app (no internet needed), no GX beacon
        body = localize(body)
    return Response(body, media_type=media, headers={"Cache-Control": "no-store"})


@app.get("/vendor/npm/{name:path}", include_in_schema=False)
def npm_file(name: str) -> FileResponse:
    """A file of a package ``make browse-assets`` installed from npm (Leaflet, the Data Docs pages' scripts)."""
    from sarlake_plugins.browse.datadocs import NODE_MODULES

    parts = Path(name).parts
    package = "/".join(parts[:2] if parts[:1] and parts[0].startswith("@") else parts[:1])
    if package not in _served_packages():
        raise HTTPException(status_code=404, detail=f"{name!r} is in no package of {VENDOR / 'package.json'}")
    root = NODE_MODULES.resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root / package) or not path.is_file():
        raise HTTPException(status_code=404, detail=f"no installed npm file {name!r}: run `make browse-assets`")
    return FileResponse(path)


@functools.cache
def _served_packages() -> frozenset[str]:
    """The packages ``vendor/package.json`` names: only their files are served, not their dependencies' or npm's."""
    return frozenset(json.loads((VENDOR / "package.json").read_text())["dependencies"])


@app.get("/api/config")
def config(user: GetUserDep) -> dict[str, Any]:
    """Who is logged in, the map's tile URL (``[sarlake] browse_tile_url``; empty: outlines only), the tags."""
    from airflow.configuration import conf

    from lake.tags import TAG_TYPES

    return {"user": user.get_name(), "tile_url": conf.get("sarlake", "browse_tile_url", fallback=""),
            "leaflet": LEAFLET_DIST.is_dir(), "tag_types": TAG_TYPES}


@app.get("/api/search")
def search(request: Request) -> dict[str, Any]:
    """Facets with counts, one page of results and the SQL behind them (parameters: see ``filters``)."""
    import time

    from sarlake_plugins.browse.filters import FilterError
    from sarlake_plugins.browse.search import search as run

    t0 = time.perf_counter()
    q = _filters(request)
    try:
        out = run(q, _connect())
    except FilterError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    # server time of the whole request: the snapshot check (and, after a commit, reopening the lake and
    # materializing the browse table) as well as the queries
    out["server_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    return out


@app.get("/api/map")
def map_data(request: Request) -> dict[str, Any]:
    """AOI outlines (those touching the region, if one is given) and footprints of matching products."""
    from sarlake_plugins.browse.mapdata import map_features

    return map_features(_filters(request), _connect())


@app.get("/api/products/{product_id}")
def product(product_id: str) -> dict[str, Any]:
    """Everything the product page shows, and the shortcuts the lake would accept for it."""
    from sarlake_plugins.browse.products import product_detail
    from sarlake_plugins.browse.shortcuts import product_actions

    con = _connect()
    return {**product_detail(con, product_id), "actions": product_actions(con, product_id)}


@app.get("/api/products/{product_id}/browse.png")
def browse_png(product_id: str) -> Response:
    """The product's browse image (from the products root, a folder or S3)."""
    from sarlake_plugins.browse.products import asset_bytes

    return Response(asset_bytes(_connect(fresh=False), product_id, "browse"), media_type="image/png")


@app.get("/api/products/{product_id}/layers/{name}.png")
def layer(product_id: str, name: str) -> Response:
    """A raster layer of the product as a PNG."""
    from sarlake_plugins.browse.products import layer_png

    return Response(layer_png(_connect(fresh=False), product_id, name), media_type="image/png")


@app.get("/api/aois/{name}")
def aoi(name: str) -> dict[str, Any]:
    """The AOI page: the AOI, its products by type and tier, its event, the processing shortcuts."""
    from sarlake_plugins.browse.shortcuts import aoi_detail

    return aoi_detail(_connect(), name)


@app.get("/api/shortcuts/{action}")
def shortcut(action: str, request: Request) -> dict[str, Any]:
    """The DAG id, trigger conf and confirmation text of a shortcut (the page posts it to Airflow's API)."""
    from sarlake_plugins.browse.shortcuts import ACTIONS, prepare

    q = dict(request.query_params)
    unknown = sorted(set(q) - {"aoi", "product", "start_date", "end_date"})
    if unknown:
        raise HTTPException(status_code=422, detail=f"unknown parameter {unknown[0]!r}: use aoi or product "
                                                    "(and start_date, end_date for on_demand)")
    kind = ACTIONS.get(action, ("aoi",))[0]
    if not q.get(kind):
        raise HTTPException(status_code=422, detail=f"{action} needs {kind}=...")
    return prepare(_connect(), action, q[kind], q.get("start_date"), q.get("end_date"))


def _warm_up() -> None:
    """Open the lake and materialize the ``browse`` table, so the first page a user opens does not pay for it.

    Run on a background thread when the API server starts; a failure (e.g. no lake yet) is only logged: the first
    request then opens the lake itself.
    """
    from sarlake_plugins.browse import connection

    try:
        connection.cursor()
    except Exception:  # noqa: BLE001 - never stop the API server over the browse cache
        logger.warning("browse: warm-up failed; the first request opens the lake", exc_info=True)


if in_api_server():  # other Airflow components import the plugin too: no warm-up there
    import threading

    threading.Thread(target=_warm_up, name="sarlake-browse-warmup", daemon=True).start()

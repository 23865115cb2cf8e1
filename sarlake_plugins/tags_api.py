"""The tags REST API: a FastAPI app mounted in the Airflow 3 API server (``/sarlake``), behind Airflow's auth.

Every route needs an Airflow login (a JWT in ``Authorization: Bearer ...`` or the UI's session cookie),
resolved by Airflow's own ``get_user`` dependency, so the API's users, roles and login are Airflow's.
A new tag records the logged-in user: the request body has no user field, and an unknown field is refused.

Routes (JSON; the browse UI builds on them):

========================================  =================================================================
``GET  /sarlake/api/tags``                the valid tags (``UWE_0`` ... ``COH_3``) and what each type means
``GET  /sarlake/api/products/{id}/tags``  the product's tags (user, tag, comment, time, source)
``POST /sarlake/api/products/{id}/tags``  add a tag ``{"tag": "UWE_2", "comment": "..."}`` as the logged-in user
``GET  /sarlake/api/products/{id}/consensus``  consensus per tag type (majority, Dawid-Skene, raters, agreement)
========================================  =================================================================

No API docs are served (``/sarlake/docs``, ``/redoc``, ``openapi.json``): FastAPI's own routes would answer
without a login. The routes are this table.

Every route also asks Airflow's auth manager whether the user may use the custom view ``sarlake-tags`` with the
request's method (:mod:`sarlake_plugins.access`): the simple auth manager lets every logged-in user; a
production one (FAB, Keycloak) answers from its policy, so who may tag is its admins' choice.

Errors: 401 without a login, 403 when the auth manager refuses (the message names the custom view and the
method to grant), 404 for a product not in the lake, 422 for an unknown tag (the message lists the valid ones) or
a body that is not a new tag (an unknown field, a missing tag: each named with what to send, never the value
sent; see :mod:`sarlake_plugins.request_errors`).
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from lake.tags import MAX_COMMENT_LENGTH
from sarlake_plugins import request_errors

try:  # the API server provides these; importing them needs Airflow's configuration
    from airflow.api_fastapi.core_api.security import GetUserDep

    from sarlake_plugins.access import TAGS, custom_view

    #: every route's dependency: a login, and the auth manager's yes for the request's method
    authorise = custom_view(TAGS, "product tags")
    _ACCESS = [Depends(authorise)]
except ImportError:  # pragma: no cover - documentation builds without Airflow
    GetUserDep = Any  # type: ignore[misc,assignment]
    _ACCESS = []

__all__ = ["app"]

# no /docs, /redoc or /openapi.json: FastAPI serves them outside the app's dependencies, so without a login
app = FastAPI(title="sarlake tags", version="1", description=__doc__, docs_url=None, redoc_url=None,
              openapi_url=None, dependencies=_ACCESS)
# a refused body is answered field by field, without the value sent (a whole comment, an unknown field's value)
request_errors.install(app, hints={
    "body": 'a new tag is {"tag": "UWE_2", "comment": "..."}',
    "body.user": "the tag records the logged-in Airflow user",
})


class NewTag(BaseModel):
    """A tag to add; the user is the logged-in one, never a field."""

    model_config = ConfigDict(extra="forbid")

    tag: str = Field(..., description="TYPE_INTENSITY, e.g. UWE_2.", examples=["UWE_2"])
    # the length is checked by Tag.of (one limit for the API, the CLI and imports): a max_length here would
    # answer with pydantic's error, which carries the whole rejected text back
    comment: str | None = Field(None, description=f"Free text, at most {MAX_COMMENT_LENGTH:,} characters.")


def _tag_row(r: dict[str, Any]) -> dict[str, Any]:
    return {"product_id": r["product_id"], "tag": r["tag"], "tag_type": r["tag_type"], "intensity": r["intensity"],
            "user": r["user"], "comment": r["comment"], "source": r["source"],
            "tagged_at": r["tagged_at"].isoformat() if r["tagged_at"] else None}


@app.get("/browse", include_in_schema=False)
def browse_without_slash() -> RedirectResponse:
    """``/sarlake/browse`` reaches this app (mounted at ``/sarlake``), not the browse UI's: send it there."""
    return RedirectResponse("/sarlake/browse/", status_code=307)


@app.get("/api/tags")
def valid_tags() -> dict[str, Any]:
    """The tag vocabulary."""
    from lake.tags import TAG_TYPES, valid_tags

    return {"types": TAG_TYPES, "tags": valid_tags()}


@app.get("/api/products/{product_id}/tags")
def product_tags(product_id: str) -> list[dict[str, Any]]:
    """Tags of one product, newest first (404 for a product not in the lake)."""
    from lake.tags import TagError, list_tags

    try:
        return [_tag_row(r) for r in list_tags(product_id)]
    except TagError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None


@app.post("/api/products/{product_id}/tags", status_code=201)
def add_tag(product_id: str, body: NewTag, user: GetUserDep) -> dict[str, Any]:
    """Tag a product as the logged-in user; the product's consensus of that tag type is relabelled."""
    from lake.consensus import update_consensus
    from lake.tags import Tag, TagError, add_tags

    try:
        tag = Tag.of(product_id, body.tag, user.get_name(), body.comment)
    except TagError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    try:
        add_tags([tag])
    except TagError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    update_consensus({tag.product_id}, (tag.tag_type,))  # the id as stored (Tag.of strips it), not as typed
    return {"product_id": tag.product_id, "tag": tag.label, "user": tag.user, "comment": tag.comment}


@app.get("/api/products/{product_id}/consensus")
def product_consensus(product_id: str) -> list[dict[str, Any]]:
    """Consensus labels of one product, per tag type (404 for a product not in the lake)."""
    from lake.consensus import product_consensus as consensus_of
    from lake.tags import TagError

    try:
        rows = consensus_of(product_id)
    except TagError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    return [{k: v for k, v in r.items() if k not in ("created_at", "updated_at")} for r in rows]

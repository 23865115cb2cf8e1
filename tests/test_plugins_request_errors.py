"""A request the plugin apps refuse (FastAPI's validation) is answered 422 naming each bad part, never its value.

FastAPI's own handler answered with each error's ``input``: a whole comment, the value of an unknown field.
The tags API is driven over HTTP with the login stubbed (``test_plugins_tags_api.py`` runs it inside Airflow);
the browse app, whose routes take no body, through the handler it has installed.
"""

from __future__ import annotations

import asyncio
import json

import pytest

COMMENT = "island NE " * 300  # a comment the body's other errors must not carry back


@pytest.fixture
def tags_client():
    from airflow.api_fastapi.core_api.security import get_user
    from fastapi.testclient import TestClient

    from sarlake_plugins.tags_api import app, authorise

    app.dependency_overrides[get_user] = lambda: None  # validation refuses the body before the route runs
    app.dependency_overrides[authorise] = lambda: None  # no auth manager outside Airflow's API server
    try:
        with TestClient(app) as c:
            yield c
    finally:
        app.dependency_overrides.pop(get_user)
        app.dependency_overrides.pop(authorise)


def _post(c, body: object) -> tuple[list[dict], str]:
    r = c.post("/api/products/P1/tags", content=body if isinstance(body, bytes) else json.dumps(body),
               headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    return r.json()["detail"], r.text


@pytest.mark.parametrize(("body", "loc", "msg"), [
    ({"tag": "UWE_0", "user": "bob-" + COMMENT}, ["body", "user"],
     "not a field this API takes; the tag records the logged-in Airflow user"),
    ({"comment": COMMENT}, ["body", "tag"],
     'required, and not given; a new tag is {"tag": "UWE_2", "comment": "..."}'),
    ({"tag": ["island NE"] * 50}, ["body", "tag"],
     'must be text (a JSON string); a new tag is {"tag": "UWE_2", "comment": "..."}'),
    ([COMMENT], ["body"], 'must be a JSON object; a new tag is {"tag": "UWE_2", "comment": "..."}'),
    (b'{"tag": "UWE_2", "comment": "island NE island NE', ["body"],
     'not valid JSON (Unterminated string starting at: character 29); '
     'a new tag is {"tag": "UWE_2", "comment": "..."}'),
])
def test_a_refused_tag_body_names_the_field_and_what_to_send_never_the_value(tags_client, body, loc, msg):
    detail, text = _post(tags_client, body)
    assert detail == [{"loc": loc, "type": detail[0]["type"], "msg": msg}]
    assert "island" not in text and "bob" not in text and "input" not in text


def test_a_body_of_many_long_unknown_fields_is_refused_in_a_few_short_lines(tags_client):
    detail, text = _post(tags_client, {"tag": "UWE_2", **{f"{i}-{'x' * 5000}": COMMENT for i in range(500)}})
    assert len(text) < 3000 and "island" not in text
    assert detail[0] == {"loc": ["body", "0-" + "x" * 38 + "... (5,002 characters)"], "type": "extra_forbidden",
                         "msg": 'not a field this API takes; a new tag is {"tag": "UWE_2", "comment": "..."}'}
    assert detail[-1]["msg"] == "490 more errors not listed" and len(detail) == 11


def test_the_browse_app_refuses_a_request_the_same_way():
    from fastapi.exceptions import RequestValidationError

    from sarlake_plugins.browse.app import app

    exc = RequestValidationError([{"type": "int_parsing", "loc": ("query", "page"), "input": COMMENT,
                                   "msg": "Input should be a valid integer, unable to parse string as an integer"}])
    r = asyncio.run(app.exception_handlers[RequestValidationError](None, exc))
    assert r.status_code == 422
    assert json.loads(r.body) == {"detail": [{"loc": ["query", "page"], "type": "int_parsing",
                                              "msg": "must be a whole number"}]}

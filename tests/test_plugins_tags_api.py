"""The tags REST API inside Airflow's own API app (plugins loaded), behind Airflow's auth manager."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def airflow_db():
    """Airflow's metadata database (the auth manager checks revoked tokens in it)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    airflow = Path(sys.executable).parent / "airflow"
    subprocess.run([str(airflow), "db", "migrate"], env=dict(os.environ), check=True, capture_output=True)


@pytest.fixture
def client(settings, airflow_db):
    from fastapi.testclient import TestClient

    from lake.catalog import init_lake
    from lake.write import upsert

    init_lake(settings)
    upsert("products", [{"product_id": "P1", "product_type": "L2_IFG", "start_time": "2024-01-01T00:00:00Z"}],
           settings)
    from airflow.api_fastapi.app import create_app, get_auth_manager

    app = create_app(apps="core")
    with TestClient(app) as c:
        yield c, get_auth_manager()


def _token(auth_manager, name: str, role: str = "user") -> dict[str, str]:
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    return {"Authorization": f"Bearer {auth_manager.generate_jwt(SimpleAuthManagerUser(username=name, role=role))}"}


def test_tags_need_a_login_and_record_the_logged_in_user(client):
    c, am = client
    assert c.get("/sarlake/api/products/P1/tags").status_code == 401
    ann = _token(am, "ann")
    r = c.post("/sarlake/api/products/P1/tags", json={"tag": "UWE_2", "comment": "island NE"}, headers=ann)
    assert r.status_code == 201, r.text
    assert r.json()["user"] == "ann"
    # a user name in the body is refused, never trusted (and never echoed: FastAPI's own answer carried it back)
    r = c.post("/sarlake/api/products/P1/tags", json={"tag": "UWE_0", "user": "bob"}, headers=ann)
    assert r.status_code == 422
    assert r.json() == {"detail": [{"loc": ["body", "user"], "type": "extra_forbidden",
                                    "msg": "not a field this API takes; the tag records the logged-in Airflow user"}]}
    assert "bob" not in r.text
    c.post("/sarlake/api/products/P1/tags", json={"tag": "UWE_3"}, headers=_token(am, "carol"))
    tags = c.get("/sarlake/api/products/P1/tags", headers=ann).json()
    assert sorted((t["user"], t["tag"]) for t in tags) == [("ann", "UWE_2"), ("carol", "UWE_3")]
    cons = c.get("/sarlake/api/products/P1/consensus", headers=ann).json()
    assert cons[0]["tag_type"] == "UWE" and cons[0]["raters"] == 2 and cons[0]["majority_intensity"] == 3


def test_bad_tags_and_unknown_products_are_refused(client):
    c, am = client
    ann = _token(am, "ann")
    r = c.post("/sarlake/api/products/P1/tags", json={"tag": "UWE_7"}, headers=ann)
    assert r.status_code == 422 and "valid tags: UWE_0" in r.json()["detail"]
    r = c.post("/sarlake/api/products/NOPE/tags", json={"tag": "UWE_1"}, headers=ann)
    assert r.status_code == 404
    r = c.get("/sarlake/api/products/NOPE/tags", headers=ann)  # was 200 [] (the module says 404)
    assert r.status_code == 404 and "'NOPE' is not in the lake" in r.json()["detail"]
    r = c.get("/sarlake/api/products/NOPE/consensus", headers=ann)  # was 200 [] as for an untagged product
    assert r.status_code == 404 and "'NOPE' is not in the lake" in r.json()["detail"]
    r = c.get("/sarlake/api/products/P1/consensus", headers=ann)  # in the lake, nobody has tagged it yet
    assert (r.status_code, r.json()) == (200, [])
    assert len(c.get("/sarlake/api/tags", headers=ann).json()["tags"]) == 44


def test_a_product_id_typed_with_spaces_relabels_the_consensus_of_the_product_it_tags(client):
    """The tag was stored under the trimmed id while the consensus was relabelled for the id as typed (no such
    product), so the product's consensus stayed at its old label."""
    c, am = client
    ann = _token(am, "ann")
    assert c.post("/sarlake/api/products/P1/tags", json={"tag": "UWE_3"}, headers=ann).status_code == 201
    r = c.post("/sarlake/api/products/%20P1%20/tags", json={"tag": "UWE_1"}, headers=ann)
    assert r.status_code == 201 and r.json()["product_id"] == "P1"
    assert [t["tag"] for t in c.get("/sarlake/api/products/P1/tags", headers=ann).json()] == ["UWE_1"]
    cons = c.get("/sarlake/api/products/P1/consensus", headers=ann).json()
    assert [(x["tag_type"], x["raters"], x["majority_intensity"]) for x in cons] == [("UWE", 1, 1)]


def test_the_browse_ui_without_its_trailing_slash_is_redirected_to_it(client):
    """`/sarlake/browse` reached this app (mounted at /sarlake) and answered 404 Not Found."""
    c, am = client
    r = c.get("/sarlake/browse", headers=_token(am, "ann"), follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/sarlake/browse/"


def test_a_comment_over_the_limit_is_refused_with_the_limit_and_its_length_not_echoed(client):
    """The body model's max_length answered 422 with pydantic's error, which carries the whole rejected text."""
    c, am = client
    ann = _token(am, "ann")
    r = c.post("/sarlake/api/products/P1/tags", json={"tag": "UWE_2", "comment": "island NE " * 201}, headers=ann)
    assert r.status_code == 422
    assert r.json() == {"detail": "a comment is at most 2,000 characters; this one has 2,010"}
    assert "island" not in r.text
    assert c.get("/sarlake/api/products/P1/tags", headers=ann).json() == []


@pytest.mark.parametrize("path", ["/sarlake/docs", "/sarlake/redoc", "/sarlake/openapi.json",
                                  "/sarlake/browse/docs", "/sarlake/browse/redoc", "/sarlake/browse/openapi.json"])
def test_the_plugin_apps_serve_no_api_docs(client, path):
    """FastAPI's docs and OpenAPI schema of the tags API and the browse app answered 200 without a login (they are
    FastAPI's own routes, outside the apps' auth dependency), describing every route to anyone. They are off:
    unauthenticated, and logged in too, the path is no document."""
    c, am = client
    for headers in ({}, _token(am, "ann")):
        r = c.get(path, headers=headers, follow_redirects=False)
        assert r.status_code in (401, 404), (path, headers, r.status_code)
        assert "openapi" not in r.text.lower() and "swagger" not in r.text.lower() and "redoc" not in r.text.lower()


def test_who_may_tag_is_the_auth_managers_choice(client, monkeypatch):
    """Any logged-in user could add tags whatever the auth manager's policy: the API asked it nothing. It now asks
    it for the custom view ``sarlake-tags`` with the request's method, as a production manager's policy names it."""
    c, am = client
    asked = []

    def viewers_read_only(*, method, resource_name, user):  # a policy as FAB or Keycloak could hold
        asked.append((method, resource_name, user.get_name()))
        return method == "GET" or user.role.lower() != "viewer"

    monkeypatch.setattr(am, "is_authorized_custom_view", viewers_read_only)
    vic = _token(am, "vic", role="viewer")
    r = c.post("/sarlake/api/products/P1/tags", json={"tag": "UWE_2"}, headers=vic)
    assert r.status_code == 403, r.text
    assert r.json()["detail"] == ("Airflow's auth manager does not let vic add to product tags: an admin grants POST "
                                  "on the custom view 'sarlake-tags' to their role")
    assert c.get("/sarlake/api/products/P1/tags", headers=vic).json() == []  # read, and nothing was added
    assert c.post("/sarlake/api/products/P1/tags", json={"tag": "UWE_1"}, headers=_token(am, "ann")).status_code == 201
    assert asked == [("POST", "sarlake-tags", "vic"), ("GET", "sarlake-tags", "vic"), ("POST", "sarlake-tags", "ann")]


def test_the_simple_auth_manager_lets_a_viewer_tag(client):
    """Airflow's simple auth manager (make up) authorises a custom view for every logged-in role and method."""
    c, am = client
    r = c.post("/sarlake/api/products/P1/tags", json={"tag": "UWE_2"}, headers=_token(am, "vic", role="viewer"))
    assert r.status_code == 201, r.text
    assert r.json()["user"] == "vic"


def test_a_user_the_auth_manager_refuses_the_browser_is_told_so_not_sent_to_the_login(client, monkeypatch):
    """The browse app checked the login only; refused by the policy, its page must not loop through the login."""
    c, am = client

    def no_browsing_for_viewers(*, method, resource_name, user):
        return resource_name != "sarlake-browse" or user.role.lower() != "viewer"

    monkeypatch.setattr(am, "is_authorized_custom_view", no_browsing_for_viewers)
    vic = _token(am, "vic", role="viewer")
    page = c.get("/sarlake/browse/", headers=vic, follow_redirects=False)
    assert page.status_code == 403, page.text
    assert "does not let vic read the lake browser: an admin grants GET on the custom view &#x27;sarlake-browse&#x27;" \
        in page.text
    api = c.get("/sarlake/browse/api/search", headers=vic)
    assert api.status_code == 403
    assert "custom view 'sarlake-browse'" in api.json()["detail"]
    assert c.get("/sarlake/browse/", headers=_token(am, "ann"), follow_redirects=False).status_code == 200
    assert c.get("/sarlake/browse/", follow_redirects=False).status_code == 307  # no login: to the login

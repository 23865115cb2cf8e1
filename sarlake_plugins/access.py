"""Ask Airflow's auth manager whether the logged-in user may use a plugin app's route (a "custom view").

Airflow 3 checks its own resources (DAGs, assets, connections ...) with its auth manager; a plugin's FastAPI app
is a custom view, which the auth manager authorises by method and resource name
(``is_authorized_custom_view``). The simple auth manager of ``make up`` lets every logged-in user use a custom
view with any method; a production auth manager (FAB, Keycloak) answers from its policy, so its admins decide,
for example, who may tag products (``POST`` on :data:`TAGS`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from airflow.api_fastapi.core_api.security import GetUserDep  # module level: FastAPI resolves the annotation here
from fastapi import HTTPException, Request

if TYPE_CHECKING:
    from airflow.api_fastapi.auth.managers.base_auth_manager import ResourceMethod

__all__ = ["BROWSE", "TAGS", "Refused", "custom_view"]

#: the tags API's resource name, as a production auth manager's policy names it
TAGS = "sarlake-tags"
#: the browse app's (its page, its JSON API, the Data Docs it serves)
BROWSE = "sarlake-browse"

#: HTTP method -> the auth manager's resource method (a HEAD reads, a PATCH changes)
_METHODS: dict[str, ResourceMethod] = {"GET": "GET", "HEAD": "GET", "POST": "POST", "PUT": "PUT", "PATCH": "PUT",
                                       "DELETE": "DELETE"}
_VERBS = {"GET": "read", "POST": "add to", "PUT": "change", "DELETE": "delete from"}


class Refused(HTTPException):
    """403 from the auth manager's policy: the login is valid (a page shows this, never the login again)."""


def custom_view(resource_name: str, what: str) -> Callable[..., None]:
    """A FastAPI dependency: the logged-in user, authorised by the auth manager for the request's method.

    Args:
        resource_name: the custom view's name in the auth manager's policy.
        what: what the routes hold, for the refusal (``"product tags"``).
    """

    def check(request: Request, user: GetUserDep) -> None:
        from airflow.api_fastapi.app import get_auth_manager

        method = _METHODS.get(request.method)
        if method is None or not get_auth_manager().is_authorized_custom_view(method=method,
                                                                              resource_name=resource_name, user=user):
            verb = _VERBS.get(method or "", request.method)
            raise Refused(403, f"Airflow's auth manager does not let {user.get_name()} {verb} {what}: an admin "
                               f"grants {method or request.method} on the custom view {resource_name!r} to "
                               "their role")

    return check

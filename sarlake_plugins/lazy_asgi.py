"""An ASGI app imported on its first request, so that loading the plugin stays cheap outside the API server.

Every Airflow process loads the plugins (the scheduler, the DAG processor, each task's runner and
``airflow dags test``, which serialises operator links), but only the API server serves the plugin's
FastAPI apps. Importing them costs seconds (FastAPI and Airflow's core-API security module); the task that
happens to load the plugin first paid it. :class:`LazyASGI` mounts like the app itself and imports it when
the first request arrives, or at once in the API server (``eager``), where the browse app starts warming up
its lake connection when imported.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

__all__ = ["LazyASGI", "in_api_server"]


def in_api_server(argv: list[str] | None = None) -> bool:
    """Whether this process is ``airflow api-server``."""
    return "api-server" in (sys.argv if argv is None else argv)[1:3]


class LazyASGI:
    """An ASGI app named ``"module:attribute"``, imported at its first call (or now, with ``eager``)."""

    def __init__(self, target: str, *, eager: bool = False) -> None:
        self.target = target
        self._app: Any = None
        if eager:
            self.app  # noqa: B018 - import now

    @property
    def app(self) -> Any:
        """The real app (imported once)."""
        if self._app is None:
            module, _, attr = self.target.partition(":")
            self._app = getattr(importlib.import_module(module), attr)
        return self._app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Serve one request (or lifespan message) with the real app."""
        await self.app(scope, receive, send)

    def __repr__(self) -> str:
        return f"LazyASGI({self.target!r})"

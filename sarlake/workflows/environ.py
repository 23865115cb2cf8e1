"""Environment variables set for the length of one in-process call, then put back as they were.

Tools run in this process read their configuration from ``os.environ``: dbt's profile (``env_var``) and a PGE run
here reading the registry's URI with its password. A subprocess would take an ``env=``; these cannot.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

__all__ = ["environ"]


@contextmanager
def environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set ``values`` in ``os.environ`` for the ``with`` block; afterwards each is restored, or removed if unset."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

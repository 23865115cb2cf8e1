"""Refusals that a retry cannot change fail their task at once; Airflow retries any other exception.

A PGE's refusal of its input exits 2 and is not retried (:mod:`sarlake_plugins.pge`). The catalogue's refusals are
raised in the task's own process: :class:`lake.exceptions.ArchivedContentError` (other content at the version of a
product the roll archived) refuses the same files on every try, so its retries only delayed the message by their
delays and buried it under two more failed tries.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["refusals_not_retried"]


@contextmanager
def refusals_not_retried() -> Iterator[None]:
    """Raise the lake's refusals inside the block as ``AirflowFailException`` (same message), never retried."""
    from airflow.sdk.exceptions import AirflowFailException

    from lake.exceptions import ArchivedContentError

    try:
        yield
    except ArchivedContentError as exc:
        raise AirflowFailException(str(exc)) from exc

"""Errors of the lake library. Each says what was wrong and what to do."""

from __future__ import annotations

__all__ = [
    "ArchivedContentError",
    "CatalogError",
    "InvalidAOIError",
    "InvalidNameError",
    "LakeError",
    "LakeMovedError",
    "PathEscapeError",
    "ProductMetadataError",
    "QueryError",
    "SQLSandboxError",
    "SettingsError",
]


class LakeError(Exception):
    """Base of every lake error."""


class InvalidAOIError(LakeError, ValueError):
    """An area of interest whose geometry or fields are not valid."""


class ProductMetadataError(LakeError, ValueError):
    """A product's ``.met.json`` is missing, unreadable or lacks required fields."""


class ArchivedContentError(ProductMetadataError):
    """Other content at the version of a product the lake holds archived: new content needs a new version."""

    def __init__(self, message: str, product_id: str, version: str | None, fact: str = "") -> None:
        """``product_id`` and its archived ``version``, for the caller's advice (how its runs make a new version).

        ``fact``: the message without the lake's generic advice, for a caller that gives its own (an ingest names
        the revision that makes a new version); the message when not given.
        """
        super().__init__(message)
        self.product_id, self.version, self.fact = product_id, version, fact or message


class QueryError(LakeError, ValueError):
    """SQL that failed, wrote, or named a table that does not exist."""


class CatalogError(LakeError, RuntimeError):
    """The Iceberg catalogue could not be reached or a commit kept conflicting."""


class LakeMovedError(CatalogError):
    """The catalogue records tables outside the configured (local) warehouse: the lake was moved or copied."""


class InvalidNameError(LakeError, ValueError):
    """A name that becomes a path (AOI, product, acquisition or run id) does not follow :mod:`lake.names`."""


class PathEscapeError(LakeError, ValueError):
    """A computed path that would leave its root (products, warehouse, scratch)."""


class SQLSandboxError(QueryError):
    """SQL that tried to reach outside the lake (files, URLs, other buckets) or change the session."""


class SettingsError(LakeError, ValueError):
    """A setting with an invalid value; the message names the key and its ``SARLAKE_*`` variable."""

"""Where readers find the dbt catalogue: its DuckDB file here, or the copy published beside an S3 warehouse.

dbt (DuckDB) writes the catalogue to a local file (setting ``catalogue_db``). On a lake whose warehouse is in S3
the process that builds it is not where analysts read it: the ``catalog`` DAG's build runs in a task pod of its own
under the KubernetesExecutor, and its disk goes with the pod. So a full build of such a lake is published to
``<warehouse>/_catalogue/catalogue.duckdb`` (:func:`publish`), and every reader of the lake attaches that copy,
read-only over httpfs (:func:`reader_location`). It sits inside the warehouse prefix, which the lake's S3 secret
and the SQL sandbox already reach, and outside every table's folder, so snapshot maintenance never takes it for an
orphan. A local lake keeps reading the file dbt wrote.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from lake.settings import Settings, is_remote, shown_uri

__all__ = ["DOCS", "DOCS_FILES", "PUBLISHED", "built_at", "docs_uri", "publish", "publish_docs", "published_uri",
           "reader_location"]

logger = logging.getLogger(__name__)

#: the published catalogue, under the warehouse of an S3 lake
PUBLISHED = "_catalogue/catalogue.duckdb"
#: its dbt docs site (what Cosmos's docs view in the Airflow UI reads), beside it
DOCS = "_catalogue/docs"
#: the files of a ``dbt docs generate`` that the site needs
DOCS_FILES = ("index.html", "manifest.json", "catalog.json")


def published_uri(settings: Settings) -> str | None:
    """``<warehouse>/_catalogue/catalogue.duckdb`` for a lake whose warehouse is in S3; ``None`` for a local one."""
    if not is_remote(settings.warehouse):
        return None
    return settings.warehouse.rstrip("/") + "/" + PUBLISHED


def docs_uri(settings: Settings) -> str | None:
    """``<warehouse>/_catalogue/docs`` for a lake whose warehouse is in S3; ``None`` for a local one."""
    if not is_remote(settings.warehouse):
        return None
    return settings.warehouse.rstrip("/") + "/" + DOCS


def publish_docs(target: Path, settings: Settings) -> str | None:
    """Upload the docs site ``dbt docs generate`` wrote into ``target`` beside the published catalogue.

    Raises:
        FileNotFoundError: a file of the site is missing from ``target``.
    """
    from lake.storage import s3_client, split_s3

    uri = docs_uri(settings)
    if uri is None:
        return None
    missing = [name for name in DOCS_FILES if not (target / name).is_file()]
    if missing:
        raise FileNotFoundError(f"dbt docs generate left no {', '.join(missing)} in {target}")
    client = s3_client(settings)
    for name in DOCS_FILES:
        bucket, key = split_s3(f"{uri}/{name}")
        client.upload_file(str(target / name), bucket, key)
    logger.info("published the dbt docs site to %s", shown_uri(uri))
    return uri


def reader_location(settings: Settings) -> str | None:
    """What a reader of the lake attaches as ``catalogue``: the published copy, or the local file; ``None`` if unbuilt.

    Raises:
        CatalogError: S3 did not say whether the published copy exists (refused other than with a 404, or no answer).
    """
    uri = published_uri(settings)
    if uri is None:
        return settings.catalogue_db if Path(settings.catalogue_db).is_file() else None
    return uri if _modified(uri, settings) is not None else None


def built_at(settings: Settings) -> datetime | None:
    """When the catalogue readers attach was written (UTC): the published object's, or the local file's.

    Raises:
        CatalogError: as :func:`reader_location`.
    """
    uri = published_uri(settings)
    if uri is not None:
        return _modified(uri, settings)
    path = Path(settings.catalogue_db)
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC) if path.is_file() else None


def publish(settings: Settings) -> str | None:
    """Upload the catalogue dbt just built to where readers of an S3 lake attach it; the URI, or ``None`` if local.

    The file is checkpointed first (a closed DuckDB file holds everything; a write-ahead log beside it would not
    travel with the upload), then uploaded in one multipart transfer: S3 swaps the object whole, so a reader
    attaches the old build or the new one, never half of one.

    Raises:
        FileNotFoundError: dbt has not written the catalogue file.
    """
    import duckdb

    from lake.storage import s3_client, split_s3

    uri = published_uri(settings)
    if uri is None:
        return None
    path = Path(settings.catalogue_db)
    if not path.is_file():
        raise FileNotFoundError(f"no catalogue at {path} to publish: build it first (`sarlake dbt build`)")
    with duckdb.connect(str(path)) as con:
        con.execute("CHECKPOINT")
    bucket, key = split_s3(uri)
    s3_client(settings).upload_file(str(path), bucket, key)
    logger.info("published the dbt catalogue %s (%d bytes) to %s", path, path.stat().st_size, shown_uri(uri))
    return uri


def _modified(uri: str, settings: Settings) -> datetime | None:
    """The object's last write (UTC), ``None`` when there is none; :class:`CatalogError` when S3 does not say."""
    from botocore.exceptions import BotoCoreError, ClientError

    from lake.exceptions import CatalogError
    from lake.storage import not_found, s3_client, split_s3

    bucket, key = split_s3(uri)
    try:
        head = s3_client(settings).head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if not_found(exc):
            return None
        raise CatalogError(f"cannot read the published dbt catalogue {shown_uri(uri)}: {exc}") from exc
    except BotoCoreError as exc:
        raise CatalogError(f"cannot read the published dbt catalogue {shown_uri(uri)}: {exc}") from exc
    return head["LastModified"].astimezone(UTC)  # type: ignore[no-any-return]

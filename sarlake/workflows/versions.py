"""PGE versions: the ``pge_versions`` registry, and which version (and image) a run asks for.

Every version that production ran is registered with its code version, its container image (tag or
digest) and a date, so any current or prior version can be run again (in a pod from its image). Product
ids end in ``-v{version}``, so products of two versions coexist in the lake; ``latest_products_sql`` picks
the newest version of each.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger(__name__)

#: The run-config key naming the container image of the requested PGE version (the pod operator runs that
#: image and removes the key before the PGE sees its run-config).
IMAGE_KEY = "pge_image"
_SEMVER = re.compile(r"^\d+\.\d+\.\d+$")


def installed_version() -> str:
    """Version of the PGEs installed here (what a local subprocess runs)."""
    from pges import __version__

    return __version__


def version_key(version: str | None) -> tuple[int, ...]:
    """A version for ordering: ``0.1.0.2`` (or ``0_1_0_2``, as ids write it) -> (0, 1, 0, 2).

    None, or a version with a part that is no number, orders first: (0,).
    """
    try:
        return tuple(int(p) for p in (version or "0").replace("_", ".").split("."))
    except ValueError:
        return (0,)


def register(pge: str, version: str | None = None, *, image: str | None = None, code_version: str | None = None,
             description: str | None = None, settings: Any = None) -> dict[str, Any]:
    """Register (insert or update) a PGE version; the installed one when ``version`` is None.

    Raises:
        ValueError: unknown PGE or a version that is not ``MAJOR.MINOR.PATCH``.
    """
    from lake.settings import get_settings
    from lake.write import upsert
    from pges.registry import PGES

    settings = settings or get_settings()
    if pge not in PGES:
        raise ValueError(f"unknown PGE {pge!r}; PGEs: {', '.join(PGES)}")
    version = version or installed_version()
    if not _SEMVER.match(version):
        raise ValueError(f"version {version!r} of {pge} is not MAJOR.MINOR.PATCH (e.g. 0.1.0)")
    row = {"pge_name": pge, "version": version, "code_version": code_version or version,
           "image": image or settings.k8s.image, "released": datetime.now(UTC).date(), "description": description}
    upsert("pge_versions", [row], settings)
    return row


def registered(pge: str | None = None, settings: Any = None) -> list[dict[str, Any]]:
    """Registered versions of ``pge`` (of every PGE when None), by PGE then oldest first.

    Raises:
        ValueError: an unknown PGE (a misspelt name would read as one without versions).
    """
    from pyiceberg.expressions import AlwaysTrue, EqualTo

    from lake.catalog import load_table
    from lake.settings import get_settings
    from pges.registry import PGES

    if pge is not None and pge not in PGES:
        raise ValueError(f"unknown PGE {pge!r}; PGEs: {', '.join(PGES)}")
    table = load_table("pge_versions", settings or get_settings())
    row_filter = AlwaysTrue() if pge is None else EqualTo("pge_name", pge)  # type: ignore[call-arg,arg-type,misc]
    rows = table.scan(row_filter=row_filter).to_arrow().to_pylist()
    return sorted(rows, key=lambda r: (r["pge_name"], version_key(r["version"])))


def resolve(pge: str, requested: str, *, runner: str, settings: Any = None) -> dict[str, Any]:
    """The version (and image) a run of ``pge`` uses.

    Args:
        pge: PGE name.
        requested: ``""``/``"latest"`` or a version.
        runner: ``local`` (only the installed version can run) or ``kubernetes`` (any registered image).
        settings: the lake settings.

    Returns:
        ``{"version", "image"}``.

    Raises:
        ValueError: an unknown version, or a prior version asked of the local runner.
    """
    installed = installed_version()
    versions = {r["version"]: r for r in registered(pge, settings)}
    if requested in ("", "latest"):
        if runner == "local" or not versions:
            return {"version": installed, "image": None}
        newest = max(versions, key=version_key)
        return {"version": newest, "image": versions[newest]["image"]}
    if requested not in versions and requested != installed:
        known = ", ".join(sorted({*versions, installed}, key=version_key))
        raise ValueError(f"unknown version {requested!r} of PGE {pge}; registered: {known} (or 'latest')")
    if runner == "local" and requested != installed:
        raise ValueError(
            f"version {requested} of {pge} runs from its image {versions[requested]['image']}; the local runner has "
            f"only {installed} installed: set SARLAKE_RUNNER=kubernetes to run a prior version"
        )
    image = versions[requested]["image"] if requested in versions else None
    return {"version": requested, "image": image}


def latest_products_sql(where: str = "TRUE") -> str:
    """SQL over the ``products`` view that keeps, per product, only its newest version (ids end in -v{version})."""
    return (
        "SELECT * FROM products WHERE " + where + " QUALIFY row_number() OVER ("
        "PARTITION BY regexp_replace(product_id, '-v[0-9_]+$', '') "
        "ORDER BY list_transform(string_split(replace(version, '_', '.'), '.'), x -> TRY_CAST(x AS INTEGER)) DESC"
        ") = 1"
    )

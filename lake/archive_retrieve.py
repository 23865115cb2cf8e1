"""Copy one delivered version of a product out of the DAAC archive into a folder, checked against the DAAC's record.

The archive keeps every version of a product in a folder of its own (:func:`lake.archive_step.archive_location`);
the catalogue shows one. :func:`retrieve` reads any version the DAAC acknowledged (a removed product's too) from
``archive_transfers`` alone, copies its files into ``<dest>/<archive folder>/`` through a hidden staging folder,
and checks each file's sha256 against the delivery's record before the folder gets its name: a copy that does
not match leaves nothing behind. The catalogue and the archive are not touched (:func:`lake.archive_cache.restore`
is the form that makes the catalogued version hot again).
"""

from __future__ import annotations

import contextlib
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from lake.archive_files import copy_file
from lake.archive_transfers import HELD, Transfer, latest_transfers, newer, recorded_order, replaced_by
from lake.exceptions import LakeError
from lake.settings import Settings, get_settings

__all__ = ["ArchiveIntegrityError", "Retrieved", "delivered", "retrieve"]


class ArchiveIntegrityError(Exception):
    """An archive copy differs from what the DAAC acknowledged (a processing failure, not bad input)."""


@dataclass(frozen=True)
class Retrieved:
    """Where one version's files went, and how many bytes were checked."""

    product_id: str
    version: str
    folder: Path
    files: list[str]
    bytes: int


def delivered(product_id: str, settings: Settings) -> dict[str, Transfer]:
    """Version -> the delivery of it the DAAC acknowledged (``catalogued`` on), the newest when there are several."""
    found: dict[str, Transfer] = {}
    for t in latest_transfers(settings, product_ids=[product_id]).values():
        if t.step in HELD:
            version = t.version or "1"
            if newer(t, found.get(version)):
                found[version] = t
    return found


def retrieve(product_id: str, dest: str | Path, version: str | None = None,
             settings: Settings | None = None) -> Retrieved:
    """Copy ``version`` (default: the newest delivered) of ``product_id`` from the archive into ``dest``.

    Raises:
        LakeError: nothing of the product was delivered, the version was not, or its folder already exists in
            ``dest`` (bad input: nothing is copied).
        ArchiveIntegrityError: an archive file differs from the sha256 the DAAC acknowledged (nothing is left).
    """
    settings = settings or get_settings()
    versions = delivered(product_id, settings)
    if not versions:
        raise LakeError(f"no delivery of {product_id} was acknowledged by the DAAC: check the product id "
                        "(`sarlake sql \"SELECT DISTINCT product_id, version FROM archive_transfers\"`)")
    if version is not None and version not in versions:
        raise LakeError(f"version {version} of {product_id} is not at the DAAC; delivered: "
                        f"{', '.join(sorted(versions))} (choose one with --version)")
    chosen = versions[version] if version is not None else _newest(list(versions.values()))
    _refuse_overwritten(chosen, versions)
    folder = Path(dest) / (chosen.archive_uri or product_id).rstrip("/").rsplit("/", 1)[-1]
    if Path(dest).exists() and not Path(dest).is_dir():
        raise LakeError(f"--to {dest} is a file, not a folder; nothing was copied")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise LakeError(f"{folder} already exists and is not empty; nothing was copied: choose another --to "
                        "folder or move that one away")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / f".{folder.name}.{uuid.uuid4().hex[:8]}.partial"
    try:
        staging.mkdir()
        total = _copy_checked(chosen, staging, settings)
        with contextlib.suppress(FileNotFoundError):
            folder.rmdir()  # an empty folder of that name is replaced
        staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Retrieved(product_id, chosen.version or "1", folder, [str(f["name"]) for f in chosen.files], total)


def _refuse_overwritten(chosen: Transfer, versions: dict[str, Transfer]) -> None:
    """Refuse a version whose archive folder a later version was delivered into (before each had its own)."""
    held = sorted(versions.values(), key=recorded_order)
    over = dict(zip((t.transfer_id for t in held), replaced_by([(t.version or "1", t.archive_uri) for t in held]),
                    strict=True))[chosen.transfer_id]
    if over:
        raise LakeError(f"version {chosen.version or '1'} of {chosen.product_id} was delivered before each version "
                        f"had its own archive folder, and version {over} was delivered into the same folder "
                        f"({chosen.archive_uri}) after it, replacing its files; nothing was copied: "
                        f"retrieve --version {over}")


def _newest(transfers: list[Transfer]) -> Transfer:
    newest = transfers[0]
    for t in transfers[1:]:
        newest = t if newer(t, newest) else newest
    return newest


def _copy_checked(t: Transfer, staging: Path, settings: Settings) -> int:
    """Copy ``t``'s files into ``staging``, each checked against its acknowledged sha256; the bytes copied."""
    total = 0
    for f in t.files:
        target = staging / str(f["name"])
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, size = copy_file(str(f["uri"]), str(target), settings)
        if digest != f["sha256"]:
            raise ArchiveIntegrityError(f"archive copy {f['uri']} does not match the sha256 the DAAC acknowledged "
                                        f"for {t.transfer_id}; nothing was copied; run `sarlake archive verify`")
        total += size
    return total

"""The archive roll's file work: copy a file without a short file under its name, hash it, clean up after failures.

Local paths and object-store URIs both work (through :mod:`lake.storage`); the local path is the fast one:
``sendfile`` copies, ``hashlib.file_digest`` hashes, and a copy goes to a ``.partial`` file renamed into place.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import uuid
from pathlib import Path
from typing import Any

from lake import storage
from lake.archive_transfers import Transfer
from lake.settings import Settings, is_remote

__all__ = ["catalogued_checksums", "copy_file", "discard_archive_copy", "hash_uri", "hot_mismatch", "mismatch_reason",
           "remove_empty_dirs", "remove_partials"]

logger = logging.getLogger(__name__)


def copy_file(src: str, dst: str, settings: Settings, hash_it: bool = True) -> tuple[str | None, int]:
    """Copy one file, returning the sha256 (``None`` unless ``hash_it``) and size of what was copied.

    Locally the bytes go to ``.<name>.<token>.partial`` next to the target and are renamed into place, so a
    copy killed mid-file never leaves a short file under the final name (the target's folder must exist).
    Without ``hash_it`` the kernel copies (``sendfile``, as ``shutil.copyfile`` does): the verify step re-reads
    the archive copy and compares it with the catalogued checksum, so hashing the source on the way adds
    nothing to what is guaranteed.
    """
    if not is_remote(src) and not is_remote(dst):
        dpath = storage.local_str(dst)
        folder, name = os.path.split(dpath)
        tmp = os.path.join(folder, f".{name}.{uuid.uuid4().hex[:8]}.partial")
        try:
            with open(storage.local_str(src), "rb") as fin, open(tmp, "wb") as fout:
                digest, size = _copy_stream(fin, fout, hash_it)
            os.replace(tmp, dpath)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return digest, size
    data = storage.read_bytes(src, settings)
    storage.write_bytes(dst, data, settings)
    return hashlib.sha256(data).hexdigest(), len(data)


def _copy_stream(fin: Any, fout: Any, hash_it: bool) -> tuple[str | None, int]:
    if not hash_it:
        size, offset = os.fstat(fin.fileno()).st_size, 0
        while offset < size:
            sent = os.sendfile(fout.fileno(), fin.fileno(), offset, size - offset)
            if sent == 0:  # the file shrank under us: copy what there is (verify will find the mismatch)
                break
            offset += sent
        return None, offset
    h, size = hashlib.sha256(), 0
    while block := fin.read(1 << 20):
        h.update(block)
        fout.write(block)
        size += len(block)
    return h.hexdigest(), size


def hash_uri(uri: str, settings: Settings) -> tuple[str, int]:
    """The sha256 (hex) and size of one file, read back from where it is."""
    if is_remote(uri):
        data = storage.read_bytes(uri, settings)
        return hashlib.sha256(data).hexdigest(), len(data)
    with open(storage.local_str(uri), "rb") as fin:
        digest = hashlib.file_digest(fin, "sha256")  # reads into one reused buffer, without the GIL
        return digest.hexdigest(), fin.tell()


def mismatch_reason(f: dict[str, Any], digest: str, settings: Settings) -> str:
    """Why an archive copy's sha256 differs: the hot file already differed from the catalogue, or the archive."""
    try:
        hot_digest, _ = hash_uri(f["hot_uri"], settings)
    except FileNotFoundError:
        hot_digest = None
    if hot_digest is not None and hot_digest != f["sha256"]:
        return hot_mismatch(f["hot_uri"], hot_digest, f["sha256"])
    return f"checksum mismatch at the archive for {f['uri']}: sha256 {digest[:12]}... != {f['sha256'][:12]}..."


def catalogued_checksums(assets_json: str | None) -> dict[str, str]:
    """``relative path -> sha256`` from the catalogued assets (file assets and folder assets' files)."""
    out: dict[str, str] = {}
    try:
        assets = json.loads(assets_json or "{}")
    except ValueError:
        return out
    for entry in assets.values() if isinstance(assets, dict) else []:
        if not isinstance(entry, dict):
            continue
        for f in [entry, *entry.get("sarlake:files", [])]:
            if isinstance(f, dict) and f.get("href") and f.get("sarlake:sha256"):
                out[str(f["href"]).lstrip("./")] = f["sarlake:sha256"]
    return out


def hot_mismatch(uri: str, digest: str, catalogued: str) -> str:
    """The reason recorded when a hot file no longer matches its catalogued checksum."""
    return f"hot file {uri} does not match its catalogued sha256 ({digest[:12]}... != {catalogued[:12]}...)"


def discard_archive_copy(t: Transfer, settings: Settings) -> None:
    """Delete what a failed copy/verify put at the archive (the hot copy stays the only one)."""
    for f in t.files:
        try:
            storage.delete(storage.join(t.archive_uri or "", f["name"]), settings)
        except Exception as exc:  # noqa: BLE001 - an archive refusing deletes too: leave it for `lake verify`
            logger.warning("could not remove %s from the archive: %s", f["name"], exc)
    if t.archive_uri and not is_remote(t.archive_uri):
        remove_partials(t.archive_uri)
        remove_empty_dirs(storage.local_path(t.archive_uri))


def remove_partials(folder: str) -> None:
    """Delete ``.<name>.<token>.partial`` files a killed copy left in a local archive folder."""
    if not folder or is_remote(folder):
        return
    root = storage.local_path(folder)
    if root.is_dir():
        for p in root.rglob(".*.partial"):
            p.unlink(missing_ok=True)


def remove_empty_dirs(root: Path) -> None:
    """Remove the empty folders under (and including) ``root``."""
    for folder, _, _ in os.walk(root, topdown=False):  # deepest first; a folder with files stays
        try:
            os.rmdir(folder)
        except OSError:
            pass

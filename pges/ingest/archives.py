"""Zip archives among ingest's inputs: HyP3 delivers each product as ``<name>.zip`` holding its folder ``<name>/``.

An archive, named or found in a folder, is unpacked into the run's work folder (removed with it) and read as a
folder. What comes out of it is recorded as GDAL's ``/vsizip/{<archive>}/<member>`` (provenance, left-out notes and
errors), never as the scratch path, which is gone after the run.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from pges.errors import InputValidationError

__all__ = ["ARCHIVE_SUFFIXES", "Unpacked", "is_archive"]

#: the archives ingest unpacks
ARCHIVE_SUFFIXES = (".zip",)


def is_archive(path: Path) -> bool:
    """True for a file named like an archive ingest unpacks (``.zip``)."""
    return path.name.lower().endswith(ARCHIVE_SUFFIXES)


@dataclass
class Unpacked:
    """The archives unpacked in one run: each one's folder, and the URI it came from."""

    workdir: Path
    roots: dict[Path, str] = field(default_factory=dict)

    def unpack(self, archive: Path, uri: str) -> Path:
        """Unpack ``archive`` (from ``uri``) into a folder of its own; return the folder.

        Raises:
            InputValidationError: not a readable zip archive, or a member that would land outside its folder.
        """
        target = self.workdir / "unpacked" / f"{len(self.roots):04d}-{archive.name[:-4]}"
        try:
            with zipfile.ZipFile(archive) as z:
                root = target.resolve()
                for member in z.namelist():
                    if not (root / member).resolve().is_relative_to(root):
                        raise InputValidationError(
                            f"{archive.name}: member {member!r} would unpack outside the archive's folder; "
                            "not unpacked (unpack it yourself and ingest the folder)")
                z.extractall(target)
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputValidationError(f"{archive.name}: not a readable zip archive ({exc}); unpack it yourself "
                                       "and ingest the folder") from exc
        self.roots[target] = uri
        return target

    def uri(self, path: Path) -> str:
        """Where ``path`` came from: ``/vsizip/{<archive>}/<member>`` for a file unpacked here, else the path.

        GDAL's braced form, which a path does not rewrite (``/vsizip//tmp/a.zip`` would become ``/vsizip/tmp/...``),
        an archive on S3 as GDAL names it (``/vsizip/{/vsis3/bucket/a.zip}/...``), so GDAL opens every one.
        """
        for root, archive in self.roots.items():
            if path.is_relative_to(root):
                gdal = "/vsis3/" + archive.removeprefix("s3://") if archive.startswith("s3://") else archive
                return f"/vsizip/{{{gdal}}}/{path.relative_to(root).as_posix()}"
        return str(path)

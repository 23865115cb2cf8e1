"""Zip archives among ingest's inputs: HyP3 delivers each product as ``<name>.zip`` holding its folder ``<name>/``.

An archive, named or found in a folder, is unpacked into the run's work folder (removed with it) and read as a
folder; the members no reader opens (DEM, amplitude, look vectors...) are left in it. What comes out of it is
recorded as GDAL's ``/vsizip/{<archive>}/<member>`` (provenance, left-out notes and errors), never as the scratch
path, which is gone after the run.
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

    def unpack(self, archive: Path, uri: str) -> tuple[Path, list[tuple[Path, str, str]]]:
        """Unpack ``archive`` (from ``uri``) into a folder of its own; return it and the members not unpacked.

        Members whose names say no reader opens them (:func:`pges.readers.kinds.never_read`: a HyP3 product's DEM,
        amplitude, incidence, look vectors and water mask, most of its size) stay in the archive; they are returned
        as a folder's left-out files are (path in the folder, kind, ``name``).

        Raises:
            InputValidationError: not a readable zip archive, or a member that would land outside its folder.
        """
        from pges.readers.kinds import never_read

        target = self.workdir / "unpacked" / f"{len(self.roots):04d}-{archive.name[:-4]}"
        kept: list[zipfile.ZipInfo] = []
        left: list[tuple[Path, str, str]] = []
        try:
            with zipfile.ZipFile(archive) as z:
                root = target.resolve()
                for member in z.infolist():
                    if not (root / member.filename).resolve().is_relative_to(root):
                        raise InputValidationError(
                            f"{archive.name}: member {member.filename!r} would unpack outside the archive's folder; "
                            "not unpacked (unpack it yourself and ingest the folder)")
                    unread = None if member.is_dir() else never_read(target / member.filename)
                    if unread is None:
                        kept.append(member)
                    else:
                        left.append((target / member.filename, *unread))
                z.extractall(target, members=kept)
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputValidationError(f"{archive.name}: not a readable zip archive ({exc}); unpack it yourself "
                                       "and ingest the folder") from exc
        self.roots[target] = uri
        return target, left

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

"""Files an earlier version's delivery left in a product's archive folder that the newest delivery does not have.

Until :func:`lake.archive_step.archive_location` gave each version of a product its own archive folder, a product
whose id carries no version (an ingested ``EXT-*`` one) was delivered again into one folder when it got a new
version (an ingest's ``--revision``, a new ingest PGE version): files of the same name were overwritten, and a
file only the earlier version had (``coherence.tif`` of a version ingested with coherence) stayed beside phase it
was not made with. Deliveries keep the folder they were made to, so an archive rolled before still has such
folders: the roll's expire step deletes such files once the new version is catalogued at the archive, and
``sarlake archive verify`` names the delivery that left one still there. Deliveries to folders of their own
share nothing, so none of their files is superseded.
"""

from __future__ import annotations

from collections.abc import Iterable

from lake.archive_transfers import Transfer
from lake.settings import Settings

__all__ = ["earlier_deliveries", "superseded_files"]


def superseded_files(t: Transfer, earlier: Iterable[Transfer]) -> list[str]:
    """The files of ``earlier`` deliveries under ``t``'s archive folder that ``t``'s delivery does not have."""
    folder = (t.archive_uri or "").rstrip("/") + "/"
    kept = {f.get("uri") for f in t.files}
    return sorted({f["uri"] for o in earlier for f in o.files
                   if f.get("uri") and f["uri"].startswith(folder) and f["uri"] not in kept})


def earlier_deliveries(expiring: list[Transfer], states: dict[str, Transfer],
                       settings: Settings) -> dict[str, list[Transfer]]:
    """Per product of ``expiring``, its finished deliveries of other versions, with their files.

    ``states`` are the transfers' latest states (finished ones may lack their files, as
    :func:`lake.archive_transfers.transfer_states` reads them); the files are read for those deliveries only.
    """
    versions = {(t.product_id, t.version) for t in expiring}
    ids = {t.product_id for t in expiring}
    wanted = [o.transfer_id for o in states.values()
              if o.product_id in ids and o.step == "hot_deleted" and (o.product_id, o.version) not in versions]
    if not wanted:
        return {}
    from lake.archive_transfers import delivered_files

    out: dict[str, list[Transfer]] = {}
    for o in delivered_files(wanted, settings).values():
        out.setdefault(o.product_id, []).append(o)
    return out

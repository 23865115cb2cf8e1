"""The ``archive_transfers`` table: every step of every delivery to the DAAC, one row per (transfer, step).

A transfer is one attempt to deliver one product version; its id is ``<product>.v<version>.a<attempt>`` and is
also the CNM identifier, so a resumed roll re-sends (if at all) under the same identifier. The state of a
transfer is its latest step (:data:`STEPS` order; ``failed`` ends an attempt). Rows are written in one commit
per step and batch, keyed by (transfer_id, step): step rows are appended (their keys are always new), notes
upserted (see :func:`record`).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lake.settings import Settings, get_settings

if TYPE_CHECKING:
    from pyiceberg.expressions import BooleanExpression

__all__ = ["HELD", "STEPS", "Transfer", "delivered_files", "delivered_versions", "latest_transfers", "newer", "record",
           "recorded_order", "replaced_by",
           "transfer_id", "transfer_states"]

#: The steps of a delivery, in order. ``failed`` ends an attempt (the next attempt is a new transfer);
#: ``restored`` and ``evicted`` follow ``hot_deleted`` when a product is cached back and expires again.
STEPS = ("selected", "copied", "verified", "notified", "acknowledged", "catalogued", "hot_deleted", "failed")
_ORDER = {s: i for i, s in enumerate(STEPS)}
#: Steps after which a transfer needs nothing more.
FINAL = ("hot_deleted", "failed")
#: Steps of a delivery the DAAC holds: it acknowledged it and the catalogue moved on (never delivered again).
HELD = ("catalogued", "hot_deleted")


def transfer_id(product_id: str, version: str, attempt: int) -> str:
    """The id of one delivery attempt of one product version (also its CNM identifier)."""
    return f"{product_id}.v{version}.a{attempt}"


@dataclass
class Transfer:
    """The latest state of one transfer, assembled from its rows."""

    transfer_id: str
    product_id: str
    version: str
    attempt: int
    step: str
    hot_uri: str | None = None
    archive_uri: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None
    error_code: str | None = None
    failed_step: str | None = None
    next_attempt_at: datetime | None = None
    recorded_at: datetime | None = None

    def row(self, step: str, message_text: str | None = None, **changes: Any) -> dict[str, Any]:
        """A new row for this transfer at ``step`` (carrying its fields forward)."""
        for k, v in changes.items():
            setattr(self, k, v)
        self.step = step
        self.recorded_at = datetime.now(UTC)
        return {
            "transfer_id": self.transfer_id, "step": step, "product_id": self.product_id, "version": self.version,
            "attempt": self.attempt, "hot_uri": self.hot_uri, "archive_uri": self.archive_uri,
            "files": json.dumps(self.files, sort_keys=True), "bytes": sum(int(f.get("size") or 0) for f in self.files),
            "reason": self.reason, "error_code": self.error_code, "failed_step": self.failed_step,
            "next_attempt_at": self.next_attempt_at, "message": message_text,
            "recorded_at": self.recorded_at,
        }


def newer(t: Transfer, than: Transfer | None) -> bool:
    """Whether ``t`` was recorded after ``than`` (always, when ``than`` is None); the attempt breaks a tie.

    Attempts are counted per version, so a product's newest delivery is the one recorded last: version 1 delivered
    at its second attempt and version 2 at its first would otherwise pick version 1's.
    """
    return than is None or recorded_order(t) > recorded_order(than)


def recorded_order(t: Transfer) -> tuple[datetime, int]:
    """The sort key of :func:`newer`: when ``t``'s row was recorded, then its attempt."""
    return t.recorded_at or datetime.min.replace(tzinfo=UTC), t.attempt


def replaced_by(held: list[tuple[str, str | None]]) -> list[str | None]:
    """Per held delivery ``(version, archive folder)``, oldest first: the later version that replaced its files.

    None where no delivery of another version went into the same folder later. Only an archive rolled before each
    version had its own folder has versions sharing one.
    """
    out: list[str | None] = []
    for i, (version, folder) in enumerate(held):
        later = [v for v, f in held[i + 1:] if v != version and (f or "").rstrip("/") == (folder or "").rstrip("/")]
        out.append(later[-1] if later else None)
    return out


def record(rows: list[dict[str, Any]], settings: Settings | None = None) -> None:
    """Write step rows in one commit (no-op for an empty list).

    A transfer step row always has a new key: a step acts only on transfers whose latest step is the one
    before it, and a failed attempt's retry is a new transfer. So those rows are *appended* (one new data
    file; the cost does not grow with the table), while notes about messages (which a crash before the
    acknowledgement makes arrive again) and cache steps go through the keyed upsert. The maintenance DAG
    compacts the small files. :func:`latest_transfers` tolerates a row recorded twice.
    """
    if not rows:
        return
    from lake.write import append, upsert

    settings = settings or get_settings()
    steps = [r for r in rows if r.get("step") in _ORDER]
    others = [r for r in rows if r.get("step") not in _ORDER]
    if steps:
        append("archive_transfers", steps, settings)
    if others:
        upsert("archive_transfers", others, settings)


def latest_transfers(settings: Settings | None = None, step: str | None = None,
                     columns: tuple[str, ...] | None = None,
                     product_ids: Collection[str] | None = None) -> dict[str, Transfer]:
    """Every transfer's latest state, by transfer id (only those whose latest step is ``step``, if given).

    Two reads, so a step does not read the whole history: first only ``transfer_id`` and ``step`` of every row
    (to find each transfer's latest step), then the full rows with ``step`` pushed down to the scan (each
    commit writes one step's rows into its own data file, so the files' column bounds skip the others).
    ``columns`` reads only those columns of the latest rows (the others are left at their defaults).
    ``product_ids`` keeps the transfers of those products, pushed down to both reads: the table is sorted by
    transfer id, which starts with the product id, so the files' bounds skip the rest of the history.
    """
    from lake.catalog import load_table

    settings = settings or get_settings()
    table = load_table("archive_transfers", settings)
    of = None if product_ids is None else _of_products(product_ids)
    latest = _latest_steps(table, of)
    if step is not None:
        latest = {tid: s for tid, s in latest.items() if s == step}
    return _latest_rows(table, latest, columns or _COLUMNS, of)


def _of_products(product_ids: Collection[str]) -> BooleanExpression:
    from pyiceberg.expressions import AlwaysFalse, EqualTo, In

    ids = sorted(set(product_ids))
    if not ids:
        return AlwaysFalse()
    if len(ids) == 1:
        return EqualTo("product_id", ids[0])  # type: ignore[call-arg,arg-type,misc]
    return In("product_id", ids)  # type: ignore[call-arg,arg-type,misc]


def transfer_states(settings: Settings | None = None) -> dict[str, Transfer]:
    """Every transfer's latest state in one go, for a process that runs the whole roll (and then keeps it).

    In-flight transfers (latest step before ``hot_deleted``/``failed``) come with every column; finished ones
    only with what selecting a product's next attempt needs (``product_id``, ``version``, ``attempt``,
    ``next_attempt_at``). One read of the keys and one pushed-down read per group, instead of a scan per step.
    """
    from lake.catalog import load_table

    settings = settings or get_settings()
    table = load_table("archive_transfers", settings)
    latest = _latest_steps(table)
    out = _latest_rows(table, {t: s for t, s in latest.items() if s in FINAL}, FINISHED_COLUMNS)
    out.update(_latest_rows(table, {t: s for t, s in latest.items() if s not in FINAL}, _COLUMNS))
    return out


def delivered_files(transfer_ids: list[str], settings: Settings) -> dict[str, Transfer]:
    """The finished deliveries ``transfer_ids`` (latest step ``hot_deleted``) with every column, their files too."""
    from lake.catalog import load_table

    table = load_table("archive_transfers", settings)
    return _latest_rows(table, dict.fromkeys(transfer_ids, "hot_deleted"), _COLUMNS)


def delivered_versions(product_ids: set[str], settings: Settings) -> dict[tuple[str, str], str]:
    """``(product, version) -> transfer id`` of every version of ``product_ids`` the DAAC acknowledged.

    A delivery counts from ``catalogued`` on; the roll never delivers such a version again. Versions are as the
    roll keys them (a missing one is ``"1"``).
    """
    if not product_ids:
        return {}
    return {(t.product_id, t.version or "1"): t.transfer_id
            for t in latest_transfers(settings, columns=FINISHED_COLUMNS, product_ids=product_ids).values()
            if t.step in HELD}


def _latest_steps(table: Any, of: BooleanExpression | None = None) -> dict[str, str]:
    """``transfer_id -> latest step`` of every transfer (matching ``of``; notes about messages left out)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    scan = table.scan(selected_fields=("transfer_id", "step")) if of is None else table.scan(
        row_filter=of, selected_fields=("transfer_id", "step"))
    keys = scan.to_arrow()
    if keys.num_rows == 0:
        return {}
    order = pc.index_in(keys["step"], value_set=pa.array(STEPS))  # null for notes (not transfer steps)
    ranked = pa.table({"transfer_id": keys["transfer_id"], "order": order}).filter(pc.is_valid(order))
    latest = ranked.group_by("transfer_id").aggregate([("order", "max")])
    names = pa.array(STEPS).take(latest["order_max"])
    return dict(zip(latest["transfer_id"].to_pylist(), names.to_pylist(), strict=True))


def _latest_rows(table: Any, latest: dict[str, str], columns: tuple[str, ...],
                 of: BooleanExpression | None = None) -> dict[str, Transfer]:
    """The rows of ``latest`` (transfer id -> step), read with the steps (and ``of``) pushed down to the scan."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyiceberg.expressions import And, EqualTo, In

    if not latest:
        return {}
    steps = sorted(set(latest.values()))
    row_filter: BooleanExpression = (EqualTo("step", steps[0]) if len(steps) == 1  # type: ignore[call-arg,arg-type,misc]
                                     else In("step", steps))  # type: ignore[call-arg,arg-type,misc]
    if of is not None:
        row_filter = And(row_filter, of)
    fields = ("transfer_id", "step", *(c for c in columns if c not in ("transfer_id", "step")))
    rows = table.scan(row_filter=row_filter, selected_fields=fields).to_arrow()
    # Keep only each transfer's latest row, in Arrow.
    wanted = pa.array([f"{tid}\x1f{step}" for tid, step in latest.items()], pa.string())
    joined = pc.binary_join_element_wise(rows["transfer_id"].cast(pa.string()), rows["step"].cast(pa.string()),
                                         "\x1f")
    out = {}
    for row in rows.filter(pc.is_in(joined, value_set=wanted)).to_pylist():
        tid = row["transfer_id"]
        out[tid] = Transfer(
            transfer_id=tid, product_id=row.get("product_id") or "", version=row.get("version") or "",
            attempt=row.get("attempt") or 0, step=row["step"], hot_uri=row.get("hot_uri"),
            archive_uri=row.get("archive_uri"), files=json.loads(row.get("files") or "[]"),
            reason=row.get("reason"), error_code=row.get("error_code"), failed_step=row.get("failed_step"),
            next_attempt_at=row.get("next_attempt_at"), recorded_at=row.get("recorded_at"),
        )
    return out


#: The columns a :class:`Transfer` is built from.
_COLUMNS = ("transfer_id", "step", "product_id", "version", "attempt", "hot_uri", "archive_uri", "files", "reason",
            "error_code", "failed_step", "next_attempt_at", "recorded_at")
#: The columns :func:`transfer_states` reads of finished transfers.
FINISHED_COLUMNS = ("transfer_id", "step", "product_id", "version", "attempt", "next_attempt_at")

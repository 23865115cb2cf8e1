"""Quality tags on products: ARIA's eleven tag types at intensity 0-3, validated and stored in ``user_tags``.

A tag is written ``TYPE_INTENSITY``, e.g. ``UWE_2`` (moderate unwrapping errors) or ``UWE_0`` ("checked: no
unwrapping error"; good qualities are tagged too). One user has one current intensity per product and tag
type: tagging again replaces it (an upsert on ``(product_id, user, tag_type)``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lake.exceptions import LakeError

if TYPE_CHECKING:
    from lake.settings import Settings

__all__ = [
    "MAX_COMMENT_LENGTH",
    "TAG_TYPES",
    "Tag",
    "TagError",
    "UnknownTagError",
    "add_tags",
    "list_tags",
    "parse_tag",
    "tag_rule",
    "valid_tags",
]

logger = logging.getLogger(__name__)

#: ARIA's QA tag types, with what each means (the order is ARIA's).
TAG_TYPES: dict[str, str] = {
    "UWE": "unwrapping errors",
    "TNS": "troposphere, stratified",
    "TNT": "troposphere, turbulent",
    "ION": "ionosphere",
    "ORB": "orbital ramp",
    "DME": "DEM error",
    "PML": "missing lines",
    "PMR": "misregistration",
    "PCE": "chirp-extension noise",
    "RFI": "radio-frequency interference",
    "COH": "low coherence",
}
INTENSITIES = (0, 1, 2, 3)
SOURCES = ("human", "simulated")
#: the longest comment a tag takes (characters), whichever way it comes in (API, CLI, CSV import)
MAX_COMMENT_LENGTH = 2000
_TAG = re.compile(r"^([A-Za-z]{3})_(\d)$")
_USER = re.compile(r"^[A-Za-z0-9@._+-]{1,64}$")


class TagError(LakeError, ValueError):
    """A tag that is not one of the valid tags, or a tag record with a bad field."""


class UnknownTagError(TagError):
    """Text that is not a valid tag; ``brief`` names it alone, without the rule and the list of valid tags."""

    def __init__(self, shown: str) -> None:
        self.brief = f"unknown tag {shown!r}"
        super().__init__(f"{self.brief}: {tag_rule()}")


def tag_rule() -> str:
    """What a valid tag is, with the list of every one."""
    return (f"a tag is TYPE_INTENSITY with TYPE one of {', '.join(TAG_TYPES)} and INTENSITY 0-3 "
            f"(valid tags: {', '.join(valid_tags())})")


def valid_tags() -> list[str]:
    """Every valid tag, ``UWE_0`` ... ``COH_3``."""
    return [f"{t}_{i}" for t in TAG_TYPES for i in INTENSITIES]


def parse_tag(text: str) -> tuple[str, int]:
    """Split ``UWE_2`` into ``("UWE", 2)``.

    Raises:
        TagError: not ``TYPE_INTENSITY`` with a known type and an intensity 0-3 (the message lists the valid tags).
    """
    m = _TAG.match(text.strip())
    if not m or m.group(1).upper() not in TAG_TYPES or int(m.group(2)) not in INTENSITIES:
        shown = text if len(text) <= 40 else f"{text[:40]}... ({len(text):,} characters)"  # errors travel back
        raise UnknownTagError(shown)
    return m.group(1).upper(), int(m.group(2))


@dataclass(frozen=True)
class Tag:
    """One tag of one user on one product."""

    product_id: str
    user: str
    tag_type: str
    intensity: int
    comment: str | None = None
    source: str = "human"
    tagged_at: datetime | None = None
    #: where the tag was read: ``(file, line)`` of a CSV import (named in errors), None otherwise
    origin: tuple[str, int] | None = field(default=None, compare=False)

    @classmethod
    def of(cls, product_id: str, tag: str, user: str, comment: str | None = None, source: str = "human",
           tagged_at: datetime | None = None) -> Tag:
        """Build a checked tag from ``UWE_2``-style text.

        Raises:
            TagError: bad tag text, empty product id, bad user name or source, a comment over
                :data:`MAX_COMMENT_LENGTH` (the message gives its length, never its text: error bodies and logs
                would carry it back).
        """
        tag_type, intensity = parse_tag(tag)
        if not product_id or not product_id.strip():
            raise TagError("a tag needs a product id")
        if not _USER.match(user or ""):
            raise TagError(f"user name {user!r} is not valid (1-64 letters, digits, @ . _ + -)")
        if source not in SOURCES:
            raise TagError(f"tag source {source!r} is not one of {', '.join(SOURCES)}")
        if comment and len(comment) > MAX_COMMENT_LENGTH:
            raise TagError(f"a comment is at most {MAX_COMMENT_LENGTH:,} characters; this one has {len(comment):,}")
        return cls(product_id.strip(), user, tag_type, intensity, comment or None, source, tagged_at)

    @property
    def label(self) -> str:
        """The tag as text, e.g. ``UWE_2``."""
        return f"{self.tag_type}_{self.intensity}"

    def row(self) -> dict[str, Any]:
        """The ``user_tags`` row of this tag."""
        return {"product_id": self.product_id, "user": self.user, "tag_type": self.tag_type,
                "intensity": self.intensity, "comment": self.comment, "source": self.source,
                "tagged_at": self.tagged_at or datetime.now(UTC)}


def add_tags(tags: list[Tag], settings: Settings | None = None, *, check_products: bool = True) -> int:
    """Store tags (upsert: a user's new intensity for a product and type replaces the old one).

    Args:
        tags: checked tags (:meth:`Tag.of`).
        settings: the lake settings.
        check_products: refuse tags on products that are not in the ``products`` table.

    Returns:
        Rows inserted or changed.

    Raises:
        TagError: a product that is not catalogued; two intensities of one type for one product by one user
            (only one would be kept).
    """
    from lake.write import upsert

    if not tags:
        return 0
    _check_one_intensity(tags)
    if check_products:
        _check_products_exist(tags, settings)
    return upsert("user_tags", [t.row() for t in tags], settings).written


def _at(*tags: Tag) -> str:
    """Where tags were read, as an error's prefix: ``FILE line 3: `` or ``FILE lines 3 and 7: ``; '' if typed."""
    origins = [t.origin for t in tags if t.origin]
    if not origins:
        return ""
    lines = " and ".join(str(line) for _, line in origins)
    return f"{origins[0][0]} line{'s' if len(origins) > 1 else ''} {lines}: "


def _check_one_intensity(tags: list[Tag]) -> None:
    """Refuse a batch that gives one product two intensities of one type from one user (the last would win)."""
    seen: dict[tuple[str, str, str], Tag] = {}
    for t in tags:
        first = seen.setdefault((t.product_id, t.user, t.tag_type), t)
        if first.intensity != t.intensity:
            raise TagError(f"{_at(first, t)}{t.user} gives {t.product_id} both {first.label} and {t.label}; a user "
                           f"holds one {t.tag_type} intensity per product: keep one")


def _missing_products(ids: set[str], settings: Settings | None) -> list[str]:
    """The ids among ``ids`` that are not in the ``products`` table, sorted."""
    from pyiceberg.expressions import In

    from lake.catalog import load_table

    table = load_table("products", settings)
    found = set(
        table.scan(row_filter=In("product_id", sorted(ids)), selected_fields=("product_id",))  # type: ignore[call-arg,arg-type,misc]
        .to_arrow()
        .column("product_id")
        .to_pylist()
    )
    return sorted(ids - found)


_SEE_PRODUCTS = "(see `sarlake sql \"SELECT product_id FROM products\"`)"
#: Missing products named in one error; the rest are counted.
SHOWN_MISSING = 10


def _not_in_lake(product_id: str, at: str = "") -> TagError:
    return TagError(f"{at}product {product_id!r} is not in the lake {_SEE_PRODUCTS}")


def require_product(product_id: str, settings: Settings | None = None) -> None:
    """Raise :class:`TagError` when ``product_id`` is not in the lake (a typo, not an untagged product)."""
    if _missing_products({product_id}, settings):
        raise _not_in_lake(product_id)


def _check_products_exist(tags: list[Tag], settings: Settings | None) -> None:
    """Refuse tags on products not in the lake, naming each (and the file line it is first tagged on)."""
    missing = set(_missing_products({t.product_id for t in tags}, settings))
    firsts: dict[str, Tag] = {}
    for t in tags:
        if t.product_id in missing:
            firsts.setdefault(t.product_id, t)
    if len(firsts) == 1:
        (first,) = firsts.values()
        raise _not_in_lake(first.product_id, _at(first))
    if firsts:
        shown = list(firsts.values())[:SHOWN_MISSING]
        named = ", ".join(f"{t.product_id!r}" + (f" (line {t.origin[1]})" if t.origin else "") for t in shown)
        more = f" and {len(firsts) - len(shown)} more" if len(firsts) > len(shown) else ""
        where = f"{shown[0].origin[0]}: " if shown[0].origin else ""
        raise TagError(f"{where}{len(firsts)} products are not in the lake: {named}{more} {_SEE_PRODUCTS}")


def list_tags(product_id: str | None = None, settings: Settings | None = None) -> list[dict[str, Any]]:
    """Tags of one product (or of every product), newest first.

    Returns:
        ``user_tags`` rows as dicts with an extra ``tag`` field (``UWE_2``).

    Raises:
        TagError: ``product_id`` has no tag and is not in the lake (a typo, not an untagged product).
    """
    from pyiceberg.expressions import AlwaysTrue, EqualTo

    from lake.catalog import load_table

    table = load_table("user_tags", settings)
    flt = EqualTo("product_id", product_id) if product_id else AlwaysTrue()  # type: ignore[call-arg,arg-type,misc]
    rows = table.scan(row_filter=flt).to_arrow().to_pylist()
    if product_id and not rows:
        require_product(product_id, settings)  # no tags yet is an empty list; an id not in the lake, an error
    for r in rows:
        r["tag"] = f"{r['tag_type']}_{r['intensity']}"
    rows.sort(key=lambda r: (r["product_id"], -(r["tagged_at"].timestamp() if r["tagged_at"] else 0), r["user"]))
    return rows

"""Cumulus Notification Messages: the CNM-S a delivery sends to the DAAC and the CNM-R it answers with.

The fields follow the Cumulus CNM description (version, provider, collection, identifier, submissionTime,
product {name, dataVersion, files [{name, uri, type, checksumType, checksum, size}]}; a CNM-R adds
``response {status: SUCCESS|FAILURE, errorCode, errorMessage}``). The JSON schemas below encode those fields;
they were written from the CNM documentation, not copied from the published schema file (which was not
available here), so they check the fields sarlake relies on rather than every optional CNM field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from lake.exceptions import LakeError

__all__ = ["CNM_R_SCHEMA", "CNM_S_SCHEMA", "CNM_VERSION", "CnmError", "CnmFile", "CnmResponse", "build_cnm_r",
           "build_cnm_s", "file_type", "parse_cnm_r", "validate_cnm_s"]

#: CNM version written into every message.
CNM_VERSION = "1.6.0"
#: Cumulus error codes a DAAC answers with.
ERROR_CODES = ("VALIDATION_ERROR", "TRANSFER_ERROR", "PROCESSING_ERROR")

_FILE = {
    "type": "object",
    "required": ["name", "uri", "type", "checksumType", "checksum", "size"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "uri": {"type": "string", "minLength": 1},
        "type": {"enum": ["data", "browse", "metadata", "ancillary", "linkage", "qa"]},
        "checksumType": {"enum": ["md5", "sha256", "sha512"]},
        "checksum": {"type": "string", "pattern": "^[0-9a-f]+$"},
        "size": {"type": "integer", "minimum": 0},
    },
}
_HEADER = {
    "version": {"type": "string"},
    "provider": {"type": "string", "minLength": 1},
    "collection": {"type": "string", "minLength": 1},
    "identifier": {"type": "string", "minLength": 1},
    "submissionTime": {"type": "string", "format": "date-time"},
}
CNM_S_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "CNM-S (sarlake subset)",
    "type": "object",
    "required": [*_HEADER, "product"],
    "properties": {
        **_HEADER,
        "product": {
            "type": "object",
            "required": ["name", "dataVersion", "files"],
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "dataVersion": {"type": "string", "minLength": 1},
                "files": {"type": "array", "minItems": 1, "items": _FILE},
            },
        },
    },
}
CNM_R_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "CNM-R (sarlake subset)",
    "type": "object",
    "required": ["identifier", "response"],
    "properties": {
        **_HEADER,
        "response": {
            "type": "object",
            "required": ["status"],
            "properties": {
                "status": {"enum": ["SUCCESS", "FAILURE"]},
                "errorCode": {"type": "string"},
                "errorMessage": {"type": "string"},
            },
            "if": {"properties": {"status": {"const": "FAILURE"}}},
            "then": {"required": ["status", "errorCode"]},
        },
    },
}


class CnmError(LakeError, ValueError):
    """A CNM message that does not follow the schema."""


@dataclass(frozen=True)
class CnmFile:
    """One delivered file: name inside the product, archive URI, CNM type, sha256 and size in bytes."""

    name: str
    uri: str
    type: str
    checksum: str
    size: int

    def to_cnm(self) -> dict[str, Any]:
        """The CNM ``files[]`` entry."""
        return {"name": self.name, "uri": self.uri, "type": self.type, "checksumType": "sha256",
                "checksum": self.checksum, "size": self.size}


@dataclass(frozen=True)
class CnmResponse:
    """A parsed CNM-R: which delivery, whether it succeeded, and why not."""

    identifier: str
    success: bool
    error_code: str | None
    error_message: str | None


def file_type(name: str) -> str:
    """CNM file type of a product file: metadata (met.json), browse (png/jpg/kml) or data."""
    lower = name.lower()
    if lower.endswith(".met.json"):
        return "metadata"
    if lower.endswith((".png", ".jpg", ".jpeg", ".kml", ".kmz")):
        return "browse"
    return "data"


def _iso(t: datetime | None = None) -> str:
    return (t or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@lru_cache(maxsize=4)
def _validator(which: str) -> Any:
    import jsonschema

    schema = CNM_S_SCHEMA if which == "CNM-S" else CNM_R_SCHEMA
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@lru_cache(maxsize=4)
def _fast_validator(which: str) -> Any:
    """The schema compiled to Python by ``fastjsonschema`` (~25x faster than ``jsonschema`` per message).

    Compiled without its ``format`` checks: those are done with the very checker ``jsonschema`` uses (see
    :func:`_fast_valid`), so the two agree on dates too. Formats are allowed only on top-level properties.
    """
    import fastjsonschema

    schema = CNM_S_SCHEMA if which == "CNM-S" else CNM_R_SCHEMA
    formats = {name: sub["format"] for name, sub in schema["properties"].items() if "format" in sub}
    nested = [k for k, sub in schema["properties"].items() if "format" in json.dumps(sub) and k not in formats]
    if nested:  # a schema change this fast path does not cover: fail loudly, in the tests
        raise AssertionError(f"{which}: formats below the top level ({nested}) are not checked by the fast path")
    return fastjsonschema.compile(schema, use_formats=False), formats


def _fast_valid(doc: Any, what: str) -> bool:
    """Whether ``doc`` is valid, by the compiled schema plus ``jsonschema``'s own format checker."""
    import fastjsonschema

    check, formats = _fast_validator(what)
    try:
        check(doc)
    except fastjsonschema.JsonSchemaException:
        return False
    checker = _format_checker()
    return isinstance(doc, dict) and all(not isinstance(doc.get(name), str) or checker.conforms(doc[name], fmt)
                                         for name, fmt in formats.items())


@lru_cache(maxsize=1)
def _format_checker() -> Any:
    import jsonschema

    return jsonschema.FormatChecker()


def _validate(doc: Any, schema: dict[str, Any], what: str) -> None:
    """Raise :class:`CnmError` naming the first wrong field unless ``doc`` follows the schema.

    A message the compiled schema accepts is valid (tests check it agrees with ``jsonschema`` on valid and
    broken messages); anything else goes to ``jsonschema``, which decides and words the error.
    """
    if _fast_valid(doc, what):
        return
    validator = _validator(what)
    if validator.is_valid(doc):
        return
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        where = "/".join(str(p) for p in e.absolute_path) or "(root)"
        raise CnmError(f"malformed {what}: field {where}: {e.message}")


def build_cnm_s(
    *, identifier: str, provider: str, collection: str, product: str, version: str, files: list[CnmFile],
    submitted: datetime | None = None, validate: bool = False,
) -> dict[str, Any]:
    """Build the CNM-S message of one delivery (its shape is fixed by the typed arguments; tests validate it).

    Args:
        identifier: unique id of this delivery (one product version, one attempt).
        provider: the data provider's name at the DAAC.
        collection: the DAAC collection (short name) the product belongs to.
        product: the product (granule) name.
        version: the product's data version.
        files: the delivered files, already in the archive.
        submitted: submission time; default now.
        validate: also check the result against :data:`CNM_S_SCHEMA`.

    Returns:
        The CNM-S document.
    """
    doc = {
        "version": CNM_VERSION, "provider": provider, "collection": collection, "identifier": identifier,
        "submissionTime": _iso(submitted),
        "product": {"name": product, "dataVersion": version, "files": [f.to_cnm() for f in files]},
    }
    if validate:
        validate_cnm_s(doc)
    return doc


def validate_cnm_s(doc: Any) -> None:
    """Raise :class:`CnmError` unless ``doc`` is a well-formed CNM-S."""
    _validate(doc, CNM_S_SCHEMA, "CNM-S")


def build_cnm_r(request: dict[str, Any], error_code: str | None = None, error_message: str | None = None
                ) -> dict[str, Any]:
    """The CNM-R answering ``request``: SUCCESS, or FAILURE with ``error_code`` (what a DAAC sends back)."""
    response: dict[str, Any] = {"status": "FAILURE" if error_code else "SUCCESS"}
    if error_code:
        response.update(errorCode=error_code, errorMessage=error_message or error_code)
    return {
        "version": CNM_VERSION, "provider": request["provider"], "collection": request["collection"],
        "identifier": request["identifier"], "submissionTime": request["submissionTime"],
        "receivedTime": _iso(), "processCompleteTime": _iso(), "response": response,
        "product": {"name": request["product"]["name"], "dataVersion": request["product"]["dataVersion"]},
    }


def parse_cnm_r(text: str | bytes) -> CnmResponse:
    """Parse and validate a CNM-R.

    Raises:
        CnmError: not JSON, or not a CNM-R (the message says which field is wrong).
    """
    try:
        doc = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CnmError(f"malformed CNM-R: not JSON ({exc})") from exc
    _validate(doc, CNM_R_SCHEMA, "CNM-R")
    response = doc["response"]
    success = response["status"] == "SUCCESS"
    return CnmResponse(doc["identifier"], success, None if success else response.get("errorCode"),
                       None if success else response.get("errorMessage"))

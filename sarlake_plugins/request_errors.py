"""The plugin apps' answer to a request FastAPI refuses (a bad body, query or path): 422, never echoing the input.

FastAPI's own handler returns each error with the rejected value (``input``): a whole comment, the value of an
unknown field. :func:`install` replaces it, on the tags API and the browse app alike, with FastAPI's shape minus
the value, and a message in the user's terms::

    {"detail": [{"loc": ["body", "user"], "type": "extra_forbidden",
                 "msg": "not a field this API takes; the tag records the logged-in Airflow user"}]}

An app passes ``hints``: what to do, keyed by the dotted location (``"body.user"``); a location without its own
hint takes its nearest parent's (``"body"``).

Any other failure of a route is answered by :func:`unexpected`: a 503 that names the settings when S3 refused the
lake's credentials or did not answer, else a JSON 500 (Starlette's own is plain text, which the pages cannot show).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

__all__ = ["MAX_ERRORS", "install", "refusal", "unexpected"]

#: errors listed in one answer (a body with thousands of unknown fields is refused in a few lines)
MAX_ERRORS = 10
_MAX_NAME = 40  # characters of a location part (a field name is the user's text too)
_MAX_MSG = 160  # characters of pydantic's own message, for an error type not worded below

_WORDS: dict[str, str] = {
    "missing": "required, and not given",
    "extra_forbidden": "not a field this API takes",
    "string_type": "must be text (a JSON string)",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be a JSON object",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
}


def _part(part: Any) -> str | int:
    if isinstance(part, int):
        return part
    text = str(part)
    return text if len(text) <= _MAX_NAME else f"{text[:_MAX_NAME]}... ({len(text):,} characters)"


def _message(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "json_invalid":
        reason = str((error.get("ctx") or {}).get("error", "cannot be decoded"))[:_MAX_MSG]
        last = (error.get("loc") or ("",))[-1]
        at = last if isinstance(last, int) else None  # where it stopped, from 0
        return f"not valid JSON ({reason}{'' if at is None else f': character {at + 1}'})"
    if kind in _WORDS:
        return _WORDS[kind]
    msg = str(error.get("msg", "not valid"))
    return msg if len(msg) <= _MAX_MSG else f"{msg[:_MAX_MSG]}..."


def _hint(loc: list[str | int], hints: Mapping[str, str]) -> str | None:
    for n in range(len(loc), 0, -1):
        hint = hints.get(".".join(str(p) for p in loc[:n]))
        if hint:
            return hint
    return None


def refusal(errors: list[Mapping[str, Any]], hints: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The answer's body for FastAPI's ``errors``: location, type and message of each, never the input."""
    out = []
    for error in errors[:MAX_ERRORS]:
        loc = [_part(p) for p in error.get("loc", ())]
        if error.get("type") == "json_invalid" and loc and isinstance(loc[-1], int):
            loc = loc[:-1]  # the character position is in the message
        msg = _message(error)
        hint = _hint(loc, hints or {})
        out.append({"loc": loc, "type": error.get("type", ""), "msg": f"{msg}; {hint}" if hint else msg})
    if len(errors) > MAX_ERRORS:
        out.append({"loc": [], "type": "more_errors", "msg": f"{len(errors) - MAX_ERRORS:,} more errors not listed"})
    return {"detail": out}


def install(app: FastAPI, hints: Mapping[str, str] | None = None) -> None:
    """Answer ``app``'s refused requests with :func:`refusal` (status 422), and its failures with :func:`unexpected`."""

    # FastAPI's decorator, as its docs do: Starlette's add_exception_handler is typed for handlers of any
    # Exception, so it refuses one that takes the RequestValidationError it is registered for
    @app.exception_handler(RequestValidationError)
    async def handler(request: Request, exc: RequestValidationError) -> Response:
        return JSONResponse(refusal(list(exc.errors()), hints), status_code=422)

    app.add_exception_handler(Exception, unexpected)


def unexpected(request: Request, exc: Exception) -> Response:
    """503 naming the settings when S3 refused the lake's credentials or did not answer; else a JSON 500.

    The pages show ``detail``. The exception itself still goes to the API server's log (Starlette re-raises it
    once this answer is sent).
    """
    from sarlake.s3_faults import s3_fault

    fault = s3_fault(exc)
    if fault is not None:
        return JSONResponse({"detail": f"the lake is not reachable: {fault.message}"}, status_code=503)
    return JSONResponse({"detail": "internal error: see the Airflow API server's log"}, status_code=500)

"""Request fields an Airflow trigger form may send as null: the operator left them empty.

Airflow 3's form sends null for a cleared field, and a param whose type admits null is what keeps the form from
marking it required (``sarlake_plugins.params.OPTIONAL_LIST``). The request models read that null as the field's
empty value, declared once per field type here rather than as a validator in each model.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BeforeValidator

__all__ = ["FormList", "FormText"]

T = TypeVar("T")


def _empty_list(value: Any) -> Any:
    return [] if value is None else value


def _empty_text(value: Any) -> Any:
    return "" if value is None else value


#: a list the form may send as null (read as ``[]``)
FormList = Annotated[list[T], BeforeValidator(_empty_list)]
#: a text the form may send as null (read as ``""``)
FormText = Annotated[str, BeforeValidator(_empty_text)]

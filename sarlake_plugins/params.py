"""What the DAGs' trigger forms share with the code they trigger, so a form and the lake or PGE agree.

Parse-light: it reads string constants from :mod:`lake.names` and the ``train`` and ``ingest`` PGEs' pydantic
parameters (:mod:`pges.train.config`, :mod:`pges.ingest.config`, no science imported), all cheap beside Airflow's
own imports.
"""

from __future__ import annotations

from typing import Any

from lake.names import AOI_NAME_PATTERN, AOI_NAME_RULE
from pges.ingest.config import IngestParameters
from pges.train.config import MODEL_NAMES, DatasetParameters, TrainParameters
from pges.unwrap.formats import FORMATS as UNWRAP_FORMATS  # the unwrap form's choices
from pges.unwrap.formats import PAIR_PATTERN

__all__ = ["AOI_NAME", "AOI_NAME_PATTERN", "AOI_NAME_RULE", "NUMBER_PATTERN", "OPTIONAL_AOI_PATTERN",
           "OPTIONAL_LIST", "PAIR_PATTERN", "PGE_VERSION_PATTERN", "PRODUCT_ID_PATTERN", "QA_MODELS",
           "UNWRAP_FORMATS", "ingest_choices", "ingest_default", "ingest_optional", "set_default", "source_params",
           "train_default"]

#: The type of a list param that may be left empty. Airflow's trigger form marks a param required (a red *)
#: unless its schema's type admits null, and sends null for a list field the operator cleared; the tasks read
#: null as the empty list.
OPTIONAL_LIST = ["null", "array"]
#: What an AOI name is, in the operator's words. The trigger form shows a refused value's error as the schema
#: that refused it, so an AOI field's schema carries this beside its pattern (and its help text says it too).
AOI_NAME = f"an AOI name: {AOI_NAME_RULE}"

#: an AOI name, or empty (the on-demand form takes an AOI or a bbox)
OPTIONAL_AOI_PATTERN = f"^({AOI_NAME_PATTERN.removeprefix('^').removesuffix('$')})?$"
#: a decimal number as text (a form's list field sends its lines as strings)
NUMBER_PATTERN = r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$"
#: a product id as a form may send one (ARIA names; the browse UI's shortcuts check the same)
PRODUCT_ID_PATTERN = r"^[A-Za-z0-9_.:+-]{1,200}$"
#: a registered PGE version, or ``latest``
PGE_VERSION_PATTERN = r"^(latest|\d+\.\d+\.\d+)$"
#: the models the ``train`` PGE can fit, in its order (the ``qa_train`` form's choices and default)
QA_MODELS = list(MODEL_NAMES)


def set_default(option: str) -> Any:
    """The ``qa_dataset`` PGE's default for ``option`` (the labelled set's size), for the ``qa_train`` form."""
    return DatasetParameters.model_fields[option].default


def train_default(option: str) -> Any:
    """The ``train`` PGE's default for ``option``, so that the ``qa_train`` form shows the default the PGE applies."""
    return TrainParameters.model_fields[option].default


def ingest_default(option: str) -> Any:
    """The ``ingest`` PGE's default for ``option``, so that the ``ingest`` form shows the default the PGE applies."""
    return IngestParameters.model_fields[option].get_default(call_default_factory=True)


def ingest_choices(option: str) -> list[str]:
    """The values the ``ingest`` PGE accepts for a Literal ``option`` (``source_format``, ``los_sign``...)."""
    from typing import get_args

    kinds = [IngestParameters.model_fields[option].annotation]
    choices: list[str] = []
    while kinds:
        kind = kinds.pop(0)
        args = get_args(kind)
        choices += [a for a in args if isinstance(a, str)]
        kinds += [a for a in args if get_args(a)]
    return choices


def ingest_optional(option: str, kind: str, **schema: Any) -> dict[str, Any]:
    """An optional field of the ``ingest`` form: empty (null) or a ``kind`` value; its default the PGE's."""
    if "enum" in schema:  # the form's dropdown shows null as "null" unless values_display names it
        schema["enum"] = [None, *schema["enum"]]
        schema["values_display"] = {"None": "(as the file says)"}
    return {"default": ingest_default(option), "type": ["null", kind], **schema}


def source_params(kind: str) -> dict[str, Any]:
    """The ``paths`` and ``aoi`` params of a DAG that takes other processors' ``kind`` files (ingest, unwrap)."""
    from airflow.sdk import Param

    return {
        "paths": Param([], type="array", minItems=1, items={"type": "string", "minLength": 1}, title="Paths",
                       description=f"{kind} files or folders the workers can read, s3:// objects or "
                       "s3://bucket/prefix/ folders, one a line (at least one)."),
        "aoi": Param(type="string", pattern=AOI_NAME_PATTERN, title="AOI",
                     description_md=f"The stored AOI the products belong to ({AOI_NAME_RULE}); inputs whose "
                     "footprint does not overlap it are refused."),
    }

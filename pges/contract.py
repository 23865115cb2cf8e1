"""The run-config every PGE reads: ``RunConfig[P]`` with the PGE's own parameter model ``P``.

A run-config names the PGE, an opaque run id, input URIs, an output location and the parameters::

    pge: interferogram
    run_id: manual__2024-03-01
    inputs: [file:///archive/A/A.met.json, /archive/B/B.met.json]
    output_dir: /var/products/L2_IFG
    parameters: {looks_range: 3}

Every model has ``extra="forbid"``, so a typo is an error rather than a silently ignored key; loading turns
pydantic's errors into one :class:`~pges.errors.InputValidationError` whose message names the offending
key and, for unknown keys, suggests the closest allowed one.
"""

from __future__ import annotations

import difflib
import json
import types
import typing
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import to_jsonable_python

from pges.errors import InputValidationError

__all__ = [
    "PGEParameters",
    "RunConfig",
    "default_config_yaml",
    "load_run_config",
    "parse_run_config",
    "tag_with_default",
]


class PGEParameters(BaseModel):
    """Base of every PGE's parameter model (``extra="forbid"``; subclasses describe every field)."""

    model_config = ConfigDict(extra="forbid")


P = TypeVar("P", bound=BaseModel)


def tag_with_default(field: str, default: str) -> Any:
    """A pydantic discriminator reading ``field`` and falling back to ``default`` when it is absent.

    Lets a union of configs (``unwrap: {method: snaphu|...}``) accept the short form without the tag.
    """
    from pydantic import Discriminator

    def pick(value: Any) -> str:
        if isinstance(value, dict):
            return str(value.get(field, default))
        return str(getattr(value, field, default))

    return Discriminator(pick)


class RunConfig(BaseModel, Generic[P]):
    """The PGE run-config of ``docs/contracts.md``: what to run on, where to write, with which parameters."""

    model_config = ConfigDict(extra="forbid")

    pge: str = Field(..., description="Name of the PGE; must match the name on the command line.")
    run_id: str = Field("manual", description="Opaque id of the run (e.g. the Airflow run id), kept in provenance.")
    inputs: list[str] = Field(
        default_factory=list, description="Input URIs: local paths, file:// or s3:// (met.json of the inputs)."
    )
    output_dir: str = Field(
        ..., description="Folder or s3:// prefix; each product is written to <output_dir>/<product_id>/."
    )
    parameters: P = Field(..., description="The PGE's own typed parameters.")


# --------------------------------------------------------------------------------------------- loading


def _read_mapping(text: str, source: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputValidationError(f"run-config {source} is not valid YAML/JSON: {first}") from exc
    if not isinstance(data, dict):
        raise InputValidationError(f"run-config {source} must be a mapping, got {type(data).__name__}")
    return data


def load_run_config(model: type[RunConfig[Any]], path: str | Path, *, pge: str | None = None) -> RunConfig[Any]:
    """Read and validate a run-config file (YAML or JSON).

    Args:
        model: the concrete ``RunConfig[Params]`` class of the PGE.
        path: the run-config file.
        pge: the PGE name from the command line; the file's ``pge`` must match it.

    Returns:
        The validated run-config.

    Raises:
        InputValidationError: unreadable file, unknown or missing key, wrong type or value.
    """
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise InputValidationError(f"cannot read run-config {p}: {exc.strerror or exc}") from exc
    return parse_run_config(model, _read_mapping(text, str(p)), pge=pge)


def parse_run_config(
    model: type[RunConfig[Any]], data: dict[str, Any] | str, *, pge: str | None = None
) -> RunConfig[Any]:
    """Validate a run-config given as a mapping or a JSON/YAML string (``--run-config-json``)."""
    if isinstance(data, str):
        data = _read_mapping(data, "(--run-config-json)")
    try:
        cfg = model.model_validate(data)
    except ValidationError as exc:
        raise InputValidationError(_explain(model, exc)) from None
    if pge is not None and cfg.pge != pge:
        raise InputValidationError(f"run-config key 'pge' is {cfg.pge!r} but the command runs PGE {pge!r}")
    return cfg


def _loc_str(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """Every pydantic model named in an annotation (through Optional, Union, list, dict, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found.extend(_models_in(arg))
    return found


def _allowed_keys(model: type[BaseModel], loc: tuple[int | str, ...]) -> tuple[set[str], tuple[int | str, ...]]:
    """Return the field names of the model holding the key at ``loc``, and ``loc`` without union tags.

    The last element of ``loc`` is the bad key; pydantic inserts union tags into locations
    (``deformation[0].gaussian.x``), which are dropped from what the user sees (``deformation[0].x``).
    """
    candidates: list[type[BaseModel]] = [model]
    shown: list[int | str] = []
    for part in loc[:-1]:
        if isinstance(part, int):
            shown.append(part)
            continue
        if not any(str(part) in m.model_fields for m in candidates):
            continue  # a union tag
        shown.append(part)
        nxt: list[type[BaseModel]] = []
        for m in candidates:
            field = m.model_fields.get(str(part))
            if field is not None:
                nxt.extend(_models_in(field.annotation))
        candidates = nxt or candidates
    keys: set[str] = set()
    for m in candidates:
        keys.update(m.model_fields)
    return keys, (*shown, loc[-1])


def _explain(model: type[BaseModel], exc: ValidationError) -> str:
    """One line naming the first offending key (and how many more problems there are)."""
    errors = exc.errors()
    first = errors[0]
    allowed, loc = _allowed_keys(model, tuple(first["loc"]))
    key = _loc_str(loc)
    if first["type"] == "extra_forbidden":
        close = difflib.get_close_matches(str(loc[-1]), sorted(allowed), n=1, cutoff=0.4)
        hint = f" (did you mean '{close[0]}'?)" if close else f" (allowed: {', '.join(sorted(allowed))})"
        msg = f"unknown run-config key '{key}'{hint}"
    elif first["type"] == "missing":
        msg = f"run-config key '{key}' is required but missing"
    else:
        got = first.get("input")
        shown = json.dumps(got, default=str) if not isinstance(got, dict) else "{...}"
        if len(shown) > 60:
            shown = shown[:57] + "..."
        msg = f"run-config key '{key or '<root>'}': {first['msg']} (got {shown})"
    if len(errors) > 1:
        msg += f"; and {len(errors) - 1} more problem(s)"
    # one line, whatever a key or a validator's message holds: control characters and line separators escaped
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in msg)


# ------------------------------------------------------------------------------------ default config


def _yaml_scalar(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10_000).strip()
    return text.removesuffix("\n...").removesuffix("...").strip()


def _unwrap_optional(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _model_lines(model: type[BaseModel], indent: int, overrides: dict[str, Any] | None = None) -> list[str]:
    lines: list[str] = []
    pad = "  " * indent
    for name, field in model.model_fields.items():
        if field.description:
            lines.append(f"{pad}# {field.description}")
        if overrides and name in overrides:
            lines.append(f"{pad}{name}: {_yaml_scalar(overrides[name])}")
            continue
        ann = _unwrap_optional(field.annotation)
        sub = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
        if field.is_required():
            examples = field.examples or (field.json_schema_extra or {}).get("examples")  # type: ignore[union-attr]
            if sub is not None and not examples:
                lines.append(f"{pad}{name}:")
                lines.extend(_model_lines(sub, indent + 1))
            else:
                example = examples[0] if examples else None  # type: ignore[index]
                lines.append(f"{pad}{name}: {_yaml_scalar(example)}  # REQUIRED")
            continue
        default = field.get_default(call_default_factory=True)
        if isinstance(default, BaseModel):
            lines.append(f"{pad}{name}:")
            lines.extend(_model_lines(type(default), indent + 1, default.model_dump(mode="json")))
        else:
            dumped = to_jsonable_python(default)
            lines.append(f"{pad}{name}: {_yaml_scalar(dumped)}")
    return lines


def default_config_yaml(name: str, params: type[BaseModel]) -> str:
    """A commented YAML run-config with every default, generated from the models (``--print-default-config``)."""
    head = [
        f"# Run-config of the '{name}' PGE (docs/contracts.md). Run: python -m pges {name} --run-config FILE",
        "# Name of the PGE; must match the name on the command line.",
        f"pge: {name}",
    ]
    body = _model_lines(RunConfig[params], 0)  # type: ignore[valid-type]
    # drop the generic 'pge' and 'parameters' lines that _model_lines wrote, then add the parameters
    out = head
    skip = False
    for line in body:
        if line.startswith("pge:") or line == "# Name of the PGE; must match the name on the command line.":
            continue
        if line.startswith("parameters:"):
            skip = True
            continue
        if skip and line.startswith("  "):
            continue
        skip = False
        out.append(line)
    out.append("parameters:")
    out.extend(_model_lines(params, 1))
    return "\n".join(out) + "\n"

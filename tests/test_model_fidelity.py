"""Every model and enum of the wire contract exists in ``azure.planetarycomputer.models`` as specified.

For each model: the class exists (and derives from the contract's base), every contract field is an
attribute mapped to the same wire name (``Model._attr_to_rest_field``), with the contract's type,
visibility (read-only fields are exactly the ``["read"]`` ones), date format, discriminator and
multipart flags, and -- as far as Python can observe it, through the keyword ``__init__`` overload --
the same required/optional split. Discriminated bases map each discriminator value to the contract's
subclass. For each enum: the same member names with the same values.

Needs Python 3.11+ (``typing.get_overloads``; before 3.11 overloads are not kept at runtime). The models
are the same generated source on every version, so the runs on 3.11+ check them for all.
"""

from __future__ import annotations

import enum
import inspect
import json
import sys
import typing
from typing import Any

import pytest
from _capture import data_path, normalize_type
from azure.planetarycomputer import models
from azure.planetarycomputer._generated import models as generated_models
from azure.planetarycomputer._generated._utils.utils import FileType

if sys.version_info < (3, 11):
    pytest.skip(
        "reads the models' __init__ overloads with typing.get_overloads (Python 3.11+); the generated "
        "models are the same source on every version and are checked on 3.11+",
        allow_module_level=True,
    )

CONTRACT: dict[str, Any] = json.loads(data_path("contract.json").read_text(encoding="utf-8"))
MODELS: list[dict[str, Any]] = CONTRACT["models"]
ENUMS: list[dict[str, Any]] = CONTRACT["enums"]


def _rest_fields(cls: Any) -> dict[str, Any]:
    """``cls._attr_to_rest_field``: the generated Model computes it when the first instance is made."""
    cls.__new__(cls)
    return dict(cls._attr_to_rest_field)


def _keyword_overload(cls: Any) -> inspect.Signature | None:
    """The keyword-only ``__init__`` overload of a generated model, when it has one."""
    for overload in typing.get_overloads(cls.__init__):
        signature = inspect.signature(overload)
        if any(p.kind is p.KEYWORD_ONLY for p in signature.parameters.values()):
            return signature
    return None


def _field_type(cls: Any, attr: str, *, optional: bool) -> str:
    for klass in cls.__mro__:
        annotation = inspect.get_annotations(klass).get(attr)
        if annotation is not None:
            return "FileType" if annotation is FileType else normalize_type(annotation, drop_none=optional)
    return "<unannotated>"


_ALL_VISIBILITY = ("read", "create", "update", "delete", "query")


def _visibility(visibility: list[str] | None) -> tuple[str, ...]:
    """Visibility as the model runtime reads it: no list means every lifecycle phase."""
    return _ALL_VISIBILITY if visibility is None else tuple(visibility)


def model_problems(spec: dict[str, Any]) -> list[str]:
    cls = getattr(models, spec["name"], None)
    if not isinstance(cls, type):
        return [f"models.{spec['name']} does not exist"]
    problems: list[str] = []
    if spec["base"] and not issubclass(cls, getattr(models, spec["base"], ())):
        problems.append(f"does not derive from {spec['base']}")
    rest_fields = _rest_fields(cls)
    want_attrs = {field["python_name"] for field in spec["fields"]}
    if set(rest_fields) - want_attrs:
        problems.append(f"attributes not in the contract: {sorted(set(rest_fields) - want_attrs)}")
    init = _keyword_overload(cls)
    init_params = init.parameters if init is not None else {}
    for field in spec["fields"]:
        name = field["python_name"]
        rest_field = rest_fields.get(name)
        if rest_field is None:
            problems.append(f"{name}: no such attribute (wire name {field['wire_name']!r})")
            continue
        if rest_field._rest_name != field["wire_name"]:
            problems.append(f"{name}: wire name {rest_field._rest_name!r}, expected {field['wire_name']!r}")
        optional = not field["required"]
        got_type = _field_type(cls, name, optional=optional)
        want_type = normalize_type(field["type"], drop_none=optional)
        if got_type != want_type:
            problems.append(f"{name}: type {got_type}, expected {want_type}")
        got_visibility = _visibility(rest_field._visibility)
        if got_visibility != _visibility(field["visibility"]):
            problems.append(f"{name}: visibility {got_visibility}, expected {field['visibility']}")
        readonly = rest_field._visibility == ["read"]
        if readonly != field["readonly"]:
            problems.append(f"{name}: read-only {readonly}, expected {field['readonly']}")
        if rest_field._format != field["format"]:
            problems.append(f"{name}: format {rest_field._format!r}, expected {field['format']!r}")
        for flag, attribute in (
            ("is_discriminator", "_is_discriminator"),
            ("multipart_file", "_is_multipart_file_input"),
        ):
            if bool(getattr(rest_field, attribute)) != field[flag]:
                problems.append(f"{name}: {flag} {getattr(rest_field, attribute)}, expected {field[flag]}")
        param = init_params.get(name)
        if param is not None:
            required = param.default is inspect.Parameter.empty
            if required != field["required"]:
                problems.append(f"{name}: required {required} in __init__, expected {field['required']}")
        elif init is not None and field["required"] and not (field["readonly"] or field["is_discriminator"]):
            problems.append(f"{name}: required by the contract but not a keyword of __init__")
    discriminator = spec.get("discriminator")
    if discriminator:
        mapping = getattr(cls, "__mapping__", {})
        for value, subclass in discriminator["mapping"].items():
            if mapping.get(value) is not getattr(generated_models, subclass, None):
                problems.append(f"discriminator {value!r} maps to {mapping.get(value)}, expected {subclass}")
    if spec.get("discriminator_value"):
        base = getattr(generated_models, spec["base"])
        if base.__mapping__.get(spec["discriminator_value"]) is not getattr(generated_models, spec["name"]):
            problems.append(f"{spec['base']} does not map {spec['discriminator_value']!r} to this class")
    return problems


@pytest.mark.parametrize("spec", MODELS, ids=[model["name"] for model in MODELS])
def test_model_matches_contract(spec: dict[str, Any]) -> None:
    problems = model_problems(spec)
    assert not problems, f"models.{spec['name']} departs from the contract:\n  - " + "\n  - ".join(problems)


@pytest.mark.parametrize("spec", ENUMS, ids=[item["name"] for item in ENUMS])
def test_enum_matches_contract(spec: dict[str, Any]) -> None:
    cls = getattr(models, spec["name"], None)
    assert isinstance(cls, type) and issubclass(cls, enum.Enum), f"models.{spec['name']} is not an enum"
    got = {member.name: member.value for member in cls}
    want = {value["name"]: value["value"] for value in spec["values"]}
    missing, extra = want.items() - got.items(), got.items() - want.items()
    assert got == want, f"models.{spec['name']}: missing {sorted(missing)}, extra {sorted(extra)}"


def test_every_contract_model_and_enum_is_covered() -> None:
    names = [item["name"] for item in MODELS + ENUMS]
    missing = [name for name in names if not isinstance(getattr(models, name, None), type)]
    print(f"model fidelity: {len(names) - len(missing)}/{len(names)} models and enums present")
    assert (len(MODELS), len(ENUMS)) == (85, 27)
    assert not missing


def test_models_are_wire_json_mappings() -> None:
    """Attribute access is typed, item access and ``dict()`` give the wire JSON."""
    stats = models.BandStatistics({"min": 1.0, "max": 9.0, "percentile_98": 8.5})
    assert stats.minimum == 1.0 and stats.percentile98 == 8.5
    assert dict(stats) == {"min": 1.0, "max": 9.0, "percentile_98": 8.5}
    point = models.Point(coordinates=[1.0, 2.0])
    assert dict(point) == {"type": "Point", "coordinates": [1.0, 2.0]}


def test_commissioned_aliases() -> None:
    assert models.StacExtent is models.StacExtensionExtent
    assert models.StacExtensionTemporalExtent is models.StacCollectionTemporalExtent
    assert {"StacExtent", "StacExtensionTemporalExtent"} <= set(models.__all__)

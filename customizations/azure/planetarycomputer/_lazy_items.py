"""Typed models over parsed JSON that build their nested models only when first read.

A generated model built from a dict (``StacItem(data)``) converts every nested value at once and
recurses into every nested model: for a page of search results that costs several times what
parsing the JSON did. :func:`lazy_model` instead wraps the parsed JSON as it is:

* the result is an instance of the generated class (``isinstance(item, StacItem)``, and exactly
  that class or the subclass its discriminator names, e.g. ``Polygon`` for a geometry);
* scalar fields (``item.id``) are read through the generated descriptors, as for any model;
* a field that holds a model, a list of models or a map of models (``item.geometry``,
  ``item.links``, ``item.assets``) is wrapped the same lazy way the first time it is read, and the
  typed value replaces the raw JSON in the model, so later reads and writes see the same objects;
* mapping access (``item["properties"]``) gives the JSON as received, or the typed model once the
  attribute has been read; both are mappings of the same content.

How it hooks in: a generated model keeps its JSON in ``_data`` and its field descriptors read
fields with ``_data.get(name)``; model-valued fields are returned as stored, on the assumption that
construction already converted them. Here ``_data`` is a :class:`LazyJSON`, a ``dict`` whose
``get`` converts a model-valued field on first read. The conversion rules come from the generated
field metadata (``_attr_to_rest_field``) and the class's discriminator hook; no generated logic is
copied.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ._generated._utils.model_base import (
    Model,
    _deserialize,
    _deserialize_dict,
    _deserialize_model,
    _deserialize_sequence,
    _deserialize_with_optional,
)

__all__ = ["LazyJSON", "lazy_model"]

_M = TypeVar("_M", bound=Model)

_Converter = Callable[[Any], Any]
_converters_by_model: dict[type[Model], dict[str, _Converter]] = {}
_discriminator_by_model: dict[type[Model], str | None] = {}


class LazyJSON(dict[str, Any]):
    """The ``_data`` of a lazily built model: parsed JSON whose model-valued fields are typed on read.

    ``get`` (what the generated field descriptors use) returns the typed value of a model-valued
    field, converting and storing it the first time. Every other access behaves as a plain ``dict``
    over the JSON. Picklable: the slots hold the model class and the values typed so far.
    """

    __slots__ = ("_model", "_typed")

    _model: type[Model]
    _typed: dict[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        """The value under ``key``; a model-valued field comes back typed (and is stored so)."""
        value = dict.get(self, key, default)
        if value is None:
            return value
        convert = _converters(self._model).get(key)
        if convert is None:
            return value
        try:
            typed_so_far = self._typed
        except AttributeError:
            typed_so_far = self._typed = {}
        if typed_so_far.get(key) is value:
            return value
        typed = convert(value)
        dict.__setitem__(self, key, typed)
        typed_so_far[key] = typed
        return typed


def lazy_model(model: type[_M], data: dict[str, Any]) -> _M:
    """An instance of ``model`` (or of the subclass ``data``'s discriminator names) over ``data``.

    ``data`` is used as it is (a shallow copy of its top level is taken); nothing nested is
    converted until it is read. ``data`` must be a JSON object as parsed by ``json.loads``.
    """
    cls = _concrete_class(model, data)
    instance = object.__new__(cls)
    lazy = LazyJSON(data)
    lazy._model = cls
    instance._data = lazy
    return instance


def _concrete_class(model: type[_M], data: Mapping[str, Any]) -> type[_M]:
    """The class the generated deserializer would pick for ``data``, following discriminators."""
    cls = model
    used: list[str] = []
    while True:
        name = _discriminator(cls)
        if name is None or name in used:
            return cls
        used.append(name)
        subclass = cls.__mapping__.get(data.get(name))  # type: ignore[attr-defined]
        if subclass is None or subclass is cls:
            return cls
        cls = subclass


def _discriminator(model: type[Model]) -> str | None:
    """Rest name of the discriminator ``model`` itself declares, if any (cached per class)."""
    try:
        return _discriminator_by_model[model]
    except KeyError:
        pass
    _converters(model)
    found = model._get_discriminator([]) if hasattr(model, "__mapping__") else None
    name = found._rest_name if found is not None else None
    _discriminator_by_model[model] = name
    return name


def _converters(model: type[Model]) -> dict[str, _Converter]:
    """Rest name -> converter, for each field of ``model`` that holds models (cached per class)."""
    try:
        return _converters_by_model[model]
    except KeyError:
        pass
    # The generated Model works out its field table (types, rest names) when first instantiated.
    model.__new__(model)
    table: dict[str, _Converter] = {}
    for field in getattr(model, "_attr_to_rest_field").values():  # noqa: B009 - set at run time
        if field._is_model:
            table[field._rest_name] = _converter_for(field._type)
    _converters_by_model[model] = table
    return table


def _converter_for(deserializer: Any) -> _Converter:
    """A lazy converter for a field whose generated deserializer is ``deserializer``.

    Recognizes a model, a list of models and a map of models (each possibly optional); anything
    else (nested lists of models, unions) falls back to the generated deserializer.
    """
    shape = _shape(deserializer)
    if shape is not None:
        kind, model = shape
        if kind == "model":
            return functools.partial(_lazy_one, model)
        if kind == "list":
            return functools.partial(_lazy_list, model)
        return functools.partial(_lazy_map, model)
    return functools.partial(_deserialize, deserializer)


def _shape(deserializer: Any) -> tuple[str, type] | None:
    while isinstance(deserializer, functools.partial) and deserializer.func is _deserialize_with_optional:
        deserializer = deserializer.args[0]
    if not isinstance(deserializer, functools.partial):
        return None
    if deserializer.func is _deserialize_model:
        return "model", deserializer.args[0]
    if deserializer.func in (_deserialize_sequence, _deserialize_dict):
        inner = _shape(deserializer.args[0])
        if inner is None or inner[0] != "model":
            return None
        return ("list" if deserializer.func is _deserialize_sequence else "map"), inner[1]
    return None


def _lazy_one(model: type[_M], value: Any) -> Any:
    if type(value) is dict:
        return lazy_model(model, value)
    return value  # already a model, or not a JSON object: left as it is


def _lazy_list(model: type[_M], value: Any) -> Any:
    if isinstance(value, list):
        return [lazy_model(model, entry) if type(entry) is dict else entry for entry in value]
    return value


def _lazy_map(model: type[_M], value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: lazy_model(model, entry) if type(entry) is dict else entry for key, entry in value.items()
        }
    return value

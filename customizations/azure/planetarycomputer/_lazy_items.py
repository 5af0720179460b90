"""Typed models over parsed JSON that build their nested models only when first read.

A generated model built from a dict (``StacItem(data)``) converts every nested value at once and
recurses into every nested model: for a page of search results that costs many times what parsing
the JSON did. :func:`lazy_model` instead wraps the parsed JSON as it is, without copying it:

* the result is an instance of the generated class (``isinstance(item, StacItem)``; of the
  subclass the discriminator names, e.g. ``Polygon`` for a geometry). Precisely, it is an instance
  of ``Lazy<Class>`` (``LazyStacItem``, ``LazyPolygon``...), a subclass that only changes how
  fields are read;
* a field that holds a model, a list of models or a map of models (``item.geometry``,
  ``item.properties``, ``item.links``, ``item.assets``) is wrapped the same lazy way the first
  time it is read, and the typed value replaces the raw JSON in the model, so later reads and
  writes see the same objects;
* a plain field (a str, int, float or bool one, e.g. ``item.id``) whose JSON value already has
  that type is returned as it is, which is what the generated descriptor would return, minus the
  several microseconds it spends re-deserializing on every read; any other value, and every other
  field (datetimes, lists of scalars...), is read through the generated descriptor;
* writes (``item.geometry = ...``, ``item["id"] = ...``) and mapping access are the generated
  model's: ``item["properties"]`` gives the JSON as received, or the typed model once the attribute
  has been read (both mappings of the same content); ``as_dict()``, equality and JSON encoding
  with ``SdkJSONEncoder`` work as for any model.

How it hooks in: a generated model keeps its JSON in ``_data`` and describes its fields in
``_attr_to_rest_field`` (wire name, deserializer, whether it holds models); its descriptors
return model-valued fields as stored, assuming construction converted them. ``Lazy<Class>``
overrides those descriptors with ones that convert on first read, and picks classes with the
generated discriminator hook (``_get_discriminator`` and ``__mapping__``). No generated logic is
copied. The subclasses are made once per generated class, take no part in discriminator
dispatch, never recompute the generated field table, and pickle by reference to this module.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from ._generated._utils.model_base import (
    Model,
    _deserialize,
    _deserialize_dict,
    _deserialize_model,
    _deserialize_sequence,
    _deserialize_with_optional,
)

__all__ = ["lazy_model"]

_M = TypeVar("_M", bound=Model)

_Converter = Callable[[Any], Any]
_lazy_class_by_model: dict[type[Model], type[Model]] = {}
_discriminator_by_model: dict[type[Model], str | None] = {}
_PLAIN_TYPES = (str, int, float, bool)
_TYPED = "_lazy_typed"  # instance attribute: wire name -> the typed value stored for it


def lazy_model(model: type[_M], data: dict[str, Any]) -> _M:
    """An instance of ``model`` (or of the subclass ``data``'s discriminator names) over ``data``.

    ``data`` (a JSON object as parsed by ``json.loads``) becomes the model's storage as it is, not
    copied; nothing nested is converted until it is read.
    """
    cls = _concrete_class(model, data)
    lazy_class = _lazy_class_by_model.get(cls) or _lazy_class(cls)
    instance = cast(_M, object.__new__(lazy_class))
    instance._data = data
    return instance


class _ModelField:
    """A field holding a model, a list or a map of models: wrapped lazily on first read, then kept."""

    __slots__ = ("_convert", "_field", "_name")

    def __init__(self, field: Any, convert: _Converter) -> None:
        self._field = field
        self._convert = convert
        self._name: str = field._rest_name

    def __get__(self, instance: Model | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        data = instance._data
        value = data.get(self._name)
        if value is None:
            return None
        typed_so_far: dict[str, Any] | None = instance.__dict__.get(_TYPED)
        if typed_so_far is not None and typed_so_far.get(self._name) is value:
            return value
        typed = self._convert(value)
        data[self._name] = typed
        if typed_so_far is None:
            typed_so_far = instance.__dict__[_TYPED] = {}
        typed_so_far[self._name] = typed
        return typed

    def __set__(self, instance: Model, value: Any) -> None:
        self._field.__set__(instance, value)


class _PlainField:
    """A str/int/float/bool field, read straight from the JSON when the value already has that type.

    Anything else (None, another type) and every write go to the generated descriptor.
    """

    __slots__ = ("_field", "_kind", "_name")

    def __init__(self, field: Any, kind: type) -> None:
        self._field = field
        self._kind = kind
        self._name: str = field._rest_name

    def __get__(self, instance: Model | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance._data.get(self._name)
        if type(value) is self._kind:
            return value
        return self._field.__get__(instance, owner)

    def __set__(self, instance: Model, value: Any) -> None:
        self._field.__set__(instance, value)


def _lazy_class(model: type[_M]) -> type[_M]:
    """``Lazy<model>``: ``model`` with lazy model fields and fast plain fields (made once)."""
    existing = _lazy_class_by_model.get(model)
    if existing is not None:
        return cast("type[_M]", existing)
    model.__new__(model)  # the generated class works out its field table when first instantiated
    name = f"Lazy{model.__name__}"
    namespace: dict[str, Any] = {
        "__module__": __name__,
        "__qualname__": name,
        "__doc__": f"{model.__name__} over received JSON; nested models are built when first read.",
        # Model.__new__ would work out a field table for the subclass too, re-pointing the
        # generated fields it shares with its base; the base's table, inherited, is the same.
        "__new__": _new_instance,
    }
    for attribute, field in getattr(model, "_attr_to_rest_field").items():  # noqa: B009 - set at run time
        if field._is_model:
            namespace[attribute] = _ModelField(field, _converter_for(field._type))
        else:
            kind = _plain_kind(field)
            if kind is not None:
                namespace[attribute] = _PlainField(field, kind)
    metaclass: Any = type(model)
    lazy_class = cast("type[_M]", metaclass(name, (model,), namespace))
    # Declaring a subclass registers it in its bases' discriminator tables; it must take no part.
    for base in model.__mro__:
        table = base.__dict__.get("__mapping__")
        if isinstance(table, dict) and table.get(name) is lazy_class:
            del table[name]
    globals()[name] = lazy_class  # so that instances pickle by reference
    _lazy_class_by_model[model] = lazy_class
    return lazy_class


def _new_instance(cls: type, *args: Any, **kwargs: Any) -> Any:
    return object.__new__(cls)


def _plain_kind(field: Any) -> type | None:
    """The plain type whose values the field's generated deserializer returns unchanged, if any."""
    if field._format is not None:
        return None
    deserializer = field._type
    if deserializer is None:  # a discriminator or literal: the value is returned as it is
        return str
    while isinstance(deserializer, functools.partial) and deserializer.func is _deserialize_with_optional:
        deserializer = deserializer.args[0]
    if (
        isinstance(deserializer, functools.partial)
        and getattr(deserializer.func, "__name__", "") == "_deserialize_default"
        and len(deserializer.args) == 1
        and deserializer.args[0] in _PLAIN_TYPES
    ):
        return cast(type, deserializer.args[0])
    return None


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
    """Wire name of the discriminator ``model`` itself declares, if any (cached per class)."""
    try:
        return _discriminator_by_model[model]
    except KeyError:
        pass
    model.__new__(model)
    found = model._get_discriminator([]) if hasattr(model, "__mapping__") else None
    name = found._rest_name if found is not None else None
    _discriminator_by_model[model] = name
    return name


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

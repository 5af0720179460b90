"""Typed models over parsed JSON that build their nested models only when first read.

A generated model built from a dict (``StacItem(data)``) converts every nested value at once and
recurses into every nested model: for a page of search results that costs many times what parsing
the JSON did. :func:`lazy_model` instead wraps the parsed JSON as it is, without copying it:

* the result is an instance of the generated class (``isinstance(item, StacItem)``; of the
  subclass the discriminator names, e.g. ``Polygon`` for a geometry). Precisely, it is an instance
  of ``Lazy<Class>`` (``LazyStacItem``, ``LazyPolygon``...), a subclass that only changes how
  fields are read, and its ``repr`` (short: the type, id and collection, not the whole JSON);
* every typed read returns what the generated model returns (same types, same values, None for a
  missing field), but reading never changes the model's mapping: ``item["properties"]``,
  ``dict(item)`` and ``item.as_dict()`` stay the JSON as received. The generated descriptors store
  what they convert back into the mapping (a ``list[datetime]`` read leaves datetimes where the
  JSON had strings); here the typed value is kept beside the JSON instead, for as long as the JSON
  value it was made from is the one in the mapping;
* a field that holds a model, a list of models or a map of models (``item.geometry``,
  ``item.properties``, ``item.links``, ``item.assets``) is wrapped the same lazy way the first
  time it is read, over the same JSON objects (edits of a nested model are edits of the JSON). A
  list or map of models is a ``list`` or ``dict`` whose edits (``item.assets["new"] = asset``,
  ``item.links.append(link)``) are made to the JSON container too; entries added to or removed
  from the JSON container directly show up at the next read (an entry replaced there in place
  does not: assign the field, ``item.assets = {...}``, to replace entries from the JSON side);
* a field whose JSON value already is exactly what the generated deserializer would return (a
  str/int/float/bool of the field's type, a list of floats, a list of lists of floats, a map of
  strings...) is returned as it is, without the several microseconds the generated descriptor
  spends re-serializing and re-deserializing it on every read. Any other value (an int in a float
  field, a datetime string...) is converted once by the generated deserializer, and kept;
* writes (``item.geometry = ...``, ``item["id"] = ...``) are the generated model's; equality,
  pickling and JSON encoding with ``SdkJSONEncoder`` work as for any model.

How it hooks in: a generated model keeps its JSON in ``_data`` and describes its fields in
``_attr_to_rest_field`` (wire name, deserializer, whether it holds models). ``Lazy<Class>``
overrides those descriptors with ones that read as described (writes still go to the generated
descriptors), and picks classes with the generated discriminator hook (``_get_discriminator`` and
``__mapping__``). The conversions themselves are the generated deserializers; none is copied. The
subclasses are made once per generated class, take no part in discriminator dispatch, never
recompute the generated field table, and pickle by reference to this module.
"""

from __future__ import annotations

import functools
import reprlib
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from ._generated._utils.model_base import (
    Model,
    _deserialize,
    _deserialize_dict,
    _deserialize_model,
    _deserialize_sequence,
    _deserialize_with_optional,
    _serialize,
)
from ._redaction import redact_secrets

__all__ = ["lazy_model"]

_M = TypeVar("_M", bound=Model)

_Converter = Callable[[Any], Any]
_Check = Callable[[Any], bool]
_lazy_class_by_model: dict[type[Model], type[Model]] = {}
_lazy_class_without_dispatch: dict[type[Model], type[Model]] = {}
"""Generated classes that declare no discriminator: their lazy class, whatever the JSON says."""
_discriminator_by_model: dict[type[Model], str | None] = {}
_PLAIN_TYPES = (str, int, float, bool)
_TYPED = "_lazy_typed"  # instance attribute: wire name -> (the JSON value, the typed value made from it)
_IDENTIFYING = ("type", "id", "collection")


def lazy_model(model: type[_M], data: dict[str, Any]) -> _M:
    """An instance of ``model`` (or of the subclass ``data``'s discriminator names) over ``data``.

    ``data`` (a JSON object as parsed by ``json.loads``) becomes the model's storage as it is, not
    copied; nothing nested is converted until it is read.
    """
    lazy_class = _lazy_class_without_dispatch.get(model)
    if lazy_class is None:
        cls = _concrete_class(model, data)
        lazy_class = _lazy_class_by_model.get(cls) or _lazy_class(cls)
        if cls is model and _discriminator(model) is None:
            _lazy_class_without_dispatch[model] = lazy_class
    instance = cast(_M, object.__new__(lazy_class))
    instance._data = data
    return instance


def _typed_cache(instance: Model) -> dict[str, tuple[Any, Any]]:
    cache: dict[str, tuple[Any, Any]] | None = instance.__dict__.get(_TYPED)
    if cache is None:
        cache = instance.__dict__[_TYPED] = {}
    return cache


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
        value = instance._data.get(self._name)
        if value is None:
            return None
        cache = instance.__dict__.get(_TYPED)
        if cache is not None:
            kept = cache.get(self._name)
            # a container edited through the mapping since (entries added or removed) is rebuilt
            if kept is not None and kept[0] is value and not _resized(kept[1], value):
                return kept[1]
        typed = self._convert(value)
        if typed is not value:
            _typed_cache(instance)[self._name] = (value, typed)
        return typed

    def __set__(self, instance: Model, value: Any) -> None:
        self._field.__set__(instance, value)


class _ValueField:
    """Any other field: the JSON value when it already is what the generated deserializer returns.

    ``check`` says whether it is; otherwise the value is converted by the generated deserializer,
    exactly as the generated descriptor does, but kept beside the JSON instead of written into it.
    """

    __slots__ = ("_check", "_convert", "_field", "_name")

    def __init__(self, field: Any, check: _Check, convert: _Converter | None = None) -> None:
        self._field = field
        self._check = check
        self._convert = convert
        self._name: str = field._rest_name

    def __get__(self, instance: Model | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance._data.get(self._name)
        if value is None:
            return None
        cache = instance.__dict__.get(_TYPED)
        if cache is not None:
            kept = cache.get(self._name)
            if kept is not None and kept[0] is value:
                return kept[1]
        if self._check(value):
            typed = value
        else:
            typed = self._convert(value) if self._convert is not None else _NOT_CONVERTED
            if typed is _NOT_CONVERTED:
                field = self._field
                typed = _deserialize(field._type, _serialize(value, field._format), rf=field)
        _typed_cache(instance)[self._name] = (value, typed)
        return typed

    def __set__(self, instance: Model, value: Any) -> None:
        self._field.__set__(instance, value)


class _PlainField:
    """A str/int/float/bool field, read straight from the JSON when the value already has that type.

    Anything else goes the :class:`_ValueField` way (converted once by the generated deserializer).
    """

    __slots__ = ("_field", "_kind", "_name", "_other")

    def __init__(self, field: Any, kind: type) -> None:
        self._field = field
        self._kind = kind
        self._name: str = field._rest_name
        self._other = _ValueField(field, _never)

    def __get__(self, instance: Model | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance._data.get(self._name)
        if type(value) is self._kind:
            return value
        return self._other.__get__(instance, owner)

    def __set__(self, instance: Model, value: Any) -> None:
        self._field.__set__(instance, value)


def _never(value: Any) -> bool:
    return False


def _get_item(self: Model, key: str) -> Any:
    """``model[key]``: the JSON value. Lazy models never mark values as converted in place, so the
    generated ``__getitem__``'s checks for such marks (two failing attribute lookups) are skipped."""
    return self._data[key]


def _short_repr(self: Model) -> str:
    """What identifies the model (type, id, collection) when it has an id; else its JSON, shortened."""
    data = self._data
    name = type(self).__mro__[1].__name__
    if isinstance(data.get("id"), str):
        shown = ", ".join(f"{key}={data[key]!r}" for key in _IDENTIFYING if key in data)
        return redact_secrets(f"{name}({shown})")
    return redact_secrets(f"{name}({_SHORT.repr(data)})")


_SHORT = reprlib.Repr()
_SHORT.maxdict = _SHORT.maxlist = 4
_SHORT.maxstring = _SHORT.maxother = 80
_SHORT.maxlevel = 2


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
        "__getitem__": _get_item,
        "__repr__": _short_repr,
    }
    for attribute, field in getattr(model, "_attr_to_rest_field").items():  # noqa: B009 - set at run time
        if field._is_model:
            namespace[attribute] = _ModelField(field, _converter_for(field._type))
            continue
        kind = _plain_kind(field)
        if kind is not None:
            namespace[attribute] = _PlainField(field, kind)
        else:
            namespace[attribute] = _ValueField(field, _check_for(field), _list_converter_for(field))
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


def _resized(typed: Any, value: Any) -> bool:
    """Whether entries were added to or removed from a JSON container since its typed copy was made."""
    return isinstance(typed, (_LinkedList, _LinkedDict)) and len(typed) != len(value)


def _new_instance(cls: type, *args: Any, **kwargs: Any) -> Any:
    return object.__new__(cls)


def _without_optional(deserializer: Any) -> Any:
    while isinstance(deserializer, functools.partial) and deserializer.func is _deserialize_with_optional:
        deserializer = deserializer.args[0]
    return deserializer


def _default_kind(deserializer: Any) -> type | None:
    """The plain type of a generated ``_deserialize_default(str|int|float|bool)``, if it is one."""
    if (
        isinstance(deserializer, functools.partial)
        and getattr(deserializer.func, "__name__", "") == "_deserialize_default"
        and len(deserializer.args) == 1
        and deserializer.args[0] in _PLAIN_TYPES
    ):
        return cast(type, deserializer.args[0])
    return None


def _plain_kind(field: Any) -> type | None:
    """The plain type whose values the field's generated deserializer returns unchanged, if any."""
    if field._format is not None:
        return None
    if field._type is None:  # a discriminator or literal: the value is returned as it is
        return str
    return _default_kind(_without_optional(field._type))


def _check_for(field: Any) -> _Check:
    """A test of whether a JSON value is already what the field's generated deserializer returns.

    Knows lists and maps (nested to any depth) of str/int/float/bool; for anything else (dates,
    unions, ``Any``...) the test always fails, and the value is converted once and kept.
    """
    if field._format is not None:
        return _never
    return _check_of(_without_optional(field._type)) or _never


def _check_of(deserializer: Any) -> _Check | None:
    kind = _default_kind(deserializer)
    if kind is not None:
        return functools.partial(_is_exactly, kind)
    if not isinstance(deserializer, functools.partial) or not deserializer.args:
        return None
    inner = _without_optional(deserializer.args[0])
    if deserializer.func is _deserialize_sequence:
        inner_kind = _default_kind(inner)
        if inner_kind is not None:
            return functools.partial(_is_list_of, inner_kind)
        inner_check = _check_of(inner)
        return functools.partial(_is_list_where, inner_check) if inner_check is not None else None
    if deserializer.func is _deserialize_dict:
        inner_check = _check_of(inner)
        return functools.partial(_is_map_where, inner_check) if inner_check is not None else None
    return None


_NOT_CONVERTED: Any = object()


def _list_converter_for(field: Any) -> _Converter | None:
    """For a list (of lists...) of plain values: a converter doing what the generated one does.

    Nested lists are rebuilt as lists, as ``_deserialize_sequence`` does; each value is returned as
    it is when it already has the plain type, else passed to the generated value deserializer (an
    int in a float field becomes a float). A value that is not a list where one is expected gives
    ``_NOT_CONVERTED``, and the generated deserializer handles the whole field. The generated
    deserializer walks ~15 calls per value (about 160 µs for a 9-vertex polygon whose JSON has an
    integral coordinate, as PostGIS writes them); this one returns the list in a few.
    """
    if field._format is not None:
        return None
    depth = 0
    deserializer = _without_optional(field._type)
    while isinstance(deserializer, functools.partial) and deserializer.func is _deserialize_sequence:
        depth += 1
        deserializer = deserializer.args[0]
    kind = _default_kind(deserializer)
    if depth == 0 or kind is None:
        return None
    return functools.partial(_convert_lists, depth, kind, deserializer)


def _convert_lists(depth: int, kind: type, leaf: Any, value: Any) -> Any:
    if type(value) is not list:
        return _NOT_CONVERTED
    if depth == 1:
        return [entry if type(entry) is kind else _deserialize(leaf, entry) for entry in value]
    converted = [_convert_lists(depth - 1, kind, leaf, entry) for entry in value]
    return _NOT_CONVERTED if any(entry is _NOT_CONVERTED for entry in converted) else converted


def _is_exactly(kind: type, value: Any) -> bool:
    return type(value) is kind


def _is_list_of(kind: type, value: Any) -> bool:
    if type(value) is not list:
        return False
    for entry in value:  # noqa: SIM110 - a plain loop: all() of a generator costs twice as much here
        if type(entry) is not kind:
            return False
    return True


def _is_list_where(check: _Check, value: Any) -> bool:
    return type(value) is list and all(map(check, value))


def _is_map_where(check: _Check, value: Any) -> bool:
    return type(value) is dict and all(map(check, value.values()))


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
    deserializer = _without_optional(deserializer)
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


# A container whose entries are all models already (assigned by the user) is returned as it is,
# as the generated descriptor returns what it stored.
def _lazy_one(model: type[_M], value: Any) -> Any:
    if type(value) is dict:
        return lazy_model(model, value)
    return value  # already a model, or not a JSON object: left as it is


def _lazy_list(model: type[_M], value: Any) -> Any:
    if type(value) is list and any(type(entry) is dict for entry in value):
        return _LinkedList(value, [lazy_model(model, e) if type(e) is dict else e for e in value])
    return value


def _lazy_map(model: type[_M], value: Any) -> Any:
    if type(value) is dict and any(type(entry) is dict for entry in value.values()):
        typed = {key: lazy_model(model, e) if type(e) is dict else e for key, e in value.items()}
        return _LinkedDict(value, typed)
    return value


def _json_of(entry: Any) -> Any:
    """What the JSON container holds for a typed entry: a lazy model's own JSON, else the entry."""
    return entry._data if type(entry).__module__ == __name__ else entry


def _mirrored(method: Any) -> Any:
    """A mutating method of the typed container that then lays the same entries into the JSON one."""

    @functools.wraps(method)
    def mutate(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = method(self, *args, **kwargs)
        self._mirror()
        return result

    return mutate


class _LinkedList(list):
    """The typed list of a list-of-models field: a ``list`` whose edits also reach the JSON list."""

    __slots__ = ("_json",)

    def __init__(self, json_list: list[Any], typed: list[Any]) -> None:
        super().__init__(typed)
        self._json = json_list

    def _mirror(self) -> None:
        self._json[:] = [_json_of(entry) for entry in self]

    def __reduce__(self) -> Any:
        return list, (list(self),)

    for _name in (
        "__setitem__", "__delitem__", "__iadd__", "__imul__", "append", "extend", "insert", "pop",
        "remove", "clear", "sort", "reverse",
    ):  # fmt: skip
        locals()[_name] = _mirrored(getattr(list, _name))
    del _name


class _LinkedDict(dict):
    """The typed map of a map-of-models field: a ``dict`` whose edits also reach the JSON object."""

    __slots__ = ("_json",)

    def __init__(self, json_map: dict[str, Any], typed: dict[str, Any]) -> None:
        super().__init__(typed)
        self._json = json_map

    def _mirror(self) -> None:
        typed = {key: _json_of(entry) for key, entry in self.items()}
        self._json.clear()
        self._json.update(typed)

    def __reduce__(self) -> Any:
        return dict, (dict(self),)

    for _name in ("__setitem__", "__delitem__", "__ior__", "pop", "popitem", "clear", "update", "setdefault"):
        locals()[_name] = _mirrored(getattr(dict, _name))
    del _name

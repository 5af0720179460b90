"""pystac objects from this library's models, and back: ``to_pystac`` / ``from_pystac``.

The STAC ecosystem (odc-stac, stackstac, pystac-client, stac-geoparquet...) speaks ``pystac``.
This bridge turns a :class:`~azure.planetarycomputer.models.StacItem` into a ``pystac.Item``, a
``StacCollection`` into a ``pystac.Collection`` and a search page (``StacItemCollection``) or any
iterable of items into a ``pystac.ItemCollection``; :func:`from_pystac` goes the other way, for
writes (``client.stac.create_item(..., body=from_pystac(item))``).

Both sides are views of the same STAC JSON, so the conversion goes through it and nothing is
interpreted here: the model's wire JSON (as ``SdkJSONEncoder`` writes it) is read by
``pystac.*.from_dict(..., migrate=False)``, and ``to_dict(transform_hrefs=False)`` is read back
into the model. Every field survives the round trip -- ``msft:*`` and ``_msft:*`` fields,
extension fields, every link (self, root, parent included), assets' extra fields. Two things
pystac does on its own:

* it writes its own STAC version in ``to_dict``; the source's ``stac_version`` is kept in the
  object's ``extra_fields``, so it is written back unchanged;
* it writes ``properties.datetime`` in its canonical RFC 3339 form (the same instant).

Methods: ``to_pystac()`` on ``StacItem``, ``StacCollection`` and ``StacItemCollection`` (lazy
search items included), and the class methods ``StacItem.from_pystac``,
``StacCollection.from_pystac`` and ``StacItemCollection.from_pystac``, are added to the generated
classes by :func:`attach_model_methods` (called once when the package is imported), so that every
instance has them whichever operation built it. pystac is imported when a conversion runs; the
``[pystac]`` extra installs it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Union

from .._generated._utils.model_base import SdkJSONEncoder
from .._generated.models import StacCollection, StacItem, StacItemCollection
from ._extras import require

if TYPE_CHECKING:
    import pystac

__all__ = [
    "attach_model_methods",
    "collection_to_pystac",
    "from_pystac",
    "item_collection_to_pystac",
    "item_to_pystac",
    "pystac_module",
    "stac_json",
    "to_pystac",
]

PystacObject = Union["pystac.Item", "pystac.Collection", "pystac.ItemCollection"]
StacModel = Union[StacItem, StacCollection, StacItemCollection]


def pystac_module() -> Any:
    """The pystac module, or an ImportError naming the ``[pystac]`` extra."""
    return require("pystac", "pystac")


def stac_json(obj: Any, argument: str = "obj") -> dict[str, Any]:
    """The STAC JSON of a model or mapping, as a new plain dict (models inside are serialized too)."""
    if not isinstance(obj, Mapping):
        raise TypeError(f"{argument} must be a STAC model or a mapping, got {type(obj).__name__}")
    data: dict[str, Any] = json.loads(json.dumps(obj, cls=SdkJSONEncoder))
    return data


def _keep_version(pystac_object: Any, version: Any) -> Any:
    if isinstance(version, str):
        pystac_object.extra_fields["stac_version"] = version
    return pystac_object


def _item_from_json(pystac: Any, data: dict[str, Any]) -> pystac.Item:
    # Read before from_dict, which takes fields out of the dict it is given.
    version = data.get("stac_version")
    return _keep_version(pystac.Item.from_dict(data, preserve_dict=False, migrate=False), version)


def item_to_pystac(item: StacItem | Mapping[str, Any]) -> pystac.Item:
    """A ``pystac.Item`` holding every field of ``item`` (a model or STAC item JSON).

    :raises TypeError: ``item`` is not a mapping.
    :raises ImportError: pystac is not installed (the ``[pystac]`` extra).
    """
    pystac = pystac_module()
    return _item_from_json(pystac, stac_json(item, "item"))


def collection_to_pystac(collection: StacCollection | Mapping[str, Any]) -> pystac.Collection:
    """A ``pystac.Collection`` holding every field of ``collection`` (a model or STAC JSON).

    :raises TypeError: ``collection`` is not a mapping.
    :raises ImportError: pystac is not installed (the ``[pystac]`` extra).
    """
    pystac = pystac_module()
    data = stac_json(collection, "collection")
    version = data.get("stac_version")
    return _keep_version(pystac.Collection.from_dict(data, preserve_dict=False, migrate=False), version)


def item_collection_to_pystac(
    items: StacItemCollection | Mapping[str, Any] | Iterable[StacItem | Mapping[str, Any]],
) -> pystac.ItemCollection:
    """A ``pystac.ItemCollection`` of a search page (its links and context kept) or of items.

    :param items: A ``StacItemCollection`` / FeatureCollection JSON, or any iterable of items
        (e.g. a search pager: every page is fetched).
    :raises TypeError: ``items`` is neither.
    :raises ImportError: pystac is not installed (the ``[pystac]`` extra).
    """
    pystac = pystac_module()
    if isinstance(items, Mapping):
        data = stac_json(items, "items")
        features = data.pop("features", None)
        if data.get("type") != "FeatureCollection" or not isinstance(features, list):
            raise TypeError("items must be a FeatureCollection (a search page) or an iterable of items")
        data.pop("type")
        extra_fields = data
    elif isinstance(items, Iterable) and not isinstance(items, (str, bytes)):
        features, extra_fields = [stac_json(item, "each item") for item in items], {}
    else:
        raise TypeError(f"items must be a search page or an iterable of items, got {type(items).__name__}")
    converted = [_item_from_json(pystac, feature) for feature in features]
    # Not cloned: the items are new, and cloning loses their extra fields in pystac 1.10.
    return pystac.ItemCollection(converted, extra_fields=extra_fields, clone_items=False)


def to_pystac(obj: StacModel | Mapping[str, Any]) -> PystacObject:
    """The pystac object for a STAC item, collection or item collection (model or JSON).

    :raises TypeError: ``obj`` is none of them.
    :raises ImportError: pystac is not installed (the ``[pystac]`` extra).
    """
    kind = obj.get("type") if isinstance(obj, Mapping) else None
    if isinstance(obj, StacItem) or kind == "Feature":
        return item_to_pystac(obj)
    if isinstance(obj, StacCollection) or kind == "Collection":
        return collection_to_pystac(obj)
    if isinstance(obj, StacItemCollection) or kind == "FeatureCollection":
        return item_collection_to_pystac(obj)
    raise TypeError(
        "obj must be a STAC item, collection or item collection (type 'Feature', 'Collection' or "
        f"'FeatureCollection'), got {type(obj).__name__}" + (f" of type {kind!r}" if kind is not None else "")
    )


def from_pystac(obj: PystacObject) -> StacModel:
    """This library's model for a ``pystac.Item``, ``pystac.Collection`` or ``pystac.ItemCollection``.

    The model holds the object's ``to_dict(transform_hrefs=False)``: hrefs stay as they are.

    :raises TypeError: ``obj`` is not one of these pystac objects.
    :raises ImportError: pystac is not installed (the ``[pystac]`` extra).
    """
    pystac = pystac_module()
    if isinstance(obj, pystac.Item):
        return StacItem(obj.to_dict(include_self_link=True, transform_hrefs=False))
    if isinstance(obj, pystac.Collection):
        return StacCollection(obj.to_dict(include_self_link=True, transform_hrefs=False))
    if isinstance(obj, pystac.ItemCollection):
        return StacItemCollection(obj.to_dict(transform_hrefs=False))
    raise TypeError(
        f"obj must be a pystac.Item, pystac.Collection or pystac.ItemCollection, got {type(obj).__name__}"
    )


def _from_pystac_as(model: type[StacModel], expected: str) -> Any:
    def from_pystac_method(cls: type[StacModel], obj: Any) -> StacModel:
        pystac = pystac_module()
        if not isinstance(obj, getattr(pystac, expected)):
            raise TypeError(f"obj must be a pystac.{expected}, got {type(obj).__name__}")
        return from_pystac(obj)

    from_pystac_method.__name__ = "from_pystac"
    from_pystac_method.__qualname__ = f"{model.__name__}.from_pystac"
    from_pystac_method.__doc__ = (
        f"A {model.__name__} holding every field of a ``pystac.{expected}`` (for writes).\n\n"
        f":raises TypeError: ``obj`` is not a ``pystac.{expected}``.\n"
        ":raises ImportError: pystac is not installed (the ``[pystac]`` extra)."
    )
    return classmethod(from_pystac_method)


def _to_pystac_method(convert: Any, model: type[StacModel], target: str) -> Any:
    def to_pystac_method(self: StacModel) -> Any:
        return convert(self)

    to_pystac_method.__name__ = "to_pystac"
    to_pystac_method.__qualname__ = f"{model.__name__}.to_pystac"
    to_pystac_method.__doc__ = (
        f"This {model.__name__} as a ``pystac.{target}`` holding every field (see "
        ":mod:`azure.planetarycomputer._bridges._pystac`).\n\n"
        ":raises ImportError: pystac is not installed (the ``[pystac]`` extra)."
    )
    return to_pystac_method


def attach_model_methods() -> None:
    """Give the generated STAC models ``to_pystac()`` and the class method ``from_pystac()``.

    Set on the generated classes themselves (not on subclasses), so that models built by any
    operation, lazily or eagerly, have them; generated/ stays untouched. Idempotent.
    """
    for model, convert, target in (
        (StacItem, item_to_pystac, "Item"),
        (StacCollection, collection_to_pystac, "Collection"),
        (StacItemCollection, item_collection_to_pystac, "ItemCollection"),
    ):
        # setattr: the generated classes do not declare these names, and type checkers know it.
        setattr(model, "to_pystac", _to_pystac_method(convert, model, target))  # noqa: B010
        setattr(model, "from_pystac", _from_pystac_as(model, target))  # noqa: B010

"""Prepare a collection or item copied from another STAC catalog for a GeoCatalog.

Items and collections read from another catalog (the public Planetary Computer, or another
GeoCatalog) carry things this service refuses or would serve wrongly:

* service-maintained ``msft:*`` / ``_msft:*`` fields (creation stamps, etags, container names);
* dynamic assets that point at the other catalog's tiler (``tilejson``, ``rendered_preview``, or any
  asset whose href is a ``/api/data/`` tiler URL): they are not files, and would keep sending
  viewers to the other service;
* navigation links (``self``, ``root``, ``parent``, ``collection``, ``items``) and ``preview``
  links of the other catalog: this service writes its own;
* ids with characters outside ``A-Z a-z 0-9 - _ .``. The contract names no id pattern; these are
  the characters that reach the service unescaped in a URL path, as every id of the recorded
  traffic does. Others become ``-``.

:func:`prepare_for_geocatalog` returns a copy and the list of what it changed; the input is untouched.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DYNAMIC_ASSET_KEYS", "PreparedObject", "clean_id", "prepare_for_geocatalog", "to_json_dict"]

DYNAMIC_ASSET_KEYS = frozenset({"tilejson", "rendered_preview"})
"""Asset keys that name tiler endpoints rather than files."""
_FOREIGN_LINK_RELS = frozenset({"self", "root", "parent", "collection", "items", "preview", "tilejson"})
_NOT_ALLOWED_IN_ID = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class PreparedObject:
    """A collection or item made ready for this service, and what was changed to get there.

    :ivar value: The prepared JSON object (a new dict).
    :ivar changes: One line per change, e.g. ``"dropped asset 'tilejson' (dynamic)"``.
    :ivar original_id: The id before cleaning.
    """

    value: dict[str, Any]
    changes: list[str] = field(default_factory=list)
    original_id: str | None = None

    @property
    def id(self) -> str | None:
        item_id = self.value.get("id")
        return item_id if isinstance(item_id, str) else None


def to_json_dict(obj: Any, argument: str = "item") -> dict[str, Any]:
    """A STAC object as a plain JSON dict: a pystac object, one of this library's models, or a mapping."""
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict) and not isinstance(obj, Mapping):  # pystac Item / Collection
        value = to_dict(include_self_link=False) if _takes_self_link(obj) else to_dict()
        return dict(value)
    as_dict = getattr(obj, "as_dict", None)
    if callable(as_dict):  # this library's models
        return dict(as_dict())
    if isinstance(obj, Mapping):
        return copy.deepcopy(dict(obj))
    raise TypeError(
        f"{argument} must be a pystac object, a model of azure.planetarycomputer.models or a mapping, "
        f"got {type(obj).__name__}"
    )


def _takes_self_link(obj: Any) -> bool:
    import inspect

    try:
        return "include_self_link" in inspect.signature(obj.to_dict).parameters
    except (TypeError, ValueError):
        return False


def clean_id(value: str) -> str:
    """``value`` with every run of characters the service does not take replaced by ``-``."""
    cleaned = _NOT_ALLOWED_IN_ID.sub("-", value).strip("-")
    if cleaned in ("", ".", ".."):
        raise ValueError(f"id {value!r} has no characters the service allows (A-Z a-z 0-9 - _ .)")
    return cleaned


def _is_service_field(key: str) -> bool:
    return key.startswith(("msft:", "_msft:"))


def _is_dynamic_asset(key: str, asset: Any) -> bool:
    if key in DYNAMIC_ASSET_KEYS:
        return True
    href = asset.get("href", "") if isinstance(asset, Mapping) else ""
    return isinstance(href, str) and "/api/data/" in href


def prepare_for_geocatalog(obj: Any, *, collection_id: str | None = None) -> PreparedObject:
    """A copy of a STAC item or collection from another catalog, ready to be written here.

    :param obj: A STAC item or collection: pystac object, model of this library, or mapping.
    :param collection_id: For an item, the collection it will be written to (sets ``collection``).
    :return: The prepared object and the list of changes made.
    :raises TypeError: ``obj`` is not a STAC object.
    :raises ValueError: ``obj`` has no id, or one with no allowed character.
    """
    value = to_json_dict(obj, "obj")
    original_id = value.get("id")
    if not isinstance(original_id, str) or not original_id:
        raise ValueError("obj must have a non-empty string 'id'")
    prepared = PreparedObject(value, original_id=original_id)
    changes = prepared.changes

    for key in [key for key in value if _is_service_field(key)]:
        del value[key]
        changes.append(f"dropped field {key!r} (service-maintained)")
    properties = value.get("properties")
    if isinstance(properties, dict):
        for key in [key for key in properties if _is_service_field(key)]:
            del properties[key]
            changes.append(f"dropped property {key!r} (service-maintained)")

    assets = value.get("assets")
    if isinstance(assets, dict):
        for key in [key for key, asset in assets.items() if _is_dynamic_asset(key, asset)]:
            del assets[key]
            changes.append(f"dropped asset {key!r} (dynamic, served by the other catalog's tiler)")

    links = value.get("links")
    if isinstance(links, list):
        kept = [
            link
            for link in links
            if not (isinstance(link, Mapping) and link.get("rel") in _FOREIGN_LINK_RELS)
        ]
        for link in links:
            if link not in kept:
                changes.append(f"dropped link rel={link.get('rel')!r} (points into the other catalog)")
        value["links"] = kept

    cleaned = clean_id(original_id)
    if cleaned != original_id:
        value["id"] = cleaned
        changes.append(f"id {original_id!r} -> {cleaned!r} (characters outside A-Z a-z 0-9 - _ .)")
    if (
        collection_id is not None
        and value.get("type") == "Feature"
        and value.get("collection") != collection_id
    ):
        changes.append(f"collection {value.get('collection')!r} -> {collection_id!r}")
        value["collection"] = collection_id
    return prepared

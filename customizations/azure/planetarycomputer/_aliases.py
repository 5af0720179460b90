"""Names used by the document this library was commissioned from, as thin aliases.

``list_collections`` is ``get_collections``, ``search_items`` is ``search`` (one page), and
``create_or_update_collection`` puts a collection in place whether or not it exists: it asks
``get_collection``; on 404 it runs ``begin_create_collection`` to completion and returns the new
collection (``get_collection`` again), otherwise it calls ``replace_collection``. The async twins
are in :mod:`azure.planetarycomputer.aio._aliases`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError

from ._generated.models import (
    StacAssetUrlSigningMode,
    StacCatalogCollections,
    StacCollection,
    StacItemCollection,
    StacSearchParameters,
)
from ._generated.models import StacExtensionSpatialExtent as _GeneratedStacExtensionSpatialExtent
from ._generated.operations import StacOperations as _GeneratedStacOperations

__all__ = ["StacAliases", "StacExtensionSpatialExtent"]

JSON = Mapping[str, Any]
_POLLING_OPTIONS = ("polling", "polling_interval", "continuation_token")


class StacExtensionSpatialExtent(_GeneratedStacExtensionSpatialExtent):
    """Spatial extent of a collection: its bounding boxes, the first one covering all the others.

    The generated model, also accepting ``bbox=`` (the STAC field name, as in
    ``StacExtensionSpatialExtent(bbox=[[-180.0, -90.0, 180.0, 90.0]])``) for ``bounding_box=``.

    :keyword bbox: Bounding boxes as ``[west, south, east, north]`` lists (or 6 numbers with
        elevation). Same as ``bounding_box``.
    :paramtype bbox: list[list[float]]
    """

    def __init__(self, *args: Any, bbox: list[list[float]] | None = None, **kwargs: Any) -> None:
        if bbox is not None:
            if args or "bounding_box" in kwargs:
                raise TypeError(
                    "StacExtensionSpatialExtent takes bbox or bounding_box (or a mapping), not both"
                )
            kwargs["bounding_box"] = bbox
        super().__init__(*args, **kwargs)


def _collection_body(collection_id: Any, body: Any) -> StacCollection | dict[str, Any]:
    """``body`` checked against ``collection_id``; a body without an id gets ``collection_id``."""
    if not isinstance(collection_id, str):
        raise TypeError(f"collection_id must be a str, got {type(collection_id).__name__}")
    if not collection_id.strip():
        raise ValueError("collection_id must not be empty")
    if not isinstance(body, Mapping):
        raise TypeError(f"body must be a StacCollection or a mapping, got {type(body).__name__}")
    body_id = body.get("id")
    if body_id is None:
        return {**dict(body.items()), "id": collection_id}
    if body_id != collection_id:
        raise ValueError(f"body id {body_id!r} does not match collection_id {collection_id!r}")
    return body if isinstance(body, StacCollection) else dict(body.items())


def _split_polling(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {name: kwargs.pop(name) for name in _POLLING_OPTIONS if name in kwargs}


class StacAliases(_GeneratedStacOperations):
    """``list_collections``, ``search_items`` and ``create_or_update_collection``."""

    def list_collections(
        self,
        *,
        sign: str | StacAssetUrlSigningMode | None = None,
        duration_in_minutes: int | None = None,
        **kwargs: Any,
    ) -> StacCatalogCollections:
        """List the catalog's STAC collections: :meth:`get_collections` under another name.

        :keyword sign: Sign asset URLs with SAS tokens: 'true' or 'false'.
        :paramtype sign: str or ~azure.planetarycomputer.models.StacAssetUrlSigningMode
        :keyword duration_in_minutes: Validity in minutes of the SAS tokens used to sign asset URLs.
        :paramtype duration_in_minutes: int
        :return: The collections (``.collections``) and the catalog links.
        :rtype: ~azure.planetarycomputer.models.StacCatalogCollections
        :raises ~azure.core.exceptions.HttpResponseError:
        """
        return self.get_collections(sign=sign, duration_in_minutes=duration_in_minutes, **kwargs)

    def search_items(
        self,
        body: StacSearchParameters | JSON | IO[bytes],
        *,
        sign: str | StacAssetUrlSigningMode | None = None,
        duration_in_minutes: int | None = None,
        **kwargs: Any,
    ) -> StacItemCollection:
        """One page of search results: :meth:`search` under another name.

        For every page use ``search_items_paged``.

        :param body: The search parameters.
        :type body: ~azure.planetarycomputer.models.StacSearchParameters or JSON or IO[bytes]
        :keyword sign: Sign asset URLs with SAS tokens: 'true' or 'false'.
        :paramtype sign: str or ~azure.planetarycomputer.models.StacAssetUrlSigningMode
        :keyword duration_in_minutes: Validity in minutes of the SAS tokens used to sign asset URLs.
        :paramtype duration_in_minutes: int
        :return: One page of matching items (``.features``), with its links and context.
        :rtype: ~azure.planetarycomputer.models.StacItemCollection
        :raises ~azure.core.exceptions.HttpResponseError:
        """
        return self.search(body, sign=sign, duration_in_minutes=duration_in_minutes, **kwargs)  # type: ignore[arg-type]

    def create_or_update_collection(
        self, collection_id: str, body: StacCollection | JSON, **kwargs: Any
    ) -> StacCollection:
        """Create the collection when it does not exist, replace it when it does; return it.

        Asks :meth:`get_collection`: on 404 it runs :meth:`begin_create_collection` to completion
        (polling as ``polling_interval`` says) and returns :meth:`get_collection` of the new
        collection; otherwise (or if the collection appeared meanwhile) it returns
        :meth:`replace_collection`.

        :param collection_id: Id of the collection; must equal ``body``'s id when it has one.
        :type collection_id: str
        :param body: The collection.
        :type body: ~azure.planetarycomputer.models.StacCollection or Mapping[str, Any]
        :keyword int polling_interval: Seconds between polls of the creation, when it is created.
        :return: The collection as stored.
        :rtype: ~azure.planetarycomputer.models.StacCollection
        :raises ValueError: ``collection_id`` is empty or differs from ``body``'s id.
        :raises TypeError: ``collection_id`` is not a str or ``body`` not a mapping.
        :raises ~azure.core.exceptions.HttpResponseError:
        """
        payload = _collection_body(collection_id, body)
        polling = _split_polling(kwargs)
        try:
            self.get_collection(collection_id, **kwargs)
        except ResourceNotFoundError:
            try:
                self.begin_create_collection(payload, **kwargs, **polling).result()
            except ResourceExistsError:
                return self.replace_collection(collection_id, payload, **kwargs)
            return self.get_collection(collection_id, **kwargs)
        return self.replace_collection(collection_id, payload, **kwargs)

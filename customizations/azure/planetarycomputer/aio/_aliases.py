"""Async twin of :mod:`azure.planetarycomputer._aliases`: the commissioned names as thin aliases."""

from __future__ import annotations

from typing import IO, Any

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError

from .._aliases import JSON, _collection_body, _split_polling
from .._generated.aio.operations import StacOperations as _GeneratedAsyncStacOperations
from .._generated.models import (
    StacAssetUrlSigningMode,
    StacCatalogCollections,
    StacCollection,
    StacItemCollection,
    StacSearchParameters,
)

__all__ = ["AsyncStacAliases"]


class AsyncStacAliases(_GeneratedAsyncStacOperations):
    """Async ``list_collections``, ``search_items`` and ``create_or_update_collection``."""

    async def list_collections(
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
        return await self.get_collections(sign=sign, duration_in_minutes=duration_in_minutes, **kwargs)

    async def search_items(
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
        return await self.search(body, sign=sign, duration_in_minutes=duration_in_minutes, **kwargs)  # type: ignore[arg-type]

    async def create_or_update_collection(
        self, collection_id: str, body: StacCollection | JSON, **kwargs: Any
    ) -> StacCollection:
        """Create the collection when it does not exist, replace it when it does; return it.

        The async twin of the sync ``create_or_update_collection``.

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
            await self.get_collection(collection_id, **kwargs)
        except ResourceNotFoundError:
            try:
                poller = await self.begin_create_collection(payload, **kwargs, **polling)
                await poller.result()
            except ResourceExistsError:
                return await self.replace_collection(collection_id, payload, **kwargs)
            return await self.get_collection(collection_id, **kwargs)
        return await self.replace_collection(collection_id, payload, **kwargs)

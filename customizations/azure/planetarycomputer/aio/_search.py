"""Paged STAC item search for the asynchronous client: ``async_client.stac.search_items_paged(...)``."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Iterator, Sequence
from typing import IO, Any, Callable, cast

from azure.core.async_paging import AsyncItemPaged, AsyncPageIterator
from azure.core.rest import AsyncHttpResponse, HttpRequest

from .._bridges import AsyncSearchExports
from .._generated.aio.operations import StacOperations as _GeneratedStacOperations
from .._generated.models import StacAssetUrlSigningMode, StacItem, StacItemCollection, StacSearchParameters
from .._search import JSON
from .._search_paging import (
    SEARCH_RETRY_METHODS,
    FetchedPage,
    PageRequest,
    SearchPager,
    hand_out,
    prepare_search,
)
from .._search_params import DatetimeLike, GeoInterface

__all__ = ["AsyncSearchItemsPaged", "StacSearchOperations"]


class AsyncSearchItemsPaged(AsyncItemPaged[StacItem], AsyncSearchExports):
    """The items of a search across all its pages, fetched page by page as they are iterated.

    ``async for item in pager`` yields :class:`~azure.planetarycomputer.models.StacItem` objects;
    ``pager.by_page()`` yields pages (async iterators of items) and has a ``continuation_token``
    after each page, which ``pager.by_page(continuation_token=token)`` resumes from. The whole
    search exports with ``await pager.to_pystac()``, ``to_arrow()``, ``to_geoparquet(path)`` and
    ``to_geodataframe()`` (see ``_bridges``).
    """

    def __init__(self, pager: SearchPager, send: Callable[..., Awaitable[AsyncHttpResponse]]) -> None:
        self._pager = pager
        self._send = send
        super().__init__(self._get_next, self._extract_data)

    async def _fetch(self, request: PageRequest, yielded: int) -> FetchedPage:
        response = await self._send(self._pager.http_request(request), **self._pager.options)
        return self._pager.receive(request, yielded, response)

    async def _get_next(self, continuation_token: str | None) -> FetchedPage:
        if continuation_token is None and self._pager.prefetched is not None:
            fetched, self._pager.prefetched = self._pager.prefetched, None
            return fetched
        request, yielded = self._pager.start(continuation_token)
        if self._pager.exhausted(yielded):
            return FetchedPage(request, yielded, {})
        return await self._fetch(request, yielded)

    async def _extract_data(self, fetched: FetchedPage) -> tuple[str | None, Iterator[StacItem]]:
        token, items = self._pager.page(fetched)
        return token, hand_out(items)

    def by_page(self, continuation_token: str | None = None) -> AsyncPageIterator[StacItem]:
        """The pages of the search, each an async iterator of items, from the first or from a token.

        After each page, ``continuation_token`` of the returned iterator resumes at the page after
        it (None after the last page).

        :param continuation_token: A token from an earlier pass (any process); None starts over.
        :type continuation_token: str or None
        :return: An async iterator of pages, with a ``continuation_token`` attribute.
        :rtype: ~azure.core.async_paging.AsyncPageIterator[~azure.planetarycomputer.models.StacItem]
        """
        return cast("AsyncPageIterator[StacItem]", super().by_page(continuation_token))

    async def matched(self) -> int | None:
        """How many items match the search in all, when the service reports it; otherwise None.

        Read from the page fetched last (``context.matched`` or ``numberMatched``). Before any page
        has been fetched, this fetches the first one; iterating afterwards starts with that page
        instead of requesting it again.
        """
        if self._pager.pages_received == 0:
            self._pager.prefetched = await self._fetch(self._pager.first, 0)
        return self._pager.matched

    def __repr__(self) -> str:
        return f"<AsyncSearchItemsPaged POST {self._pager.first.href}>"


class StacSearchOperations(_GeneratedStacOperations):
    """Item search across pages (:meth:`search_items_paged`), and a search POST that is retried."""

    def search_items_paged(
        self,
        body: StacSearchParameters | JSON | None = None,
        *,
        collections: str | Iterable[str] | None = None,
        ids: str | Iterable[str] | None = None,
        bbox: Sequence[float] | None = None,
        intersects: JSON | GeoInterface | None = None,
        datetime: DatetimeLike | None = None,
        query: JSON | None = None,
        filter: JSON | str | None = None,
        filter_lang: str | None = None,
        filter_crs: str | None = None,
        sortby: str | Iterable[str | JSON] | None = None,
        fields: str | Iterable[str] | JSON | None = None,
        limit: int | None = None,
        max_items: int | None = None,
        sign: bool | str | StacAssetUrlSigningMode | None = None,
        duration_in_minutes: int | None = None,
        **kwargs: Any,
    ) -> AsyncSearchItemsPaged:
        """Search items across collections and iterate over every match, page after page.

        The async twin of :meth:`azure.planetarycomputer.operations.StacOperations.search_items_paged`
        (same arguments, same checks before any request). Not a coroutine: it returns the pager at
        once, and pages are fetched as ``async for`` reaches them.

        .. code-block:: python

            async for item in client.stac.search_items_paged(collections="naip", datetime="2021"):
                print(item.id)

        :param body: Search parameters to start from (wire names, e.g. a ``StacSearchParameters``).
        :type body: ~azure.planetarycomputer.models.StacSearchParameters or Mapping[str, Any] or None
        :keyword collections: Collection ids: ``"naip"``, ``"a,b"`` or a list.
        :keyword ids: Item ids: a string or a list.
        :keyword bbox: 4 or 6 numbers in WGS84 degrees. Not together with ``intersects``.
        :keyword intersects: A GeoJSON geometry mapping or an object with ``__geo_interface__``.
        :keyword datetime: A datetime, date, ``(start, end)`` pair or RFC 3339 string (partial forms
            ``"2023"``, ``"2023-06"``, ``"2023-06-10"`` cover the whole period).
        :keyword query: Query extension filter.
        :keyword filter: CQL2 filter: a mapping (CQL2-JSON) or a string (CQL2-text).
        :keyword filter_lang: Must agree with ``filter`` when given.
        :keyword filter_crs: CRS of the filter's geometries.
        :keyword sortby: ``"-properties.datetime"``, comma-separated keys, or a list.
        :keyword fields: ``"id,-geometry"``, a list of names, or an include/exclude mapping.
        :keyword limit: Page size, 1 to 10000.
        :keyword max_items: Stop after this many items in all.
        :keyword sign: Sign asset URLs with SAS tokens.
        :keyword duration_in_minutes: Validity of the SAS tokens used to sign asset URLs.

        Other keywords are per-call options applied to every page request: ``headers``,
        ``params``, ``logging_enable``, ``retry_total``, ``error_map``...

        :return: An async iterator of the matching items, with ``by_page()`` and ``matched()``.
        :rtype: ~azure.core.async_paging.AsyncItemPaged[~azure.planetarycomputer.models.StacItem]
        :raises ValueError: An argument is malformed or out of range (before any request).
        :raises TypeError: An argument is of the wrong kind (before any request).
        """
        pager = prepare_search(
            endpoint=self._config.endpoint,
            api_version=self._config.api_version,
            format_url=self._client.format_url,
            body=body,
            collections=collections,
            ids=ids,
            bbox=bbox,
            intersects=intersects,
            datetime=datetime,
            query=query,
            filter=filter,
            filter_lang=filter_lang,
            filter_crs=filter_crs,
            sortby=sortby,
            fields=fields,
            limit=limit,
            max_items=max_items,
            sign=sign,
            duration_in_minutes=duration_in_minutes,
            kwargs=kwargs,
        )
        return AsyncSearchItemsPaged(pager, self._send_page)

    async def _send_page(self, request: HttpRequest, **options: Any) -> AsyncHttpResponse:
        # Sent as a stream and read here: a non-stream response would also be parsed by the
        # pipeline's ContentDecodePolicy, doubling the cost of the JSON parse, the main CPU cost.
        pipeline_response = await self._client._pipeline.run(request, stream=True, **options)
        response: AsyncHttpResponse = pipeline_response.http_response
        await response.read()
        return response

    async def search(
        self,
        body: StacSearchParameters | JSON | IO[bytes],
        *,
        sign: str | StacAssetUrlSigningMode | None = None,
        duration_in_minutes: int | None = None,
        **kwargs: Any,
    ) -> StacItemCollection:
        """Search items across collections and return one page of results (``POST /stac/search``).

        The generated operation, retried like a GET on 408/429/5xx and connection errors: a search
        only reads. For every page of a search use :meth:`search_items_paged`.

        :param body: The search parameters.
        :type body: ~azure.planetarycomputer.models.StacSearchParameters or JSON or IO[bytes]
        :keyword sign: Whether asset URLs in the response are signed with SAS tokens: 'true' or 'false'.
        :paramtype sign: str or ~azure.planetarycomputer.models.StacAssetUrlSigningMode
        :keyword duration_in_minutes: Validity in minutes of the SAS tokens used to sign asset URLs.
        :paramtype duration_in_minutes: int
        :return: One page of matching items, with its links (``next``) and context.
        :rtype: ~azure.planetarycomputer.models.StacItemCollection
        :raises ~azure.core.exceptions.HttpResponseError:
        """
        kwargs.setdefault("retry_on_methods", SEARCH_RETRY_METHODS)
        return await super().search(body, sign=sign, duration_in_minutes=duration_in_minutes, **kwargs)  # type: ignore[arg-type]

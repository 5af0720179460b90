"""Paged STAC item search for the synchronous client: ``client.stac.search_items_paged(...)``."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, Any, Callable, cast

from azure.core.paging import ItemPaged, PageIterator
from azure.core.rest import HttpRequest, HttpResponse

from ._bridges import PystacClientOperations, SearchExports, attach_model_methods
from ._dask._operations import DaskSearchOperations
from ._generated.models import StacAssetUrlSigningMode, StacItem, StacItemCollection, StacSearchParameters
from ._generated.operations import StacOperations as _GeneratedStacOperations
from ._search_paging import (
    SEARCH_RETRY_METHODS,
    FetchedPage,
    PageRequest,
    PagingPass,
    SearchPager,
    hand_out,
    prepare_search,
)
from ._search_params import DatetimeLike, GeoInterface

__all__ = ["SearchItemsPaged", "StacSearchOperations"]

JSON = Mapping[str, Any]

# Every client imports this module: from here on the generated STAC models have to_pystac() and
# from_pystac() (see _bridges/_pystac.py), whichever operation builds them.
attach_model_methods()


class SearchItemsPaged(ItemPaged[StacItem], SearchExports):
    """The items of a search across all its pages, fetched page by page as they are iterated.

    ``for item in pager`` yields :class:`~azure.planetarycomputer.models.StacItem` objects;
    ``pager.by_page()`` yields pages (iterators of items) and has a ``continuation_token`` after each
    page, which ``pager.by_page(continuation_token=token)`` resumes from, in this process or another.
    The whole search exports with ``to_pystac()``, ``to_arrow()``, ``to_geoparquet(path)`` and
    ``to_geodataframe()`` (see ``_bridges``).
    """

    def __init__(self, pager: SearchPager, send: Callable[..., HttpResponse]) -> None:
        self._pager = pager
        self._send = send
        super().__init__(self._unused, self._unused)  # by_page() builds each pass

    def _fetch(self, state: PagingPass, request: PageRequest, yielded: int) -> FetchedPage:
        response = self._send(self._pager.http_request(request), **self._pager.options)
        return state.admit(self._pager.receive(request, yielded, response, state.pages + 1))

    def _get_next(self, state: PagingPass, continuation_token: str | None) -> FetchedPage:
        state.stop_on_cycle()
        if continuation_token is None and self._pager.prefetched is not None:
            fetched, self._pager.prefetched = self._pager.prefetched, None
            return state.admit(fetched)
        request, yielded = self._pager.start(continuation_token)
        if self._pager.exhausted(yielded):
            return FetchedPage(request, yielded, {})
        return self._fetch(state, request, yielded)

    def _extract_data(self, state: PagingPass, fetched: FetchedPage) -> tuple[str | None, Iterator[StacItem]]:
        token, items = self._pager.page(fetched, state)
        return token, hand_out(items)

    @staticmethod
    def _unused(*args: Any) -> Any:
        raise AssertionError("by_page() builds the page iterator of each pass")

    def by_page(self, continuation_token: str | None = None) -> PageIterator[StacItem]:
        """The pages of the search, each an iterator of items, from the first or from a token.

        After each page, ``continuation_token`` of the returned iterator resumes at the page after
        it (None after the last page); an error raised while fetching a page carries the token of
        that page as its ``continuation_token``.

        :param continuation_token: A token from an earlier pass (any process); None starts over.
        :type continuation_token: str or None
        :return: An iterator of pages, with a ``continuation_token`` attribute.
        :rtype: ~azure.core.paging.PageIterator[~azure.planetarycomputer.models.StacItem]
        :raises ValueError: ``continuation_token`` is not a token of a search (when iterated).
        """
        state = PagingPass()  # each pass counts its own pages and detects next-link cycles
        return PageIterator(
            functools.partial(self._get_next, state),
            cast(Any, functools.partial(self._extract_data, state)),  # azure-core types the token as str
            continuation_token=continuation_token,
        )

    def matched(self) -> int | None:
        """How many items match the search in all, when the service reports it; otherwise None.

        Read from the page fetched last (``context.matched`` or ``numberMatched``). Before any page
        has been fetched, this fetches the first one; iterating afterwards starts with that page
        instead of requesting it again.
        """
        if self._pager.pages_received == 0:
            self._pager.prefetched = self._fetch(PagingPass(), self._pager.first, 0)
        return self._pager.matched

    def __repr__(self) -> str:
        return f"<SearchItemsPaged POST {self._pager.first.href}>"


class StacSearchOperations(_GeneratedStacOperations, PystacClientOperations, DaskSearchOperations):
    """Item search across pages (:meth:`search_items_paged`), a search POST that is retried, and a
    pystac-client opened on the catalog (:meth:`open_pystac_client`), and a search split into
    partitions for Dask (:meth:`search_partitions`)."""

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
    ) -> SearchItemsPaged:
        """Search items across collections and iterate over every match, page after page.

        Each page is a ``POST /stac/search``; the following pages are fetched through the service's
        ``next`` links (GET links with a token, POST links with a body, merged when the link says
        so) only as iteration reaches them. Items are typed views over the received JSON: nested
        models (geometry, properties, assets, links) are built when first read.

        .. code-block:: python

            pager = client.stac.search_items_paged(
                collections="naip", bbox=(-84.39, 33.76, -84.37, 33.78), datetime="2021", max_items=500
            )
            for item in pager:
                print(item.id, item.properties.date_time, item.assets["image"].href)

            pages = pager.by_page()
            for page in pages:
                handle(list(page))
                save(pages.continuation_token)  # by_page(continuation_token=...) resumes here

        :param body: Search parameters to start from (wire names, e.g. a ``StacSearchParameters``);
            the keyword arguments below are laid over it.
        :type body: ~azure.planetarycomputer.models.StacSearchParameters or Mapping[str, Any] or None
        :keyword collections: Collection ids: ``"naip"``, ``"a,b"`` or a list.
        :paramtype collections: str or Iterable[str] or None
        :keyword ids: Item ids: a string or a list.
        :paramtype ids: str or Iterable[str] or None
        :keyword bbox: ``(west, south, east, north)`` or ``(west, south, zmin, east, north, zmax)``
            in WGS84 degrees; any sequence of numbers. Not together with ``intersects``.
        :paramtype bbox: Sequence[float] or None
        :keyword intersects: A GeoJSON geometry mapping or an object with ``__geo_interface__``
            (e.g. a shapely geometry).
        :paramtype intersects: Mapping[str, Any] or GeoInterface or None
        :keyword datetime: A ``datetime`` (naive means UTC), a ``date``, a ``(start, end)`` pair with
            ``None`` for an open end, or an RFC 3339 string: an instant, ``"start/end"`` with
            ``".."`` for an open end, or a partial date ``"2023"``, ``"2023-06"``, ``"2023-06-10"``
            (the whole year, month or day).
        :paramtype datetime: str or ~datetime.datetime or ~datetime.date or Sequence or None
        :keyword query: Query extension filter, e.g. ``{"eo:cloud_cover": {"lt": 10}}``.
        :paramtype query: Mapping[str, Any] or None
        :keyword filter: CQL2 filter: a mapping (CQL2-JSON) or a string (CQL2-text);
            ``filter_lang`` follows from it.
        :paramtype filter: Mapping[str, Any] or str or None
        :keyword filter_lang: ``"cql2-json"``, ``"cql2-text"`` or ``"cql-json"``; must agree with
            ``filter``.
        :paramtype filter_lang: str or None
        :keyword filter_crs: CRS of the filter's geometries (WGS84 when omitted).
        :paramtype filter_crs: str or None
        :keyword sortby: ``"-properties.datetime"`` (``-`` descending), comma-separated keys, or a
            list of such strings or ``{"field", "direction"}`` mappings.
        :paramtype sortby: str or Iterable or None
        :keyword fields: ``"id,-geometry"`` (``-`` excludes), a list of such names, or an
            ``{"include": [...], "exclude": [...]}`` mapping.
        :paramtype fields: str or Iterable[str] or Mapping[str, Any] or None
        :keyword limit: Page size, 1 to 10000 (the service's default when omitted).
        :paramtype limit: int or None
        :keyword max_items: Stop after this many items in all, whatever the page size; a resumed
            iteration counts the items returned before the token.
        :paramtype max_items: int or None
        :keyword sign: Sign asset URLs with SAS tokens: ``True``/``"true"`` or ``False``/``"false"``.
        :paramtype sign: bool or str or ~azure.planetarycomputer.models.StacAssetUrlSigningMode or None
        :keyword duration_in_minutes: Validity of the SAS tokens used to sign asset URLs.
        :paramtype duration_in_minutes: int or None

        Other keywords are per-call options applied to every page request: ``headers``,
        ``params``, ``logging_enable``, ``retry_total``, ``error_map``...

        :return: An iterator of the matching items, with ``by_page()`` and ``matched()``.
        :rtype: ~azure.core.paging.ItemPaged[~azure.planetarycomputer.models.StacItem]
        :raises ValueError: An argument is malformed or out of range (before any request).
        :raises TypeError: An argument is of the wrong kind (before any request).
        :raises ~azure.core.exceptions.HttpResponseError: While iterating, when a page fails.
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
        return SearchItemsPaged(pager, self._send_page)

    def _send_page(self, request: HttpRequest, **options: Any) -> HttpResponse:
        # Sent as a stream and read here: a non-stream response would also be parsed by the
        # pipeline's ContentDecodePolicy, doubling the cost of the JSON parse, the main CPU cost.
        pipeline_response = self._client._pipeline.run(request, stream=True, **options)
        response: HttpResponse = pipeline_response.http_response
        response.read()
        return response

    def search(
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

        :param body: The search: collections, ids, bbox or intersects, datetime, filters, sorting,
            fields and page size.
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
        return super().search(body, sign=sign, duration_in_minutes=duration_in_minutes, **kwargs)  # type: ignore[arg-type]

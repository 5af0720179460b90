"""Exports of a whole search from its pager: pystac, Arrow, GeoParquet, GeoDataFrame.

Mixed into the search pagers (``client.stac.search_items_paged(...)``): :class:`SearchExports`
into the sync ``SearchItemsPaged``, :class:`AsyncSearchExports` (the same methods, awaitable) into
the async ``AsyncSearchItemsPaged``. Each export makes its own pass over the search, from the
first page, fetching pages as it goes; the optional libraries are imported (or an ImportError
naming the extra is raised) before any request. The conversions live in ``_pystac`` and
``_tables``; this module only drives them page by page.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._generated.models import StacItem
from ._pystac import item_collection_to_pystac, pystac_module
from ._tables import PageSpool, check_path, geodataframe_from_reader, write_geoparquet

if TYPE_CHECKING:
    import pystac

__all__ = ["AsyncSearchExports", "Progress", "SearchExports"]

Progress = Callable[[int], object]
"""Called after each page of an export with the number of items converted so far."""


class SearchExports:
    """``to_pystac``, ``to_arrow``, ``to_geoparquet`` and ``to_geodataframe`` of a sync search pager."""

    if TYPE_CHECKING:

        def by_page(self, continuation_token: str | None = None) -> Iterator[Iterator[StacItem]]: ...

    def to_pystac(self) -> pystac.ItemCollection:
        """Every item of the search in a ``pystac.ItemCollection`` (all pages, held in memory).

        :raises ImportError: pystac is not installed (the ``[pystac]`` extra).
        :raises ~azure.core.exceptions.HttpResponseError: A page failed.
        """
        pystac_module()
        return item_collection_to_pystac(item for page in self.by_page() for item in page)

    def to_arrow(self, *, progress: Progress | None = None) -> Any:
        """Every item of the search as a ``pyarrow.RecordBatchReader`` in the stac-geoparquet layout.

        Pages are fetched and converted one at a time and spooled to a temporary folder, so memory
        stays bounded by a page; the reader then streams the rows back (``.read_all()`` gives a
        ``pyarrow.Table``). A search without items gives a reader with no columns.

        :keyword progress: Called after each page with the number of items converted so far.
        :rtype: pyarrow.RecordBatchReader
        :raises ImportError: pyarrow or stac-geoparquet is not installed (the ``[geoparquet]`` extra).
        :raises TypeError: ``progress`` is not callable (before any request).
        :raises ~azure.core.exceptions.HttpResponseError: A page failed.
        """
        check_progress(progress)
        spool = PageSpool()
        for page in self.by_page():
            spool.add(page)
            if progress is not None:
                progress(spool.items)
        return spool.reader()

    def to_geoparquet(self, path: str | os.PathLike[str], *, progress: Progress | None = None) -> Path:
        """Write every item of the search to a stac-geoparquet file, page by page.

        The file is the layout the service's ``StacGeoparquet`` ingestion reads. It is written to a
        temporary file beside ``path`` and renamed when complete.

        :param path: The file to write (its folder is created if needed).
        :keyword progress: Called after each page with the number of items converted so far.
        :return: ``path``, as a Path.
        :raises TypeError: ``path`` is not a path, or ``progress`` not callable (before any request).
        :raises ValueError: ``path`` is a directory (before any request), or the search has no items.
        :raises ImportError: pyarrow or stac-geoparquet is not installed (the ``[geoparquet]`` extra).
        """
        check_path(path)
        return write_geoparquet(self.to_arrow(progress=progress), path)

    def to_geodataframe(self, *, progress: Progress | None = None) -> Any:
        """Every item of the search as a ``geopandas.GeoDataFrame`` (EPSG:4326), one row per item.

        :keyword progress: Called after each page with the number of items converted so far.
        :rtype: geopandas.GeoDataFrame
        :raises ImportError: geopandas (the ``[geopandas]`` extra) or pyarrow/stac-geoparquet (the
            ``[geoparquet]`` extra) is not installed.
        """
        _require_geopandas()
        return geodataframe_from_reader(self.to_arrow(progress=progress))


class AsyncSearchExports:
    """The exports of :class:`SearchExports` for the async search pager, as coroutines.

    Pages are fetched asynchronously; each page's conversion (CPU work, a few milliseconds per
    hundred items) runs in the event loop's thread between two page requests.
    """

    if TYPE_CHECKING:

        def by_page(
            self, continuation_token: str | None = None
        ) -> AsyncIterator[AsyncIterator[StacItem]]: ...

    async def to_pystac(self) -> pystac.ItemCollection:
        """Every item of the search in a ``pystac.ItemCollection`` (see :meth:`SearchExports.to_pystac`)."""
        pystac_module()
        items = [item async for page in self.by_page() async for item in page]
        return item_collection_to_pystac(items)

    async def to_arrow(self, *, progress: Progress | None = None) -> Any:
        """Every item as a ``pyarrow.RecordBatchReader`` (see :meth:`SearchExports.to_arrow`)."""
        check_progress(progress)
        spool = PageSpool()
        async for page in self.by_page():
            spool.add([item async for item in page])
            if progress is not None:
                progress(spool.items)
        return spool.reader()

    async def to_geoparquet(self, path: str | os.PathLike[str], *, progress: Progress | None = None) -> Path:
        """Write every item to a stac-geoparquet file (see :meth:`SearchExports.to_geoparquet`)."""
        check_path(path)
        return write_geoparquet(await self.to_arrow(progress=progress), path)

    async def to_geodataframe(self, *, progress: Progress | None = None) -> Any:
        """Every item as a ``geopandas.GeoDataFrame`` (see :meth:`SearchExports.to_geodataframe`)."""
        _require_geopandas()
        return geodataframe_from_reader(await self.to_arrow(progress=progress))


def check_progress(progress: object) -> None:
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be callable or None, got {type(progress).__name__}")


def _require_geopandas() -> None:
    from ._extras import require

    require("geopandas", "geopandas")

"""The entry points of the Dask helpers on the sync client: ``client.stac.search_partitions(...)``
and ``client.data.download_tiles_on_dask(...)``.

Mixed into the client's STAC operations (``_search.StacSearchOperations``) and data operations
(``_tiles.DataTileOperations``). Planning a split sends
no request (unless ``max_matched`` asks for the partitions' counts) and imports neither Dask nor
pyarrow; those are imported when the partitions are turned into a bag, a data frame or a job.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._search_params import DatetimeLike, GeoInterface
from ._worker import ClientConfig

if TYPE_CHECKING:
    import os

    from ._partitions import SearchPartitions
    from ._tiles import TileJobResult

__all__ = ["DaskSearchOperations", "DaskTileOperations"]

JSON = Mapping[str, Any]


class DaskSearchOperations:
    """``search_partitions`` for the sync STAC operations."""

    _config: Any
    _storage_host_entries: tuple[str, ...] | None = None
    """The client's ``storage_hosts``, set by the client so that worker clients sign the same hrefs."""

    def search_partitions(
        self,
        body: JSON | None = None,
        *,
        credential_factory: Any,
        by: str | None = None,
        n: int | None = None,
        grid: int | Sequence[int] | None = None,
        max_matched: int | None = None,
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
        client_options: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> SearchPartitions:
        """Split a search into independent, picklable sub-searches that together return its items.

        Split by time (``by="year" | "month" | "week" | "day"``, calendar periods in UTC, or ``n``
        equal windows; the search's ``datetime`` must then be a closed range), by a grid of
        ``grid`` cells (an int n for n x n, or ``(columns, rows)``) over the search's ``bbox``, or
        both. Every item of the unsplit search is returned by exactly one partition, also items on
        window edges and items straddling cells (see :mod:`._partitions`). With ``max_matched``,
        partitions whose search matches more items are halved until none does.

        .. code-block:: python

            from azure.identity import DefaultAzureCredential

            partitions = client.stac.search_partitions(
                collections="naip", datetime="2021", by="month", grid=(2, 2),
                bbox=(-85, 33, -84, 34), credential_factory=DefaultAzureCredential,
            )
            bag = partitions.to_dask_bag()            # dask.bag of STAC item dicts
            frame = partitions.to_dask_dataframe()    # dask DataFrame, stac-geoparquet layout
            results = partitions.map_items(fn, on_error="record")   # on a distributed.Client

        :keyword credential_factory: A picklable callable without arguments returning a
            ``TokenCredential`` (e.g. ``DefaultAzureCredential``, the class): each worker process
            calls it once and keeps its own token, refreshed there.
        :keyword by: Calendar period of the time windows.
        :keyword n: Number of equal time windows.
        :keyword grid: Cells over the search's bbox: n (n x n) or ``(columns, rows)``.
        :keyword max_matched: Halve partitions matching more items than this (asks each one's count).
        :keyword client_options: Options of the clients the workers build (``retry_total``...);
            the storage hosts of this client go along.

        The search arguments are those of :meth:`search_items_paged` (without ``max_items``); other
        keywords are per-call options sent with every page request.

        :rtype: ~azure.planetarycomputer._dask.SearchPartitions
        :raises ValueError: A split or search argument is malformed (before any request).
        :raises TypeError: ``credential_factory`` is missing or is a credential object.
        """
        from ._partitions import plan_partitions

        options = dict(client_options or {})
        if self._storage_host_entries is not None:
            options.setdefault("storage_hosts", list(self._storage_host_entries))
        config = ClientConfig.of(
            self._config.endpoint, credential_factory, api_version=self._config.api_version, options=options
        )
        if kwargs.get("max_items") is not None:
            raise ValueError(
                "max_items cannot be split across partitions; cap the result after collecting it"
            )
        kwargs.pop("max_items", None)
        search = {
            "body": body,
            "collections": collections,
            "ids": ids,
            "bbox": bbox,
            "intersects": intersects,
            "datetime": datetime,
            "query": query,
            "filter": filter,
            "filter_lang": filter_lang,
            "filter_crs": filter_crs,
            "sortby": sortby,
            "fields": fields,
            "limit": limit,
        }
        partitions = plan_partitions(config, search=search, by=by, n=n, grid=grid, options=kwargs)
        if max_matched is not None:
            partitions = partitions.refine(max_matched)
        return partitions


class DaskTileOperations:
    """``download_tiles_on_dask`` for the sync data operations."""

    _storage_host_entries: tuple[str, ...] | None = None
    """The client's ``storage_hosts``, set by the client so that worker clients sign the same hrefs."""

    def download_tiles_on_dask(
        self,
        collection_id: str | None = None,
        item_id: str | None = None,
        *,
        directory: str | os.PathLike[str],
        credential_factory: Any,
        zooms: int | Iterable[int],
        search_id: str | None = None,
        bbox: Sequence[float] | None = None,
        intersects: JSON | GeoInterface | None = None,
        tile_matrix_set_id: str = "WebMercatorQuad",
        format: str = "png",
        overwrite: bool = False,
        max_tiles: int = 50_000,
        tiles_per_task: int = 500,
        retries: int = 2,
        on_error: str = "raise",
        dask_client: Any = None,
        client_options: Mapping[str, Any] | None = None,
        **render_options: Any,
    ) -> TileJobResult:
        """``download_tiles`` across a Dask cluster: the same plan, files and manifest, in bands of rows.

        Takes the target, area, limits and render options of ``download_tiles``. This process
        checks the plan, counts it against ``max_tiles`` and prepares the folder (manifest, leftovers
        of an interrupted run); the tiles are then cut into bands of whole rows of about
        ``tiles_per_task`` tiles, one task each, downloaded by the workers with their own clients
        and written atomically. Tiles whose file exists are skipped (run again to resume); a failed
        tile is tried up to ``1 + retries`` times. ``directory`` must be reachable by every worker.

        .. code-block:: python

            result = client.data.download_tiles_on_dask(
                "naip", directory="tiles", zooms=[14, 15], bbox=(-84.6, 33.5, -84.2, 33.9),
                credential_factory=DefaultAzureCredential, on_error="record",
            )
            print(result.result.fetched, result.failures)

        :keyword credential_factory: A picklable callable without arguments returning a
            ``TokenCredential``, called once in each worker process.
        :keyword tiles_per_task: About how many tiles one task downloads.
        :keyword on_error: ``"raise"`` (a tile that fails every try fails the job) or ``"record"``
            (keep going; the result lists the failures).
        :keyword dask_client: A ``distributed.Client``; the current one when None.
        :keyword client_options: Options of the clients the workers build (``retry_total``...).
        :return: The counts (``result.fetched``, ``skipped``, ``failed``, ``bytes``) and ``failures``.
        :raises ValueError: or TypeError: An argument is invalid, the plan has more than
            ``max_tiles`` tiles, or the folder holds another target's tiles (before any task).
        :raises ~azure.planetarycomputer._dask.TileJobError: With ``on_error="raise"``, a tile
            failed every try.
        """
        from ._tiles import download_tiles_on_dask

        return download_tiles_on_dask(
            self,
            collection_id,
            item_id,
            directory=directory,
            credential_factory=credential_factory,
            zooms=zooms,
            search_id=search_id,
            bbox=bbox,
            intersects=intersects,
            tile_matrix_set_id=tile_matrix_set_id,
            format=format,
            overwrite=overwrite,
            max_tiles=max_tiles,
            tiles_per_task=tiles_per_task,
            retries=retries,
            on_error=on_error,
            dask_client=dask_client,
            client_options=client_options,
            **render_options,
        )

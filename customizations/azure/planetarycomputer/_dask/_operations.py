"""``client.stac.search_partitions(...)``: the entry point of the Dask helpers on the sync client.

Mixed into the client's STAC operations (``_search.StacSearchOperations``). Planning a split sends
no request (unless ``max_matched`` asks for the partitions' counts) and imports neither Dask nor
pyarrow; those are imported when the partitions are turned into a bag, a data frame or a job.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._search_params import DatetimeLike, GeoInterface
from ._worker import ClientConfig

if TYPE_CHECKING:
    from ._partitions import SearchPartitions

__all__ = ["DaskSearchOperations"]

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

"""Searches, downloads and loads on Dask: the ``[dask]`` extra.

* :mod:`._partitions`: a search split into picklable sub-searches (time windows, a grid, or both)
  that together return exactly the unsplit search's items; ``to_dask_bag()``, ``to_dask_dataframe()``.
* :mod:`._items`: ``map_items`` and ``download_assets`` over those partitions on a
  ``distributed.Client``, with per-item retries and failures recorded as data.
* :mod:`._rasters`: odc-stac loads whose hrefs are signed on the workers when they are read.
* :mod:`._worker`: the configuration tasks carry instead of a client, and the one client per process.

Entry point: ``client.stac.search_partitions(...)`` (:mod:`._operations`). Nothing here imports
Dask until it is used; a missing library raises an ImportError naming the extra.
"""

from __future__ import annotations

from ._items import ItemFailure, ItemJobError, ItemResults
from ._partitions import GridCell, SearchPartition, SearchPartitions, TimeWindow
from ._worker import ClientConfig

__all__ = [
    "ClientConfig",
    "GridCell",
    "ItemFailure",
    "ItemJobError",
    "ItemResults",
    "SearchPartition",
    "SearchPartitions",
    "TimeWindow",
]

"""Searches, downloads and loads on Dask: the ``[dask]`` extra.

* :mod:`._partitions`: a search split into picklable sub-searches (time windows, a grid, or both)
  that together return exactly the unsplit search's items; ``to_dask_bag()``, ``to_dask_dataframe()``.
* :mod:`._items`: ``map_items`` and ``download_assets`` over those partitions on a
  ``distributed.Client``, with per-item retries and failures recorded as data.
* :mod:`._rasters`: odc-stac loads whose hrefs are signed on the workers when they are read.
* :mod:`._tiles`: ``download_tiles`` of a large area cut into bands of rows across the workers.
* :mod:`._worker`: the configuration tasks carry instead of a client, and the one client per process.

Entry points: ``client.stac.search_partitions(...)`` and ``client.data.download_tiles_on_dask(...)``
(:mod:`._operations`). Nothing here imports
Dask until it is used; a missing library raises an ImportError naming the extra.
"""

from __future__ import annotations

from typing import Any

from ._items import ItemFailure, ItemJobError, ItemResults
from ._partitions import GridCell, SearchPartition, SearchPartitions, TimeWindow
from ._rasters import load_signed, signing_driver
from ._worker import ClientConfig

_TILE_NAMES = ("TileJobError", "TileJobFailure", "TileJobResult")


def __getattr__(name: str) -> Any:
    # ._tiles imports the client's tile module, which imports this package's operations: loaded on
    # first use so that neither import depends on the order of the other.
    if name in _TILE_NAMES:
        from . import _tiles

        return getattr(_tiles, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ClientConfig",
    "GridCell",
    "ItemFailure",
    "ItemJobError",
    "ItemResults",
    "SearchPartition",
    "SearchPartitions",
    "TileJobError",
    "TileJobFailure",
    "TileJobResult",
    "TimeWindow",
    "load_signed",
    "signing_driver",
]

"""Search results as tables: Arrow, GeoParquet and GeoDataFrame exports of a search pager.

``pager.to_arrow()``, ``pager.to_geoparquet(path)`` and ``pager.to_geodataframe()`` (and their
awaitable twins on the async pager) turn every item of a search into one row of the
stac-geoparquet layout: the columns of the STAC item, ``properties`` lifted to top-level columns,
the geometry as WKB tagged ``geoarrow.wkb``, ``datetime`` as a timestamp. That is the layout the
service's own ``StacGeoparquet`` ingestion reads, so an exported file can be ingested as it is.

The conversion is stac-geoparquet's (``stac_geoparquet.arrow``), not ours. It was chosen over
rustac on the recorded items of a live GeoCatalog:

* correctness: stac-geoparquet keeps every field -- ``stac_version`` as written, and the service's
  top-level ``_msft:ts`` / ``_msft:etag`` (as columns; read back they sit under ``properties``,
  the only place the layout has for fields outside the item spec). rustac drops ``_msft:*``
  altogether and rewrites ``stac_version`` to its own. Both fill a struct field that some items
  lack (a link's ``title``) with null in the items that lack it, as Arrow structs must;
* speed: as fast or faster in every run -- 3,000 recorded items to an Arrow table in 1.4-1.9 s
  with stac-geoparquet, 1.7-2.7 s with rustac (benchmarks/geoparquet_libraries.py, on a loaded
  2-core machine); fidelity decided it;
* rustac's GeoParquet writer also requires every batch to have the first batch's schema, while
  pages of one search may differ (an extension field present on one page only).

Streaming: pages are fetched one at a time; each page is converted to Arrow and spooled to a
Parquet file in a temporary folder, then let go, so memory stays bounded by a page, not by the
result. Schemas of the pages are unified as they come (stac-geoparquet's "ChunksToDisk" way,
driven here page by page so that the async pager can feed it too); the spooled files are read
back one at a time, under the unified schema, into the export. ``to_geoparquet`` writes to a
temporary file beside ``path`` and renames it when complete: ``path`` never holds half a file.

pyarrow and stac-geoparquet are imported when an export runs (the ``[geoparquet]`` extra);
``to_geodataframe`` also needs geopandas (the ``[geopandas]`` extra).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ._extras import require
from ._pystac import stac_json

__all__ = ["PageSpool", "geodataframe_from_reader", "write_geoparquet"]


def _arrow() -> tuple[Any, Any, Any]:
    pa = require("pyarrow", "geoparquet")
    dataset = require("pyarrow.dataset", "geoparquet")
    stac_arrow = require("stac_geoparquet.arrow", "geoparquet")
    return pa, dataset, stac_arrow


class PageSpool:
    """Pages of items converted to Arrow and spooled to Parquet files, one page at a time.

    ``add(page)`` for each page, then ``reader()`` once: a ``pyarrow.RecordBatchReader`` over
    every item, in order, under the schema unified over all pages. The temporary folder goes
    when the reader is exhausted or closed (or, failing that, when the spool is garbage-collected).
    """

    def __init__(self) -> None:
        self._pa, self._dataset, self._stac_arrow = _arrow()
        self._folder = tempfile.TemporaryDirectory(prefix="planetarycomputer-export-")
        self._files: list[str] = []
        self._schema: Any = None
        self.items = 0
        """Items spooled so far."""

    def add(self, page: Iterable[Mapping[str, Any]]) -> None:
        """Convert one page of items (models or STAC JSON) and spool it to disk."""
        features = [stac_json(item, "each item") for item in page]
        if not features:
            return
        table = self._stac_arrow.parse_stac_items_to_arrow(features, schema="FullFile").read_all()
        del features
        if self._schema is None:
            self._schema = table.schema
        elif not self._schema.equals(table.schema):
            self._schema = self._pa.unify_schemas([self._schema, table.schema], promote_options="permissive")
        path = os.path.join(self._folder.name, f"{len(self._files):08d}.parquet")
        self._stac_arrow.to_parquet(table, path)
        self._files.append(path)
        self.items += table.num_rows

    def reader(self) -> Any:
        """A ``pyarrow.RecordBatchReader`` over every spooled item (no columns when there are none)."""
        pa = self._pa
        if self._schema is None:
            self._folder.cleanup()
            return pa.RecordBatchReader.from_batches(pa.schema([]), [])
        return pa.RecordBatchReader.from_batches(self._schema, self._batches(self._schema))

    def _batches(self, schema: Any) -> Iterator[Any]:
        try:
            for path in self._files:
                # One file at a time, read under the unified schema (missing columns become null).
                yield from self._dataset.dataset(path, schema=schema, format="parquet").to_batches()
        finally:
            self._folder.cleanup()


def write_geoparquet(reader: Any, path: str | os.PathLike[str]) -> Path:
    """Write a stac-geoparquet ``reader`` to ``path`` through a temporary file renamed when complete.

    :raises ValueError: the reader has no items (a GeoParquet file needs a geometry column).
    """
    _, _, stac_arrow = _arrow()
    target = Path(path)
    if "geometry" not in reader.schema.names:
        reader.close()
        raise ValueError("the search returned no items: there is nothing to write to GeoParquet")
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(handle)
    try:
        stac_arrow.to_parquet(reader, partial)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return target


def geodataframe_from_reader(reader: Any) -> Any:
    """A ``geopandas.GeoDataFrame`` of a stac-geoparquet reader, in WGS84 (EPSG:4326)."""
    geopandas = require("geopandas", "geopandas")
    table = reader.read_all()
    if "geometry" not in table.column_names:
        return geopandas.GeoDataFrame(geometry=[], crs="EPSG:4326")
    frame = geopandas.GeoDataFrame.from_arrow(table)
    if frame.crs is None:
        frame = frame.set_crs("EPSG:4326")  # STAC geometries are WGS84 by definition
    return frame


def check_path(path: Any) -> None:
    """Raise TypeError/ValueError for a ``path`` that cannot be written, before any request."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path, got {type(path).__name__}")
    if Path(path).is_dir():
        raise ValueError(f"path {os.fspath(path)!r} is a directory; give the file to write")

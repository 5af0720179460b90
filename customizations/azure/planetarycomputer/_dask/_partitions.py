"""A search split into independent sub-searches: ``client.stac.search_partitions(...)``.

A big search read page after page on one machine leaves a cluster idle. Here it is cut into
partitions, each a search of its own that any process can run: datetime windows (``by="month"``,
``"week"``, ``"day"``, ``"year"``, or ``n`` equal windows), a grid of cells over the search's
``bbox``, or both. Each :class:`SearchPartition` is picklable: it carries the endpoint, the search
body and a *credential factory* (see :mod:`._worker`), never a token.

None lost, none twice. The service's windows and boxes are closed (an item on a boundary matches
the searches on both sides), so each partition searches its closed window and cell and then keeps
only the items it *owns*:

* time: the item's instant (``datetime``, or ``start_datetime`` for a range item, moved up to the
  search's start when it began earlier) must fall in the half-open window ``[start, end)``; the
  last window is closed, like the unsplit search's range;
* space: a point of the item's geometry inside the search box (shapely's ``representative_point``
  of their intersection, the same in every process) must fall in the half-open cell; the last
  column and row are closed.

Every item of the unsplit search has exactly one owner, and the owner's search returns it (the
point is on the item and in the cell; the instant is in the item's range and in the window).

Partitions whose ``numberMatched`` is above ``max_matched`` are halved (window, or cell along its
longer side) until they are not, with the same ownership rules, so the result is unchanged.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from .._lazy_items import _lazy_class_by_model
from .._search_params import _format_instant, _parse_text, build_search_body, normalize_bbox
from ._extras import require
from ._items import DownloadAction, ItemResults, MapAction, check_assets, run_on_cluster
from ._worker import ClientConfig

__all__ = ["GridCell", "SearchPartition", "SearchPartitions", "TimeWindow", "plan_partitions"]

PERIODS = ("year", "month", "week", "day")
_MAX_PAGE = 10000  # the service's largest page


# --------------------------------------------------------------------------------------------------
# Windows and cells
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeWindow:
    """``[start, end)`` in UTC, or ``[start, end]`` when ``closed`` (the last window of a search)."""

    start: _dt.datetime
    end: _dt.datetime
    closed: bool = False

    def contains(self, moment: _dt.datetime) -> bool:
        return self.start <= moment < self.end or (self.closed and moment == self.end)

    def query(self) -> str:
        """The search's ``datetime`` value: the closed window (ownership trims the end)."""
        return f"{_format_instant(self.start)}/{_format_instant(self.end)}"

    def halves(self) -> tuple[TimeWindow, TimeWindow] | None:
        """Two windows splitting this one, or None when it is too short to split."""
        middle = self.start + (self.end - self.start) // 2
        if middle <= self.start:
            return None
        return TimeWindow(self.start, middle), TimeWindow(middle, self.end, self.closed)


@dataclass(frozen=True)
class GridCell:
    """A cell ``[west, east) x [south, north)`` in degrees; the east/north edge is in when closed."""

    west: float
    south: float
    east: float
    north: float
    closed_east: bool = False
    closed_north: bool = False

    def contains(self, x: float, y: float) -> bool:
        in_x = self.west <= x < self.east or (self.closed_east and x == self.east)
        in_y = self.south <= y < self.north or (self.closed_north and y == self.north)
        return in_x and in_y

    def bbox(self) -> list[float]:
        return [self.west, self.south, self.east, self.north]

    def halves(self) -> tuple[GridCell, GridCell] | None:
        """Two cells splitting this one along its longer side, or None when it cannot be split."""
        if self.east - self.west >= self.north - self.south:
            middle = (self.west + self.east) / 2
            if not self.west < middle < self.east:
                return None
            return (
                replace(self, east=middle, closed_east=False),
                replace(self, west=middle),
            )
        middle = (self.south + self.north) / 2
        if not self.south < middle < self.north:
            return None
        return replace(self, north=middle, closed_north=False), replace(self, south=middle)


def _period_start(moment: _dt.datetime, period: str) -> _dt.datetime:
    """The start of the calendar period (UTC) that contains ``moment``."""
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day
    if period == "week":  # ISO weeks start on Monday
        return day - _dt.timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def _next_period(start: _dt.datetime, period: str) -> _dt.datetime:
    if period == "day":
        return start + _dt.timedelta(days=1)
    if period == "week":
        return start + _dt.timedelta(days=7)
    if period == "month":
        year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
        return start.replace(year=year, month=month)
    return start.replace(year=start.year + 1)


def time_windows(
    start: _dt.datetime, end: _dt.datetime, *, by: str | None, n: int | None
) -> list[TimeWindow]:
    """Windows covering ``[start, end]``: calendar periods (``by``) or ``n`` equal parts."""
    if n is not None:
        span = end - start
        edges = [start + span * i // n for i in range(n)] + [end]
    else:
        assert by is not None
        edges = [start]
        boundary = _next_period(_period_start(start, by), by)
        while boundary <= end:
            edges.append(boundary)
            boundary = _next_period(boundary, by)
        if edges[-1] != end:
            edges.append(end)
    # Equal edges (n larger than the microseconds in the range) would make empty windows.
    edges = [edge for index, edge in enumerate(edges) if index == 0 or edge != edges[index - 1]]
    if len(edges) == 1:
        return [TimeWindow(start, end, closed=True)]
    windows = [TimeWindow(a, b) for a, b in zip(edges, edges[1:])]
    windows[-1] = replace(windows[-1], closed=True)
    return windows


def grid_cells(area: Sequence[float], columns: int, rows: int) -> list[GridCell]:
    """``columns`` x ``rows`` cells over ``area`` (west, south, east, north), row by row."""
    west, south, east, north = area
    xs = [west + (east - west) * i / columns for i in range(columns)] + [east]
    ys = [south + (north - south) * j / rows for j in range(rows)] + [north]
    return [
        GridCell(xs[i], ys[j], xs[i + 1], ys[j + 1], closed_east=i == columns - 1, closed_north=j == rows - 1)
        for j in range(rows)
        for i in range(columns)
    ]


# --------------------------------------------------------------------------------------------------
# Which partition owns an item
# --------------------------------------------------------------------------------------------------


def item_instant(item: Mapping[str, Any], search_start: _dt.datetime | None) -> _dt.datetime | None:
    """The instant that places ``item`` in time: its datetime, or the start of its range."""
    properties = item.get("properties") or {}
    text = properties.get("datetime") or properties.get("start_datetime")
    if not isinstance(text, str):
        return None
    moment = _parse_text(text)[0]
    if search_start is not None and moment < search_start:
        return search_start
    return moment


def item_anchor(item: Mapping[str, Any], area: Sequence[float]) -> tuple[float, float] | None:
    """A point of ``item``'s geometry inside ``area``, the same in every process (needs shapely)."""
    geometry = item.get("geometry")
    west, south, east, north = area
    if isinstance(geometry, Mapping):
        shapely = require("shapely", "dask")
        shape = shapely.geometry.shape(geometry)
        inside = shape.intersection(shapely.geometry.box(west, south, east, north))
        if not inside.is_empty:
            point = inside.representative_point()
            return _clamp(point.x, west, east), _clamp(point.y, south, north)
    bbox = item.get("bbox")
    if isinstance(bbox, Sequence) and len(bbox) in (4, 6):
        # No geometry (excluded by ``fields``) or only touching the area: the bbox's lower-left.
        x, y = bbox[0], bbox[1]
        return _clamp(float(x), west, east), _clamp(float(y), south, north)
    return None


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


# --------------------------------------------------------------------------------------------------
# Partitions
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchPartition:
    """One independent piece of a search: picklable, runnable in any process.

    ``items()`` runs it (in this process, with this process's client for its configuration) and
    returns the STAC JSON of the items it owns; ``pages()`` yields them page by page.
    """

    config: ClientConfig
    body: Mapping[str, Any]
    """The search body without the partition's datetime window and cell."""
    search_start: _dt.datetime | None = None
    area: tuple[float, float, float, float] | None = None
    window: TimeWindow | None = None
    cell: GridCell | None = None
    options: tuple[tuple[str, Any], ...] = ()
    """Per-call options for each page request (``headers``, ``retry_total``...)."""

    def search_body(self) -> dict[str, Any]:
        """The body this partition sends: the search with its window and cell."""
        body = dict(self.body)
        if self.window is not None:
            body["datetime"] = self.window.query()
        if self.cell is not None:
            body["bbox"] = self.cell.bbox()
        return body

    def owns(self, item: Mapping[str, Any]) -> bool:
        """Whether ``item`` (STAC JSON) belongs to this partition and to no other."""
        if self.window is not None:
            moment = item_instant(item, self.search_start)
            if moment is None or not self.window.contains(moment):
                return False
        if self.cell is not None:
            assert self.area is not None
            anchor = item_anchor(item, self.area)
            if anchor is None or not self.cell.contains(*anchor):
                return False
        return True

    def pager(self, **overrides: Any) -> Any:
        client = self.config.client()
        return client.stac.search_items_paged(self.search_body(), **{**dict(self.options), **overrides})

    def pages(self) -> Iterator[list[dict[str, Any]]]:
        """The items this partition owns, page by page, as STAC JSON dicts."""
        for page in self.pager().by_page():
            owned = [_item_json(item) for item in page]
            yield [item for item in owned if self.owns(item)]

    def items(self) -> list[dict[str, Any]]:
        """Every item this partition owns, as STAC JSON dicts."""
        return [item for page in self.pages() for item in page]

    def exceeds(self, max_matched: int) -> bool:
        """Whether this partition's search matches more than ``max_matched`` items (before ownership).

        The service's ``numberMatched`` when it reports one (the first page tells); otherwise the
        ids are counted, up to ``max_matched + 1``, in pages of at most 10,000.
        """
        pager = self.pager(
            limit=min(max_matched + 1, _MAX_PAGE), max_items=max_matched + 1, fields={"include": ["id"]}
        )
        matched = pager.matched()
        if matched is not None:
            return bool(matched > max_matched)
        return sum(1 for _ in pager) > max_matched

    def split(self) -> list[SearchPartition] | None:
        """Two partitions that together own exactly this one's items, or None when it cannot split."""
        if self.window is not None:
            halves = self.window.halves()
            if halves is not None:
                return [replace(self, window=half) for half in halves]
        if self.cell is not None:
            cells = self.cell.halves()
            if cells is not None:
                return [replace(self, cell=cell) for cell in cells]
        return None

    def describe(self) -> str:
        parts = []
        if self.window is not None:
            bracket = "]" if self.window.closed else ")"
            parts.append(
                f"[{_format_instant(self.window.start)}, {_format_instant(self.window.end)}{bracket}"
            )
        if self.cell is not None:
            parts.append("cell " + ",".join(f"{value:g}" for value in self.cell.bbox()))
        return " ".join(parts) or "whole search"

    def __repr__(self) -> str:
        return f"<SearchPartition {self.describe()}>"


def _item_json(item: Any) -> dict[str, Any]:
    """The STAC JSON of a search result: the page's own dict when nothing has read the item yet (the
    pager hands out lazy views over it), else a serialized copy."""
    data = getattr(item, "_data", None)
    lazy = type(item) in _lazy_class_by_model.values()
    if lazy and type(data) is dict and not item.__dict__.get("_lazy_typed"):
        return data
    from .._bridges._pystac import stac_json

    return stac_json(item, "item")


def _partition_table(partition: SearchPartition) -> Any:
    """The items a partition owns as an Arrow table (stac-geoparquet layout), spooled page by page."""
    from .._bridges._tables import PageSpool

    spool = PageSpool()
    for page in partition.pages():
        spool.add(page)
    return spool.reader().read_all()


def _schema(table: Any) -> Any:
    return table.schema


def _arrow_backed(table: Any) -> Any:
    """A pandas frame whose columns keep their Arrow types (WKB geometry stays binary, structs stay
    structs): Dask would otherwise turn object columns into strings, and a WKB geometry is not text."""
    pd = require("pandas")
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def _table_to_pandas(table: Any, schema: Any) -> Any:
    pa = require("pyarrow")
    if table.num_rows == 0:
        return _arrow_backed(schema.empty_table())
    columns = [
        table.column(name).cast(schema.field(name).type)
        if name in table.column_names
        else pa.nulls(table.num_rows, schema.field(name).type)
        for name in schema.names
    ]
    return _arrow_backed(pa.Table.from_arrays(columns, schema=schema))


class SearchPartitions(Sequence[SearchPartition]):
    """The partitions of a search: a sequence of :class:`SearchPartition`, plus ways to run them."""

    def __init__(self, partitions: Iterable[SearchPartition]) -> None:
        self._partitions = list(partitions)

    def __len__(self) -> int:
        return len(self._partitions)

    def __getitem__(self, index: Any) -> Any:
        return self._partitions[index]

    def __iter__(self) -> Iterator[SearchPartition]:
        return iter(self._partitions)

    def __repr__(self) -> str:
        return f"<SearchPartitions: {len(self)} partitions>"

    def items(self) -> Iterator[dict[str, Any]]:
        """Every item of the search, partition after partition, in this process (no Dask needed)."""
        for partition in self._partitions:
            yield from partition.items()

    def refine(self, max_matched: int, *, concurrency: int = 8) -> SearchPartitions:
        """Halve partitions whose search matches more than ``max_matched`` items, until none does.

        Each partition's count is asked ``concurrency`` at a time: the service's ``numberMatched``
        when it reports one, else its ids counted up to ``max_matched + 1``. A partition that cannot
        be halved any more (one microsecond, or a cell too small to halve) is kept as it is.

        :raises ValueError: ``max_matched`` or ``concurrency`` is not a positive int.
        """
        _positive_int("max_matched", max_matched)
        _positive_int("concurrency", concurrency)
        done: list[SearchPartition] = []
        pending = list(self._partitions)
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            while pending:
                too_large = list(pool.map(lambda partition: partition.exceeds(max_matched), pending))
                following: list[SearchPartition] = []
                for partition, large in zip(pending, too_large):
                    halves = partition.split() if large else None
                    if halves is None:
                        done.append(partition)
                    else:
                        following.extend(halves)
                pending = following
        order = {id(partition): index for index, partition in enumerate(done)}
        return SearchPartitions(sorted(done, key=lambda partition: _sort_key(partition, order)))

    def to_dask_bag(self) -> Any:
        """A ``dask.bag.Bag`` of the search's items (STAC JSON dicts), one bag partition per partition.

        Nothing runs until the bag is computed; each partition's search then runs on a worker.

        :raises ImportError: dask is not installed (the ``[dask]`` extra).
        """
        bag = require("dask.bag")
        return bag.from_sequence(self._partitions, npartitions=max(len(self._partitions), 1)).map_partitions(
            _bag_partition
        )

    def to_dask_dataframe(self) -> Any:
        """A ``dask.dataframe.DataFrame`` of the search's items in the stac-geoparquet layout.

        Each partition's search runs on a worker and becomes an Arrow table there, page by page;
        the tables are kept on the workers (this call computes them) while their schemas, which
        differ when some items have fields others lack, are unified. The frame's partitions are the
        tables under the unified schema (missing columns are null), as Arrow-backed pandas columns
        (``pandas.ArrowDtype``: the WKB geometry stays binary, assets and links stay structs).

        :raises ImportError: dask, pyarrow or stac-geoparquet is not installed (``[dask]`` extra).
        """
        dask = require("dask")
        dd = require("dask.dataframe")
        pa = require("pyarrow")
        require("stac_geoparquet.arrow", "dask")
        delayed = dask.delayed
        tables = [delayed(_partition_table)(partition) for partition in self._partitions]
        tables = list(dask.persist(*tables))
        schemas = dask.compute(*[delayed(_schema)(table) for table in tables])
        present = [schema for schema in schemas if len(schema)]
        if not present:
            raise ValueError("the search has no items: there is no table to make a DataFrame of")
        schema = pa.unify_schemas(present, promote_options="permissive")
        frames = [delayed(_table_to_pandas)(table, schema) for table in tables]
        return dd.from_delayed(frames, meta=_arrow_backed(schema.empty_table()), verify_meta=False)

    def map_items(
        self,
        fn: Callable[[dict[str, Any]], Any],
        *,
        dask_client: Any = None,
        sign: bool = True,
        retries: int = 2,
        on_error: str = "raise",
    ) -> ItemResults:
        """``fn(item)`` for every item of the search, on a Dask cluster, one task per partition.

        Each task runs its partition's search on its worker and calls ``fn`` on each item it owns
        (STAC JSON, its asset hrefs signed there first unless ``sign=False``). ``fn`` must be
        picklable (a module-level function). An item whose call raises is tried again, up to
        ``1 + retries`` times.

        :param fn: Called with each item; its return value is the item's result.
        :keyword dask_client: A ``distributed.Client``; the current one when None.
        :keyword sign: Sign the item's hrefs on the worker before calling ``fn`` (default True).
        :keyword retries: Further tries of an item (and of a partition's search) that failed.
        :keyword on_error: ``"raise"`` (the first item that fails every try fails the job) or
            ``"record"`` (keep going; failures are in the result's ``failures``).
        :return: ``(item_id, fn(item))`` pairs in partition order, and the failures.
        :raises ValueError: ``on_error`` or ``retries`` is malformed, or there is no Dask client.
        :raises TypeError: ``fn`` is not callable.
        :raises ItemJobError: With ``on_error="raise"``, an item failed every try.
        """
        if not callable(fn):
            raise TypeError(f"fn must be callable, got {type(fn).__name__}")
        action = MapAction(fn, bool(sign))
        return run_on_cluster(
            self._partitions, action, dask_client=dask_client, retries=retries, on_error=on_error
        )

    def download_assets(
        self,
        directory: str | os.PathLike[str],
        *,
        assets: str | Iterable[str] | None = None,
        dask_client: Any = None,
        overwrite: bool = False,
        retries: int = 2,
        on_error: str = "raise",
    ) -> ItemResults:
        """Download the assets of every item of the search on a Dask cluster.

        Each asset goes to ``{directory}/{collection}/{item id}/{asset key}{suffix of the href}``,
        signed on the worker and written atomically (a temporary file renamed when complete); a
        file already there is not downloaded again unless ``overwrite``, so running the same job
        again resumes it. ``directory`` must be reachable by every worker (a shared file system).

        :param directory: Where to write.
        :keyword assets: Asset keys to download (all when None).
        :keyword dask_client: A ``distributed.Client``; the current one when None.
        :keyword overwrite: Download files that already exist again.
        :keyword retries: Further tries of an item that failed.
        :keyword on_error: ``"raise"`` or ``"record"``, as in :meth:`map_items`.
        :return: ``(item_id, [paths])`` pairs, and the failures.
        """
        if not isinstance(directory, (str, os.PathLike)):
            raise TypeError(f"directory must be a path, got {type(directory).__name__}")
        action = DownloadAction(os.fspath(directory), check_assets(assets), bool(overwrite))
        return run_on_cluster(
            self._partitions, action, dask_client=dask_client, retries=retries, on_error=on_error
        )

    def load_rasters(self, *, signer: Any, **odc_kwargs: Any) -> Any:
        """The search's items loaded with ``odc.stac.load``, hrefs signed on the workers as they are read.

        The items are collected first (``to_dask_bag().compute()``: on the cluster when a
        ``distributed.Client`` is active), then loaded through
        :func:`~azure.planetarycomputer._dask.load_signed`. Pass ``chunks={...}`` for a lazy,
        Dask-backed dataset; computing it reads on the workers, each signing with its own token,
        renewed there before it expires.

        :keyword signer: ``client.sas.signer(credential_factory=...)``.
        :return: An ``xarray.Dataset``.
        :raises ImportError: odc-stac or dask is not installed (``[dask-rasters]``, ``[dask]``).
        :raises ValueError: The search has no items, or ``patch_url``/``driver`` was given.
        """
        from ._rasters import load_signed

        pystac = require("pystac", "dask-rasters")
        require("odc.stac", "dask-rasters")
        items = [pystac.Item.from_dict(item) for item in self.to_dask_bag().compute()]
        if not items:
            raise ValueError("the search has no items: there is nothing to load")
        return load_signed(items, signer=signer, **odc_kwargs)


def _bag_partition(partitions: Iterable[SearchPartition]) -> list[dict[str, Any]]:
    return [item for partition in partitions for item in partition.items()]


def _sort_key(partition: SearchPartition, order: Mapping[int, int]) -> tuple[Any, ...]:
    window = partition.window
    cell = partition.cell
    return (
        window.start if window is not None else _dt.datetime.min,
        (cell.south, cell.west) if cell is not None else (0.0, 0.0),
        order[id(partition)],
    )


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def _grid_shape(grid: Any) -> tuple[int, int]:
    if isinstance(grid, int) and not isinstance(grid, bool):
        _positive_int("grid", grid)
        return grid, grid
    if isinstance(grid, Sequence) and not isinstance(grid, str) and len(grid) == 2:
        columns, rows = grid
        if all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in (columns, rows)):
            return columns, rows
    raise ValueError(f"grid must be a positive int or a (columns, rows) pair of positive ints, got {grid!r}")


def _search_range(body: Mapping[str, Any]) -> tuple[_dt.datetime, _dt.datetime]:
    text = body.get("datetime")
    if not isinstance(text, str) or "/" not in text or ".." in text.split("/"):
        raise ValueError(
            'datetime must be a closed range (e.g. datetime="2023" or (start, end)) to split a search '
            f"by time, got {text!r}"
        )
    start_text, end_text = text.split("/")
    return _parse_text(start_text)[0], _parse_text(end_text)[0]


def _crosses_antimeridian(bbox: Any) -> bool:
    """Whether a bbox argument has west > east (checked in full by the search's own validation)."""
    try:
        values = [float(value) for value in bbox]
    except (TypeError, ValueError):
        return False
    return len(values) in (4, 6) and values[0] > values[len(values) // 2]


def plan_partitions(
    config: ClientConfig,
    *,
    search: Mapping[str, Any],
    by: str | None,
    n: int | None,
    grid: Any,
    options: Mapping[str, Any],
) -> SearchPartitions:
    """Check the split and build the partitions of ``search`` (keyword arguments of the pager).

    :raises ValueError: A split argument is malformed, or the search cannot be split that way.
    """
    if by is not None and n is not None:
        raise ValueError("give by= or n=, not both")
    if by is not None and by not in PERIODS:
        raise ValueError(f"by must be one of {', '.join(PERIODS)}, got {by!r}")
    if n is not None:
        _positive_int("n", n)
    if by is None and n is None and grid is None:
        raise ValueError("give by= (a calendar period), n= (equal time windows) or grid= to split the search")
    search = dict(search)
    if grid is not None and _crosses_antimeridian(search.get("bbox")):
        # The search sends such a bbox as a MultiPolygon of its two halves: no single box to grid.
        raise ValueError("grid= cannot split a bbox that crosses the antimeridian; split it in two searches")
    body = build_search_body(search.pop("body", None), **search)

    windows: list[TimeWindow | None] = [None]
    search_start = None
    if by is not None or n is not None:
        search_start, search_end = _search_range(body)
        windows = list(time_windows(search_start, search_end, by=by, n=n))
    cells: list[GridCell | None] = [None]
    area = None
    if grid is not None:
        columns, rows = _grid_shape(grid)
        bbox = body.get("bbox")
        if bbox is None:
            raise ValueError("grid= needs the search's bbox= (the area the grid covers)")
        bbox = normalize_bbox(bbox)
        if len(bbox) == 6:
            bbox = [bbox[0], bbox[1], bbox[3], bbox[4]]
        area = (float(bbox[0]), float(bbox[1]), float(bbox[2]), float(bbox[3]))
        cells = list(grid_cells(area, columns, rows))
        require("shapely", "dask")  # ownership of cells is decided on item geometries
    # The partition sets its own window and cell; the rest of the search goes as it is.
    if by is not None or n is not None:
        body.pop("datetime", None)
    if grid is not None:
        body.pop("bbox", None)
    pairs = tuple(sorted(options.items()))
    return SearchPartitions(
        SearchPartition(config, body, search_start, area, window, cell, pairs)
        for window in windows
        for cell in cells
    )

"""Tile streaming for the synchronous client: every tile covering an area, fetched concurrently.

``client.data.iter_tiles(...)`` yields ``(tile, bytes)`` as tiles complete; ``client.data.download_tiles(
...)`` writes them to ``{directory}/{z}/{x}/{y}.{format}``. Both work for an item (``collection_id`` and
``item_id``), a collection mosaic (``collection_id`` only) or a registered search (``search_id``), in
any tile matrix set the service offers, and pass every render option of the underlying tile
operation through (``assets``, ``expression``, ``rescale``, ``color_map_name``, ``format``,
``scale``...).

Design:

* Tiles are enumerated lazily with morecantile and at most ``concurrency`` requests are in flight, so
  memory stays flat however many tiles the area has: ``iter_tiles`` holds at most ``concurrency``
  tile bodies, ``download_tiles`` streams each body to disk.
* Each file is written to a temporary sibling and renamed into place; files already there are
  skipped, so a re-run resumes an interrupted download.
* A tile that fails does not stop the others: failures are collected and raised together at the end
  as :class:`TileDownloadError`, listing each tile's coordinates and error. Only
  :class:`~azure.core.exceptions.ClientAuthenticationError` stops the run at once, since every
  other tile would fail the same way. Transient errors are retried by the client's azure-core
  retry policy before they count as failures.
* Progress goes to a tqdm bar (``progress=True``, the ``[progress]`` extra) or to a callback taking
  a :class:`TileProgress`, always called from the thread iterating.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import numbers
import os
import queue
import re
import sys
import threading
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, Union

from azure.core.exceptions import AzureError, ClientAuthenticationError
from azure.core.tracing.decorator import distributed_trace

from ._atomic_file import write_atomically
from ._generated.operations import DataOperations as _GeneratedDataOperations
from ._search_params import GeoInterface
from ._tile_grid import (
    Area,
    Tile,
    count_covering_tiles,
    covering_tiles,
    load_morecantile,
    normalize_area,
    normalize_zooms,
    tile_matrix_set_from_definition,
)
from ._tile_requests import TileRequestTemplate, raise_for_tile_status
from ._transport import Urllib3Transport

if TYPE_CHECKING:
    import morecantile

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_TILE_MATRIX_SET_ID",
    "DataTileOperations",
    "Tile",
    "TileDownloadError",
    "TileDownloadResult",
    "TileFailure",
    "TileProgress",
]

DEFAULT_CONCURRENCY = 8
"""Tile requests in flight at once unless ``concurrency=`` says otherwise."""

DEFAULT_TILE_MATRIX_SET_ID = "WebMercatorQuad"

_T = TypeVar("_T")


# --------------------------------------------------------------------------------------------------
# Public results
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TileProgress:
    """Where a tile run stands; handed to a ``progress`` callback after every tile.

    :ivar total: Tiles covering the area at the requested zoom levels.
    :ivar fetched: Tiles received from the service.
    :ivar skipped: Tiles not requested because their file already existed (downloads only).
    :ivar failed: Tiles that failed.
    :ivar bytes: Bytes received for the fetched tiles.
    """

    total: int
    fetched: int = 0
    skipped: int = 0
    failed: int = 0
    bytes: int = 0

    @property
    def completed(self) -> int:
        """Tiles done one way or another: fetched, skipped or failed."""
        return self.fetched + self.skipped + self.failed


class TileFailure(NamedTuple):
    """One tile that could not be fetched, and why."""

    tile: Tile
    error: Exception


@dataclass(frozen=True)
class TileDownloadResult:
    """What a tile run did.

    :ivar fetched: Tiles received (and, for downloads, written).
    :ivar skipped: Tiles whose file already existed.
    :ivar failed: Tiles that failed (see :attr:`TileDownloadError.failures`).
    :ivar bytes: Bytes received.
    :ivar directory: The download directory; None for :meth:`DataTileOperations.iter_tiles`.
    """

    fetched: int
    skipped: int
    failed: int
    bytes: int
    directory: Path | None = None


class TileDownloadError(AzureError):
    """Some tiles failed; the others were delivered (and, for downloads, written).

    :ivar failures: Every failed tile with its error, in the order they failed.
    :vartype failures: list[TileFailure]
    :ivar result: Counts for the whole run.
    :vartype result: TileDownloadResult
    """

    _LISTED = 10

    def __init__(self, failures: Sequence[TileFailure], result: TileDownloadResult) -> None:
        self.failures = list(failures)
        self.result = result
        total = result.fetched + result.skipped + result.failed
        listed = "; ".join(
            f"{failure.tile} ({type(failure.error).__name__}: {_one_line(failure.error)})"
            for failure in self.failures[: self._LISTED]
        )
        more = len(self.failures) - self._LISTED
        suffix = f"; and {more} more (see .failures)" if more > 0 else ""
        super().__init__(f"{len(self.failures)} of {total} tiles failed (z/x/y): {listed}{suffix}")


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())[:300]


# --------------------------------------------------------------------------------------------------
# Planning: every check runs here, before any request
# --------------------------------------------------------------------------------------------------

ProgressOption = Union[bool, Callable[[TileProgress], None]]

_FORMAT = re.compile(r"[A-Za-z0-9]+")


def _check_id(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must not be empty")
    return value


def _target(
    collection_id: str | None, item_id: str | None, search_id: str | None
) -> tuple[str, tuple[str, ...]]:
    """The generated tile operation and its leading arguments for an item, a collection or a search."""
    if search_id is not None:
        if collection_id is not None or item_id is not None:
            raise ValueError("pass either search_id or collection_id (with item_id for an item), not both")
        return "get_search_tile", (_check_id("search_id", search_id),)
    if collection_id is None:
        if item_id is not None:
            raise ValueError("item_id needs collection_id: pass the item's collection too")
        raise ValueError(
            "pass collection_id (and item_id for one item), or search_id for a registered search"
        )
    if item_id is None:
        return "get_collection_tile", (_check_id("collection_id", collection_id),)
    return "get_tile", (_check_id("collection_id", collection_id), _check_id("item_id", item_id))


def _render_options(operation: Callable[..., Any], name: str, options: Mapping[str, Any]) -> dict[str, Any]:
    accepted = {
        parameter.name
        for parameter in inspect.signature(operation).parameters.values()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }
    for option in options:
        if option not in accepted:
            raise TypeError(
                f"{option!r} is not an option of data.{name}; the render options are its keyword "
                f"arguments: {', '.join(sorted(accepted))}"
            )
    return {option: value for option, value in options.items() if value is not None}


def _concurrency(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"concurrency must be an int, got {value!r}")
    if value < 1:
        raise ValueError(f"concurrency must be at least 1, got {value}")
    return int(value)


def _progress_option(value: Any) -> ProgressOption:
    if isinstance(value, bool):
        if value:
            _tqdm()  # fail now, before any request, if the extra is missing
        return value
    if callable(value):
        return value
    raise TypeError(
        f"progress must be a bool or a callable taking a TileProgress, got {type(value).__name__}"
    )


def _tqdm() -> Any:
    try:
        return importlib.import_module("tqdm").tqdm
    except ImportError as error:
        raise ImportError(
            "progress=True needs tqdm: pip install 'azure-planetarycomputer[progress]'"
        ) from error


def check_directory(value: Any) -> Path:
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"directory must be a path, got {type(value).__name__}")
    directory = Path(value)
    if directory.exists() and not directory.is_dir():
        raise ValueError(f"directory {str(directory)!r} exists and is not a directory")
    return directory


def file_extension(value: Any) -> str:
    text = getattr(value, "value", value)
    if not isinstance(text, str):
        raise TypeError(f"format must be a string such as 'png', got {type(value).__name__}")
    if not _FORMAT.fullmatch(text):
        raise ValueError(f"format must be an image format such as 'png' or 'tif', got {text!r}")
    return text


def check_tile_matrix_set_id(value: Any) -> str:
    tms_id = _check_id("tile_matrix_set_id", value)
    if "/" in tms_id:
        raise ValueError(f"tile_matrix_set_id must be an id such as 'WebMercatorQuad', got {tms_id!r}")
    return tms_id


@dataclass
class TilePlan:
    """A validated tile run: which operation to call with which arguments, for which tiles."""

    operation: str
    target: tuple[str, ...]
    tile_matrix_set_id: str
    zooms: tuple[int, ...]
    area: Area
    concurrency: int
    progress: ProgressOption
    options: dict[str, Any]

    def arguments(self, tile: Tile) -> tuple[Any, ...]:
        """Positional arguments of the generated tile operation; z/x/y are floats, as it declares."""
        return (*self.target, self.tile_matrix_set_id, float(tile.z), float(tile.x), float(tile.y))


def plan_tiles(
    operations: Any,
    *,
    collection_id: str | None,
    item_id: str | None,
    search_id: str | None,
    tile_matrix_set_id: str,
    zooms: int | Iterable[int],
    bbox: Sequence[float] | None,
    intersects: Mapping[str, Any] | GeoInterface | None,
    concurrency: int,
    progress: ProgressOption,
    options: Mapping[str, Any],
) -> TilePlan:
    """Validate every argument of a tile run; raises ValueError/TypeError naming the bad one."""
    operation, target = _target(collection_id, item_id, search_id)
    load_morecantile()  # fail now, before any request, if the extra is missing
    return TilePlan(
        operation=operation,
        target=target,
        tile_matrix_set_id=check_tile_matrix_set_id(tile_matrix_set_id),
        zooms=normalize_zooms(zooms),
        area=normalize_area(bbox, intersects),
        concurrency=_concurrency(concurrency),
        progress=_progress_option(progress),
        options=_render_options(getattr(operations, operation), operation, options),
    )


def tile_path(directory: Path, tile: Tile, extension: str) -> Path:
    """Where a downloaded tile goes: ``{directory}/{z}/{x}/{y}.{extension}``."""
    return directory / str(tile.z) / str(tile.x) / f"{tile.y}.{extension}"


def builtin_tile_matrix_set(tile_matrix_set_id: str) -> morecantile.TileMatrixSet | None:
    """morecantile's own definition when the id is one of its built-in sets (the tiler's defaults)."""
    registry = load_morecantile().tms
    if tile_matrix_set_id in registry.list():
        tms: morecantile.TileMatrixSet = registry.get(tile_matrix_set_id)
        return tms
    return None


# --------------------------------------------------------------------------------------------------
# Running: counts, failures and progress, shared by the sync and async clients
# --------------------------------------------------------------------------------------------------


@dataclass
class TileRun:
    """Counts, failures and progress reporting of one tile run (driven from one thread or task)."""

    total: int
    progress: ProgressOption
    directory: Path | None = None
    fetched: int = 0
    skipped: int = 0
    bytes: int = 0
    failures: list[TileFailure] = field(default_factory=list)
    _bar: Any = None

    @classmethod
    def start(cls, plan: TilePlan, tms: morecantile.TileMatrixSet, directory: Path | None = None) -> TileRun:
        # Counting the tiles takes one pass over the grid (no requests); only progress needs it.
        total = count_covering_tiles(tms, plan.zooms, plan.area) if plan.progress is not False else 0
        run = cls(total=total, progress=plan.progress, directory=directory)
        if plan.progress is True:
            run._bar = _tqdm()(total=total, unit="tile", desc="tiles")
        return run

    def record_fetched(self, size: int) -> None:
        self.fetched += 1
        self.bytes += size
        self._report(1, size)

    def record_skipped(self) -> None:
        self.skipped += 1
        self._report(1, 0)

    def record_failure(self, tile: Tile, error: Exception) -> None:
        """Keep the failure, or re-raise it when no other tile could succeed either."""
        if isinstance(error, ClientAuthenticationError):
            raise error
        self.failures.append(TileFailure(tile, error.with_traceback(None)))
        self._report(1, 0)

    def _report(self, tiles: int, size: int) -> None:
        if self._bar is not None:
            self._bar.update(tiles)
            if size:
                self._bar.set_postfix(bytes=self.bytes, refresh=False)
        elif callable(self.progress):
            self.progress(self.snapshot())

    def snapshot(self) -> TileProgress:
        return TileProgress(self.total, self.fetched, self.skipped, len(self.failures), self.bytes)

    def result(self) -> TileDownloadResult:
        return TileDownloadResult(self.fetched, self.skipped, len(self.failures), self.bytes, self.directory)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def raise_for_failures(self) -> None:
        if self.failures:
            raise TileDownloadError(self.failures, self.result())

    def successes(
        self, outcomes: Iterable[tuple[Tile, _T | Exception]], size: Callable[[_T], int]
    ) -> Iterator[tuple[Tile, _T]]:
        """Record each outcome (a failure, or a success of ``size(result)`` bytes); pass successes on."""
        for tile, outcome in outcomes:
            if isinstance(outcome, Exception):
                self.record_failure(tile, outcome)
            else:
                self.record_fetched(size(outcome))
                yield tile, outcome

    async def async_successes(
        self, outcomes: AsyncIterable[tuple[Tile, _T | Exception]], size: Callable[[_T], int]
    ) -> AsyncGenerator[tuple[Tile, _T], None]:
        """:meth:`successes` for the outcomes of async tasks."""
        async for tile, outcome in outcomes:
            if isinstance(outcome, Exception):
                self.record_failure(tile, outcome)
            else:
                self.record_fetched(size(outcome))
                yield tile, outcome

    def unfinished(self, tiles: Iterator[Tile], extension: str, overwrite: bool) -> Iterator[Tile]:
        """The tiles whose file is not there yet (all of them with ``overwrite``); counts the others."""
        assert self.directory is not None
        for tile in tiles:
            if not overwrite and tile_path(self.directory, tile, extension).is_file():
                self.record_skipped()
                continue
            yield tile


# --------------------------------------------------------------------------------------------------
# The synchronous operations
# --------------------------------------------------------------------------------------------------

_POOL_LOCK = threading.Lock()


def size_connection_pool(pipeline_client: Any, concurrency: int) -> None:
    """Make the client's transport keep ``concurrency`` connections per host.

    Both the default transport and requests keep 10 connections per host; more concurrent requests
    would open and then discard extra connections. Pools are only ever enlarged. Transports other
    than these two are left as they are.
    """
    transport = getattr(getattr(pipeline_client, "_pipeline", None), "_transport", None)
    if isinstance(transport, Urllib3Transport):
        transport.ensure_pool_size(concurrency)
        return
    # Looked up, not imported: importing requests costs more than everything else at import time.
    requests_transport = sys.modules.get("azure.core.pipeline.transport._requests_basic")
    if requests_transport is None or not isinstance(transport, requests_transport.RequestsTransport):
        return
    with _POOL_LOCK:
        if transport.session is None:
            transport.open()
        session = transport.session
        assert session is not None
        for prefix, adapter in list(session.adapters.items()):
            if getattr(adapter, "_pool_maxsize", concurrency) < concurrency:
                session.mount(
                    prefix,
                    type(adapter)(
                        pool_connections=adapter._pool_connections,
                        pool_maxsize=concurrency,
                        max_retries=adapter.max_retries,
                        pool_block=adapter._pool_block,
                    ),
                )


class _TilesFailed(NamedTuple):
    """Sent by a worker whose draw from the tile iterator raised: the caller re-raises it."""

    error: BaseException


def _bounded(
    tiles: Iterator[Tile], work: Callable[[Tile], _T], concurrency: int
) -> Generator[tuple[Tile, _T | Exception], None, None]:
    """Run ``work`` on the tiles in ``concurrency`` threads; yield outcomes as they complete.

    A thread draws its next tile from ``tiles`` when it holds one of ``concurrency`` slots; a slot is
    given back when the caller comes back for the next outcome. So the tiles in flight, waiting in
    the queue or held by the caller are never more than ``concurrency``: a slow consumer slows the
    fetching down instead of piling bodies up in memory. Outcomes come back through one queue: per
    tile that is a put and a get, where a pool of futures would install and remove a waiter on
    every pending future at each completion. Closing the generator early lets the requests in
    flight finish and starts no more.
    """
    outcomes: queue.SimpleQueue[tuple[Tile, Any, BaseException | None] | _TilesFailed | None]
    outcomes = queue.SimpleQueue()
    draw_lock = threading.Lock()
    stopping = threading.Event()
    slots = threading.Semaphore(concurrency)

    def draw() -> Tile | None:
        with draw_lock:
            return None if stopping.is_set() else next(tiles, None)

    def worker() -> None:
        try:
            while True:
                slots.acquire()
                try:
                    tile = draw()
                except BaseException as error:  # the iterator failed: the caller raises it
                    stopping.set()
                    outcomes.put(_TilesFailed(error))
                    return
                if tile is None:
                    return
                try:
                    outcomes.put((tile, work(tile), None))
                except BaseException as error:
                    outcomes.put((tile, None, error))
        finally:
            outcomes.put(None)  # this worker is done

    workers = [
        threading.Thread(target=worker, name=f"planetarycomputer-tiles-{n}", daemon=True)
        for n in range(concurrency)
    ]
    for thread in workers:
        thread.start()
    running = len(workers)
    try:
        while running:
            outcome = outcomes.get()
            if outcome is None:
                running -= 1
            elif isinstance(outcome, _TilesFailed):
                raise outcome.error
            else:
                tile, result, error = outcome
                if error is None:
                    yield tile, result
                elif isinstance(error, Exception):
                    yield tile, error
                else:
                    raise error
                slots.release()
    finally:
        stopping.set()
        for _ in workers:  # wakes the threads waiting for a slot: they find `stopping` set
            slots.release()
        for thread in workers:
            thread.join()


class DataTileOperations(_GeneratedDataOperations):
    """Tile streaming (:meth:`iter_tiles`, :meth:`download_tiles`) and tile matrix sets as morecantile
    objects (:meth:`load_tile_matrix_set`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tile_matrix_sets: dict[str, morecantile.TileMatrixSet] = {}

    def load_tile_matrix_set(
        self, tile_matrix_set_id: str = DEFAULT_TILE_MATRIX_SET_ID, **kwargs: Any
    ) -> morecantile.TileMatrixSet:
        """A tile matrix set of the service as a ``morecantile.TileMatrixSet``.

        Built from the service's own definition (:meth:`get_tile_matrix_definitions`), fetched once per
        client; for the ids morecantile has built in (the tiler's defaults, e.g. ``WebMercatorQuad``)
        its own definition is used without a request. Needs the ``[tiles]`` extra.

        :param tile_matrix_set_id: A tile matrix set id, as listed by :meth:`get_tile_matrices`.
        :type tile_matrix_set_id: str
        :return: The tile matrix set.
        :rtype: morecantile.TileMatrixSet
        :raises ImportError: morecantile is not installed.
        :raises ~azure.core.exceptions.HttpResponseError: The service does not know the id.
        """
        tms_id = check_tile_matrix_set_id(tile_matrix_set_id)
        known = self._tile_matrix_sets.get(tms_id) or builtin_tile_matrix_set(tms_id)
        if known is None:
            known = tile_matrix_set_from_definition(self.get_tile_matrix_definitions(tms_id, **kwargs))
            self._tile_matrix_sets[tms_id] = known
        return known

    def iter_tiles(
        self,
        collection_id: str | None = None,
        item_id: str | None = None,
        *,
        search_id: str | None = None,
        zooms: int | Iterable[int],
        bbox: Sequence[float] | None = None,
        intersects: Mapping[str, Any] | GeoInterface | None = None,
        tile_matrix_set_id: str = DEFAULT_TILE_MATRIX_SET_ID,
        concurrency: int = DEFAULT_CONCURRENCY,
        progress: ProgressOption = False,
        **render_options: Any,
    ) -> Generator[tuple[Tile, bytes], None, None]:
        """Fetch every tile covering an area and yield ``(tile, body)`` pairs as they complete.

        The target is an item (``collection_id`` and ``item_id``), a collection mosaic
        (``collection_id``) or a registered search (``search_id``). Any other keyword is a render
        option of the underlying operation (:meth:`get_tile`, :meth:`get_collection_tile` or
        :meth:`get_search_tile`) and is sent with every tile: ``assets``, ``expression``,
        ``rescale``, ``color_map_name``, ``format``, ``scale``...

        Arguments are checked (and the tile matrix set resolved) when this method is called; tiles are
        requested as the result is iterated, ``concurrency`` at a time. Stopping the iteration early
        waits for the requests in flight and sends no more.

        :param collection_id: The collection (of the item, or whose mosaic to render).
        :type collection_id: str
        :param item_id: The item whose assets to render.
        :type item_id: str
        :keyword str search_id: A registered search (``data.register_mosaics_search``) to render instead.
        :keyword zooms: A zoom level or several.
        :paramtype zooms: int or Iterable[int]
        :keyword bbox: The area as ``[west, south, east, north]`` in WGS84 degrees.
        :paramtype bbox: Sequence[float]
        :keyword intersects: The area as a GeoJSON geometry (or Feature, or ``__geo_interface__``);
            only tiles overlapping it are fetched. Needs the ``[geometry]`` extra (shapely).
        :paramtype intersects: Mapping[str, Any]
        :keyword str tile_matrix_set_id: The tile matrix set, ``"WebMercatorQuad"`` by default.
        :keyword int concurrency: Requests in flight at once, 8 by default.
        :keyword progress: ``True`` for a tqdm progress bar (the ``[progress]`` extra), or a callable
            receiving a :class:`TileProgress` after each tile.
        :paramtype progress: bool or Callable[[TileProgress], None]
        :return: A generator of ``(Tile(x, y, z), bytes)`` in completion order; ``close()`` it to stop
            early.
        :rtype: Generator[tuple[Tile, bytes], None, None]
        :raises ValueError: or TypeError: An argument is invalid (raised at the call, before any request).
        :raises ImportError: morecantile (or shapely, tqdm when needed) is not installed.
        :raises TileDownloadError: After the last tile, when some tiles failed; the others were yielded.
        :raises ~azure.core.exceptions.ClientAuthenticationError: At once: the credential was refused.
        """
        plan, tms, tiles = self._prepare(
            render_options,
            collection_id=collection_id,
            item_id=item_id,
            search_id=search_id,
            tile_matrix_set_id=tile_matrix_set_id,
            zooms=zooms,
            bbox=bbox,
            intersects=intersects,
            concurrency=concurrency,
            progress=progress,
        )
        return self._iter_tiles(plan, tms, tiles)

    def _prepare(
        self, options: Mapping[str, Any], **arguments: Any
    ) -> tuple[TilePlan, morecantile.TileMatrixSet, Iterator[Tile]]:
        plan = plan_tiles(self, options=options, **arguments)
        tms = self.load_tile_matrix_set(plan.tile_matrix_set_id)
        tiles = covering_tiles(tms, plan.zooms, plan.area)
        size_connection_pool(self._client, plan.concurrency)
        return plan, tms, tiles

    def _tile_chunks(self, plan: TilePlan) -> Callable[[Tile], Iterator[bytes]]:
        """Sends one tile's request; returns its body's chunks, or raises as the tile operation does."""
        template = TileRequestTemplate.build(
            self, plan.operation, plan.target, plan.tile_matrix_set_id, plan.options
        )
        if template is None:
            operation = getattr(self, plan.operation)
            return lambda tile: operation(*plan.arguments(tile), **plan.options)
        run = self._client._pipeline.run

        # The span the generated operation would open, so traces look the same either way.
        @distributed_trace(name_of_span=f"DataOperations.{plan.operation}")
        def tile_chunks(tile: Tile) -> Iterator[bytes]:
            response = run(template.request(tile), stream=True).http_response
            if response.status_code != 200:
                response.read()
                raise_for_tile_status(response)
            return response.iter_bytes()

        return tile_chunks

    def _iter_tiles(
        self, plan: TilePlan, tms: morecantile.TileMatrixSet, tiles: Iterator[Tile]
    ) -> Generator[tuple[Tile, bytes], None, None]:
        tile_chunks = self._tile_chunks(plan)

        def fetch(tile: Tile) -> bytes:
            return b"".join(tile_chunks(tile))

        run = TileRun.start(plan, tms)
        try:
            with contextlib.closing(_bounded(tiles, fetch, plan.concurrency)) as outcomes:
                yield from run.successes(outcomes, len)
        finally:
            run.close()
        run.raise_for_failures()

    def download_tiles(
        self,
        collection_id: str | None = None,
        item_id: str | None = None,
        *,
        directory: str | os.PathLike[str],
        search_id: str | None = None,
        zooms: int | Iterable[int],
        bbox: Sequence[float] | None = None,
        intersects: Mapping[str, Any] | GeoInterface | None = None,
        tile_matrix_set_id: str = DEFAULT_TILE_MATRIX_SET_ID,
        format: str = "png",
        overwrite: bool = False,
        concurrency: int = DEFAULT_CONCURRENCY,
        progress: ProgressOption = False,
        **render_options: Any,
    ) -> TileDownloadResult:
        """Download every tile covering an area to ``{directory}/{z}/{x}/{y}.{format}``.

        Takes the same target, area and render options as :meth:`iter_tiles`. Each body streams to a
        temporary file that is renamed into place when complete, so a file under its final name is
        always whole. Tiles whose file exists are skipped (not requested): running the same download
        again resumes it. ``overwrite=True`` fetches them all again.

        :keyword directory: Where to write the tiles (created as needed).
        :paramtype directory: str or os.PathLike
        :keyword str format: The image format, sent as the ``format`` option and used as the file
            extension: ``"png"`` by default.
        :keyword bool overwrite: Fetch tiles whose file already exists too.
        :return: How many tiles were fetched and skipped, and the bytes received.
        :rtype: TileDownloadResult
        :raises ValueError: or TypeError: An argument is invalid (before any request).
        :raises TileDownloadError: Some tiles failed; all others were written. Its ``result`` has the
            counts and ``failures`` the tiles with their errors; run again to retry just those.
        :raises ~azure.core.exceptions.ClientAuthenticationError: At once: the credential was refused.
        """
        target = check_directory(directory)
        extension = file_extension(format)
        plan, tms, tiles = self._prepare(
            {**render_options, "format": format},
            collection_id=collection_id,
            item_id=item_id,
            search_id=search_id,
            tile_matrix_set_id=tile_matrix_set_id,
            zooms=zooms,
            bbox=bbox,
            intersects=intersects,
            concurrency=concurrency,
            progress=progress,
        )
        tile_chunks = self._tile_chunks(plan)

        def download(tile: Tile) -> int:
            return write_atomically(tile_path(target, tile, extension), tile_chunks(tile))

        run = TileRun.start(plan, tms, target)
        try:
            pending = run.unfinished(tiles, extension, bool(overwrite))
            with contextlib.closing(_bounded(pending, download, plan.concurrency)) as outcomes:
                for _ in run.successes(outcomes, int):
                    pass
        finally:
            run.close()
        run.raise_for_failures()
        return run.result()

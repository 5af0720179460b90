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
* Every plan is counted before any request, by arithmetic on tile ranges (never tile by tile); a
  plan of more than ``max_tiles`` tiles (:data:`DEFAULT_MAX_TILES` by default) is refused.
* Each file is written to a temporary sibling, created before the tile is requested, and renamed
  into place; files already there are skipped, so a re-run resumes an interrupted download. A small
  manifest in the folder (:data:`MANIFEST_NAME`) records what the tiles are of (target, render
  options, tile matrix set, format), so a resume never mixes tiles of two targets. Temporary files
  an interrupted run left behind are removed when the next run starts.
* A tile that fails does not stop the others: failures are collected and raised together at the end
  as :class:`TileDownloadError`, listing each tile's coordinates and error. Only errors every
  other tile would hit too stop the run at once: a refused credential
  (:class:`~azure.core.exceptions.ClientAuthenticationError`) and a local disk refusing writes (an
  ``OSError`` such as EROFS, ENOSPC, ENOTDIR or EACCES). Transient errors are retried by the
  client's azure-core retry policy before they count as failures.
* Progress goes to a tqdm bar (``progress=True``, the ``[progress]`` extra) or to a callback taking
  a :class:`TileProgress`, always called from the thread iterating (also for skipped tiles).
* Stopping early (``break``, ``close()``, Ctrl-C, an error) returns within about half a second
  whatever the server does: requests still in flight are abandoned to finish on their own, write
  nothing more, and start no new tile.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import inspect
import json
import numbers
import os
import queue
import re
import sys
import threading
import time
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

from ._atomic_file import AtomicFile, remove_leftovers, write_atomically
from ._dask._operations import DaskTileOperations
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
    "DEFAULT_MAX_TILES",
    "DEFAULT_TILE_MATRIX_SET_ID",
    "MANIFEST_NAME",
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

DEFAULT_MAX_TILES = 50_000
"""The largest plan a tile run accepts unless ``max_tiles=`` says otherwise (about 1 GB of PNG tiles)."""

MANIFEST_NAME = ".planetarycomputer-tiles.json"
"""The file in a download folder recording what its tiles are of."""

_T = TypeVar("_T")


# --------------------------------------------------------------------------------------------------
# Public results
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TileProgress:
    """Where a tile run stands; handed to a ``progress`` callback after every tile.

    :ivar total: Tiles covering the area at the requested zoom levels (for ``intersects=``, those
        of its bounding box: an upper bound).
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


def _max_tiles(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"max_tiles must be an int, got {value!r}")
    if value < 1:
        raise ValueError(f"max_tiles must be at least 1, got {value}")
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
    max_tiles: int = DEFAULT_MAX_TILES

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
    max_tiles: int = DEFAULT_MAX_TILES,
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
        max_tiles=_max_tiles(max_tiles),
    )


def count_plan(plan: TilePlan, tms: morecantile.TileMatrixSet) -> int:
    """The tiles of a plan, counted by arithmetic; a ValueError stating the count above ``max_tiles``."""
    total = count_covering_tiles(tms, plan.zooms, plan.area)
    if total > plan.max_tiles:
        zooms = ", ".join(str(zoom) for zoom in plan.zooms)
        area = "bbox" if plan.area.shape is None else "bounding box of intersects"
        raise ValueError(
            f"the {area} has {total:,} tiles at zooms {zooms}, more than max_tiles={plan.max_tiles:,}: "
            "narrow the area or the zoom levels, or pass a larger max_tiles"
        )
    return total


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
    def start(cls, plan: TilePlan, total: int, directory: Path | None = None) -> TileRun:
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
        if stops_the_run(error):
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
        self, outcomes: Iterable[tuple[Tile, _T | Exception | Skipped]], size: Callable[[_T], int]
    ) -> Iterator[tuple[Tile, _T]]:
        """Record each outcome (a failure, a skipped tile, or a success of ``size(result)`` bytes) in
        the calling thread; pass successes on."""
        for tile, outcome in outcomes:
            if self._record(tile, outcome, size):
                yield tile, outcome  # type: ignore[misc]

    async def async_successes(
        self, outcomes: AsyncIterable[tuple[Tile, _T | Exception | Skipped]], size: Callable[[_T], int]
    ) -> AsyncGenerator[tuple[Tile, _T], None]:
        """:meth:`successes` for the outcomes of async tasks."""
        async for tile, outcome in outcomes:
            if self._record(tile, outcome, size):
                yield tile, outcome  # type: ignore[misc]

    def _record(self, tile: Tile, outcome: Any, size: Callable[[Any], int]) -> bool:
        """Count one outcome; True for a success to pass on."""
        if isinstance(outcome, Exception):
            self.record_failure(tile, outcome)
        elif isinstance(outcome, Skipped):
            self.record_skipped()
        else:
            self.record_fetched(size(outcome))
            return True
        return False


class Skipped:
    """What a download returns for a tile whose file is already there (counted by the iterating thread)."""


SKIPPED = Skipped()

# Errors of the local disk that every other tile would hit too: the run stops at the first.
_LOCAL_WRITE_ERRNOS = frozenset(
    code
    for code in (
        errno.EROFS,
        errno.ENOSPC,
        errno.ENOTDIR,
        errno.EACCES,
        errno.EPERM,
        getattr(errno, "EDQUOT", None),
    )
    if code is not None
)


def stops_the_run(error: BaseException) -> bool:
    """Whether an error of one tile means no other tile can succeed (so the run stops at once).

    Transport errors reach a run as azure-core exceptions, so a bare ``OSError`` is a local one.
    """
    if isinstance(error, ClientAuthenticationError):
        return True
    return (
        isinstance(error, OSError)
        and not isinstance(error, AzureError)
        and error.errno in _LOCAL_WRITE_ERRNOS
    )


class Stopped(Exception):
    """Raised in a tile still in flight when its run has stopped: nothing more is read or written."""


# --------------------------------------------------------------------------------------------------
# Download folders: the manifest and leftovers of interrupted runs, shared by sync and async
# --------------------------------------------------------------------------------------------------

_TARGET_NAMES = {
    "get_tile": ("collection_id", "item_id"),
    "get_collection_tile": ("collection_id",),
    "get_search_tile": ("search_id",),
}


def _plain(value: Any) -> Any:
    """A render option as plain JSON, so manifests compare equal however the option was spelt."""
    value = getattr(value, "value", value)  # enums
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Mapping):
        return {str(key): _plain(entry) for key, entry in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(entry) for entry in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(entry) for entry in value), key=repr)
    return str(value)


def tile_manifest(plan: TilePlan, endpoint: str) -> dict[str, Any]:
    """What a download folder's tiles are of: endpoint, target, tile matrix set and render options
    (``format`` among them)."""
    return {
        "manifest": 1,
        "endpoint": endpoint.rstrip("/"),
        "target": dict(zip(_TARGET_NAMES.get(plan.operation, ()), plan.target)),
        "tile_matrix_set_id": plan.tile_matrix_set_id,
        "render_options": _plain(plan.options),
    }


def _describe(manifest: Mapping[str, Any], keys: Iterable[str]) -> str:
    return ", ".join(f"{key}={json.dumps(manifest.get(key), sort_keys=True)}" for key in keys)


def prepare_directory(directory: Path, plan: TilePlan, manifest: dict[str, Any], overwrite: bool) -> None:
    """Check (or write) the folder's manifest and remove the temporary files a killed run left.

    Runs before any request: a folder that cannot be written fails here, with nothing requested.

    :raises ValueError: The folder holds tiles of another target or other render options and
        ``overwrite`` is false.
    :raises OSError: The folder cannot be created or written.
    """
    path = directory / MANIFEST_NAME
    recorded: Any
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):  # a new folder (writing it will tell if it can be)
        recorded = None
    except ValueError:  # not JSON (UnicodeDecodeError is a ValueError too)
        recorded = "unreadable"
    if recorded != manifest:
        if recorded is not None and not overwrite:
            if isinstance(recorded, dict):
                keys = sorted(
                    key for key in set(manifest) | set(recorded) if recorded.get(key) != manifest.get(key)
                )
                was = _describe(recorded, keys)
            else:
                keys, was = sorted(manifest), "an unreadable manifest"
            raise ValueError(
                f"directory {str(directory)!r} holds tiles of {was}, not {_describe(manifest, keys)} "
                f"(see its {MANIFEST_NAME}): choose another directory, or pass overwrite=True to fetch "
                "every tile again"
            )
        body = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
        write_atomically(path, [body])
    remove_leftovers(directory, recursive=False)
    for zoom in plan.zooms:
        remove_leftovers(directory / str(zoom))


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


_ABANDON_AFTER = 0.5
"""Seconds a stopped run waits for the requests in flight before leaving them to finish on their own."""


def _bounded(
    tiles: Iterator[Tile],
    work: Callable[[Tile], _T],
    concurrency: int,
    stopping: threading.Event | None = None,
) -> Generator[tuple[Tile, _T | Exception], None, None]:
    """Run ``work`` on the tiles in ``concurrency`` threads; yield outcomes as they complete.

    A thread draws its next tile from ``tiles`` when it holds one of ``concurrency`` slots; a slot is
    given back when the caller comes back for the next outcome. So the tiles in flight, waiting in
    the queue or held by the caller are never more than ``concurrency``: a slow consumer slows the
    fetching down instead of piling bodies up in memory. Outcomes come back through one queue: per
    tile that is a put and a get, where a pool of futures would install and remove a waiter on
    every pending future at each completion.

    Closing the generator early (or an exception in the caller, such as KeyboardInterrupt) sets
    ``stopping`` and starts no more tiles; the requests in flight get :data:`_ABANDON_AFTER` seconds
    to finish, then are left to finish on their own (the threads are daemons), so leaving never
    waits for a stalled or trickling server. ``work`` should watch ``stopping`` and write nothing
    once it is set.
    """
    outcomes: queue.SimpleQueue[tuple[Tile, Any, BaseException | None] | _TilesFailed | None]
    outcomes = queue.SimpleQueue()
    draw_lock = threading.Lock()
    if stopping is None:
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
        deadline = time.monotonic() + _ABANDON_AFTER
        for thread in workers:
            thread.join(max(0.0, deadline - time.monotonic()))


class DataTileOperations(_GeneratedDataOperations, DaskTileOperations):
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
        max_tiles: int = DEFAULT_MAX_TILES,
        progress: ProgressOption = False,
        **render_options: Any,
    ) -> Generator[tuple[Tile, bytes], None, None]:
        """Fetch every tile covering an area and yield ``(tile, body)`` pairs as they complete.

        The target is an item (``collection_id`` and ``item_id``), a collection mosaic
        (``collection_id``) or a registered search (``search_id``). Any other keyword is a render
        option of the underlying operation (:meth:`get_tile`, :meth:`get_collection_tile` or
        :meth:`get_search_tile`) and is sent with every tile: ``assets``, ``expression``,
        ``rescale``, ``color_map_name``, ``format``, ``scale``...

        Arguments are checked, the tile matrix set resolved and the tiles counted when this method is
        called; tiles are requested as the result is iterated, ``concurrency`` at a time. Stopping the
        iteration early (``break``, ``close()``, Ctrl-C) sends no more requests and returns within
        about half a second, whatever the server does.

        :param collection_id: The collection (of the item, or whose mosaic to render).
        :type collection_id: str
        :param item_id: The item whose assets to render.
        :type item_id: str
        :keyword str search_id: A registered search (``data.register_mosaics_search``) to render instead.
        :keyword zooms: A zoom level or several.
        :paramtype zooms: int or Iterable[int]
        :keyword bbox: The area as ``[west, south, east, north]`` in WGS84 degrees; ``west > east``
            crosses the antimeridian.
        :paramtype bbox: Sequence[float]
        :keyword intersects: The area as a GeoJSON geometry (or Feature, or ``__geo_interface__``);
            only tiles overlapping it are fetched. Needs the ``[geometry]`` extra (shapely).
        :paramtype intersects: Mapping[str, Any]
        :keyword str tile_matrix_set_id: The tile matrix set, ``"WebMercatorQuad"`` by default.
        :keyword int concurrency: Requests in flight at once, 8 by default.
        :keyword int max_tiles: The most tiles the area may have at the zoom levels (for ``intersects``,
            those of its bounding box): 50,000 by default. A larger plan raises ValueError before any
            request.
        :keyword progress: ``True`` for a tqdm progress bar (the ``[progress]`` extra), or a callable
            receiving a :class:`TileProgress` after each tile, in the thread iterating.
        :paramtype progress: bool or Callable[[TileProgress], None]
        :return: A generator of ``(Tile(x, y, z), bytes)`` in completion order; ``close()`` it to stop
            early.
        :rtype: Generator[tuple[Tile, bytes], None, None]
        :raises ValueError: or TypeError: An argument is invalid, or the plan has more than
            ``max_tiles`` tiles (raised at the call, before any request).
        :raises ImportError: morecantile (or shapely, tqdm when needed) is not installed.
        :raises TileDownloadError: After the last tile, when some tiles failed; the others were yielded.
        :raises ~azure.core.exceptions.ClientAuthenticationError: At once: the credential was refused.
        """
        plan, total, tiles = self._prepare(
            render_options,
            collection_id=collection_id,
            item_id=item_id,
            search_id=search_id,
            tile_matrix_set_id=tile_matrix_set_id,
            zooms=zooms,
            bbox=bbox,
            intersects=intersects,
            concurrency=concurrency,
            max_tiles=max_tiles,
            progress=progress,
        )
        return self._iter_tiles(plan, total, tiles)

    def _prepare(self, options: Mapping[str, Any], **arguments: Any) -> tuple[TilePlan, int, Iterator[Tile]]:
        plan = plan_tiles(self, options=options, **arguments)
        tms = self.load_tile_matrix_set(plan.tile_matrix_set_id)
        total = count_plan(plan, tms)
        tiles = covering_tiles(tms, plan.zooms, plan.area)
        size_connection_pool(self._client, plan.concurrency)
        return plan, total, tiles

    def _tile_sender(self, plan: TilePlan) -> Callable[[Tile], TileBody]:
        """Sends one tile's request; returns its body, or raises as the tile operation does."""
        template = TileRequestTemplate.build(
            self, plan.operation, plan.target, plan.tile_matrix_set_id, plan.options
        )
        if template is None:
            operation = getattr(self, plan.operation)

            def call_operation(tile: Tile) -> TileBody:
                chunks = operation(*plan.arguments(tile), **plan.options)
                return TileBody(chunks, getattr(chunks, "close", _nothing))

            return call_operation
        run = self._client._pipeline.run

        # The span the generated operation would open, so traces look the same either way.
        @distributed_trace(name_of_span=f"DataOperations.{plan.operation}")
        def send(tile: Tile) -> TileBody:
            response = run(template.request(tile), stream=True).http_response
            if response.status_code != 200:
                try:
                    response.read()
                finally:
                    response.close()
                raise_for_tile_status(response)
            return TileBody(response.iter_bytes(), response.close)

        return send

    def _iter_tiles(
        self, plan: TilePlan, total: int, tiles: Iterator[Tile]
    ) -> Generator[tuple[Tile, bytes], None, None]:
        send = self._tile_sender(plan)
        stopping = threading.Event()

        def fetch(tile: Tile) -> bytes:
            body = send(tile)
            try:
                return b"".join(body.read_until(stopping))
            finally:
                body.close()

        run = TileRun.start(plan, total)
        try:
            with contextlib.closing(_bounded(tiles, fetch, plan.concurrency, stopping)) as outcomes:
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
        max_tiles: int = DEFAULT_MAX_TILES,
        progress: ProgressOption = False,
        **render_options: Any,
    ) -> TileDownloadResult:
        """Download every tile covering an area to ``{directory}/{z}/{x}/{y}.{format}``.

        Takes the same target, area, limits and render options as :meth:`iter_tiles`. Each body
        streams to a temporary file (created before the tile is requested) that is renamed into place
        when complete, so a file under its final name is always whole. Tiles whose file exists are
        skipped (not requested): running the same download again resumes it, after removing the
        temporary files an interrupted run left. ``overwrite=True`` fetches them all again.

        The folder keeps a manifest (``.planetarycomputer-tiles.json``) of what its tiles are of:
        endpoint, target, tile matrix set and render options (``format`` included). A download into
        a folder whose manifest says otherwise raises ValueError before any request, unless
        ``overwrite=True``, which fetches every tile of the plan again and records the new manifest.

        :keyword directory: Where to write the tiles (created as needed).
        :paramtype directory: str or os.PathLike
        :keyword str format: The image format, sent as the ``format`` option and used as the file
            extension: ``"png"`` by default.
        :keyword bool overwrite: Fetch tiles whose file already exists too, and take over a folder of
            another target's tiles.
        :return: How many tiles were fetched and skipped, and the bytes received.
        :rtype: TileDownloadResult
        :raises ValueError: or TypeError: An argument is invalid, the plan has more than ``max_tiles``
            tiles, or the folder holds another target's tiles (before any request).
        :raises OSError: At once, when the folder cannot be written (read-only, full, not a
            directory, permission denied); the tiles in flight are abandoned.
        :raises TileDownloadError: Some tiles failed; all others were written. Its ``result`` has the
            counts and ``failures`` the tiles with their errors; run again to retry just those.
        :raises ~azure.core.exceptions.ClientAuthenticationError: At once: the credential was refused.
        """
        target = check_directory(directory)
        extension = file_extension(format)
        plan, total, tiles = self._prepare(
            {**render_options, "format": format},
            collection_id=collection_id,
            item_id=item_id,
            search_id=search_id,
            tile_matrix_set_id=tile_matrix_set_id,
            zooms=zooms,
            bbox=bbox,
            intersects=intersects,
            concurrency=concurrency,
            max_tiles=max_tiles,
            progress=progress,
        )
        prepare_directory(target, plan, tile_manifest(plan, self._config.endpoint), bool(overwrite))
        send = self._tile_sender(plan)
        stopping = threading.Event()
        skip_existing = not overwrite
        writing = _OpenFiles()

        def download(tile: Tile) -> int | Skipped:
            path = tile_path(target, tile, extension)
            if skip_existing and path.is_file():
                return SKIPPED
            # The file first: a disk that refuses it costs no request.
            with AtomicFile(path) as sink, writing.hold(sink):
                body = send(tile)
                try:
                    for chunk in body.read_until(stopping):
                        sink.write(chunk)
                finally:
                    body.close()
                if stopping.is_set():
                    raise Stopped()
                return sink.commit()

        run = TileRun.start(plan, total, target)
        try:
            with contextlib.closing(_bounded(tiles, download, plan.concurrency, stopping)) as outcomes:
                for _ in run.successes(outcomes, int):
                    pass
        finally:
            writing.remove_abandoned()  # tiles still in flight after a stop leave no file behind
            run.close()
        run.raise_for_failures()
        return run.result()


def _nothing() -> None:
    pass


class _OpenFiles:
    """The temporary files of the tiles being downloaded, so a stopped run can remove those of the
    tiles it abandons (their threads may outlive the process, e.g. after Ctrl-C)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: set[AtomicFile] = set()

    @contextlib.contextmanager
    def hold(self, sink: AtomicFile) -> Iterator[None]:
        with self._lock:
            self._files.add(sink)
        try:
            yield
        finally:
            with self._lock:
                self._files.discard(sink)

    def remove_abandoned(self) -> None:
        with self._lock:
            abandoned = list(self._files)
        for sink in abandoned:  # the thread writing it still may: it writes to a nameless file then
            with contextlib.suppress(OSError):
                sink.temporary.unlink()


class TileBody(NamedTuple):
    """One tile's response body: its chunks, and how to give its connection back."""

    chunks: Iterator[bytes]
    close: Callable[[], None]

    def read_until(self, stopping: threading.Event) -> Iterator[bytes]:
        """The chunks, until the run stops (then :class:`Stopped` is raised)."""
        for chunk in self.chunks:
            if stopping.is_set():
                raise Stopped()
            yield chunk
        if stopping.is_set():
            raise Stopped()

"""Tile streaming for the asynchronous client: ``await client.data.iter_tiles(...)`` and
``await client.data.download_tiles(...)``.

The same planning, counting and failure handling as the synchronous client
(:mod:`azure.planetarycomputer._tiles`); here at most ``concurrency`` tile requests run as tasks at
once. Like the generated streaming operations, :meth:`DataTileOperations.iter_tiles` is awaited
first (that checks the arguments and resolves the tile matrix set) and then iterated with
``async for``.

Leaving early -- ``aclose()``, a cancelled task (``asyncio.wait_for``), an error -- cancels the tile
tasks still running, and each one gives its connection back (its response is closed on every exit
path), so cancelled runs do not use up the connection pool.

aiohttp's default connector allows 100 connections in all, which is plenty for the default
concurrency of 8; for more than 100 pass a transport whose session has a larger connector.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from azure.core.tracing.decorator_async import distributed_trace_async

from .._atomic_file import AtomicFile
from .._generated.aio.operations import DataOperations as _GeneratedDataOperations
from .._search_params import GeoInterface
from .._tile_grid import Tile, covering_tiles, tile_matrix_set_from_definition
from .._tile_requests import TileRequestTemplate, raise_for_tile_status
from .._tiles import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_TILES,
    DEFAULT_TILE_MATRIX_SET_ID,
    SKIPPED,
    ProgressOption,
    Skipped,
    TileDownloadResult,
    TilePlan,
    TileRun,
    builtin_tile_matrix_set,
    check_directory,
    check_tile_matrix_set_id,
    count_plan,
    file_extension,
    plan_tiles,
    prepare_directory,
    tile_manifest,
    tile_path,
)

if TYPE_CHECKING:
    import morecantile

__all__ = ["DataTileOperations"]

_T = TypeVar("_T")


async def _bounded(
    tiles: Iterator[Tile], work: Callable[[Tile], Awaitable[_T]], concurrency: int
) -> AsyncGenerator[tuple[Tile, _T | Exception], None]:
    """Run ``work`` on the tiles as tasks, never more than ``concurrency`` at once; yield outcomes as
    they complete. Leaving early cancels the tasks still running."""
    pending: dict[asyncio.Task[_T], Tile] = {}
    try:
        exhausted = False
        while True:
            while not exhausted and len(pending) < concurrency:
                tile = next(tiles, None)
                if tile is None:
                    exhausted = True
                else:
                    pending[asyncio.ensure_future(work(tile))] = tile
            if not pending:
                return
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                tile = pending.pop(task)
                error = task.exception()
                if error is None:
                    yield tile, task.result()
                elif isinstance(error, Exception):
                    yield tile, error
                else:
                    raise error
    finally:
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


class DataTileOperations(_GeneratedDataOperations):
    """Tile streaming (:meth:`iter_tiles`, :meth:`download_tiles`) and tile matrix sets as morecantile
    objects (:meth:`load_tile_matrix_set`), for the asynchronous client."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tile_matrix_sets: dict[str, morecantile.TileMatrixSet] = {}

    async def load_tile_matrix_set(
        self, tile_matrix_set_id: str = DEFAULT_TILE_MATRIX_SET_ID, **kwargs: Any
    ) -> morecantile.TileMatrixSet:
        """A tile matrix set of the service as a ``morecantile.TileMatrixSet``.

        See :meth:`azure.planetarycomputer.operations.DataOperations.load_tile_matrix_set`.
        """
        tms_id = check_tile_matrix_set_id(tile_matrix_set_id)
        known = self._tile_matrix_sets.get(tms_id) or builtin_tile_matrix_set(tms_id)
        if known is None:
            definition = await self.get_tile_matrix_definitions(tms_id, **kwargs)
            known = tile_matrix_set_from_definition(definition)
            self._tile_matrix_sets[tms_id] = known
        return known

    async def _prepare(
        self, options: Mapping[str, Any], **arguments: Any
    ) -> tuple[TilePlan, int, Iterator[Tile]]:
        plan = plan_tiles(self, options=options, **arguments)
        tms = await self.load_tile_matrix_set(plan.tile_matrix_set_id)
        total = count_plan(plan, tms)
        return plan, total, covering_tiles(tms, plan.zooms, plan.area)

    async def iter_tiles(
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
    ) -> AsyncGenerator[tuple[Tile, bytes], None]:
        """Fetch every tile covering an area; ``async for tile, body in await data.iter_tiles(...)``.

        Arguments, render options, ``max_tiles``, failures and progress as in the synchronous
        :meth:`azure.planetarycomputer.operations.DataOperations.iter_tiles`.

        :return: An async generator of ``(Tile(x, y, z), bytes)`` in completion order; ``aclose()`` it
            to stop early (the requests in flight are cancelled and their connections given back).
        :rtype: AsyncGenerator[tuple[Tile, bytes], None]
        :raises ValueError: or TypeError: An argument is invalid, or the plan has more than
            ``max_tiles`` tiles (before any request).
        :raises TileDownloadError: After the last tile, when some tiles failed; the others were yielded.
        """
        plan, total, tiles = await self._prepare(
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

    def _tile_sender(self, plan: TilePlan) -> Callable[[Tile], Awaitable[AsyncTileBody]]:
        """Async twin of the synchronous ``_tile_sender``: one tile's body, or its error."""
        template = TileRequestTemplate.build(
            self, plan.operation, plan.target, plan.tile_matrix_set_id, plan.options
        )
        if template is None:
            operation = getattr(self, plan.operation)

            async def call_operation(tile: Tile) -> AsyncTileBody:
                chunks = await operation(*plan.arguments(tile), **plan.options)
                return AsyncTileBody(chunks, getattr(chunks, "aclose", _nothing))

            return call_operation
        run = self._client._pipeline.run

        # The span the generated operation would open, so traces look the same either way.
        @distributed_trace_async(name_of_span=f"DataOperations.{plan.operation}")
        async def send(tile: Tile) -> AsyncTileBody:
            response = (await run(template.request(tile), stream=True)).http_response
            if response.status_code != 200:
                try:
                    await response.read()
                finally:
                    await response.close()
                raise_for_tile_status(response)
            return AsyncTileBody(response.iter_bytes(), response.close)

        return send

    async def _iter_tiles(
        self, plan: TilePlan, total: int, tiles: Iterator[Tile]
    ) -> AsyncGenerator[tuple[Tile, bytes], None]:
        send = self._tile_sender(plan)

        async def fetch(tile: Tile) -> bytes:
            body = await send(tile)
            try:
                return b"".join([chunk async for chunk in body.chunks])
            finally:
                await body.close()

        run = TileRun.start(plan, total)
        outcomes = _bounded(tiles, fetch, plan.concurrency)
        successes = run.async_successes(outcomes, len)
        try:
            async for success in successes:
                yield success
        finally:
            await successes.aclose()
            await outcomes.aclose()  # cancels the requests still in flight
            run.close()
        run.raise_for_failures()

    async def download_tiles(
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

        Atomic writes, resuming, the folder's manifest, ``max_tiles``, failures and progress as in the
        synchronous :meth:`azure.planetarycomputer.operations.DataOperations.download_tiles`.
        Cancelling the task cancels the tiles in flight; their temporary files are removed and their
        connections given back.

        :return: How many tiles were fetched and skipped, and the bytes received.
        :rtype: TileDownloadResult
        :raises ValueError: or TypeError: An argument is invalid, the plan has more than ``max_tiles``
            tiles, or the folder holds another target's tiles (before any request).
        :raises OSError: At once, when the folder cannot be written.
        :raises TileDownloadError: Some tiles failed; all others were written.
        """
        target: Path = check_directory(directory)
        extension = file_extension(format)
        plan, total, tiles = await self._prepare(
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
        skip_existing = not overwrite

        async def download(tile: Tile) -> int | Skipped:
            path = tile_path(target, tile, extension)
            if skip_existing and path.is_file():
                return SKIPPED
            # The file first: a disk that refuses it costs no request.
            with AtomicFile(path) as sink:
                body = await send(tile)
                try:
                    async for chunk in body.chunks:
                        sink.write(chunk)
                finally:
                    await body.close()
                return sink.commit()

        run = TileRun.start(plan, total, target)
        outcomes = _bounded(tiles, download, plan.concurrency)
        successes = run.async_successes(outcomes, int)
        try:
            async for _ in successes:
                pass
        finally:
            await successes.aclose()
            await outcomes.aclose()  # cancels the downloads still in flight
            run.close()
        run.raise_for_failures()
        return run.result()


async def _nothing() -> None:
    pass


class AsyncTileBody(NamedTuple):
    """One tile's response body: its chunks, and how to give its connection back."""

    chunks: AsyncIterator[bytes]
    close: Callable[[], Awaitable[None]]

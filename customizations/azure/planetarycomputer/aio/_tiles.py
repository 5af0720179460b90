"""Tile streaming for the asynchronous client: ``await client.data.iter_tiles(...)`` and
``await client.data.download_tiles(...)``.

The same planning, counting and failure handling as the synchronous client
(:mod:`azure.planetarycomputer._tiles`); here at most ``concurrency`` tile requests run as tasks at
once. Like the generated streaming operations, :meth:`DataTileOperations.iter_tiles` is awaited
first (that checks the arguments and resolves the tile matrix set) and then iterated with
``async for``.

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
from typing import TYPE_CHECKING, Any, TypeVar

from azure.core.tracing.decorator_async import distributed_trace_async

from .._atomic_file import write_atomically_async
from .._generated.aio.operations import DataOperations as _GeneratedDataOperations
from .._search_params import GeoInterface
from .._tile_grid import Tile, covering_tiles, tile_matrix_set_from_definition
from .._tile_requests import TileRequestTemplate, raise_for_tile_status
from .._tiles import (
    DEFAULT_CONCURRENCY,
    DEFAULT_TILE_MATRIX_SET_ID,
    ProgressOption,
    TileDownloadResult,
    TilePlan,
    TileRun,
    builtin_tile_matrix_set,
    check_directory,
    check_tile_matrix_set_id,
    file_extension,
    plan_tiles,
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
    ) -> tuple[TilePlan, morecantile.TileMatrixSet, Iterator[Tile]]:
        plan = plan_tiles(self, options=options, **arguments)
        tms = await self.load_tile_matrix_set(plan.tile_matrix_set_id)
        return plan, tms, covering_tiles(tms, plan.zooms, plan.area)

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
        progress: ProgressOption = False,
        **render_options: Any,
    ) -> AsyncGenerator[tuple[Tile, bytes], None]:
        """Fetch every tile covering an area; ``async for tile, body in await data.iter_tiles(...)``.

        Arguments, render options, failures and progress as in the synchronous
        :meth:`azure.planetarycomputer.operations.DataOperations.iter_tiles`.

        :return: An async generator of ``(Tile(x, y, z), bytes)`` in completion order; ``aclose()`` it
            to stop early.
        :rtype: AsyncGenerator[tuple[Tile, bytes], None]
        :raises TileDownloadError: After the last tile, when some tiles failed; the others were yielded.
        """
        plan, tms, tiles = await self._prepare(
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

    def _tile_chunks(self, plan: TilePlan) -> Callable[[Tile], Awaitable[AsyncIterator[bytes]]]:
        """Async twin of the synchronous ``_tile_chunks``: one tile's body chunks, or its error."""
        template = TileRequestTemplate.build(
            self, plan.operation, plan.target, plan.tile_matrix_set_id, plan.options
        )
        if template is None:
            operation = getattr(self, plan.operation)
            return lambda tile: operation(*plan.arguments(tile), **plan.options)
        run = self._client._pipeline.run

        # The span the generated operation would open, so traces look the same either way.
        @distributed_trace_async(name_of_span=f"DataOperations.{plan.operation}")
        async def tile_chunks(tile: Tile) -> AsyncIterator[bytes]:
            response = (await run(template.request(tile), stream=True)).http_response
            if response.status_code != 200:
                await response.read()
                raise_for_tile_status(response)
            return response.iter_bytes()

        return tile_chunks

    async def _iter_tiles(
        self, plan: TilePlan, tms: morecantile.TileMatrixSet, tiles: Iterator[Tile]
    ) -> AsyncGenerator[tuple[Tile, bytes], None]:
        tile_chunks = self._tile_chunks(plan)

        async def fetch(tile: Tile) -> bytes:
            chunks = await tile_chunks(tile)
            return b"".join([chunk async for chunk in chunks])

        run = TileRun.start(plan, tms)
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
        progress: ProgressOption = False,
        **render_options: Any,
    ) -> TileDownloadResult:
        """Download every tile covering an area to ``{directory}/{z}/{x}/{y}.{format}``.

        Atomic writes, resuming, failures and progress as in the synchronous
        :meth:`azure.planetarycomputer.operations.DataOperations.download_tiles`.

        :return: How many tiles were fetched and skipped, and the bytes received.
        :rtype: TileDownloadResult
        :raises TileDownloadError: Some tiles failed; all others were written.
        """
        target: Path = check_directory(directory)
        extension = file_extension(format)
        plan, tms, tiles = await self._prepare(
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

        async def download(tile: Tile) -> int:
            return await write_atomically_async(tile_path(target, tile, extension), await tile_chunks(tile))

        run = TileRun.start(plan, tms, target)
        outcomes = _bounded(run.unfinished(tiles, extension, bool(overwrite)), download, plan.concurrency)
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

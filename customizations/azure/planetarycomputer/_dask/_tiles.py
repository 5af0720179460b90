"""Tile downloads of large areas spread across a Dask cluster: ``client.data.download_tiles_on_dask``.

The plan is the one ``download_tiles`` makes (same checks, same ``max_tiles`` count by arithmetic,
same folder manifest, same ``{directory}/{z}/{x}/{y}.{format}`` files): this process checks it,
prepares the folder once, and cuts each zoom level's tile range (:func:`~.._tile_grid.tile_ranges`)
into bands of whole rows, about ``tiles_per_task`` tiles each. A worker fetches its band's tiles
with its own client, writes each one atomically (a temporary file renamed when complete), skips
tiles already there (a job run again resumes) and tries a failed tile again up to ``retries``
times. Only this process removes the temporary files an interrupted run left, before any task
starts: a worker never removes another one's file in flight. ``directory`` must be reachable by
every worker.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._atomic_file import AtomicFile
from .._redaction import redact_secrets
from .._tile_grid import Tile, TileRange, _overlapping, tile_ranges
from .._tiles import (
    DEFAULT_MAX_TILES,
    DEFAULT_TILE_MATRIX_SET_ID,
    TileDownloadResult,
    TilePlan,
    check_directory,
    count_plan,
    file_extension,
    plan_tiles,
    prepare_directory,
    tile_manifest,
    tile_path,
)
from ._extras import require
from ._items import _try, check_on_error, check_retries
from ._worker import ClientConfig

if TYPE_CHECKING:
    from .._search_params import GeoInterface

__all__ = ["TileBand", "TileJobError", "TileJobFailure", "TileJobResult", "download_tiles_on_dask"]


@dataclass(frozen=True)
class TileBand:
    """Whole rows of one zoom's tile range, minus tiles an earlier range already has (antimeridian)."""

    rows: TileRange
    exclude: tuple[TileRange, ...] = ()

    def tiles(self) -> Iterator[Tile]:
        for tile in self.rows:
            if not any(tile in other for other in self.exclude):
                yield tile


@dataclass(frozen=True)
class TileJobFailure:
    """A tile that failed every try: its z/x/y, the error's type and message (signatures redacted)."""

    tile: Tile
    error_type: str
    message: str
    attempts: int


@dataclass(frozen=True)
class TileJobResult:
    """What a distributed tile download did, and the tiles that failed (``on_error="record"``)."""

    result: TileDownloadResult
    failures: tuple[TileJobFailure, ...] = ()


class TileJobError(RuntimeError):
    """A tile failed every try (``on_error="raise"``); the message names it and the cause."""


def tile_bands(tms: Any, plan: TilePlan, tiles_per_task: int) -> list[TileBand]:
    """The plan's tiles as bands of whole rows, about ``tiles_per_task`` tiles each."""
    bands = []
    for ranges in tile_ranges(tms, plan.zooms, plan.area.bbox):
        for index, tile_range in enumerate(ranges):
            width = tile_range.max_x - tile_range.min_x + 1
            rows = max(1, tiles_per_task // max(width, 1))
            for first in range(tile_range.min_y, tile_range.max_y + 1, rows):
                last = min(first + rows - 1, tile_range.max_y)
                bands.append(TileBand(replace(tile_range, min_y=first, max_y=last), tuple(ranges[:index])))
    return bands


@dataclass(frozen=True)
class _TileTask:
    """Downloads one band on a worker; picklable (configuration, plan and band only)."""

    config: ClientConfig
    plan: TilePlan
    directory: str
    extension: str
    overwrite: bool
    retries: int
    on_error: str

    def __call__(self, band: TileBand) -> tuple[int, int, int, list[TileJobFailure]]:
        data = self.config.client().data
        send = data._tile_sender(self.plan)
        never = threading.Event()
        target = Path(self.directory)
        fetched = skipped = size = 0
        failures: list[TileJobFailure] = []
        tiles: Iterator[Tile] = band.tiles()
        if self.plan.area.shape is not None:
            tms = data.load_tile_matrix_set(self.plan.tile_matrix_set_id)
            tiles = _overlapping(tms, tiles, self.plan.area.shape)

        def download(tile: Tile) -> int:
            with AtomicFile(tile_path(target, tile, self.extension)) as sink:
                body = send(tile)
                try:
                    for chunk in body.read_until(never):
                        sink.write(chunk)
                finally:
                    body.close()
                return sink.commit()

        for tile in tiles:
            if not self.overwrite and tile_path(target, tile, self.extension).is_file():
                skipped += 1
                continue
            written, error, attempts = _try(functools.partial(download, tile), self.retries)
            if error is None:
                fetched += 1
                size += written
                continue
            message = redact_secrets(str(error))[:2000]
            if self.on_error == "raise":
                raise TileJobError(
                    f"tile {tile} failed after {attempts} tries: {type(error).__name__}: {message}"
                ) from None  # the cause may hold a response and its socket: it would not pickle
            failures.append(TileJobFailure(tile, type(error).__name__, message, attempts))
        return fetched, skipped, size, failures


def download_tiles_on_dask(
    data: Any,
    collection_id: str | None = None,
    item_id: str | None = None,
    *,
    directory: str | os.PathLike[str],
    credential_factory: Any,
    zooms: int | Iterable[int],
    search_id: str | None = None,
    bbox: Sequence[float] | None = None,
    intersects: Mapping[str, Any] | GeoInterface | None = None,
    tile_matrix_set_id: str = DEFAULT_TILE_MATRIX_SET_ID,
    format: str = "png",
    overwrite: bool = False,
    max_tiles: int = DEFAULT_MAX_TILES,
    tiles_per_task: int = 500,
    retries: int = 2,
    on_error: str = "raise",
    dask_client: Any = None,
    client_options: Mapping[str, Any] | None = None,
    **render_options: Any,
) -> TileJobResult:
    """The work of ``client.data.download_tiles_on_dask`` (see :class:`.._operations.DaskTileOperations`)."""
    distributed = require("distributed")
    if isinstance(tiles_per_task, bool) or not isinstance(tiles_per_task, int) or tiles_per_task < 1:
        raise ValueError(f"tiles_per_task must be a positive int, got {tiles_per_task!r}")
    retries = check_retries(retries)
    on_error = check_on_error(on_error)
    options = dict(client_options or {})
    hosts = getattr(data, "_storage_host_entries", None)
    if hosts is not None:
        options.setdefault("storage_hosts", list(hosts))
    config = ClientConfig.of(
        data._config.endpoint, credential_factory, api_version=data._config.api_version, options=options
    )
    target = check_directory(directory)
    extension = file_extension(format)
    plan = plan_tiles(
        data,
        collection_id=collection_id,
        item_id=item_id,
        search_id=search_id,
        tile_matrix_set_id=tile_matrix_set_id,
        zooms=zooms,
        bbox=bbox,
        intersects=intersects,
        concurrency=1,
        progress=False,
        options={**render_options, "format": format},
        max_tiles=max_tiles,
    )
    tms = data.load_tile_matrix_set(plan.tile_matrix_set_id)
    count_plan(plan, tms)
    if dask_client is None:
        try:
            dask_client = distributed.get_client()
        except ValueError:
            raise ValueError("no Dask client: pass dask_client= (a distributed.Client)") from None
    elif not isinstance(dask_client, distributed.Client):
        raise TypeError(f"dask_client must be a distributed.Client, got {type(dask_client).__name__}")
    prepare_directory(target, plan, tile_manifest(plan, data._config.endpoint), bool(overwrite))
    task = _TileTask(config, plan, str(target), extension, bool(overwrite), retries, on_error)
    futures = dask_client.map(task, tile_bands(tms, plan, tiles_per_task), pure=False)
    fetched = skipped = size = 0
    failures: list[TileJobFailure] = []
    try:
        for part_fetched, part_skipped, part_size, part_failures in dask_client.gather(futures):
            fetched, skipped, size = fetched + part_fetched, skipped + part_skipped, size + part_size
            failures.extend(part_failures)
    finally:
        dask_client.cancel(futures)
    result = TileDownloadResult(fetched, skipped, len(failures), size, target)
    return TileJobResult(result, tuple(failures))

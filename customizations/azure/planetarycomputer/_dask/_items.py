"""Work over the items of a search, spread across a ``distributed.Client``.

``partitions.map_items(fn)`` and ``partitions.download_assets(directory)`` submit one task per
search partition (:mod:`._partitions`). A task runs its partition's search on the worker, then
handles the items one by one: signed there, with the worker's own client and SAS token cache (a
token is asked for when the worker's own is about to expire, however long the job runs), each item
tried up to ``1 + retries`` times. ``on_error="raise"`` fails the job on the first item that still
fails; ``on_error="record"`` keeps going and returns the failures as data (:class:`ItemFailure`).

A worker that dies takes its running tasks with it; Dask's scheduler runs them again elsewhere, and
since a task's result is a pure function of its partition (downloads are atomic and skip files
already there), the result is complete.
"""

from __future__ import annotations

import functools
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .._redaction import redact_secrets
from ._extras import require

if TYPE_CHECKING:
    from ._partitions import SearchPartition

__all__ = ["ItemFailure", "ItemResults", "run_on_cluster"]

ON_ERROR = ("raise", "record")
_RETRY_PAUSE = 0.5
_RETRY_PAUSE_MAX = 8.0
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class ItemFailure:
    """An item (or a whole partition, when its search failed) that failed every try."""

    item_id: str | None
    """The item's id; None when the partition's search itself failed."""
    collection: str | None
    error_type: str
    message: str
    """The error's message, with any SAS signature redacted."""
    attempts: int
    partition: str
    """Which partition it belongs to (its window and cell)."""


@dataclass
class ItemResults:
    """What a job over items returned: ``(item_id, value)`` pairs in partition order, and failures."""

    values: list[tuple[str, Any]] = field(default_factory=list)
    failures: list[ItemFailure] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.values)

    def values_of(self) -> list[Any]:
        """The values alone, in order."""
        return [value for _, value in self.values]


class ItemJobError(RuntimeError):
    """An item failed every try (``on_error="raise"``); the message names the item and the cause."""


def check_on_error(on_error: Any) -> str:
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be 'raise' or 'record', got {on_error!r}")
    return str(on_error)


def check_retries(retries: Any) -> int:
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be an int >= 0, got {retries!r}")
    return retries


def _describe(error: BaseException) -> str:
    return redact_secrets(str(error))[:2000]


def _try(call: Callable[[], Any], retries: int) -> tuple[Any, BaseException | None, int]:
    """``call()``, tried up to ``1 + retries`` times with growing pauses: (value, last error, tries)."""
    pause = _RETRY_PAUSE
    for attempt in range(1, retries + 2):
        try:
            return call(), None, attempt
        except Exception as error:
            if attempt > retries:
                return None, error, attempt
            time.sleep(pause)
            pause = min(pause * 2, _RETRY_PAUSE_MAX)
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class _ItemTask:
    """What each task does to an item: picklable (travels to the workers with the partition)."""

    action: Callable[[SearchPartition, dict[str, Any]], Any]
    retries: int
    on_error: str

    def __call__(self, partition: SearchPartition) -> ItemResults:
        results = ItemResults()
        described = partition.describe()
        items, error, attempts = _try(partition.items, self.retries)
        if error is not None:
            if self.on_error == "raise":
                raise ItemJobError(
                    f"the search of partition {described} failed: {_describe(error)}"
                ) from None
            failure = ItemFailure(None, None, type(error).__name__, _describe(error), attempts, described)
            results.failures.append(failure)
            return results
        for item in items:
            item_id = str(item.get("id"))
            value, error, attempts = _try(functools.partial(self.action, partition, item), self.retries)
            if error is None:
                results.values.append((item_id, value))
                continue
            if self.on_error == "raise":
                raise ItemJobError(
                    f"item {item_id!r} failed after {attempts} tries: "
                    f"{type(error).__name__}: {_describe(error)}"
                ) from None  # the cause may hold a response and its socket: it would not pickle
            collection = item.get("collection")
            results.failures.append(
                ItemFailure(
                    item_id,
                    collection if isinstance(collection, str) else None,
                    type(error).__name__,
                    _describe(error),
                    attempts,
                    described,
                )
            )
        return results


@dataclass(frozen=True)
class MapAction:
    """``fn(item)`` on each item, signed first on the worker when ``sign`` is set."""

    fn: Callable[[dict[str, Any]], Any]
    sign: bool

    def __call__(self, partition: SearchPartition, item: dict[str, Any]) -> Any:
        if self.sign:
            item = partition.config.client().sas.sign(item)
        return self.fn(item)


@dataclass(frozen=True)
class DownloadAction:
    """Each chosen asset of an item to ``{directory}/{collection}/{item}/{asset}{suffix}``, atomically."""

    directory: str
    assets: tuple[str, ...] | None
    overwrite: bool

    def __call__(self, partition: SearchPartition, item: dict[str, Any]) -> list[str]:
        written = []
        folder = Path(self.directory) / _safe(item.get("collection") or "_") / _safe(item.get("id"))
        for key, asset in sorted((item.get("assets") or {}).items()):
            if self.assets is not None and key not in self.assets:
                continue
            href = asset.get("href") if isinstance(asset, Mapping) else None
            if not isinstance(href, str):
                continue
            suffix = os.path.splitext(urlsplit(href).path)[1]
            target = folder / f"{_safe(key)}{_safe(suffix) if suffix else ''}"
            if self.overwrite or not target.exists():
                partition.config.client().sas.download_asset(href, target)
            written.append(str(target))
        return written


def _safe(name: Any) -> str:
    """A file name from an id or key: characters outside ``A-Za-z0-9._-`` become ``_``."""
    text = _UNSAFE_NAME.sub("_", str(name))
    return text if text.strip(".") else "_"


def run_on_cluster(
    partitions: Sequence[SearchPartition],
    action: Callable[[SearchPartition, dict[str, Any]], Any],
    *,
    dask_client: Any,
    retries: int,
    on_error: str,
) -> ItemResults:
    """One task per partition on ``dask_client`` (the current client when None); results merged in order."""
    task = _ItemTask(action, check_retries(retries), check_on_error(on_error))
    distributed = require("distributed")
    if dask_client is None:
        try:
            dask_client = distributed.get_client()
        except ValueError:
            raise ValueError(
                "no Dask client: pass dask_client= (a distributed.Client) or create one first"
            ) from None
    elif not isinstance(dask_client, distributed.Client):
        raise TypeError(f"dask_client must be a distributed.Client, got {type(dask_client).__name__}")
    # pure=False: a job run twice runs again (items may have changed), it is not served from memory.
    futures = dask_client.map(task, list(partitions), pure=False)
    merged = ItemResults()
    try:
        for part in dask_client.gather(futures):
            merged.values.extend(part.values)
            merged.failures.extend(part.failures)
    finally:
        dask_client.cancel(futures)
    return merged


def check_assets(assets: Any) -> tuple[str, ...] | None:
    if assets is None:
        return None
    if isinstance(assets, str):
        return (assets,)
    if isinstance(assets, Iterable) and all(isinstance(key, str) for key in assets):
        return tuple(assets)
    raise TypeError(f"assets must be an asset key or a list of asset keys, got {type(assets).__name__}")

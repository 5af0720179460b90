"""Async twins of the publishing mixins: ``ensure_collection``, ``upsert_items``,
``wait_until_visible`` on ``async_client.stac`` and ``ingest`` on ``async_client.ingestion``.

Same rules, checks and outcomes as :mod:`._upserts` and :mod:`._ingest`; items go out as
``concurrency`` tasks on the event loop, reading at most ``2 x concurrency`` items ahead of the input.
For items, ``ingest`` returns an ``AsyncLROPoller[UpsertSummary]`` whose ``await result()`` does
the writes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterable, Awaitable, Iterable, Mapping
from typing import Any, Callable, TypeVar

from azure.core.exceptions import AzureError, HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.core.polling import AsyncLROPoller, AsyncPollingMethod

from .._generated.models import IngestionRun
from .._ingestion_runs import status_text
from ._ingest import (
    DEFAULT_MIN_VALIDITY,
    UrlSource,
    check_ingest,
    definition_matches,
    definition_model,
    new_source_id,
    run_progress,
    same_container,
    sas_expiry,
    source_is_current,
    source_model,
)
from ._progress import ProgressArgument, Reporter, check_progress
from ._upserts import (
    MAX_THROTTLED_ATTEMPTS,
    Outcome,
    UpsertSummary,
    WriteOutcome,
    check_collection_id,
    check_concurrency,
    check_visibility_args,
    collection_body,
    failure,
    is_throttled,
    item_body,
    item_visibility,
    items_iterator,
    target_of,
    throttle_delay,
    visibility_for,
)
from ._visibility import (
    DEFAULT_VISIBILITY_TIMEOUT,
    Visibility,
    VisibilityTimeoutError,
    check_timeout,
    read_delays,
    same_content,
)

__all__ = ["AsyncPublishingIngestionMixin", "AsyncPublishingStacMixin"]

_T = TypeVar("_T")


async def async_wait_visible(
    read: Callable[[], Awaitable[Mapping[str, Any] | None]], visibility: Visibility, timeout: float
) -> Mapping[str, Any] | None:
    """Async twin of :func:`wait_visible`."""
    deadline = time.monotonic() + timeout
    for reads, delay in enumerate(read_delays(), start=1):
        stored = await read()
        if visibility.satisfied_by(stored):
            return stored
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise VisibilityTimeoutError(visibility.what, timeout, reads)
        await asyncio.sleep(min(delay, remaining))
    raise AssertionError("unreachable")  # pragma: no cover


async def _read_or_none(read: Any) -> dict[str, Any] | None:
    try:
        return dict((await read).as_dict())
    except ResourceNotFoundError:
        return None


class AsyncPublishingStacMixin:
    """Async ``ensure_collection``, ``upsert_items`` and ``wait_until_visible`` on ``client.stac``."""

    get_collection: Callable[..., Any]
    get_item: Callable[..., Any]
    get_render_option: Callable[..., Any]
    get_mosaic: Callable[..., Any]
    replace_collection: Callable[..., Any]
    begin_create_collection: Callable[..., Any]
    begin_create_item: Callable[..., Any]
    begin_replace_item: Callable[..., Any]

    async def _read(self, kind: str, collection_id: str, object_id: str | None) -> dict[str, Any] | None:
        if kind == "collection":
            return await _read_or_none(self.get_collection(collection_id))
        reader = {"item": self.get_item, "render_option": self.get_render_option, "mosaic": self.get_mosaic}
        return await _read_or_none(reader[kind](collection_id, object_id))

    async def wait_until_visible(
        self,
        collection_id: str,
        *,
        item_id: str | None = None,
        render_option_id: str | None = None,
        mosaic_id: str | None = None,
        exists: bool = True,
        content: Any = None,
        timeout: float = DEFAULT_VISIBILITY_TIMEOUT,
    ) -> None:
        """Async twin of :meth:`azure.planetarycomputer.operations.StacOperations.wait_until_visible`.

        :raises VisibilityTimeoutError: The write did not show in time.
        """
        check_collection_id(collection_id)
        kind, description = target_of(collection_id, item_id, render_option_id, mosaic_id)
        visibility = visibility_for(description, exists, content)
        object_id = item_id or render_option_id or mosaic_id
        await async_wait_visible(
            lambda: self._read(kind, collection_id, object_id), visibility, check_timeout(timeout)
        )

    async def ensure_collection(
        self,
        collection: Any,
        *,
        wait_visible: bool = False,
        visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT,
        **kwargs: Any,
    ) -> WriteOutcome:
        """Async twin of :meth:`azure.planetarycomputer.operations.StacOperations.ensure_collection`.

        :return: The outcome: created, replaced or unchanged.
        :rtype: WriteOutcome
        """
        body = collection_body(collection)
        timeout = check_visibility_args(wait_visible, visibility_timeout)
        collection_id = body["id"]
        stored: Mapping[str, Any] | None = await self._read("collection", collection_id, None)
        outcome = Outcome.UNCHANGED
        if stored is None:
            try:
                await (await self.begin_create_collection(body, **kwargs)).result()
                outcome = Outcome.CREATED
            except ResourceExistsError:  # created meanwhile: compare and replace, once reads show it
                stored = await async_wait_visible(
                    lambda: self._read("collection", collection_id, None),
                    Visibility(f"collection {collection_id!r}, which already exists, to show", exists=True),
                    timeout,
                )
        if outcome is not Outcome.CREATED and not same_content(stored, body):
            await self.replace_collection(collection_id, body, **kwargs)
            outcome = Outcome.REPLACED
        if wait_visible:
            visibility = Visibility(f"collection {collection_id!r} to show as {outcome.value}", content=body)
            await async_wait_visible(
                lambda: self._read("collection", collection_id, None), visibility, timeout
            )
        return WriteOutcome(collection_id, outcome)

    async def _throttled(self, send: Callable[[], Any]) -> Any:
        for attempt in range(MAX_THROTTLED_ATTEMPTS):
            try:
                return await send()
            except HttpResponseError as error:
                if not is_throttled(error) or attempt == MAX_THROTTLED_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(throttle_delay(error, attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _upsert_item(
        self, collection_id: str, item: Any, wait: bool, timeout: float, kwargs: dict[str, Any]
    ) -> WriteOutcome:
        item_id = str(getattr(item, "id", None) or (item.get("id") if isinstance(item, Mapping) else "?"))
        try:
            body = item_body(item, collection_id)
            item_id = body["id"]
            stored: Mapping[str, Any] | None = await self._read("item", collection_id, item_id)
            outcome = Outcome.UNCHANGED
            if stored is None:

                async def create() -> Any:
                    return await (await self.begin_create_item(collection_id, body, **kwargs)).result()

                try:
                    await self._throttled(create)
                    outcome = Outcome.CREATED
                except ResourceExistsError:  # an earlier attempt or another writer created it
                    stored = await async_wait_visible(
                        lambda: self._read("item", collection_id, item_id),
                        Visibility(f"item {item_id!r}, which already exists, to show", exists=True),
                        timeout,
                    )
            if outcome is not Outcome.CREATED and not same_content(stored, body):

                async def replace() -> Any:
                    poller = await self.begin_replace_item(collection_id, item_id, body, **kwargs)
                    return await poller.result()

                await self._throttled(replace)
                outcome = Outcome.REPLACED
            if wait:
                visibility = item_visibility(collection_id, body, outcome)
                await async_wait_visible(
                    lambda: self._read("item", collection_id, item_id), visibility, timeout
                )
            return WriteOutcome(item_id, outcome)
        except (AzureError, ValueError, TypeError) as error:
            return failure(item_id, error)

    async def upsert_items(
        self,
        collection_id: str,
        items: Iterable[Any] | AsyncIterable[Any],
        *,
        concurrency: int = 8,
        progress: ProgressArgument = None,
        wait_visible: bool = False,
        visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT,
        **kwargs: Any,
    ) -> UpsertSummary:
        """Async twin of :meth:`azure.planetarycomputer.operations.StacOperations.upsert_items`;
        ``items`` may also be an async iterable.

        :return: The outcome of every item.
        :rtype: UpsertSummary
        """
        collection_id = check_collection_id(collection_id)
        concurrency = check_concurrency(concurrency)
        progress = check_progress(progress)
        timeout = check_visibility_args(wait_visible, visibility_timeout)
        total: int | None = None
        if not isinstance(items, AsyncIterable):
            sync_items, total = items_iterator(items, collection_id)
        summary = UpsertSummary(collection_id)
        reporter = Reporter(progress, total, f"items -> {collection_id}")
        running: set[asyncio.Task[WriteOutcome]] = set()

        def collect(done: Iterable[asyncio.Task[WriteOutcome]]) -> None:
            for task in done:
                result = task.result()
                summary.outcomes.append(result)
                reporter.add(result.succeeded)

        async def submit(item: Any) -> None:
            nonlocal running
            if len(running) >= concurrency:
                done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                collect(done)
            running.add(
                asyncio.ensure_future(self._upsert_item(collection_id, item, wait_visible, timeout, kwargs))
            )

        try:
            if isinstance(items, AsyncIterable):
                async for item in items:
                    await submit(item)
            else:
                for item in sync_items:
                    await submit(item)
            if running:
                done, _ = await asyncio.wait(running)
                collect(done)
        finally:
            for task in running:
                task.cancel()
            reporter.close()
        return summary


class AsyncItemUploadPolling(AsyncPollingMethod[UpsertSummary]):
    """Runs an item upsert when the ``AsyncLROPoller`` is awaited; ``result()`` is the summary."""

    def __init__(self, upload: Callable[[], Any]) -> None:
        self._upload = upload
        self._summary: UpsertSummary | None = None
        self._status = "NotStarted"

    def initialize(self, client: Any, initial_response: Any, deserialization_callback: Any) -> None:
        self._status = "Running"

    async def run(self) -> None:
        try:
            self._summary = await self._upload()
        except BaseException:
            self._status = "Failed"
            raise
        self._status = "Succeeded"

    def status(self) -> str:
        return self._status

    def finished(self) -> bool:
        return self._status in ("Succeeded", "Failed")

    def resource(self) -> UpsertSummary:
        assert self._summary is not None, "the upload has not finished"
        return self._summary

    def get_continuation_token(self) -> str:
        raise ValueError("an upload of items cannot be resumed from a token: run ingest again")

    @classmethod
    def from_continuation_token(cls, continuation_token: str, **kwargs: Any) -> Any:
        raise ValueError("an upload of items cannot be resumed from a token")


class AsyncPublishingIngestionMixin:
    """Async ``ingest`` on ``client.ingestion``."""

    _client: Any
    _config: Any
    _serialize: Any
    _deserialize: Any
    list_sources: Callable[..., Any]
    get_source: Callable[..., Any]
    create_source: Callable[..., Any]
    replace_source: Callable[..., Any]
    list: Callable[..., Any]
    create: Callable[..., Any]
    begin_run: Callable[..., Any]

    async def _ensure_source(self, source: UrlSource, min_validity: dt.timedelta) -> str:
        assert source.container_url is not None and source.sas_token is not None
        token_expiry = sas_expiry(source.sas_token)
        async for summary in self.list_sources():
            if status_text(summary.kind) != "SasToken":
                continue
            stored = await self.get_source(summary.id)
            info = stored.connection_info
            if not same_container(info.container_uri, source.container_url):
                continue
            if not source_is_current(info.expiration, token_expiry, min_validity):
                await self.replace_source(
                    stored.id, source_model(stored.id, source.container_url, source.sas_token)
                )
            return str(stored.id)
        source_id = new_source_id()
        await self.create_source(source_model(source_id, source.container_url, source.sas_token))
        return source_id

    async def _ensure_definition(
        self,
        collection_id: str,
        source: UrlSource,
        display_name: str | None,
        skip_existing_items: bool,
        keep_original_assets: bool | None,
    ) -> str:
        async for definition in self.list(collection_id):
            if definition_matches(definition, source):
                return str(definition.id)
        model = definition_model(source, display_name, skip_existing_items, keep_original_assets)
        return str((await self.create(collection_id, model)).id)

    def _stac(self) -> Any:
        from ..aio._operations import StacOperations  # the composed group; imported here, it imports us

        return StacOperations(self._client, self._config, self._serialize, self._deserialize)

    async def ingest(
        self,
        collection_id: str,
        source: Any,
        *,
        sas_token: str | None = None,
        import_type: str | None = None,
        display_name: str | None = None,
        skip_existing_items: bool = True,
        keep_original_assets: bool | None = None,
        source_min_validity: dt.timedelta | float = DEFAULT_MIN_VALIDITY,
        concurrency: int = 8,
        progress: ProgressArgument = None,
        polling_interval: float | None = None,
        polling_timeout: float | None = None,
        **kwargs: Any,
    ) -> AsyncLROPoller[Any]:
        """Async twin of :meth:`azure.planetarycomputer.operations.IngestionOperations.ingest`;
        ``source`` may also be an async iterable of items.

        :return: For a URL, the run's ``AsyncLROPoller[IngestionRun]``; for items, an
            ``AsyncLROPoller[UpsertSummary]`` (the writes run when its result is awaited).
        """
        items_source = isinstance(source, AsyncIterable)
        args = check_ingest(
            collection_id,
            [] if items_source else source,
            sas_token,
            import_type,
            source_min_validity,
            progress,
            skip_existing_items,
            keep_original_assets,
            getattr(self._config, "storage_hosts", None),
        )
        if args.source is None:
            stac = self._stac()
            check_concurrency(concurrency)
            items: Any = source
            if not items_source:
                checked, count = items_iterator(source, args.collection_id)
                items = source if count is None else list(checked)

            async def upload() -> UpsertSummary:
                summary: UpsertSummary = await stac.upsert_items(
                    args.collection_id, items, concurrency=concurrency, progress=args.progress, **kwargs
                )
                return summary

            return AsyncLROPoller[UpsertSummary](
                self._client, None, lambda result: result, AsyncItemUploadPolling(upload)
            )
        if args.source.sas_token is not None:
            await self._ensure_source(args.source, args.min_validity)
        definition_id = await self._ensure_definition(
            args.collection_id, args.source, display_name, skip_existing_items, keep_original_assets
        )
        callback = None
        if args.progress:
            callback = run_progress(Reporter(args.progress, None, f"ingest -> {args.collection_id}"))
        poller: AsyncLROPoller[IngestionRun] = await self.begin_run(
            args.collection_id,
            definition_id,
            polling_interval=polling_interval,
            polling_timeout=polling_timeout,
            progress=callback,
            **kwargs,
        )
        return poller

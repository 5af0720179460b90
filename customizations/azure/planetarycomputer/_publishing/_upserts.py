"""Idempotent STAC writes with typed outcomes: ``stac.ensure_collection`` and ``stac.upsert_items``.

Each object is read first: absent, it is created (``begin_create_collection`` /
``begin_create_item``, run to completion); present with the same content (ignoring links and the
service's ``msft:*`` fields), it is left alone; present and different, it is replaced
(``replace_collection`` / ``begin_replace_item``). The outcome says which: ``created``,
``replaced``, ``unchanged`` (or ``failed``, with the service's code and message).

Running the same upsert twice is safe: the second run finds everything ``unchanged``. A create
that meets an object created meanwhile gets a :class:`~azure.core.exceptions.ResourceExistsError`
(409, or a create operation that ends with a conflict code: see
:class:`~azure.planetarycomputer._lro.OperationConflictError`) and falls back to compare-and-replace,
so nothing is created twice. A create answered 429 was not accepted, so it is sent again after the
service's ``Retry-After`` (or 0.5 s doubling to 8 s), up to 8 times.

Items go out in bounded parallel (``concurrency`` threads, never more than ``2 x concurrency``
items read ahead of the input), so a generator of millions of items streams through.
"""

from __future__ import annotations

import enum
import numbers
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, TypeVar

from azure.core.exceptions import AzureError, HttpResponseError, ResourceExistsError, ResourceNotFoundError

from ._prepare import to_json_dict
from ._progress import ProgressArgument, Reporter, check_progress
from ._visibility import (
    DEFAULT_VISIBILITY_TIMEOUT,
    Visibility,
    check_timeout,
    same_content,
)
from ._visibility import wait_visible as read_until_visible

__all__ = [
    "MAX_THROTTLED_ATTEMPTS",
    "ItemOutcome",
    "Outcome",
    "PublishingStacMixin",
    "UpsertSummary",
    "WriteOutcome",
]

MAX_THROTTLED_ATTEMPTS = 8
"""How many times a create answered 429 is sent in all."""
_T = TypeVar("_T")


class Outcome(str, enum.Enum):
    """What an upsert did to one object."""

    CREATED = "created"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"
    FAILED = "failed"


@dataclass(frozen=True)
class WriteOutcome:
    """The outcome of writing one collection or item.

    :ivar id: The object's id.
    :ivar outcome: created, replaced, unchanged or failed.
    :ivar error_code: For ``failed``: the service's error code.
    :ivar error_message: For ``failed``: the service's message.
    """

    id: str
    outcome: Outcome
    error_code: Optional[str] = None  # noqa: UP045 (dataclass fields are evaluated on 3.9)
    error_message: Optional[str] = None  # noqa: UP045

    @property
    def succeeded(self) -> bool:
        return self.outcome is not Outcome.FAILED


ItemOutcome = WriteOutcome


@dataclass
class UpsertSummary:
    """The outcomes of an upsert of many items, in the order they finished."""

    collection_id: str
    outcomes: list[WriteOutcome] = field(default_factory=list)

    def _count(self, outcome: Outcome) -> int:
        return sum(1 for result in self.outcomes if result.outcome is outcome)

    @property
    def created(self) -> int:
        return self._count(Outcome.CREATED)

    @property
    def replaced(self) -> int:
        return self._count(Outcome.REPLACED)

    @property
    def unchanged(self) -> int:
        return self._count(Outcome.UNCHANGED)

    @property
    def failed(self) -> list[WriteOutcome]:
        """The items that failed, with the service's code and message."""
        return [result for result in self.outcomes if result.outcome is Outcome.FAILED]

    @property
    def total(self) -> int:
        return len(self.outcomes)

    def __str__(self) -> str:
        lines = [
            f"{self.total} items into {self.collection_id!r}: {self.created} created, {self.replaced} "
            f"replaced, {self.unchanged} unchanged, {len(self.failed)} failed"
        ]
        lines += [f"  {f.id}: {f.error_code}: {f.error_message}" for f in self.failed]
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# shared by the sync and async mixins


def check_concurrency(concurrency: Any) -> int:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int):
        raise TypeError(f"concurrency must be an int, got {concurrency!r}")
    if not 1 <= concurrency <= 64:
        raise ValueError(f"concurrency must be between 1 and 64, got {concurrency}")
    return concurrency


def check_collection_id(collection_id: Any) -> str:
    if not isinstance(collection_id, str):
        raise TypeError(f"collection_id must be a string, got {type(collection_id).__name__}")
    if not collection_id.strip():
        raise ValueError("collection_id must not be empty")
    return collection_id


def collection_body(collection: Any) -> dict[str, Any]:
    body = to_json_dict(collection, "collection")
    if not isinstance(body.get("id"), str) or not body["id"]:
        raise ValueError("collection must have a non-empty string 'id'")
    return body


def item_body(item: Any, collection_id: str) -> dict[str, Any]:
    """An item's JSON for ``collection_id``; raises TypeError/ValueError for what is not an item."""
    body = to_json_dict(item, "items")
    if not isinstance(body.get("id"), str) or not body["id"]:
        raise ValueError("every item must have a non-empty string 'id'")
    body["collection"] = collection_id
    return body


def items_iterator(items: Any, collection_id: str) -> tuple[Iterator[Any], int | None]:
    """The items to write and their count when known. A sequence is checked whole, before any write."""
    listed = getattr(items, "items", None)
    if isinstance(listed, list):  # a pystac ItemCollection: its items, and so their count
        items = listed
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
        raise TypeError(
            f"items must be an iterable of STAC items (pystac, models or dicts), got {type(items).__name__}"
        )
    if isinstance(items, Sequence):
        bodies = [item_body(item, collection_id) for item in items]
        return iter(bodies), len(bodies)
    return iter(items), None


def failure(item_id: str, error: Exception) -> WriteOutcome:
    """A failed outcome carrying the service's code and message (or the exception's)."""
    detail = getattr(error, "error", None)
    code = getattr(detail, "code", None) or type(error).__name__
    message = getattr(detail, "message", None) or str(error)
    return WriteOutcome(item_id, Outcome.FAILED, str(code), str(message))


def throttle_delay(error: HttpResponseError, attempt: int) -> float:
    """Seconds to wait before re-sending a create answered 429."""
    response = error.response
    headers: Any = getattr(response, "headers", None) or {}
    header = headers.get("Retry-After")
    try:
        if header is not None:
            return max(0.0, float(header))
    except ValueError:
        pass
    return float(min(0.5 * 2**attempt, 8.0))


def is_throttled(error: Exception) -> bool:
    return isinstance(error, HttpResponseError) and error.status_code == 429


def read_or_none(read: Callable[[], Any]) -> dict[str, Any] | None:
    try:
        return dict(read().as_dict())
    except ResourceNotFoundError:
        return None


def check_visibility_args(wait_visible: Any, visibility_timeout: Any) -> float:
    if not isinstance(wait_visible, bool):
        raise TypeError(f"wait_visible must be a bool, got {wait_visible!r}")
    return check_timeout(visibility_timeout)


def item_visibility(collection_id: str, body: Mapping[str, Any], outcome: Outcome) -> Visibility:
    what = f"item {body['id']!r} in collection {collection_id!r} to show as {outcome.value}"
    return Visibility(what, exists=True, content=body)


def target_of(
    collection_id: str,
    item_id: str | None,
    render_option_id: str | None,
    mosaic_id: str | None,
) -> tuple[str, str]:
    """Which object ``wait_until_visible`` reads: (kind, description)."""
    named = [
        name
        for name, value in (
            ("item_id", item_id),
            ("render_option_id", render_option_id),
            ("mosaic_id", mosaic_id),
        )
        if value is not None
    ]
    if len(named) > 1:
        raise ValueError(f"give at most one of item_id, render_option_id and mosaic_id, got {named}")
    if item_id is not None:
        return "item", f"item {item_id!r} in collection {collection_id!r}"
    if render_option_id is not None:
        return "render_option", f"render option {render_option_id!r} of collection {collection_id!r}"
    if mosaic_id is not None:
        return "mosaic", f"mosaic {mosaic_id!r} of collection {collection_id!r}"
    return "collection", f"collection {collection_id!r}"


def visibility_for(description: str, exists: Any, content: Any) -> Visibility:
    if not isinstance(exists, bool):
        raise TypeError(f"exists must be a bool, got {exists!r}")
    if content is not None:
        if not exists:
            raise ValueError("content makes no sense with exists=False")
        content = to_json_dict(content, "content")
    state = "to exist" if exists else "to be gone"
    if content is not None:
        state = "to show the written content"
    return Visibility(f"{description} {state}", exists=exists, content=content)


def as_number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    return float(value)


# ---------------------------------------------------------------------------------------------
# the sync mixin


class PublishingStacMixin:
    """``ensure_collection``, ``upsert_items`` and ``wait_until_visible`` on ``client.stac``."""

    # Provided by the generated STAC operations this mixin is composed with.
    get_collection: Callable[..., Any]
    get_item: Callable[..., Any]
    get_render_option: Callable[..., Any]
    get_mosaic: Callable[..., Any]
    replace_collection: Callable[..., Any]
    begin_create_collection: Callable[..., Any]
    begin_create_item: Callable[..., Any]
    begin_replace_item: Callable[..., Any]

    def _read(self, kind: str, collection_id: str, object_id: str | None) -> dict[str, Any] | None:
        if kind == "collection":
            return read_or_none(lambda: self.get_collection(collection_id))
        reader = {"item": self.get_item, "render_option": self.get_render_option, "mosaic": self.get_mosaic}
        return read_or_none(lambda: reader[kind](collection_id, object_id))

    def wait_until_visible(
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
        """Wait until a write to a collection, item, render option or mosaic shows on reads.

        Reads after 0.1 s, doubling to 2 s between reads, until the object exists (``exists=True``),
        is gone (``exists=False``) or, with ``content``, holds that content (a replace).

        :param collection_id: The collection (the object itself when no other id is given).
        :keyword item_id: Wait for this item of the collection.
        :keyword render_option_id: Wait for this render option of the collection.
        :keyword mosaic_id: Wait for this mosaic of the collection.
        :keyword exists: Wait for the object to exist (default) or to be gone.
        :keyword content: The JSON (or model) written: wait until reads show it.
        :keyword timeout: Seconds before :class:`VisibilityTimeoutError` (120 by default).
        :raises VisibilityTimeoutError: The write did not show in time (an AzureError and a TimeoutError).
        """
        check_collection_id(collection_id)
        kind, description = target_of(collection_id, item_id, render_option_id, mosaic_id)
        visibility = visibility_for(description, exists, content)
        object_id = item_id or render_option_id or mosaic_id
        read_until_visible(
            lambda: self._read(kind, collection_id, object_id), visibility, check_timeout(timeout)
        )

    def ensure_collection(
        self,
        collection: Any,
        *,
        wait_visible: bool = False,
        visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT,
        **kwargs: Any,
    ) -> WriteOutcome:
        """Create the collection, or replace it if it differs; say which.

        :param collection: A STAC collection: pystac ``Collection``, ``StacCollection`` or mapping.
        :keyword wait_visible: Also wait until reads show the write (see :meth:`wait_until_visible`).
        :keyword visibility_timeout: Seconds to wait for that (120 by default).
        :return: The outcome: created, replaced or unchanged.
        :rtype: WriteOutcome
        :raises ValueError: or TypeError: ``collection`` is not a collection with an id.
        :raises ~azure.core.exceptions.HttpResponseError: The service refused the write.
        """
        body = collection_body(collection)
        timeout = check_visibility_args(wait_visible, visibility_timeout)
        collection_id = body["id"]
        stored: Mapping[str, Any] | None = self._read("collection", collection_id, None)
        outcome = Outcome.UNCHANGED
        if stored is None:
            try:
                self.begin_create_collection(body, **kwargs).result()
                outcome = Outcome.CREATED
            except ResourceExistsError:  # created meanwhile: compare and replace, once reads show it
                stored = read_until_visible(
                    lambda: self._read("collection", collection_id, None),
                    Visibility(f"collection {collection_id!r}, which already exists, to show", exists=True),
                    timeout,
                )
        if outcome is not Outcome.CREATED and not same_content(stored, body):
            self.replace_collection(collection_id, body, **kwargs)
            outcome = Outcome.REPLACED
        if wait_visible:
            visibility = Visibility(f"collection {collection_id!r} to show as {outcome.value}", content=body)
            read_until_visible(lambda: self._read("collection", collection_id, None), visibility, timeout)
        return WriteOutcome(collection_id, outcome)

    def _throttled(self, send: Callable[[], _T]) -> _T:
        for attempt in range(MAX_THROTTLED_ATTEMPTS):
            try:
                return send()
            except HttpResponseError as error:
                if not is_throttled(error) or attempt == MAX_THROTTLED_ATTEMPTS - 1:
                    raise
                time.sleep(throttle_delay(error, attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def _upsert_item(
        self, collection_id: str, item: Any, wait: bool, timeout: float, kwargs: dict[str, Any]
    ) -> WriteOutcome:
        item_id = str(getattr(item, "id", None) or (item.get("id") if isinstance(item, Mapping) else "?"))
        try:
            body = item_body(item, collection_id)
            item_id = body["id"]
            stored: Mapping[str, Any] | None = self._read("item", collection_id, item_id)
            outcome = Outcome.UNCHANGED
            if stored is None:
                try:
                    self._throttled(lambda: self.begin_create_item(collection_id, body, **kwargs).result())
                    outcome = Outcome.CREATED
                except ResourceExistsError:  # an earlier attempt or another writer created it
                    # Reads may not show it yet: replacing an item they do not show fails.
                    stored = read_until_visible(
                        lambda: self._read("item", collection_id, item_id),
                        Visibility(f"item {item_id!r}, which already exists, to show", exists=True),
                        timeout,
                    )
            if outcome is not Outcome.CREATED and not same_content(stored, body):
                self._throttled(
                    lambda: self.begin_replace_item(collection_id, item_id, body, **kwargs).result()
                )
                outcome = Outcome.REPLACED
            if wait:
                visibility = item_visibility(collection_id, body, outcome)
                read_until_visible(lambda: self._read("item", collection_id, item_id), visibility, timeout)
            return WriteOutcome(item_id, outcome)
        except (AzureError, ValueError, TypeError) as error:
            return failure(item_id, error)

    def upsert_items(
        self,
        collection_id: str,
        items: Iterable[Any],
        *,
        concurrency: int = 8,
        progress: ProgressArgument = None,
        wait_visible: bool = False,
        visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT,
        **kwargs: Any,
    ) -> UpsertSummary:
        """Create or replace items of a collection, in bounded parallel, with an outcome per item.

        :param collection_id: The collection to write to (set as each item's ``collection``).
        :param items: pystac Items (or an ItemCollection), ``StacItem`` models or dicts; any iterable.
        :keyword concurrency: Items written at once (1 to 64; 8 by default).
        :keyword progress: ``True`` for a tqdm bar (the ``[progress]`` extra), or a callable taking an
            :class:`IngestProgress` (succeeded, failed, total) after each item.
        :keyword wait_visible: Also wait until reads show each item as written.
        :keyword visibility_timeout: Seconds to wait for that, per item (120 by default).
        :return: The outcome of every item; failed items carry the service's code and message.
        :rtype: UpsertSummary
        :raises ValueError: or TypeError: a bad argument, or (for a list) an element that is not an item.
        """
        collection_id = check_collection_id(collection_id)
        concurrency = check_concurrency(concurrency)
        progress = check_progress(progress)
        timeout = check_visibility_args(wait_visible, visibility_timeout)
        pending_items, total = items_iterator(items, collection_id)
        summary = UpsertSummary(collection_id)
        reporter = Reporter(progress, total, f"items -> {collection_id}")
        try:
            with ThreadPoolExecutor(concurrency, thread_name_prefix="upsert-items") as pool:
                running: set[Future[WriteOutcome]] = set()

                def collect(done: Iterable[Future[WriteOutcome]]) -> None:
                    for future in done:
                        result = future.result()
                        summary.outcomes.append(result)
                        reporter.add(result.succeeded)

                for item in pending_items:
                    if len(running) >= 2 * concurrency:
                        done, running = wait(running, return_when=FIRST_COMPLETED)
                        collect(done)
                    running.add(
                        pool.submit(self._upsert_item, collection_id, item, wait_visible, timeout, kwargs)
                    )
                collect(wait(running).done)
        finally:
            reporter.close()
        return summary

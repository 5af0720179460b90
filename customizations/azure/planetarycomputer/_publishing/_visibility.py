"""Read-your-writes: wait until a write shows on reads, with exponential back-off and a timeout.

A GeoCatalog write can be acknowledged (its operation ``Succeeded``) before reads show it: a new
collection or item may still answer 404 for a while, a deleted one may still answer 200, and a
replaced item, render option or mosaic may still read as before. The service's samples sleep a
fixed 15 to 60 s; here the reads are repeated after 0.1 s, doubling up to 2 s between reads, until
they show the write or ``timeout`` seconds have passed, which raises
:class:`VisibilityTimeoutError` naming what was waited for.

A :class:`Visibility` says what counts as visible. :func:`wait_visible` (and ``async_wait_visible``
in :mod:`._aio`, so that the sync client never loads asyncio) runs the loop with a read function
that returns the object's JSON, or ``None`` for 404.
"""

from __future__ import annotations

import json
import numbers
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Optional

from azure.core.exceptions import AzureError

__all__ = [
    "DEFAULT_VISIBILITY_TIMEOUT",
    "Visibility",
    "VisibilityTimeoutError",
    "check_timeout",
    "read_delays",
    "same_content",
    "wait_visible",
]

DEFAULT_VISIBILITY_TIMEOUT = 120.0
"""Seconds to wait for a write to show before giving up."""
FIRST_READ_DELAY = 0.1
MAX_READ_DELAY = 2.0
_IGNORED_KEYS = frozenset({"links"})


class VisibilityTimeoutError(AzureError, TimeoutError):
    """A write did not show on reads within the timeout. Both an ``AzureError`` and a ``TimeoutError``.

    :ivar what: What was waited for, e.g. ``"item 'a' in collection 'c' to exist"``.
    :ivar timeout: The seconds waited.
    """

    def __init__(self, what: str, timeout: float, reads: int) -> None:
        super().__init__(f"Timed out after {timeout:g} s ({reads} reads) waiting for {what}")
        self.what = what
        self.timeout = timeout


def _strip(value: Any) -> Any:
    """JSON-normal form without service-maintained fields and links, for comparing content."""
    if isinstance(value, Mapping):
        return {
            key: _strip(item)
            for key, item in value.items()
            if key not in _IGNORED_KEYS and not str(key).startswith(("msft:", "_msft:"))
        }
    if isinstance(value, (list, tuple)):
        return [_strip(item) for item in value]
    return value


def _contains(stored: Any, wanted: Any) -> bool:
    if isinstance(wanted, Mapping):
        return isinstance(stored, Mapping) and all(
            key in stored and _contains(stored[key], item) for key, item in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(stored, list)
            and len(stored) == len(wanted)
            and all(_contains(a, b) for a, b in zip(stored, wanted))
        )
    if isinstance(wanted, numbers.Real) and isinstance(stored, numbers.Real):
        return float(wanted) == float(stored)
    return bool(stored == wanted)


def same_content(stored: Mapping[str, Any] | None, written: Mapping[str, Any]) -> bool:
    """Whether ``stored`` (as read back) holds everything ``written`` said, ignoring links and the
    service's own ``msft:*`` fields (the service adds fields; it does not drop any)."""
    if stored is None:
        return False
    return _contains(_strip(json.loads(json.dumps(stored))), _strip(json.loads(json.dumps(written))))


@dataclass(frozen=True)
class Visibility:
    """What to wait for.

    :ivar what: Human description, used in the timeout error.
    :ivar exists: ``True``: wait until the read finds the object; ``False``: until it answers 404.
    :ivar content: When set (with ``exists``), also wait until the object holds this content.
    :ivar not_etag: When set, also wait until the object's ``_msft:etag`` differs from it.
    """

    what: str
    exists: bool = True
    content: Optional[Mapping[str, Any]] = None  # noqa: UP045 (dataclass fields are evaluated on 3.9)
    not_etag: Optional[str] = None  # noqa: UP045

    def satisfied_by(self, stored: Mapping[str, Any] | None) -> bool:
        if not self.exists:
            return stored is None
        if stored is None:
            return False
        if self.not_etag is not None and stored.get("_msft:etag") == self.not_etag:
            return False
        return self.content is None or same_content(stored, self.content)


def check_timeout(timeout: Any) -> float:
    """Validate a visibility timeout (seconds, positive)."""
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real):
        raise TypeError(f"visibility_timeout must be a number of seconds, got {timeout!r}")
    if timeout <= 0:
        raise ValueError(f"visibility_timeout must be positive, got {timeout}")
    return float(timeout)


def read_delays() -> Iterator[float]:
    """Seconds between reads: 0.1, doubling to 2, forever (the caller's deadline ends it)."""
    delay = FIRST_READ_DELAY
    while True:
        yield delay
        delay = min(delay * 2, MAX_READ_DELAY)


def wait_visible(
    read: Callable[[], Mapping[str, Any] | None], visibility: Visibility, timeout: float
) -> Mapping[str, Any] | None:
    """Read until ``visibility`` is satisfied; return the last read. Raises VisibilityTimeoutError."""
    deadline = time.monotonic() + timeout
    for reads, delay in enumerate(read_delays(), start=1):
        stored = read()
        if visibility.satisfied_by(stored):
            return stored
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise VisibilityTimeoutError(visibility.what, timeout, reads)
        time.sleep(min(delay, remaining))
    raise AssertionError("unreachable")  # pragma: no cover

"""Progress of a publishing job: a callback, or a tqdm bar (the ``[progress]`` extra).

``progress=`` of ``upsert_items`` and ``ingest`` takes ``None`` (silent), ``True`` (a tqdm bar on
stderr) or a callable that receives an :class:`IngestProgress` after every item or run poll.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any, NamedTuple, Optional, Union

__all__ = ["IngestProgress", "ProgressArgument", "Reporter", "check_progress"]


class IngestProgress(NamedTuple):
    """Counts so far. ``total`` is ``None`` while unknown (an iterable without a length)."""

    succeeded: int
    failed: int
    total: Optional[int]  # noqa: UP045 (NamedTuple fields are evaluated on 3.9)


ProgressArgument = Union[None, bool, Callable[[IngestProgress], Any]]


def check_progress(progress: Any) -> ProgressArgument:
    if progress is True:
        _tqdm()  # fail now, before any request, if the extra is missing
    if progress is None or progress is True or progress is False or callable(progress):
        return progress
    raise TypeError(
        f"progress must be None, True (a tqdm bar) or a callable taking an IngestProgress, "
        f"got {type(progress).__name__}"
    )


def _tqdm() -> Any:
    try:
        return importlib.import_module("tqdm").tqdm
    except ImportError as error:
        raise ImportError(
            'progress=True needs tqdm: pip install "azure-planetarycomputer[progress]"'
        ) from error


class Reporter:
    """Counts outcomes and reports them; safe to call from several threads."""

    def __init__(self, progress: ProgressArgument, total: int | None, description: str) -> None:
        self._lock = threading.Lock()
        self._callback = progress if callable(progress) else None
        self._bar = _tqdm()(total=total, desc=description, unit="item") if progress is True else None
        self.succeeded = 0
        self.failed = 0
        self.total = total

    def set(self, succeeded: int, failed: int, total: int | None) -> None:
        """Absolute counts (from an ingestion run's operation)."""
        with self._lock:
            if self._bar is not None:
                if total is not None and self._bar.total != total:
                    self._bar.total = total
                self._bar.update(succeeded + failed - self.succeeded - self.failed)
                self._bar.set_postfix(failed=failed)
            self.succeeded, self.failed, self.total = succeeded, failed, total
            snapshot = IngestProgress(succeeded, failed, total)
        if self._callback is not None:
            self._callback(snapshot)

    def add(self, succeeded: bool) -> None:
        with self._lock:
            if succeeded:
                self.succeeded += 1
            else:
                self.failed += 1
            if self._bar is not None:
                self._bar.update(1)
                self._bar.set_postfix(failed=self.failed)
            snapshot = IngestProgress(self.succeeded, self.failed, self.total)
        if self._callback is not None:
            self._callback(snapshot)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

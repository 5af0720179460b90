"""Write a streamed body to a file atomically: a temporary file beside it, then ``os.replace``.

A reader never sees a half-written file under the final name, and an interrupted download leaves
nothing there, so "the file exists" means "the download finished" and a re-run can skip it.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterable, Iterable
from pathlib import Path
from typing import IO

__all__ = ["write_atomically", "write_atomically_async"]


def _open_temporary(path: Path) -> tuple[Path, IO[bytes]]:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.part")
    return temporary, temporary.open("xb")


def _discard(temporary: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()


def write_atomically(path: Path, chunks: Iterable[bytes]) -> int:
    """Write ``chunks`` to ``path`` through a temporary sibling; return the number of bytes written."""
    temporary, sink = _open_temporary(path)
    size = 0
    try:
        with sink:
            for chunk in chunks:
                sink.write(chunk)
                size += len(chunk)
        os.replace(temporary, path)
    except BaseException:
        _discard(temporary)
        raise
    return size


async def write_atomically_async(path: Path, chunks: AsyncIterable[bytes]) -> int:
    """:func:`write_atomically` for an async stream (the small local writes run on the event loop)."""
    temporary, sink = _open_temporary(path)
    size = 0
    try:
        with sink:
            async for chunk in chunks:
                sink.write(chunk)
                size += len(chunk)
        os.replace(temporary, path)
    except BaseException:
        _discard(temporary)
        raise
    return size

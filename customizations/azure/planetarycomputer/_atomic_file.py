"""Write a streamed body to a file atomically: a temporary file beside it, then ``os.replace``.

A reader never sees a half-written file under the final name, and an interrupted download leaves
nothing there, so "the file exists" means "the download finished" and a re-run can skip it.

Temporary names are ``.{name}.{12 hex digits}.part``, shortened (with a hash of the name) when that
would exceed the filesystem's longest file name, so any legal final name can be written. A process
killed mid-write leaves its temporary file behind: :func:`remove_leftovers` removes the ones of this
pattern, and the tile downloads call it when they start.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import uuid
from collections.abc import AsyncIterable, Iterable
from pathlib import Path
from types import TracebackType
from typing import IO

__all__ = [
    "AtomicFile",
    "is_temporary_name",
    "remove_leftovers",
    "write_atomically",
    "write_atomically_async",
]

_SUFFIX = ".part"
_TEMPORARY_NAME = re.compile(r"\..+\.[0-9a-f]{12}\.part", re.DOTALL)
_DEFAULT_NAME_MAX = 255


def is_temporary_name(name: str) -> bool:
    """Whether a file name has the pattern of this module's temporary files."""
    return _TEMPORARY_NAME.fullmatch(name) is not None


def _name_max(directory: Path) -> int:
    """The longest file name (in bytes) the filesystem of ``directory`` accepts."""
    try:
        return int(os.pathconf(directory, "PC_NAME_MAX"))
    except (AttributeError, OSError, ValueError):  # no pathconf (Windows) or no answer
        return _DEFAULT_NAME_MAX


def temporary_name(name: str, name_max: int = _DEFAULT_NAME_MAX) -> str:
    """A fresh temporary name for ``name``, at most ``name_max`` bytes long."""
    unique = uuid.uuid4().hex[:12]
    candidate = f".{name}.{unique}{_SUFFIX}"
    if len(os.fsencode(candidate)) <= name_max:
        return candidate
    # Too long: keep as much of the name as fits, and a hash of all of it so names stay distinct.
    digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:8]
    fixed = len(os.fsencode(f".~{digest}.{unique}{_SUFFIX}"))
    head = os.fsencode(name)[: max(name_max - fixed, 0)].decode("utf-8", errors="ignore")
    return f".{head}~{digest}.{unique}{_SUFFIX}"


def _open_exclusive(path: Path) -> IO[bytes]:
    return path.open("xb")


class AtomicFile:
    """A file written under a temporary name and renamed into place by :meth:`commit`.

    The temporary file is created when the object is made (so a read-only or full disk fails before
    anything is downloaded); leaving the ``with`` block without :meth:`commit` removes it::

        with AtomicFile(path) as sink:
            for chunk in chunks:
                sink.write(chunk)
            sink.commit()
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.temporary = path.with_name(temporary_name(path.name, _name_max(path.parent)))
        self._sink: IO[bytes] | None = _open_exclusive(self.temporary)
        self.size = 0

    def write(self, chunk: bytes) -> None:
        assert self._sink is not None, "write after commit or discard"
        self._sink.write(chunk)
        self.size += len(chunk)

    def commit(self) -> int:
        """Close the file and rename it into place; returns the bytes written."""
        assert self._sink is not None, "commit after commit or discard"
        sink, self._sink = self._sink, None
        try:
            sink.close()
            os.replace(self.temporary, self.path)
        except BaseException:
            self._remove()
            raise
        return self.size

    def discard(self) -> None:
        """Close and remove the temporary file (nothing happens after :meth:`commit`)."""
        sink, self._sink = self._sink, None
        if sink is not None:
            with contextlib.suppress(OSError):
                sink.close()
            self._remove()

    def _remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.temporary.unlink()

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.discard()


def write_atomically(path: Path, chunks: Iterable[bytes]) -> int:
    """Write ``chunks`` to ``path`` through a temporary sibling; return the number of bytes written."""
    with AtomicFile(path) as sink:
        for chunk in chunks:
            sink.write(chunk)
        return sink.commit()


async def write_atomically_async(path: Path, chunks: AsyncIterable[bytes]) -> int:
    """:func:`write_atomically` for an async stream (the small local writes run on the event loop)."""
    with AtomicFile(path) as sink:
        async for chunk in chunks:
            sink.write(chunk)
        return sink.commit()


def remove_leftovers(directory: Path, *, recursive: bool = True) -> int:
    """Remove the temporary files an interrupted run left under ``directory``; returns how many.

    Only names of this module's pattern (``.{name}.{12 hex digits}.part``) are touched. A directory
    that does not exist has none.
    """
    removed = 0
    if recursive:
        folders: Iterable[tuple[str, list[str], list[str]]] = os.walk(directory)
    else:
        try:
            names = [entry.name for entry in os.scandir(directory) if entry.is_file()]
        except (FileNotFoundError, NotADirectoryError):
            names = []
        folders = [(str(directory), [], names)]
    for folder, _, files in folders:
        for name in files:
            if is_temporary_name(name):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(folder, name))
                    removed += 1
    return removed

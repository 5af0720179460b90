"""Tile coordinates checked before a request is sent.

The generated tile operations take z/x/y as floats (the contract's types) and format whatever
they get into the path: ``nan``, ``-1.0`` or ``2.5`` would reach the tiler as a tile address.
These wrappers refuse anything but non-negative whole numbers, naming the argument. The async
wrappers are in :mod:`azure.planetarycomputer.aio._tile_coordinates`.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from typing import Any, TypeVar

from ._generated.operations import DataOperations as _Data

__all__ = ["TileCoordinateChecks", "check_tile_coordinate"]

_Method = TypeVar("_Method", bound=Callable[..., Any])


def _parameter_names(method: Callable[..., Any]) -> tuple[str, ...]:
    code = inspect.unwrap(method).__code__
    return code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]


# Every tiler operation whose path addresses one tile by z/x/y (read from the code objects: cheaper
# than building signatures).
TILE_OPERATIONS = tuple(
    name
    for name, member in sorted(vars(_Data).items())
    if not name.startswith("_") and callable(member) and {"z", "x", "y"} <= set(_parameter_names(member))
)


def check_tile_coordinate(name: str, value: object) -> None:
    """Raise unless ``value`` is a non-negative whole number (int, or a float such as 14.0)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    if not math.isfinite(value) or value < 0 or value != int(value):
        raise ValueError(f"{name} must be a non-negative whole number, got {value!r}")


def _checked(method: _Method) -> _Method:
    # Where z/x/y sit among the positional arguments (``self`` included), found once: the check runs
    # on every tile request, so it reads the arguments directly instead of binding a signature.
    names = _parameter_names(method)
    positions = [(name, names.index(name)) for name in ("z", "x", "y")]

    def check(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        for name, position in positions:
            if position < len(args):
                check_tile_coordinate(name, args[position])
            elif name in kwargs:
                check_tile_coordinate(name, kwargs[name])

    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def checked_async(*args: Any, **kwargs: Any) -> Any:
            check(args, kwargs)
            return await method(*args, **kwargs)

        return checked_async  # type: ignore[return-value]

    @functools.wraps(method)
    def checked(*args: Any, **kwargs: Any) -> Any:
        check(args, kwargs)
        return method(*args, **kwargs)

    return checked  # type: ignore[return-value]


class TileCoordinateChecks(_Data):
    """The generated tile operations, refusing invalid z/x/y before any request."""


for _name in TILE_OPERATIONS:
    setattr(TileCoordinateChecks, _name, _checked(getattr(_Data, _name)))

"""Async twin of :mod:`azure.planetarycomputer._tile_coordinates`: z/x/y checked before sending."""

from __future__ import annotations

from .._generated.aio.operations import DataOperations as _AsyncData
from .._tile_coordinates import TILE_OPERATIONS, _checked

__all__ = ["AsyncTileCoordinateChecks"]


class AsyncTileCoordinateChecks(_AsyncData):
    """Async twin of :class:`~azure.planetarycomputer._tile_coordinates.TileCoordinateChecks`."""


for _name in TILE_OPERATIONS:
    setattr(AsyncTileCoordinateChecks, _name, _checked(getattr(_AsyncData, _name)))

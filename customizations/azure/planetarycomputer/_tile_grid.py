"""Which tiles of a tile matrix set cover an area: pure grid arithmetic, no I/O.

The tiler enumerates tiles with morecantile, so this module does too: a ``morecantile.TileMatrixSet``
is built from the service's own OGC TileMatrixSet 2.0 JSON (``data.get_tile_matrix_definitions``), or
taken from morecantile's built-in registry when the id is one of its own. morecantile is an optional
dependency (``pip install azure-planetarycomputer[tiles]``), and shapely is needed only to cover a
geometry rather than a bounding box (``[geometry]``); both are imported on first use.
"""

from __future__ import annotations

import importlib
import math
import numbers
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from ._search_params import GeoInterface, normalize_bbox, normalize_intersects

if TYPE_CHECKING:
    import morecantile

__all__ = [
    "Tile",
    "count_covering_tiles",
    "covering_tiles",
    "load_morecantile",
    "normalize_area",
    "normalize_zooms",
    "tile_matrix_set_from_definition",
]


class Tile(NamedTuple):
    """A tile's column, row and zoom level in its tile matrix set (the order morecantile uses)."""

    x: int
    y: int
    z: int

    def __str__(self) -> str:
        return f"{self.z}/{self.x}/{self.y}"


def _import_extra(module: str, extra: str, purpose: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"{purpose} needs {module}: pip install 'azure-planetarycomputer[{extra}]'"
        ) from error


def load_morecantile() -> Any:
    """The morecantile module, or an ImportError naming the ``tiles`` extra."""
    return _import_extra("morecantile", "tiles", "Enumerating tiles")


def tile_matrix_set_from_definition(definition: Mapping[str, Any]) -> morecantile.TileMatrixSet:
    """A morecantile TileMatrixSet from OGC TileMatrixSet 2.0 JSON (a mapping or the generated model)."""
    if not isinstance(definition, Mapping):
        raise TypeError(f"definition must be a TileMatrixSet mapping, got {type(definition).__name__}")
    as_dict = getattr(definition, "as_dict", None)
    data = as_dict() if callable(as_dict) else dict(definition)
    tms: morecantile.TileMatrixSet = load_morecantile().TileMatrixSet.model_validate(data)
    return tms


def normalize_zooms(zooms: int | Iterable[int]) -> tuple[int, ...]:
    """Zoom levels as a sorted tuple without repeats; an int is one level."""
    if isinstance(zooms, bool):
        raise TypeError(f"zooms must be an int or an iterable of ints, got {zooms!r}")
    values: list[Any]
    if isinstance(zooms, numbers.Integral):
        values = [zooms]
    elif isinstance(zooms, Iterable) and not isinstance(zooms, (str, bytes, Mapping)):
        values = list(zooms)
    else:
        raise TypeError(f"zooms must be an int or an iterable of ints, got {type(zooms).__name__}")
    if not values:
        raise ValueError("zooms must name at least one zoom level")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"zooms must contain ints only, got {value!r}")
        if value < 0:
            raise ValueError(f"zooms must not be negative, got {value}")
    return tuple(sorted({int(value) for value in values}))


class Area(NamedTuple):
    """A validated area: a WGS84 bounding box, and the shapely geometry it bounds when one was given."""

    bbox: tuple[float, float, float, float]
    shape: Any | None = None


def normalize_area(bbox: Sequence[float] | None, intersects: Mapping[str, Any] | GeoInterface | None) -> Area:
    """Check that exactly one of ``bbox`` and ``intersects`` is given, and validate it.

    A geometry is converted to a shapely geometry here, so a missing shapely fails before any request.
    """
    if (bbox is None) == (intersects is None):
        raise ValueError("pass exactly one of bbox and intersects")
    if bbox is not None:
        values = normalize_bbox(bbox)
        west, south, east, north = (
            values if len(values) == 4 else (values[0], values[1], values[3], values[4])
        )
        return Area((west, south, east, north), None)
    assert intersects is not None
    geometry = normalize_intersects(intersects)
    # shapely's ways to reject input, including GEOS's own errors (a one-point LineString).
    shapely_error = _shapely("shapely.errors").ShapelyError
    rejections = (ValueError, TypeError, AttributeError, IndexError, KeyError, shapely_error)
    try:
        shape = _shapely("shapely.geometry").shape(geometry)
        empty = shape.is_empty
    except rejections as error:
        raise ValueError(f"intersects is not a valid GeoJSON geometry: {error!r}") from error
    if empty:
        raise ValueError("intersects must not be an empty geometry")
    west, south, east, north = (float(value) for value in shape.bounds)
    if not all(math.isfinite(value) for value in (west, south, east, north)):
        raise ValueError("intersects must have finite coordinates")
    return Area((west, south, east, north), shape)


def _shapely(module: str) -> Any:
    return _import_extra(module, "geometry", "Covering a geometry with tiles")


def covering_tiles(tms: morecantile.TileMatrixSet, zooms: Sequence[int], area: Area) -> Iterator[Tile]:
    """Every tile of ``tms`` at ``zooms`` that covers ``area``, zoom level by zoom level, lazily.

    For a bounding box these are morecantile's ``tms.tiles(...)``. For a geometry, the tiles of its
    bounding box whose geographic bounds overlap the geometry: a polygon only touching a tile's edge
    does not select it, a point or line on an edge selects the tiles on both sides.

    The zoom levels are checked against ``tms`` at once (a ValueError naming ``zooms``), not when the
    first tile is asked for.
    """
    for zoom in zooms:
        if not tms.minzoom <= zoom <= tms.maxzoom:
            raise ValueError(f"zooms: {zoom} is outside {tms.id}'s zoom levels {tms.minzoom}..{tms.maxzoom}")
    west, south, east, north = area.bbox
    candidates = tms.tiles(west, south, east, north, list(zooms), truncate=True)
    if area.shape is not None:
        candidates = _overlapping(tms, candidates, area.shape)
    return (Tile(tile.x, tile.y, tile.z) for tile in candidates)


def _overlapping(
    tms: morecantile.TileMatrixSet, candidates: Iterator[morecantile.Tile], shape: Any
) -> Iterator[morecantile.Tile]:
    prepared = _shapely("shapely.prepared").prep(shape)
    box = _shapely("shapely.geometry").box
    polygonal = shape.area > 0
    for tile in candidates:
        footprint = box(*tms.bounds(tile))
        if prepared.intersects(footprint) and not (polygonal and prepared.touches(footprint)):
            yield tile


def count_covering_tiles(tms: morecantile.TileMatrixSet, zooms: Sequence[int], area: Area) -> int:
    """How many tiles :func:`covering_tiles` yields, counted without keeping them."""
    return sum(1 for _ in covering_tiles(tms, zooms, area))

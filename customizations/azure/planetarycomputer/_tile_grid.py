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
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, NamedTuple

from ._search_params import GeoInterface, normalize_bbox, normalize_intersects

if TYPE_CHECKING:
    import morecantile

__all__ = [
    "Tile",
    "TileRange",
    "count_covering_tiles",
    "covering_tiles",
    "load_morecantile",
    "normalize_area",
    "normalize_zooms",
    "tile_matrix_set_from_definition",
    "tile_ranges",
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
    """A validated area: a WGS84 bounding box, and the shapely geometry it bounds when one was given.

    A box whose west is greater than its east crosses the antimeridian (as in STAC): it covers west
    to 180 and -180 to east.
    """

    bbox: tuple[float, float, float, float]
    shape: Any | None = None


def _bbox_corners(bbox: Sequence[float]) -> tuple[float, float, float, float]:
    """west, south, east, north of a box of 4 or 6 numbers, checked; west > east crosses the antimeridian."""
    if isinstance(bbox, (str, bytes, Mapping)) or not isinstance(bbox, Iterable):
        raise TypeError(f"bbox must be a sequence of 4 or 6 numbers, got {type(bbox).__name__}")
    values = list(bbox)
    if len(values) not in (4, 6):
        raise ValueError(f"bbox must have 4 or 6 numbers, got {len(values)}: {values!r}")
    corners = values if len(values) == 4 else [values[0], values[1], values[3], values[4]]
    west, east = corners[0], corners[2]
    numeric = all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in (west, east))
    if numeric and west > east:
        # Each half is an ordinary box: checking both checks every number of the crossing one.
        low = values[2:3] if len(values) == 6 else []
        high = values[5:6] if len(values) == 6 else []
        normalize_bbox([west, values[1], *low, 180.0, corners[3], *high])
        normalize_bbox([-180.0, values[1], *low, east, corners[3], *high])
        return float(west), float(corners[1]), float(east), float(corners[3])
    checked = normalize_bbox(values)
    w, s, e, n = checked if len(checked) == 4 else (checked[0], checked[1], checked[3], checked[4])
    return w, s, e, n


def normalize_area(bbox: Sequence[float] | None, intersects: Mapping[str, Any] | GeoInterface | None) -> Area:
    """Check that exactly one of ``bbox`` and ``intersects`` is given, and validate it.

    A geometry is converted to a shapely geometry here, so a missing shapely fails before any request.
    """
    if (bbox is None) == (intersects is None):
        raise ValueError("pass exactly one of bbox and intersects")
    if bbox is not None:
        return Area(_bbox_corners(bbox), None)
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
    return Area(_narrowest_bbox(shape, (west, south, east, north)), shape)


def _narrowest_bbox(
    shape: Any, bounds: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    """The narrower of the geometry's plain bounds and its bounds across the antimeridian.

    A geometry crossing the antimeridian comes split into parts on either side (RFC 7946), so its
    plain bounds span nearly every longitude. Both boxes contain every part, and tiles are then
    filtered by the geometry itself, so the narrower box selects the same tiles from far fewer.
    """
    south, north = bounds[1], bounds[3]
    parts = [part for part in getattr(shape, "geoms", ()) if not part.is_empty]
    if len(parts) < 2:
        return bounds
    spans: list[list[float]] = []
    for low, high in sorted((float(part.bounds[0]), float(part.bounds[2])) for part in parts):
        if spans and low <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], high)
        else:
            spans.append([low, high])
    if len(spans) < 2:
        return bounds
    # The widest gap between the parts; if it is wider than the one across the antimeridian, the
    # box goes from the part after it, across the antimeridian, to the part before it.
    gap, index = max((spans[i + 1][0] - spans[i][1], i) for i in range(len(spans) - 1))
    across = (spans[0][0] + 360.0) - spans[-1][1]
    if gap > across:
        return (spans[index + 1][0], south, spans[index][1], north)
    return bounds


def _shapely(module: str) -> Any:
    return _import_extra(module, "geometry", "Covering a geometry with tiles")


@dataclass(frozen=True)
class TileRange:
    """The tiles of one zoom level with ``min_x <= x <= max_x`` and ``min_y <= y <= max_y``.

    In a tile matrix set with variable matrix widths (e.g. GNOSISGlobalGrid), a row whose tiles are
    coalesced by a factor ``c`` holds only the columns ``x % c == 0``; ``coalesce`` lists those rows
    as ``(first_row, last_row, c)``.
    """

    z: int
    min_x: int
    max_x: int
    min_y: int
    max_y: int
    coalesce: tuple[tuple[int, int, int], ...] = ()

    def _factor(self, y: int) -> int:
        for first, last, factor in self.coalesce:
            if first <= y <= last:
                return factor
        return 1

    def __len__(self) -> int:
        width = self.max_x - self.min_x + 1
        rows = self.max_y - self.min_y + 1
        if width <= 0 or rows <= 0:
            return 0
        count = width * rows
        for first, last, factor in self.coalesce:
            overlap = min(last, self.max_y) - max(first, self.min_y) + 1
            if overlap > 0 and factor != 1:
                kept = self.max_x // factor - (self.min_x + factor - 1) // factor + 1
                count -= overlap * (width - max(kept, 0))
        return count

    def __contains__(self, tile: object) -> bool:
        if not isinstance(tile, Tile) or tile.z != self.z:
            return False
        if not (self.min_x <= tile.x <= self.max_x and self.min_y <= tile.y <= self.max_y):
            return False
        return tile.x % self._factor(tile.y) == 0

    def __iter__(self) -> Iterator[Tile]:
        for y in range(self.min_y, self.max_y + 1):
            factor = self._factor(y)
            for x in range(self.min_x, self.max_x + 1):
                if x % factor == 0:
                    yield Tile(x, y, self.z)

    def intersection(self, other: TileRange) -> TileRange:
        """The tiles in both ranges (an empty range when they do not overlap)."""
        return replace(
            self,
            min_x=max(self.min_x, other.min_x),
            max_x=min(self.max_x, other.max_x),
            min_y=max(self.min_y, other.min_y),
            max_y=min(self.max_y, other.max_y),
        )


def _check_zooms(tms: morecantile.TileMatrixSet, zooms: Sequence[int]) -> None:
    for zoom in zooms:
        if not tms.minzoom <= zoom <= tms.maxzoom:
            raise ValueError(f"zooms: {zoom} is outside {tms.id}'s zoom levels {tms.minzoom}..{tms.maxzoom}")


def _truncate(lng: float, lat: float, limits: tuple[float, float, float, float]) -> tuple[float, float]:
    """A point moved into the tile matrix set's geographic bounds, exactly as ``tiles(truncate=True)``
    does (morecantile's ``truncate_coordinates``, which older morecantile lacks): for a set whose
    bounds cross the antimeridian (``left > right``) the order of the comparisons matters."""
    left, bottom, right, top = limits
    if lng > right:
        lng = right
    elif lng < left:
        lng = left
    if lat > top:
        lat = top
    elif lat < bottom:
        lat = bottom
    return lng, lat


def tile_ranges(
    tms: morecantile.TileMatrixSet, zooms: Sequence[int], bbox: tuple[float, float, float, float]
) -> list[list[TileRange]]:
    """Per zoom level, the tile ranges covering a WGS84 box: one range, or two when it crosses the
    antimeridian (``west > east``), each half planned on its own.

    The arithmetic of morecantile's ``TileMatrixSet.tiles(..., truncate=True)`` (the tiler's), done
    once per corner instead of once per tile, so a plan of any size is counted at once.
    """
    _check_zooms(tms, zooms)
    models = importlib.import_module("morecantile.models")
    utils = importlib.import_module("morecantile.utils")
    epsilon = models.LL_EPSILON
    # The tile matrix set's own transformers (morecantile 6 and 7 both keep them), as tiles() uses.
    from_geographic = tms._from_geographic
    xmin, ymin, xmax, ymax = tms.xy_bbox
    left, bottom, right, top = tms._to_geographic.transform_bounds(xmin, ymin, xmax, ymax, densify_pts=21)
    west, south, east, north = bbox
    west, south = _truncate(west, south, (left, bottom, right, top))
    east, north = _truncate(east, north, (left, bottom, right, top))
    halves = (
        [(left, south, east, north), (west, south, right, north)]
        if west > east
        else [(west, south, east, north)]
    )
    corners = []
    for w, s, e, n in halves:
        crosses = utils.lons_contain_antimeridian(e, right)
        w, s, n = max(left, w), max(bottom, s), min(top, n)
        e = max(right, e) if crosses else min(right, e)
        corners.append(
            (
                from_geographic.transform(w + epsilon, n - epsilon),
                from_geographic.transform(e - epsilon, s + epsilon),
            )
        )
    plan = []
    for zoom in zooms:
        matrix = tms.matrix(zoom)
        coalesce = tuple(
            (int(width.minTileRow), int(width.maxTileRow), int(width.coalesce))
            for width in (matrix.variableMatrixWidths or ())
        )
        ranges = []
        for (nw_x, nw_y), (se_x, se_y) in corners:
            nw = tms._tile(nw_x, nw_y, zoom, ignore_coalescence=True)
            se = tms._tile(se_x, se_y, zoom, ignore_coalescence=True)
            ranges.append(
                TileRange(
                    zoom,
                    min(nw.x, se.x),
                    max(nw.x, se.x),
                    min(nw.y, se.y),
                    max(nw.y, se.y),
                    coalesce,
                )
            )
        plan.append(ranges)
    return plan


def _distinct(ranges: Sequence[TileRange]) -> Iterator[Tile]:
    """The tiles of one zoom's ranges, each once (the halves of a crossing box can share tiles)."""
    for index, tile_range in enumerate(ranges):
        earlier = ranges[:index]
        for tile in tile_range:
            if not any(tile in other for other in earlier):
                yield tile


def _count_distinct(ranges: Sequence[TileRange]) -> int:
    if len(ranges) == 1:
        return len(ranges[0])
    first, second = ranges  # the two halves of a box crossing the antimeridian
    return len(first) + len(second) - len(first.intersection(second))


def covering_tiles(tms: morecantile.TileMatrixSet, zooms: Sequence[int], area: Area) -> Iterator[Tile]:
    """Every tile of ``tms`` at ``zooms`` that covers ``area``, zoom level by zoom level, lazily.

    For a bounding box these are the tiles of morecantile's ``tms.tiles(...)`` (each once, also for a
    box crossing the antimeridian). For a geometry, the tiles of its bounding box whose geographic
    bounds overlap the geometry: a polygon only touching a tile's edge does not select it, a point or
    line on an edge selects the tiles on both sides.

    The zoom levels are checked against ``tms`` at once (a ValueError naming ``zooms``), not when the
    first tile is asked for.
    """
    plan = tile_ranges(tms, zooms, area.bbox)
    candidates: Iterator[Tile] = (tile for ranges in plan for tile in _distinct(ranges))
    if area.shape is not None:
        candidates = _overlapping(tms, candidates, area.shape)
    return candidates


def _overlapping(tms: morecantile.TileMatrixSet, candidates: Iterator[Tile], shape: Any) -> Iterator[Tile]:
    prepared = _shapely("shapely.prepared").prep(shape)
    box = _shapely("shapely.geometry").box
    morecantile_tile = load_morecantile().Tile
    polygonal = shape.area > 0
    for tile in candidates:
        footprint = box(*tms.bounds(morecantile_tile(tile.x, tile.y, tile.z)))
        if prepared.intersects(footprint) and not (polygonal and prepared.touches(footprint)):
            yield tile


def count_covering_tiles(tms: morecantile.TileMatrixSet, zooms: Sequence[int], area: Area) -> int:
    """How many tiles cover the area's bounding box: by arithmetic on tile ranges, never one by one.

    This is exactly what :func:`covering_tiles` yields for a bounding box, and an upper bound for a
    geometry (the tiles of its bounding box).
    """
    return sum(_count_distinct(ranges) for ranges in tile_ranges(tms, zooms, area.bbox))

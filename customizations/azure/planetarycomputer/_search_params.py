"""Normalization of STAC item search arguments into the JSON body of ``POST /stac/search``.

Pure functions, no I/O: every check here runs before a request is sent, and a bad value raises
``ValueError`` (or ``TypeError`` for a value of the wrong kind) whose message starts with the
argument's name.

Accepted forms:

* ``collections`` / ``ids``: a string (one id, or several separated by commas) or an iterable of
  strings;
* ``bbox``: any sequence of 4 (west, south, east, north) or 6 (west, south, min z, east, north,
  max z) numbers, in WGS84 degrees; west greater than east crosses the antimeridian, and is sent
  as ``intersects``: a MultiPolygon of its two halves (see :func:`antimeridian_halves`);
* ``intersects``: a GeoJSON geometry (or Feature) mapping, or any object with
  ``__geo_interface__`` (a shapely geometry);
* ``datetime``: a ``datetime`` (naive means UTC), a ``date`` (that whole day), a ``(start, end)``
  pair whose ends may be ``None`` (open), or an RFC 3339 string: an instant, an interval
  ``start/end`` with ``..`` (or nothing) for an open end, and the partial forms ``2023``,
  ``2023-06`` and ``2023-06-10``, which stand for the whole year, month or day; a leap second
  (``23:59:60``) is the first second of the next minute, as the service reads it;
* ``sortby``: ``"-properties.datetime"`` (``-`` descending, ``+`` or nothing ascending),
  comma-separated keys, or a list of such strings or ``{"field", "direction"}`` mappings;
* ``fields``: ``"id,-geometry"`` (``-`` excludes), a list of such strings, or an
  ``{"include": [...], "exclude": [...]}`` mapping;
* ``filter``: a CQL2-JSON mapping (``filter-lang`` becomes ``cql2-json``) or a CQL2-text string
  (``cql2-text``);
* ``query``: a mapping (the query extension);
* ``limit``: the page size, 1 to 10000.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import json
import math
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, Union, runtime_checkable

from ._generated._utils.model_base import SdkJSONEncoder

__all__ = [
    "MAX_LIMIT",
    "DatetimeBound",
    "DatetimeLike",
    "GeoInterface",
    "antimeridian_halves",
    "build_search_body",
    "normalize_bbox",
    "normalize_datetime",
    "normalize_fields",
    "normalize_ids",
    "normalize_intersects",
    "normalize_limit",
    "normalize_max_items",
    "normalize_sign",
    "normalize_sortby",
    "to_json",
]

MAX_LIMIT = 10000
"""The largest page size the service accepts."""


@runtime_checkable
class GeoInterface(Protocol):
    """Anything exposing a GeoJSON mapping as ``__geo_interface__`` (shapely geometries, geopandas...)."""

    @property
    def __geo_interface__(self) -> Mapping[str, Any]: ...


DatetimeBound = Union[str, _dt.datetime, _dt.date, None]
"""One end of a time range: an RFC 3339 string (possibly partial), a datetime, a date, or None (open)."""

DatetimeLike = Union[str, _dt.datetime, _dt.date, Sequence[DatetimeBound]]
"""What ``datetime=`` accepts: an instant, a string (instant, interval or partial) or a (start, end) pair."""

GEOMETRY_TYPES = frozenset(
    ["Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon", "GeometryCollection"]
)
FILTER_LANGUAGES = frozenset(["cql2-json", "cql2-text", "cql-json"])
_OPEN = frozenset(["", ".."])

# An RFC 3339 date-time, or a prefix of its date: YYYY, YYYY-MM, YYYY-MM-DD.
_RFC3339 = re.compile(
    r"""
    (?P<year>\d{4})
    (?:-(?P<month>\d{2})
      (?:-(?P<day>\d{2})
        (?:[Tt\ ](?P<hour>\d{2}):(?P<minute>\d{2})
          (?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?
          (?P<zone>[Zz]|[+-]\d{2}:?\d{2})?
        )?
      )?
    )?
    """,
    re.VERBOSE,
)


# --------------------------------------------------------------------------------------------------
# Scalars and lists
# --------------------------------------------------------------------------------------------------


def to_json(value: Any) -> Any:
    """``value`` as plain JSON data (models, enums, tuples and datetimes converted)."""
    return json.loads(json.dumps(value, cls=SdkJSONEncoder, allow_nan=False))


def normalize_ids(name: str, value: str | Iterable[str]) -> list[str]:
    """Collection or item ids as a list: ``"a"`` and ``"a,b"`` as well as any iterable of strings."""
    if isinstance(value, str):
        ids = [part.strip() for part in value.split(",")]
    elif isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        ids = []
        for entry in value:
            if not isinstance(entry, str):
                raise TypeError(f"{name} must be a string or an iterable of strings, got element {entry!r}")
            ids.append(entry.strip())
    else:
        raise TypeError(f"{name} must be a string or an iterable of strings, got {type(value).__name__}")
    if not ids or any(not entry for entry in ids):
        raise ValueError(f"{name} must name at least one id and no empty ones, got {value!r}")
    return ids


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must contain numbers only, got {value!r}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ValueError(f"{name} must contain finite numbers only, got {value!r}")
    return number


def normalize_bbox(value: Sequence[float], *, crossing_antimeridian: bool = False) -> list[float]:
    """A bounding box as ``[west, south, east, north]`` or ``[west, south, zmin, east, north, zmax]``.

    Rejects a length other than 4 or 6, non-numbers, latitudes outside +-90, longitudes outside
    +-180, south greater than north and a minimum elevation greater than the maximum.

    :param crossing_antimeridian: Accept west greater than east, valid STAC for a box crossing the
        antimeridian (``[170, -20, -170, -10]`` spans 20 degrees around Fiji); it is returned as it
        is. Search passes True; callers that cannot plan such a box (tiles) leave it False, and
        west greater than east raises ValueError.
    """
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise TypeError(f"bbox must be a sequence of 4 or 6 numbers, got {type(value).__name__}")
    numbers_ = [_number("bbox", entry) for entry in value]
    if len(numbers_) == 4:
        west, south, east, north = numbers_
        low_z = high_z = 0.0
    elif len(numbers_) == 6:
        west, south, low_z, east, north, high_z = numbers_
    else:
        raise ValueError(f"bbox must have 4 or 6 numbers, got {len(numbers_)}: {list(value)!r}")
    for latitude in (south, north):
        if not -90.0 <= latitude <= 90.0:
            raise ValueError(f"bbox latitude {latitude} is outside -90..90 (order: west, south, east, north)")
    for longitude in (west, east):
        if not -180.0 <= longitude <= 180.0:
            raise ValueError(f"bbox longitude {longitude} is outside -180..180")
    if south > north:
        raise ValueError(f"bbox south {south} is greater than north {north}")
    if west > east and not crossing_antimeridian:
        raise ValueError(
            f"bbox west {west} is greater than east {east}; for an area crossing the antimeridian "
            "pass intersects=<MultiPolygon> instead"
        )
    if low_z > high_z:
        raise ValueError(f"bbox minimum elevation {low_z} is greater than maximum {high_z}")
    return numbers_


def antimeridian_halves(bbox: Sequence[float]) -> dict[str, Any] | None:
    """A bbox crossing the antimeridian (west > east) as a MultiPolygon of its two halves, else None.

    STAC allows such a bbox, but pgstac-based services (the GeoCatalog's stac-fastapi-pgstac, and
    the local stand-in) read it as the box between its smaller and larger longitude: the rest of
    the world, silently. Its two halves, west..180 and -180..east, mean the same area to any server.
    """
    if len(bbox) == 4:
        west, south, east, north = bbox
    else:
        west, south, _, east, north, _ = bbox
    if west <= east:
        return None

    def ring(low: float, high: float) -> list[list[list[float]]]:
        return [[[low, south], [high, south], [high, north], [low, north], [low, south]]]

    return {"type": "MultiPolygon", "coordinates": [ring(west, 180.0), ring(-180.0, east)]}


def normalize_intersects(value: Mapping[str, Any] | GeoInterface) -> dict[str, Any]:
    """A GeoJSON geometry as plain JSON, from a mapping (geometry or Feature) or ``__geo_interface__``."""
    if isinstance(value, Mapping):
        geometry: Any = value
    elif hasattr(value, "__geo_interface__"):
        geometry = value.__geo_interface__
    else:
        raise TypeError(
            f"intersects must be a GeoJSON mapping or have __geo_interface__, got {type(value).__name__}"
        )
    if isinstance(geometry, Mapping) and geometry.get("type") == "Feature":
        geometry = geometry.get("geometry")
    if not isinstance(geometry, Mapping) or geometry.get("type") not in GEOMETRY_TYPES:
        kind = geometry.get("type") if isinstance(geometry, Mapping) else type(geometry).__name__
        raise ValueError(f"intersects must be a GeoJSON geometry, got type {kind!r}")
    member = "geometries" if geometry["type"] == "GeometryCollection" else "coordinates"
    if member not in geometry:
        raise ValueError(f"intersects {geometry['type']} has no {member!r}")
    try:
        return dict(to_json(geometry))
    except ValueError as error:  # NaN or infinity: not JSON
        raise ValueError(f"intersects must contain finite numbers only: {error}") from None
    except TypeError as error:
        raise TypeError(f"intersects must contain JSON values only: {error}") from None


def normalize_limit(value: int) -> int:
    """The page size: an int from 1 to :data:`MAX_LIMIT`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"limit must be an int, got {value!r}")
    if not 1 <= value <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {value}")
    return int(value)


def normalize_max_items(value: int) -> int:
    """The total number of items to return: an int of at least 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"max_items must be an int, got {value!r}")
    if value < 1:
        raise ValueError(f"max_items must be at least 1, got {value}")
    return int(value)


def normalize_sign(value: bool | str) -> str:
    """The ``sign`` query value: ``"true"`` or ``"false"`` (a bool or a StacAssetUrlSigningMode works)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower()
    raise ValueError(f"sign must be True, False, 'true' or 'false', got {value!r}")


def normalize_duration(value: int) -> int:
    """The SAS validity in minutes: a positive int."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"duration_in_minutes must be an int, got {value!r}")
    if value < 1:
        raise ValueError(f"duration_in_minutes must be at least 1, got {value}")
    return int(value)


# --------------------------------------------------------------------------------------------------
# Sorting and fields
# --------------------------------------------------------------------------------------------------


def _signed_terms(name: str, value: str | Iterable[Any]) -> list[Any]:
    if isinstance(value, str):
        terms: list[Any] = [term.strip() for term in value.split(",")]
    elif isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        terms = [term.strip() if isinstance(term, str) else term for term in value]
    else:
        raise TypeError(f"{name} must be a string or a list, got {type(value).__name__}")
    if not terms:
        raise ValueError(f"{name} must not be empty")
    for term in terms:
        if isinstance(term, str) and term.lstrip("+-") == "":
            raise ValueError(f"{name} has an empty entry: {value!r}")
    return terms


def normalize_sortby(value: str | Iterable[str | Mapping[str, Any]]) -> list[dict[str, str]]:
    """Sort keys as ``[{"field": ..., "direction": "asc" | "desc"}]``."""
    keys: list[dict[str, str]] = []
    for term in _signed_terms("sortby", value):
        if isinstance(term, str):
            direction = "desc" if term.startswith("-") else "asc"
            keys.append({"field": term.lstrip("+-"), "direction": direction})
        elif isinstance(term, Mapping):
            field, direction = term.get("field"), str(to_json(term.get("direction", "asc"))).lower()
            if not isinstance(field, str) or not field:
                raise ValueError(f"sortby entry {dict(term)!r} has no field")
            if direction not in ("asc", "desc"):
                raise ValueError(f"sortby direction must be 'asc' or 'desc', got {term.get('direction')!r}")
            keys.append({"field": field, "direction": direction})
        else:
            raise TypeError(f"sortby entries must be strings or mappings, got {term!r}")
    return keys


def normalize_fields(value: str | Iterable[str] | Mapping[str, Any]) -> dict[str, list[str]]:
    """The fields extension as ``{"include": [...], "exclude": [...]}`` (empty lists left out)."""
    include: list[str] = []
    exclude: list[str] = []
    # A mapping, or a list of mappings (the shape of StacSearchParameters.fields), or signed names.
    if isinstance(value, Mapping) or (isinstance(value, list) and value and isinstance(value[0], Mapping)):
        for part in [value] if isinstance(value, Mapping) else value:
            if not isinstance(part, Mapping):
                raise TypeError(f"fields entries must all be mappings, got {part!r}")
            unknown = set(part) - {"include", "exclude"}
            if unknown:
                raise ValueError(f"fields may only have 'include' and 'exclude', got {sorted(unknown)!r}")
            for key, target in (("include", include), ("exclude", exclude)):
                entries = part.get(key) or []
                if isinstance(entries, str) or not all(isinstance(entry, str) for entry in entries):
                    raise TypeError(f"fields {key!r} must be a list of strings, got {entries!r}")
                target.extend(entries)
    else:
        for term in _signed_terms("fields", value):
            if not isinstance(term, str):
                raise TypeError(f"fields entries must be strings, got {term!r}")
            (exclude if term.startswith("-") else include).append(term.lstrip("+-"))
    result: dict[str, list[str]] = {}
    if include:
        result["include"] = include
    if exclude:
        result["exclude"] = exclude
    return result


def normalize_filter(
    value: Mapping[str, Any] | str, filter_lang: str | None
) -> tuple[dict[str, Any] | str, str]:
    """A CQL2 filter and its language: a mapping is CQL2-JSON, a string CQL2-text."""
    if isinstance(value, Mapping):
        expression: dict[str, Any] | str = dict(to_json(value))
        default = "cql2-json"
    elif isinstance(value, str):
        if not value.strip():
            raise ValueError("filter must not be empty")
        expression = value
        default = "cql2-text"
    else:
        raise TypeError(f"filter must be a CQL2-JSON mapping or CQL2-text string, got {type(value).__name__}")
    if filter_lang is None:
        return expression, default
    language = str(to_json(filter_lang)).lower()
    if language not in FILTER_LANGUAGES:
        raise ValueError(f"filter_lang must be one of {sorted(FILTER_LANGUAGES)}, got {filter_lang!r}")
    if (language == "cql2-text") != isinstance(expression, str):
        kind = "a string" if isinstance(expression, str) else "a mapping"
        raise ValueError(f"filter_lang {language!r} does not match a filter given as {kind}")
    return expression, language


# --------------------------------------------------------------------------------------------------
# Datetime
# --------------------------------------------------------------------------------------------------


def _format_instant(moment: _dt.datetime) -> str:
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}"
    return text + "Z"


def _utc(moment: _dt.datetime) -> _dt.datetime:
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        return moment.replace(tzinfo=_dt.timezone.utc)
    try:
        return moment.astimezone(_dt.timezone.utc)
    except OverflowError:
        raise ValueError(f"datetime {moment.isoformat()} is outside the years 1..9999 in UTC") from None


def _day_range(day: _dt.date) -> tuple[_dt.datetime, _dt.datetime]:
    start = _dt.datetime(day.year, day.month, day.day, tzinfo=_dt.timezone.utc)
    return start, start.replace(hour=23, minute=59, second=59, microsecond=999999)


def _parse_text(text: str) -> tuple[_dt.datetime, _dt.datetime]:
    """The range an RFC 3339 string covers: a partial date covers its year, month or day."""
    match = _RFC3339.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"datetime {text!r} is not an RFC 3339 date-time, date, year-month or year")
    parts = match.groupdict()
    try:
        year = int(parts["year"])
        if parts["month"] is None:
            start = _dt.datetime(year, 1, 1, tzinfo=_dt.timezone.utc)
            return start, start.replace(month=12, day=31, hour=23, minute=59, second=59, microsecond=999999)
        month = int(parts["month"])
        if parts["day"] is None:
            start = _dt.datetime(year, month, 1, tzinfo=_dt.timezone.utc)
            last = calendar.monthrange(year, month)[1]
            return start, start.replace(day=last, hour=23, minute=59, second=59, microsecond=999999)
        day = _dt.date(year, month, int(parts["day"]))
        if parts["hour"] is None:
            return _day_range(day)
        fraction = (parts["fraction"] or "0")[:6].ljust(6, "0")
        zone = parts["zone"]
        tz: _dt.tzinfo = _dt.timezone.utc
        if zone and zone not in ("Z", "z"):
            sign = -1 if zone[0] == "-" else 1
            digits = zone[1:].replace(":", "")
            tz = _dt.timezone(sign * _dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        second = int(parts["second"] or 0)
        # RFC 3339 allows a leap second (second 60), which datetime cannot hold. The service reads
        # timestamps as PostgreSQL does, which takes 60 as the first second of the next minute:
        # the same instant is sent (1990-12-31T23:59:60Z becomes 1991-01-01T00:00:00Z).
        leap = second == 60
        moment = _dt.datetime(
            day.year,
            day.month,
            day.day,
            int(parts["hour"]),
            int(parts["minute"]),
            59 if leap else second,
            int(fraction),
            tzinfo=tz,
        )
        if leap:
            moment += _dt.timedelta(seconds=1)
    except (ValueError, OverflowError) as error:
        raise ValueError(f"datetime {text!r} is not a valid date-time: {error}") from None
    moment = _utc(moment)
    return moment, moment


def _bound(value: DatetimeBound, *, end: bool) -> _dt.datetime | None:
    """One end of an interval: the start (or end) of what ``value`` covers; None when open."""
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        return _utc(value)
    if isinstance(value, _dt.date):
        return _day_range(value)[1 if end else 0]
    if isinstance(value, str):
        if value.strip() in _OPEN:
            return None
        return _parse_text(value)[1 if end else 0]
    raise TypeError(f"datetime bounds must be str, datetime, date or None, got {type(value).__name__}")


def _interval(start: _dt.datetime | None, end: _dt.datetime | None) -> str:
    if start is None and end is None:
        raise ValueError("datetime interval must have at least one closed end, got '../..'")
    if start is not None and end is not None and start > end:
        raise ValueError(f"datetime start {_format_instant(start)} is after end {_format_instant(end)}")
    return "/".join(".." if bound is None else _format_instant(bound) for bound in (start, end))


def normalize_datetime(value: DatetimeLike) -> str:
    """The ``datetime`` search value: one RFC 3339 instant, or an interval ``start/end`` in UTC.

    Partial dates become intervals covering them (``"2023-06"`` is all of June 2023), naive
    datetimes are taken as UTC, and open ends are written ``..``.
    """
    if isinstance(value, _dt.datetime):
        return _format_instant(_utc(value))
    if isinstance(value, _dt.date):
        return _interval(*_day_range(value))
    if isinstance(value, str):
        if "/" in value:
            parts = value.split("/")
            if len(parts) != 2:
                raise ValueError(f"datetime interval {value!r} must have exactly one '/'")
            return _interval(_bound(parts[0], end=False), _bound(parts[1], end=True))
        if value.strip() in _OPEN:
            raise ValueError(f"datetime {value!r} is not a date-time")
        start, end = _parse_text(value)
        return _format_instant(start) if start == end else _interval(start, end)
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        if len(value) != 2:
            raise ValueError(f"datetime range must be a (start, end) pair, got {len(value)} values")
        return _interval(_bound(value[0], end=False), _bound(value[1], end=True))
    raise TypeError(
        f"datetime must be a str, datetime, date or (start, end) pair, got {type(value).__name__}"
    )


# --------------------------------------------------------------------------------------------------
# The whole body
# --------------------------------------------------------------------------------------------------


def build_search_body(
    body: Mapping[str, Any] | None = None,
    *,
    collections: str | Iterable[str] | None = None,
    ids: str | Iterable[str] | None = None,
    bbox: Sequence[float] | None = None,
    intersects: Mapping[str, Any] | GeoInterface | None = None,
    datetime: DatetimeLike | None = None,
    query: Mapping[str, Any] | None = None,
    filter: Mapping[str, Any] | str | None = None,
    filter_lang: str | None = None,
    filter_crs: str | None = None,
    sortby: str | Iterable[str | Mapping[str, Any]] | None = None,
    fields: str | Iterable[str] | Mapping[str, Any] | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    """The JSON body of a search: ``body`` (wire names, e.g. a ``StacSearchParameters``) with the
    keyword arguments laid over it, every value normalized and checked.

    :raises ValueError: a value is out of range or malformed; the message names the argument.
    :raises TypeError: a value is of the wrong kind; the message names the argument.
    """
    if body is None:
        merged: dict[str, Any] = {}
    elif isinstance(body, Mapping):
        merged = dict(body.items())
    else:
        raise TypeError(f"body must be a StacSearchParameters or a mapping, got {type(body).__name__}")
    overrides = {
        "collections": collections,
        "ids": ids,
        "bbox": bbox,
        "intersects": intersects,
        "datetime": datetime,
        "query": query,
        "filter": filter,
        "filter-lang": filter_lang,
        "filter-crs": filter_crs,
        "sortby": sortby,
        "fields": fields,
        "limit": limit,
    }
    merged.update((key, value) for key, value in overrides.items() if value is not None)

    if merged.get("bbox") is not None and merged.get("intersects") is not None:
        raise ValueError("bbox and intersects cannot be combined: pass one of them")
    for key in ("collections", "ids"):
        if merged.get(key) is not None:
            merged[key] = normalize_ids(key, merged[key])
    if merged.get("bbox") is not None:
        merged["bbox"] = normalize_bbox(merged["bbox"], crossing_antimeridian=True)
        crossing = antimeridian_halves(merged["bbox"])
        if crossing is not None:
            merged["bbox"], merged["intersects"] = None, crossing
    if merged.get("intersects") is not None:
        merged["intersects"] = normalize_intersects(merged["intersects"])
    if merged.get("datetime") is not None:
        merged["datetime"] = normalize_datetime(merged["datetime"])
    if merged.get("query") is not None:
        if not isinstance(merged["query"], Mapping):
            raise TypeError(f"query must be a mapping, got {type(merged['query']).__name__}")
        merged["query"] = dict(to_json(merged["query"]))
    if merged.get("filter") is not None:
        expression, language = normalize_filter(merged["filter"], merged.get("filter-lang"))
        merged["filter"], merged["filter-lang"] = expression, language
    elif merged.get("filter-lang") is not None:
        raise ValueError("filter_lang was given without a filter")
    if merged.get("filter-crs") is not None and not isinstance(merged["filter-crs"], str):
        raise TypeError(f"filter_crs must be a string, got {type(merged['filter-crs']).__name__}")
    if merged.get("sortby") is not None:
        merged["sortby"] = normalize_sortby(merged["sortby"])
    if merged.get("fields") is not None:
        merged["fields"] = normalize_fields(merged["fields"])
    if merged.get("limit") is not None:
        merged["limit"] = normalize_limit(merged["limit"])
    return {key: to_json(value) for key, value in merged.items() if value is not None}

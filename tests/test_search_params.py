"""The forms search arguments may take, and the bad values refused before any request.

Unit tests of the pure normalization (``_search_params``); ``test_search_paging`` checks the same
forms end to end, on the wire.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from azure.planetarycomputer._search_params import (
    antimeridian_halves,
    build_search_body,
    normalize_bbox,
    normalize_datetime,
    normalize_fields,
    normalize_filter,
    normalize_ids,
    normalize_intersects,
    normalize_limit,
    normalize_sign,
    normalize_sortby,
)
from azure.planetarycomputer.models import (
    FilterLanguage,
    SearchOptionsFields,
    StacSearchParameters,
    StacSortExtension,
)
from hypothesis import given
from hypothesis import strategies as st

UTC = dt.timezone.utc

# --------------------------------------------------------------------------------------------------
# datetime
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023", "2023-01-01T00:00:00Z/2023-12-31T23:59:59.999999Z"),
        ("2023-06", "2023-06-01T00:00:00Z/2023-06-30T23:59:59.999999Z"),
        ("2024-02", "2024-02-01T00:00:00Z/2024-02-29T23:59:59.999999Z"),
        ("2023-06-10", "2023-06-10T00:00:00Z/2023-06-10T23:59:59.999999Z"),
        ("../2023-01-01", "../2023-01-01T23:59:59.999999Z"),
        ("2023-01-01/..", "2023-01-01T00:00:00Z/.."),
        ("2023-01-01/", "2023-01-01T00:00:00Z/.."),
        ("/2023", "../2023-12-31T23:59:59.999999Z"),
        ("2021/2022-03", "2021-01-01T00:00:00Z/2022-03-31T23:59:59.999999Z"),
        ("2023-06-10T12:30:00Z", "2023-06-10T12:30:00Z"),
        ("2023-06-10t12:30:00z", "2023-06-10T12:30:00Z"),
        ("2023-06-10T12:30:00", "2023-06-10T12:30:00Z"),  # naive: UTC
        ("2023-06-10 12:30:00", "2023-06-10T12:30:00Z"),
        ("2023-06-10T12:30:00+02:00", "2023-06-10T10:30:00Z"),
        ("2023-06-10T12:30:00.5-01:30", "2023-06-10T14:00:00.500000Z"),
        ("2023-06-10T12:30:00.123456789Z", "2023-06-10T12:30:00.123456Z"),
        (
            "2021-01-01T00:00:00Z/2022-12-31T00:00:00Z",  # the recorded search, unchanged
            "2021-01-01T00:00:00Z/2022-12-31T00:00:00Z",
        ),
        (dt.datetime(2023, 6, 10, 12, 30), "2023-06-10T12:30:00Z"),
        (
            dt.datetime(2023, 6, 10, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
            "2023-06-10T17:30:00Z",
        ),
        (dt.date(2023, 6, 10), "2023-06-10T00:00:00Z/2023-06-10T23:59:59.999999Z"),
        ((dt.datetime(2023, 1, 1), None), "2023-01-01T00:00:00Z/.."),
        ((None, dt.datetime(2023, 1, 1, tzinfo=UTC)), "../2023-01-01T00:00:00Z"),
        (["2023", "2024"], "2023-01-01T00:00:00Z/2024-12-31T23:59:59.999999Z"),
        ((dt.date(2023, 1, 1), "2023-01-31T10:00:00Z"), "2023-01-01T00:00:00Z/2023-01-31T10:00:00Z"),
        (("..", dt.date(2023, 1, 1)), "../2023-01-01T23:59:59.999999Z"),
    ],
)
def test_datetime_forms(value: Any, expected: str) -> None:
    assert normalize_datetime(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2023-13",
        "2023-02-30",
        "2023-06-10T25:00:00Z",
        "2023-06-10T12:30:00+0",
        "20230610",
        "",
        "..",
        "../..",
        "2023/2024/2025",
        (None, None),
        ("2024", "2023"),
        "2024-01-01/2023-12-31",
        ("2023",),
        ("2023", "2024", "2025"),
    ],
)
def test_bad_datetimes_are_refused_naming_datetime(value: Any) -> None:
    with pytest.raises(ValueError, match=r"^datetime"):
        normalize_datetime(value)


@pytest.mark.parametrize("value", [20230610, 2023.5, {"start": "2023"}, (2023, 2024)])
def test_datetime_of_the_wrong_kind_is_a_type_error(value: Any) -> None:
    with pytest.raises(TypeError, match=r"^datetime"):
        normalize_datetime(value)


@given(st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1)))
def test_a_naive_datetime_is_written_as_that_utc_instant(moment: dt.datetime) -> None:
    text = normalize_datetime(moment)
    assert text.endswith("Z")
    parsed = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ" if "." in text else "%Y-%m-%dT%H:%M:%SZ")
    assert parsed == moment


@given(
    st.datetimes(
        min_value=dt.datetime(1900, 1, 2), max_value=dt.datetime(2200, 1, 1), timezones=st.timezones()
    )
)
def test_an_aware_datetime_keeps_its_instant(moment: dt.datetime) -> None:
    text = normalize_datetime(moment)
    again = normalize_datetime(text)  # a full RFC 3339 string is an instant, normalized the same way
    assert again == text
    parsed = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ" if "." in text else "%Y-%m-%dT%H:%M:%SZ")
    # Compared as UTC instants: an ambiguous local time (a DST fold) never equals another zone's time.
    assert parsed.replace(tzinfo=UTC) == moment.astimezone(UTC)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)))
def test_a_partial_date_covers_its_whole_period(day: dt.date) -> None:
    for text, first, last in [
        (f"{day:%Y}", dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)),
        (f"{day:%Y-%m}", day.replace(day=1), (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)),
        (day.isoformat(), day, day),
    ]:
        start, end = normalize_datetime(text).split("/")
        assert start == f"{first.isoformat()}T00:00:00Z"
        if text.count("-") == 1:  # a month ends the day before the next month starts
            last = last - dt.timedelta(days=1)
        assert end == f"{last.isoformat()}T23:59:59.999999Z"


# --------------------------------------------------------------------------------------------------
# bbox and intersects
# --------------------------------------------------------------------------------------------------


class _Bounds:
    """A sequence-like object that is not a list (e.g. a numpy array or a shapely bounds tuple)."""

    def __init__(self, *values: float) -> None:
        self.values = values

    def __iter__(self) -> Any:
        return iter(self.values)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([-84.39, 33.76, -84.37, 33.78], [-84.39, 33.76, -84.37, 33.78]),
        ((-180, -90, 180, 90), [-180.0, -90.0, 180.0, 90.0]),
        (_Bounds(1, 2, 3, 4), [1.0, 2.0, 3.0, 4.0]),
        ((0, 0, -10, 1, 1, 100), [0.0, 0.0, -10.0, 1.0, 1.0, 100.0]),
        (range(4), [0.0, 1.0, 2.0, 3.0]),
    ],
)
def test_bbox_forms(value: Any, expected: list[float]) -> None:
    assert normalize_bbox(value) == expected


def test_bbox_accepts_numpy_numbers() -> None:
    numpy = pytest.importorskip("numpy")
    assert normalize_bbox(numpy.array([1.5, 2, 3, 4])) == [1.5, 2.0, 3.0, 4.0]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([1, 2, 3], "4 or 6 numbers, got 3"),
        ([1, 2, 3, 4, 5], "4 or 6 numbers, got 5"),
        ([], "4 or 6 numbers, got 0"),
        ([0, 10, 1, 5], "south 10.0 is greater than north 5.0"),
        ([10, 0, 5, 1], "west 10.0 is greater than east 5.0"),
        ([0, -91, 1, 1], "latitude -91.0 is outside -90..90"),
        ([0, 0, 1, 90.5], "latitude 90.5 is outside -90..90"),
        ([-181, 0, 1, 1], "longitude -181.0 is outside -180..180"),
        ([0, 0, 5, 1, 1, 4], "minimum elevation 5.0 is greater than maximum 4.0"),
        ([0, 0, float("nan"), 1], "finite"),
        ([0, 0, float("inf"), 1], "finite"),
    ],
)
def test_bad_bboxes_are_refused_naming_bbox(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=rf"^bbox.*{message}"):
        normalize_bbox(value)


@pytest.mark.parametrize("value", ["0,0,1,1", {"west": 0}, 5, [0, 0, "1", 1], [True, 0, 1, 1]])
def test_bbox_of_the_wrong_kind_is_a_type_error(value: Any) -> None:
    with pytest.raises(TypeError, match=r"^bbox"):
        normalize_bbox(value)


POLYGON = {
    "type": "Polygon",
    "coordinates": [[[-84.39, 33.76], [-84.37, 33.76], [-84.37, 33.78], [-84.39, 33.78], [-84.39, 33.76]]],
}


def test_intersects_takes_a_geojson_mapping_as_plain_json() -> None:
    assert normalize_intersects(POLYGON) == POLYGON


def test_intersects_takes_a_feature_s_geometry() -> None:
    assert normalize_intersects({"type": "Feature", "geometry": POLYGON, "properties": {}}) == POLYGON


def test_intersects_takes_a_shapely_geometry() -> None:
    shapely_geometry = pytest.importorskip("shapely.geometry")
    polygon = shapely_geometry.box(-84.39, 33.76, -84.37, 33.78)
    normalized = normalize_intersects(polygon)
    assert normalized["type"] == "Polygon"
    assert sorted(map(tuple, normalized["coordinates"][0])) == sorted(
        map(tuple, [[-84.37, 33.76], [-84.37, 33.78], [-84.39, 33.78], [-84.39, 33.76], [-84.37, 33.76]])
    )
    assert all(isinstance(position, list) for position in normalized["coordinates"][0])  # JSON arrays


def test_intersects_takes_any_geo_interface() -> None:
    class Shape:
        @property
        def __geo_interface__(self) -> dict[str, Any]:
            return {"type": "Point", "coordinates": (1.0, 2.0)}

    assert normalize_intersects(Shape()) == {"type": "Point", "coordinates": [1.0, 2.0]}


@pytest.mark.parametrize(
    "value",
    [
        {"type": "Circle", "coordinates": [0, 0]},
        {"coordinates": [0, 0]},
        {"type": "Polygon"},
        {"type": "GeometryCollection"},
        {"type": "Feature", "geometry": None},
    ],
)
def test_bad_geometries_are_refused_naming_intersects(value: Any) -> None:
    with pytest.raises(ValueError, match=r"^intersects"):
        normalize_intersects(value)


def test_intersects_of_the_wrong_kind_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"^intersects"):
        normalize_intersects("POLYGON ((0 0, 1 0, 1 1, 0 0))")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------
# ids, sortby, fields, filter, limit, sign
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("naip", ["naip"]), ("naip, sentinel-2-l2a", ["naip", "sentinel-2-l2a"]), (("a", "b"), ["a", "b"])],
)
def test_id_forms(value: Any, expected: list[str]) -> None:
    assert normalize_ids("collections", value) == expected


@pytest.mark.parametrize(("value", "error"), [("", ValueError), ([], ValueError), ("a,,b", ValueError)])
def test_empty_ids_are_refused(value: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match=r"^ids"):
        normalize_ids("ids", value)


@pytest.mark.parametrize("value", [5, [1, 2], b"naip"])
def test_ids_of_the_wrong_kind_are_a_type_error(value: Any) -> None:
    with pytest.raises(TypeError, match=r"^collections"):
        normalize_ids("collections", value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("-properties.datetime", [{"field": "properties.datetime", "direction": "desc"}]),
        ("+id", [{"field": "id", "direction": "asc"}]),
        (
            "collection,-datetime",
            [{"field": "collection", "direction": "asc"}, {"field": "datetime", "direction": "desc"}],
        ),
        (
            ["-datetime", "id"],
            [{"field": "datetime", "direction": "desc"}, {"field": "id", "direction": "asc"}],
        ),
        ([{"field": "datetime", "direction": "DESC"}], [{"field": "datetime", "direction": "desc"}]),
        ([StacSortExtension(field="datetime", direction="asc")], [{"field": "datetime", "direction": "asc"}]),
    ],
)
def test_sortby_forms(value: Any, expected: list[dict[str, str]]) -> None:
    assert normalize_sortby(value) == expected


@pytest.mark.parametrize(
    "value", ["", "-", "a,,b", [{"direction": "asc"}], [{"field": "a", "direction": "up"}], []]
)
def test_bad_sortby_is_refused(value: Any) -> None:
    with pytest.raises(ValueError, match=r"^sortby"):
        normalize_sortby(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("id,-geometry", {"include": ["id"], "exclude": ["geometry"]}),
        ("-assets", {"exclude": ["assets"]}),
        (["id", "+properties.datetime"], {"include": ["id", "properties.datetime"]}),
        ({"include": ["id"], "exclude": []}, {"include": ["id"]}),
        ([SearchOptionsFields(include=["id"], exclude=["links"])], {"include": ["id"], "exclude": ["links"]}),
    ],
)
def test_fields_forms(value: Any, expected: dict[str, list[str]]) -> None:
    assert normalize_fields(value) == expected


@pytest.mark.parametrize("value", [{"only": ["id"]}, "", "id,,geometry"])
def test_bad_fields_are_refused(value: Any) -> None:
    with pytest.raises(ValueError, match=r"^fields"):
        normalize_fields(value)


def test_filter_language_follows_the_filter() -> None:
    cql_json = {"op": "=", "args": [{"property": "collection"}, "naip"]}
    assert normalize_filter(cql_json, None) == (cql_json, "cql2-json")
    assert normalize_filter("collection = 'naip'", None) == ("collection = 'naip'", "cql2-text")
    assert normalize_filter(cql_json, FilterLanguage.CQL2_JSON) == (cql_json, "cql2-json")
    assert normalize_filter(cql_json, "cql-json") == (cql_json, "cql-json")


@pytest.mark.parametrize(
    ("value", "language", "match"),
    [
        ({"op": "="}, "cql2-text", "^filter_lang"),
        ("a = 1", "cql2-json", "^filter_lang"),
        ("a = 1", "sql", "^filter_lang"),
        ("  ", None, "^filter"),
    ],
)
def test_mismatched_filters_are_refused(value: Any, language: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        normalize_filter(value, language)


@pytest.mark.parametrize(
    ("value", "error"),
    [(0, ValueError), (10001, ValueError), (-5, ValueError), (True, TypeError), ("10", TypeError)],
)
def test_limit_outside_1_to_10000_is_refused(value: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match=r"^limit"):
        normalize_limit(value)


def test_limit_bounds_are_accepted() -> None:
    assert normalize_limit(1) == 1
    assert normalize_limit(10000) == 10000


@pytest.mark.parametrize(
    ("value", "expected"), [(True, "true"), (False, "false"), ("TRUE", "true"), ("false", "false")]
)
def test_sign_forms(value: Any, expected: str) -> None:
    assert normalize_sign(value) == expected


def test_bad_sign_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^sign"):
        normalize_sign("yes")


# --------------------------------------------------------------------------------------------------
# The whole body
# --------------------------------------------------------------------------------------------------


def test_keywords_are_laid_over_a_search_parameters_model() -> None:
    base = StacSearchParameters(
        collections=["naip"],
        filter_lang=FilterLanguage.CQL2_JSON,
        filter={"op": "=", "args": [{"property": "naip:state"}, "ga"]},
        sort_by=[StacSortExtension(field="datetime", direction="desc")],
        limit=10,
    )
    body = build_search_body(base, limit=50, datetime="2021")
    assert body == {
        "collections": ["naip"],
        "filter-lang": "cql2-json",
        "filter": {"op": "=", "args": [{"property": "naip:state"}, "ga"]},
        "sortby": [{"field": "datetime", "direction": "desc"}],
        "limit": 50,
        "datetime": "2021-01-01T00:00:00Z/2021-12-31T23:59:59.999999Z",
    }


def test_values_in_the_base_body_are_checked_too() -> None:
    with pytest.raises(ValueError, match=r"^limit"):
        build_search_body({"limit": 0})
    with pytest.raises(ValueError, match=r"^bbox"):
        build_search_body({"bbox": [0, 0, 1]})


def test_bbox_and_intersects_together_are_refused() -> None:
    with pytest.raises(ValueError, match=r"bbox and intersects"):
        build_search_body(bbox=[0, 0, 1, 1], intersects=POLYGON)
    with pytest.raises(ValueError, match=r"bbox and intersects"):
        build_search_body({"bbox": [0, 0, 1, 1]}, intersects=POLYGON)


def test_filter_lang_without_filter_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^filter_lang"):
        build_search_body(filter_lang="cql2-json")


def test_query_must_be_a_mapping() -> None:
    assert build_search_body(query={"eo:cloud_cover": {"lt": 10}}) == {
        "query": {"eo:cloud_cover": {"lt": 10}}
    }
    with pytest.raises(TypeError, match=r"^query"):
        build_search_body(query="eo:cloud_cover<10")  # type: ignore[arg-type]


def test_body_must_be_a_mapping() -> None:
    with pytest.raises(TypeError, match=r"^body"):
        build_search_body(b'{"limit": 1}')  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------
# Antimeridian bboxes and leap seconds (issue 20, items 9 and 12)
# --------------------------------------------------------------------------------------------------


FIJI_HALVES = {
    "type": "MultiPolygon",
    "coordinates": [
        [[[170.0, -20.0], [180.0, -20.0], [180.0, -10.0], [170.0, -10.0], [170.0, -20.0]]],
        [[[-180.0, -20.0], [-170.0, -20.0], [-170.0, -10.0], [-180.0, -10.0], [-180.0, -20.0]]],
    ],
}


@pytest.mark.parametrize("bbox", [[170, -20, -170, -10], (170.0, -20, 0, -170, -10, 100)])
def test_a_bbox_crossing_the_antimeridian_is_searched_as_its_two_halves(bbox: Any) -> None:
    # pgstac reads west > east as the box between the two longitudes: the rest of the world
    assert build_search_body(bbox=bbox) == {"intersects": FIJI_HALVES}
    assert build_search_body({"bbox": bbox, "limit": 5}) == {"intersects": FIJI_HALVES, "limit": 5}


def test_an_ordinary_bbox_stays_a_bbox() -> None:
    assert build_search_body(bbox=[-170, -20, 170, -10]) == {"bbox": [-170.0, -20.0, 170.0, -10.0]}
    assert antimeridian_halves([-170, -20, 170, -10]) is None


def test_the_antimeridian_is_opt_in_for_other_callers() -> None:
    with pytest.raises(ValueError, match=r"^bbox west 170\.0 is greater than east -170\.0"):
        normalize_bbox([170, -20, -170, -10])
    assert normalize_bbox([170, -20, -170, -10], crossing_antimeridian=True) == [170, -20, -170, -10]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1990-12-31T15:59:60-08:00", "1991-01-01T00:00:00Z"),  # RFC 3339's own example
        ("1990-12-31T23:59:60Z", "1991-01-01T00:00:00Z"),
        ("2016-12-31T23:59:60.25Z", "2017-01-01T00:00:00.250000Z"),
        ("2016-12-31T23:59:60Z/..", "2017-01-01T00:00:00Z/.."),
        ("../2016-12-31t23:59:60z", "../2017-01-01T00:00:00Z"),
        (("2016-12-31T23:59:59Z", "2016-12-31T23:59:60Z"), "2016-12-31T23:59:59Z/2017-01-01T00:00:00Z"),
    ],
)
def test_leap_seconds_are_accepted_as_the_service_reads_them(value: Any, expected: str) -> None:
    assert normalize_datetime(value) == expected


@pytest.mark.parametrize("value", ["2016-12-31T23:59:61Z", "9999-12-31T23:59:60Z"])
def test_seconds_beyond_a_leap_second_or_the_calendar_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match=r"^datetime"):
        normalize_datetime(value)

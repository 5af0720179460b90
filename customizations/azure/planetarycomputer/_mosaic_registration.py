"""Mosaic search registration with the JSON names the tiler reads.

The generator writes register_mosaics_search's keyword body from Python-safe names, so the
generated operation sends ``filter_lang`` and ``datetime_property``, which the tiler ignores: a
registration filtered by date or with a CQL2 language would silently match everything. The live
service's traffic uses ``filter-lang`` and ``datetime``, as the STAC search body does. These
overrides build the body with those names and hand it to the generated operation. The async
override is in :mod:`azure.planetarycomputer.aio._mosaic_registration`.
"""

from __future__ import annotations

from typing import IO, Any

from ._generated.models import (
    FilterLanguage,
    Geometry,
    MosaicMetadata,
    StacSortExtension,
    TilerMosaicSearchRegistrationResponse,
)
from ._generated.operations import DataOperations as _GeneratedDataOperations

# The generated operations' own "not given" marker, so a body of None stays distinguishable.
from ._generated.operations._operations import _Unset

__all__ = ["MosaicRegistrationMixin", "registration_body"]

JSON = dict[str, Any]

# Python keyword -> JSON name of the registration body.
_WIRE_NAMES = {
    "collections": "collections",
    "ids": "ids",
    "bounding_box": "bbox",
    "intersects": "intersects",
    "query": "query",
    "filter": "filter",
    "datetime": "datetime",
    "sort_by": "sortby",
    "filter_language": "filter-lang",
    "metadata": "metadata",
}


def registration_body(body: Any, keywords: dict[str, Any]) -> Any:
    """The request body: ``body`` as given, or one built from the keywords that were set."""
    given = {name: value for name, value in keywords.items() if value is not None}
    if body is not _Unset:
        if given:
            raise TypeError(
                "register_mosaics_search takes either body or keywords, not both; got body and "
                + ", ".join(sorted(given))
            )
        return body
    return {_WIRE_NAMES[name]: value for name, value in given.items()}


_DOC = """Register a STAC search as a mosaic; tiles, TileJSON and WMTS of it are then served under
        /data/mosaic/searches/{search_id}.

        Pass either ``body`` (the registration as JSON or a stream) or the keywords below.

        :param body: The whole registration request. Optional.
        :type body: JSON or IO[bytes]
        :keyword collections: Collection ids whose items the mosaic draws from.
        :paramtype collections: list[str]
        :keyword ids: Item ids to include.
        :paramtype ids: list[str]
        :keyword bounding_box: [west, south, east, north] in degrees that items must intersect.
        :paramtype bounding_box: list[float]
        :keyword intersects: GeoJSON geometry that items must intersect.
        :paramtype intersects: ~azure.planetarycomputer.models.Geometry
        :keyword query: STAC query-extension filter on item properties.
        :paramtype query: dict[str, Any]
        :keyword filter: CQL2-JSON filter that items must match.
        :paramtype filter: dict[str, Any]
        :keyword datetime: Date-time or interval (RFC 3339, '..' for open ends) items must fall in.
        :paramtype datetime: str
        :keyword sort_by: Which item is drawn on top where items overlap.
        :paramtype sort_by: list[~azure.planetarycomputer.models.StacSortExtension]
        :keyword filter_language: Language of ``filter``; the tiler understands cql2-json.
        :paramtype filter_language: str or ~azure.planetarycomputer.models.FilterLanguage
        :keyword metadata: Name, bounds, zoom range and default assets stored with the search.
        :paramtype metadata: ~azure.planetarycomputer.models.MosaicMetadata
        :return: The registration, with its ``search_id`` and links.
        :rtype: ~azure.planetarycomputer.models.TilerMosaicSearchRegistrationResponse
        :raises TypeError: if both ``body`` and keywords are given.
        :raises ~azure.core.exceptions.HttpResponseError:
        """


class MosaicRegistrationMixin(_GeneratedDataOperations):
    def register_mosaics_search(  # type: ignore[override]  # one signature for the generated overloads
        self,
        body: JSON | IO[bytes] = _Unset,
        *,
        collections: list[str] | None = None,
        ids: list[str] | None = None,
        bounding_box: list[float] | None = None,
        intersects: Geometry | None = None,
        query: dict[str, Any] | None = None,
        filter: dict[str, Any] | None = None,
        datetime: str | None = None,
        sort_by: list[StacSortExtension] | None = None,
        filter_language: str | FilterLanguage | None = None,
        metadata: MosaicMetadata | None = None,
        **kwargs: Any,
    ) -> TilerMosaicSearchRegistrationResponse:
        keywords = dict(
            collections=collections, ids=ids, bounding_box=bounding_box, intersects=intersects,
            query=query, filter=filter, datetime=datetime, sort_by=sort_by,
            filter_language=filter_language, metadata=metadata,
        )  # fmt: skip
        return super().register_mosaics_search(registration_body(body, keywords), **kwargs)

    register_mosaics_search.__doc__ = _DOC

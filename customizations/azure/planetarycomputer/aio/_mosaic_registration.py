"""Async twin of :mod:`azure.planetarycomputer._mosaic_registration`: the tiler's JSON names."""

from __future__ import annotations

from typing import IO, Any

from .._generated.aio.operations import DataOperations as _GeneratedAsyncDataOperations
from .._generated.models import (
    FilterLanguage,
    Geometry,
    MosaicMetadata,
    StacSortExtension,
    TilerMosaicSearchRegistrationResponse,
)
from .._mosaic_registration import _DOC, JSON, _Unset, registration_body

__all__ = ["AsyncMosaicRegistrationMixin"]


class AsyncMosaicRegistrationMixin(_GeneratedAsyncDataOperations):
    async def register_mosaics_search(  # type: ignore[override]  # one signature for the generated overloads
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
        return await super().register_mosaics_search(registration_body(body, keywords), **kwargs)

    register_mosaics_search.__doc__ = _DOC

"""The public async operation groups: the generated operations plus this library's helpers.

Each helper lives in a module of its own (search, tiles, signing, ingestion runs) as a mixin;
this module only composes them, so regenerating generated/ never touches hand-written code.
"""

from __future__ import annotations

from .._generated.aio.operations import DataOperations as _GeneratedDataOperations
from .._generated.aio.operations import IngestionOperations as _GeneratedIngestionOperations
from .._generated.aio.operations import SasOperations as _GeneratedSasOperations
from .._generated.aio.operations import StacOperations as _GeneratedStacOperations
from .._typed_results import (
    AssetStatisticsResponse,
    TilerInfoMapResponse,
    TilerStacItemStatistics,
    async_typed_result,
)

__all__ = ["DataOperations", "IngestionOperations", "SasOperations", "StacOperations"]


class StacOperations(_GeneratedStacOperations):
    """STAC catalog operations: collections, items, search, queryables and configuration.

    Reached as ``async_client.stac``; do not instantiate directly.
    """


class DataOperations(_GeneratedDataOperations):
    """Raster tiler operations: tiles, TileJSON, WMTS, previews, crops, points, statistics, legends.

    Reached as ``async_client.data``; do not instantiate directly.
    """

    # Statistics and info maps come back typed: result["b1"].mean, result["image"]["b1"].percentile98.
    get_item_statistics = async_typed_result(TilerStacItemStatistics)(
        _GeneratedDataOperations.get_item_statistics
    )
    get_item_asset_statistics = async_typed_result(AssetStatisticsResponse)(
        _GeneratedDataOperations.get_item_asset_statistics
    )
    get_item_info = async_typed_result(TilerInfoMapResponse)(_GeneratedDataOperations.get_item_info)


class IngestionOperations(_GeneratedIngestionOperations):
    """Ingestion sources, definitions, runs and operations.

    Reached as ``async_client.ingestion``; do not instantiate directly.
    """


class SasOperations(_GeneratedSasOperations):
    """Shared access signatures for the GeoCatalog's managed storage.

    Reached as ``async_client.sas`` (also ``client.shared_access_signature``); do not instantiate directly.
    """

"""The public operation groups: the generated operations plus this library's helpers.

Each helper lives in a module of its own (search, tiles, signing, ingestion runs) as a mixin;
this module only composes them, so regenerating generated/ never touches hand-written code.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._aliases import StacAliases
from ._generated.operations import DataOperations as _GeneratedDataOperations
from ._ingestion_runs import IngestionRunWaitOperations
from ._lro import IngestionOperationErrors, StacOperationErrors
from ._mosaic_registration import MosaicRegistrationMixin
from ._publishing._ingest import PublishingIngestionMixin
from ._publishing._upserts import PublishingStacMixin
from ._search import StacSearchOperations
from ._signing import SasSigningOperations
from ._tile_coordinates import TileCoordinateChecks
from ._tiles import DataTileOperations
from ._typed_results import (
    AssetStatisticsResponse,
    TilerInfoMapResponse,
    TilerStacItemStatistics,
    typed_result,
)

__all__ = ["DataOperations", "IngestionOperations", "SasOperations", "StacOperations"]


class StacOperations(PublishingStacMixin, StacSearchOperations, StacAliases, StacOperationErrors):
    """STAC catalog operations: collections, items, search, queryables and configuration.

    Reached as ``client.stac``; do not instantiate directly. Besides the generated operations:
    ``search_items_paged`` (every page of a search, typed items built lazily), the aliases
    ``list_collections``, ``search_items`` and ``create_or_update_collection``, and publishing:
    ``ensure_collection``, ``upsert_items`` and ``wait_until_visible``.
    """


class DataOperations(MosaicRegistrationMixin, TileCoordinateChecks, DataTileOperations):
    """Raster tiler operations: tiles, TileJSON, WMTS, previews, crops, points, statistics, legends.

    Reached as ``client.data``; do not instantiate directly. Besides the generated operations:
    ``iter_tiles`` / ``download_tiles`` (every tile covering an area, concurrently) and
    ``load_tile_matrix_set`` (a tile matrix set as a morecantile object).
    """

    # Statistics and info maps come back typed: result["b1"].mean, result["image"]["b1"].percentile98.
    get_item_statistics = typed_result(TilerStacItemStatistics)(_GeneratedDataOperations.get_item_statistics)
    get_item_asset_statistics = typed_result(AssetStatisticsResponse)(
        _GeneratedDataOperations.get_item_asset_statistics
    )
    get_item_info = typed_result(TilerInfoMapResponse)(_GeneratedDataOperations.get_item_info)

    def get_item_tile(
        self,
        collection_id: str,
        item_id: str,
        tile_matrix_set_id: str,
        z: float,
        x: float,
        y: float,
        **kwargs: Any,
    ) -> Iterator[bytes]:
        """One map tile of an item's assets: :meth:`get_tile` under another name (same keywords).

        :return: The encoded image, as an iterator of bytes.
        :rtype: Iterator[bytes]
        """
        return self.get_tile(collection_id, item_id, tile_matrix_set_id, z, x, y, **kwargs)


class IngestionOperations(PublishingIngestionMixin, IngestionRunWaitOperations, IngestionOperationErrors):
    """Ingestion sources, definitions, runs and operations.

    Reached as ``client.ingestion``; do not instantiate directly. Besides the generated operations:
    ``begin_run`` (start a run and wait for it with a poller) and ``ingest`` (data to a finished
    ingestion in one call).
    """


class SasOperations(SasSigningOperations):
    """Shared access signatures for the GeoCatalog's managed storage.

    Reached as ``client.sas`` (also ``client.shared_access_signature``); do not instantiate
    directly. Besides the generated operations: ``sign`` (SAS tokens on managed-storage hrefs of
    hrefs, assets, items and search pages, cached per container) and ``download_asset``.
    """

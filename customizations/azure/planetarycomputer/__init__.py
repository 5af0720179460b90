"""Python client for Microsoft Planetary Computer Pro (GeoCatalog).

>>> from azure.identity import DefaultAzureCredential
>>> from azure.planetarycomputer import PlanetaryComputerProClient
>>> client = PlanetaryComputerProClient("https://name.geocatalog.spatio.azure.com", DefaultAzureCredential())

The names below are loaded when first used (PEP 562), not when the package is imported: the
command line (``planetarycomputer --help``) and the async client import this package without
paying for the synchronous client's modules.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import VERSION

if TYPE_CHECKING:
    from ._asset_signer import AssetSigner
    from ._bridges._rasters import GDAL_SETTINGS, load_odc, stack_stackstac
    from ._bridges._storage import (
        CollectionContainer,
        CollectionSasCredential,
        CollectionStorage,
        GeoCatalogCredentialProvider,
    )
    from ._client import DEFAULT_SCOPE, PlanetaryComputerProClient
    from ._ingestion_runs import IngestionRunError, IngestionRunProgress, IngestionRunTimeoutError
    from ._lro import OperationConflictError, OperationFailedError
    from ._publishing import (
        IngestProgress,
        Outcome,
        PreparedObject,
        SasContainer,
        UpsertSummary,
        VisibilityTimeoutError,
        WriteOutcome,
        prepare_for_geocatalog,
    )
    from ._storage_hosts import DEFAULT_STORAGE_HOSTS
    from ._tile_grid import Tile
    from ._tiles import TileDownloadError, TileDownloadResult, TileFailure, TileProgress
    from ._transport import DEFAULT_MAX_RESPONSE_SIZE, DEFAULT_RESPONSE_TIMEOUT, Urllib3Transport

__version__ = VERSION

# Public name -> the private module that defines it.
_EXPORTS = {
    "DEFAULT_MAX_RESPONSE_SIZE": "._transport",
    "DEFAULT_RESPONSE_TIMEOUT": "._transport",
    "GDAL_SETTINGS": "._bridges._rasters",
    "load_odc": "._bridges._rasters",
    "stack_stackstac": "._bridges._rasters",
    "CollectionContainer": "._bridges._storage",
    "CollectionSasCredential": "._bridges._storage",
    "CollectionStorage": "._bridges._storage",
    "GeoCatalogCredentialProvider": "._bridges._storage",
    "AssetSigner": "._asset_signer",
    "DEFAULT_SCOPE": "._client",
    "PlanetaryComputerProClient": "._client",
    "IngestionRunError": "._ingestion_runs",
    "IngestionRunProgress": "._ingestion_runs",
    "IngestionRunTimeoutError": "._ingestion_runs",
    "OperationConflictError": "._lro",
    "OperationFailedError": "._lro",
    "IngestProgress": "._publishing",
    "Outcome": "._publishing",
    "PreparedObject": "._publishing",
    "SasContainer": "._publishing",
    "UpsertSummary": "._publishing",
    "VisibilityTimeoutError": "._publishing",
    "WriteOutcome": "._publishing",
    "prepare_for_geocatalog": "._publishing",
    "DEFAULT_STORAGE_HOSTS": "._storage_hosts",
    "Tile": "._tile_grid",
    "TileDownloadError": "._tiles",
    "TileDownloadResult": "._tiles",
    "TileFailure": "._tiles",
    "TileProgress": "._tiles",
    "Urllib3Transport": "._transport",
}

__all__ = [
    "DEFAULT_MAX_RESPONSE_SIZE",
    "DEFAULT_RESPONSE_TIMEOUT",
    "DEFAULT_SCOPE",
    "DEFAULT_STORAGE_HOSTS",
    "GDAL_SETTINGS",
    "AssetSigner",
    "CollectionContainer",
    "CollectionSasCredential",
    "CollectionStorage",
    "GeoCatalogCredentialProvider",
    "IngestProgress",
    "IngestionRunError",
    "IngestionRunProgress",
    "IngestionRunTimeoutError",
    "OperationConflictError",
    "OperationFailedError",
    "Outcome",
    "PlanetaryComputerProClient",
    "PreparedObject",
    "SasContainer",
    "Tile",
    "TileDownloadError",
    "TileDownloadResult",
    "TileFailure",
    "TileProgress",
    "UpsertSummary",
    "Urllib3Transport",
    "VisibilityTimeoutError",
    "WriteOutcome",
    "__version__",
    "load_odc",
    "prepare_for_geocatalog",
    "stack_stackstac",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})

"""Python client for Microsoft Planetary Computer Pro (GeoCatalog).

>>> from azure.identity import DefaultAzureCredential
>>> from azure.planetarycomputer import PlanetaryComputerProClient
>>> client = PlanetaryComputerProClient("https://name.geocatalog.spatio.azure.com", DefaultAzureCredential())
"""

from ._asset_signer import AssetSigner
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
from ._transport import Urllib3Transport
from ._version import VERSION

__version__ = VERSION

__all__ = [
    "DEFAULT_SCOPE",
    "DEFAULT_STORAGE_HOSTS",
    "AssetSigner",
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
    "prepare_for_geocatalog",
]

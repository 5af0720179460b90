"""Python client for Microsoft Planetary Computer Pro (GeoCatalog).

>>> from azure.identity import DefaultAzureCredential
>>> from azure.planetarycomputer import PlanetaryComputerProClient
>>> client = PlanetaryComputerProClient("https://name.geocatalog.spatio.azure.com", DefaultAzureCredential())
"""

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
from ._lro import OperationFailedError
from ._storage_hosts import DEFAULT_STORAGE_HOSTS
from ._tile_grid import Tile
from ._tiles import TileDownloadError, TileDownloadResult, TileFailure, TileProgress
from ._transport import Urllib3Transport
from ._version import VERSION

__version__ = VERSION

__all__ = [
    "DEFAULT_SCOPE",
    "DEFAULT_STORAGE_HOSTS",
    "GDAL_SETTINGS",
    "AssetSigner",
    "CollectionContainer",
    "CollectionSasCredential",
    "CollectionStorage",
    "GeoCatalogCredentialProvider",
    "IngestionRunError",
    "IngestionRunProgress",
    "IngestionRunTimeoutError",
    "OperationFailedError",
    "PlanetaryComputerProClient",
    "Tile",
    "TileDownloadError",
    "TileDownloadResult",
    "TileFailure",
    "TileProgress",
    "Urllib3Transport",
    "__version__",
    "load_odc",
    "stack_stackstac",
]

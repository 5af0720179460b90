"""Python client for Microsoft Planetary Computer Pro (GeoCatalog).

>>> from azure.identity import DefaultAzureCredential
>>> from azure.planetarycomputer import PlanetaryComputerProClient
>>> client = PlanetaryComputerProClient("https://name.geocatalog.spatio.azure.com", DefaultAzureCredential())
"""

from ._client import DEFAULT_SCOPE, PlanetaryComputerProClient
from ._version import VERSION

__version__ = VERSION

__all__ = ["DEFAULT_SCOPE", "PlanetaryComputerProClient", "__version__"]

"""The operation groups of :class:`~azure.planetarycomputer.PlanetaryComputerProClient`.

Reached as ``client.stac``, ``client.data``, ``client.ingestion`` and ``client.sas``; importable
here for type annotations.
"""

from ._operations import DataOperations, IngestionOperations, SasOperations, StacOperations

__all__ = ["DataOperations", "IngestionOperations", "SasOperations", "StacOperations"]

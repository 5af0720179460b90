"""Asynchronous client for Microsoft Planetary Computer Pro (GeoCatalog)."""

from ._client import PlanetaryComputerProClient

__all__ = ["PlanetaryComputerProClient"]

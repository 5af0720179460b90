"""Bridges from a GeoCatalog to the tools analysts already use: STAC libraries, tables, rasters, storage.

One module per bridge, each importing its third-party library only when used and raising an
ImportError that names the extra to install when it is missing:

* ``_pystac``: ``to_pystac()`` / ``from_pystac()`` between this library's models and pystac
  objects (extra ``[pystac]``);
* ``_pystac_client``: a ``pystac_client.Client`` opened on the GeoCatalog with api-version, a
  refreshed bearer token and SAS signing (extra ``[pystac-client]``); ``_operations`` makes it
  ``client.stac.open_pystac_client()``;
* ``_tables``: search results to Arrow, GeoParquet and GeoDataFrame, page by page (extras
  ``[geoparquet]`` and ``[geopandas]``); ``_pager`` puts these exports on the search pagers;
* ``_rasters``: pixels into xarray with odc-stac and stackstac over signed hrefs, and the GDAL settings
  for signed COGs (extras ``[odc]`` and ``[stackstac]``);
* ``_storage``: a collection's blob container for fsspec/adlfs and obstore, with SAS tokens from
  ``sas.get_token`` kept fresh through the client's token cache (extras ``[adlfs]`` and ``[obstore]``).

Importing this package imports none of those libraries.
"""

from ._operations import PystacClientOperations
from ._pager import AsyncSearchExports, SearchExports
from ._pystac import attach_model_methods, from_pystac, to_pystac
from ._pystac_client import (
    AssetSigningModifier,
    BearerTokenSource,
    GeoCatalogRequestModifier,
    open_pystac_client,
)

__all__ = [
    "AssetSigningModifier",
    "AsyncSearchExports",
    "BearerTokenSource",
    "GeoCatalogRequestModifier",
    "PystacClientOperations",
    "SearchExports",
    "attach_model_methods",
    "from_pystac",
    "open_pystac_client",
    "to_pystac",
]

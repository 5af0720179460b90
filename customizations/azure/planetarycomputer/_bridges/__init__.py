"""Bridges from a GeoCatalog to the tools analysts already use.

One module per bridge, each importing its third-party library only when used and raising an
ImportError that names the extra to install when it is missing:

* ``_rasters``: pixels into xarray with odc-stac and stackstac over signed hrefs, and the GDAL settings
  for signed COGs (extras ``[odc]`` and ``[stackstac]``);
* ``_storage``: a collection's blob container for fsspec/adlfs and obstore, with SAS tokens from
  ``sas.get_token`` kept fresh through the client's token cache (extras ``[adlfs]`` and ``[obstore]``).

Importing this package imports none of those libraries.
"""

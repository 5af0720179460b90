"""Pixels into xarray: odc-stac and stackstac reading a GeoCatalog's COGs through GDAL over signed hrefs.

A GeoCatalog's assets live in blob storage that refuses anonymous reads: every href GDAL opens must
carry a SAS token. The two loaders take that differently:

- **odc-stac** takes ``patch_url=``, a function called on each href as the load is planned:
  :func:`load_odc` passes an :class:`~azure.planetarycomputer.AssetSigner` there;
- **stackstac** has no such hook: :func:`stack_stackstac` signs a copy of the items first, then stacks
  them with :data:`GDAL_SETTINGS` layered over stackstac's own GDAL environment.

Either way the hrefs are signed when the load is *planned*: a lazy (Dask) array built now and
computed after the tokens expire fails with HTTP 403. The signer re-signs hrefs whose token is near
expiry, so plan again (call the loader again) rather than keeping a graph for longer than a token
lives (``sas.get_token`` tells its expiry); a signer with ``margin=`` the length of the computation
asks for new tokens unless those it has last that long (within the service's token lifetime).

:data:`GDAL_SETTINGS` is one mapping of the GDAL configuration that matters for signed COGs, for
``rasterio.Env(**GDAL_SETTINGS)``, ``odc.stac.configure_rio(**GDAL_SETTINGS)`` (odc-stac reads in
worker threads that do not see a ``rasterio.Env`` of the caller) or stackstac's ``gdal_env``.

Both loaders accept items as pystac objects, as this library's models (``StacItem``, a search page or
pager) or as dicts. odc-stac comes with extra ``[odc]``, stackstac with ``[stackstac]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable

from ._extras import require

if TYPE_CHECKING:
    import pystac
    import xarray

__all__ = ["GDAL_SETTINGS", "load_odc", "stack_stackstac"]

GDAL_SETTINGS: Mapping[str, str] = MappingProxyType(
    {
        "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
        "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".tif,.tiff,.TIF,.TIFF,.jp2,.vrt",
        "GDAL_INGESTED_BYTES_AT_OPEN": "32768",
        "GDAL_HTTP_MERGE_CONSECUTIVE_RANGES": "YES",
        "GDAL_HTTP_MULTIRANGE": "YES",
        "GDAL_HTTP_MAX_RETRY": "5",
        "GDAL_HTTP_RETRY_DELAY": "1",
        "VSI_CACHE": "TRUE",
        "VSI_CACHE_SIZE": str(64 * 1024 * 1024),
    }
)
"""GDAL configuration for reading Cloud-Optimized GeoTIFFs over signed blob-storage URLs.

Use it as ``rasterio.Env(**GDAL_SETTINGS)``, ``odc.stac.configure_rio(cloud_defaults=True,
**GDAL_SETTINGS)`` or ``stackstac.DEFAULT_GDAL_ENV.updated(always=dict(GDAL_SETTINGS))``. Each entry:

``GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR``
    On open, GDAL lists the file's "directory" to find sidecar files (``.aux.xml``, ``.ovr``). A blob
    container has no directories and a SAS URL cannot be listed: each open would cost one or more
    refused requests. ``EMPTY_DIR`` tells GDAL the directory is empty.
``CPL_VSIL_CURL_ALLOWED_EXTENSIONS``
    GDAL probes only files with these extensions over HTTP and never guesses sidecar names for
    others, which saves requests (GDAL compares the path, before the ``?`` of the SAS token).
``GDAL_INGESTED_BYTES_AT_OPEN=32768``
    Read the first 32 KiB in one request on open: a COG's header and tile index usually fit, where
    GDAL's default 16 KiB often needs a second round trip.
``GDAL_HTTP_MERGE_CONSECUTIVE_RANGES=YES`` and ``GDAL_HTTP_MULTIRANGE=YES``
    Fetch adjacent tiles of a window in one range request, and several ranges at once, instead of
    one request per tile.
``GDAL_HTTP_MAX_RETRY=5`` and ``GDAL_HTTP_RETRY_DELAY=1``
    Blob storage answers 429/503 ("server busy") under load and expects the client to retry; GDAL
    does not retry by default. Five retries, starting one second apart and backing off. (A 403 of an
    expired token is not retried: it needs a new token, see the module documentation.)
``VSI_CACHE=TRUE`` and ``VSI_CACHE_SIZE`` (64 MiB)
    Keep the blocks read from each open file in memory, so that overlapping reads (neighbouring
    chunks, overviews) do not fetch the same bytes again.
"""

_ODC_EXTRA = "odc"
_STACKSTAC_EXTRA = "stackstac"


def _as_dict(item: Any) -> dict[str, Any]:
    as_dict = getattr(item, "as_dict", None)  # this library's models
    return dict(as_dict() if callable(as_dict) else item)


def _pystac_items(items: Any, pystac: Any) -> list[pystac.Item]:
    """``items`` as a list of pystac Items; pystac Items themselves are not copied."""
    if isinstance(items, pystac.Item):
        return [items]
    if isinstance(items, pystac.ItemCollection):
        return list(items.items)
    if isinstance(items, Mapping):
        record = _as_dict(items)
        if record.get("type") == "FeatureCollection":
            return [pystac.Item.from_dict(_as_dict(feature)) for feature in record.get("features") or []]
        return [pystac.Item.from_dict(record)]
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise TypeError(
            "items must be pystac Items, an ItemCollection, this library's StacItem models, a search "
            f"page or pager, or dicts; got {type(items).__name__}"
        )
    collected: list[pystac.Item] = []
    for element in items:
        if isinstance(element, (str, bytes)) or not isinstance(element, (Mapping, pystac.Item)):
            raise TypeError(
                f"items must contain STAC items (pystac Items, models or dicts), got {type(element).__name__}"
            )
        collected.extend(_pystac_items(element, pystac))
    return collected


def _check_signer(signer: Any) -> None:
    if not callable(signer):
        raise TypeError("signer must be callable, e.g. client.sas.signer(); got " + type(signer).__name__)


def load_odc(items: Any, *, signer: Callable[[str], str], **load_kwargs: Any) -> xarray.Dataset:
    """Load items into an ``xarray.Dataset`` with ``odc.stac.load``, signing each href as it is read.

    Equivalent to ``odc.stac.load(pystac_items, patch_url=signer, **load_kwargs)``; the items may be
    given as this library's models or dicts too. GDAL settings for odc-stac are process-wide: call
    ``odc.stac.configure_rio(cloud_defaults=True, **GDAL_SETTINGS)`` once (with ``client=`` of a Dask
    cluster to configure its workers as well).

    :param items: The items: pystac Items or ItemCollection, ``StacItem`` models, a search page or
        pager, or dicts.
    :keyword signer: Called on each href as the load is planned, in this process, e.g.
        ``client.sas.signer()``. A Dask cluster computing the result receives signed hrefs, not
        the signer.
    :keyword load_kwargs: Passed to ``odc.stac.load`` (``bands``, ``bbox``, ``crs``, ``resolution``,
        ``chunks``...); ``patch_url`` is not accepted (the signer is it).
    :return: The dataset odc-stac returns.
    :raises ImportError: odc-stac is not installed (extra ``[odc]``).
    :raises TypeError: ``items`` holds no STAC items, or ``signer`` is not callable.
    """
    _check_signer(signer)
    if "patch_url" in load_kwargs:
        raise TypeError("load_odc() got patch_url=: the signer is the patch_url (pass signer=)")
    odc_stac = require("odc.stac", _ODC_EXTRA)
    pystac = require("pystac", _ODC_EXTRA)
    dataset: xarray.Dataset = odc_stac.load(_pystac_items(items, pystac), patch_url=signer, **load_kwargs)
    return dataset


def stack_stackstac(
    items: Any,
    *,
    signer: Callable[[Any], Any],
    gdal_settings: Mapping[str, Any] = GDAL_SETTINGS,
    **stack_kwargs: Any,
) -> xarray.DataArray:
    """Stack items into an ``xarray.DataArray`` with ``stackstac.stack``, from signed copies of the items.

    stackstac has no hook to sign hrefs as it reads, so a copy of the items is signed first (one
    request per storage container, cached) and the copy is stacked; ``items`` is not changed. The
    tokens must outlive the computation: compute within their lifetime, or stack again.

    :param items: The items: pystac Items or ItemCollection, ``StacItem`` models, a search page or
        pager, or dicts.
    :keyword signer: ``client.sas.signer()`` (or any callable returning a signed copy of a pystac
        ``ItemCollection``).
    :keyword gdal_settings: GDAL configuration layered over stackstac's defaults for every read
        (default :data:`GDAL_SETTINGS`); ignored when ``gdal_env=`` is given.
    :keyword stack_kwargs: Passed to ``stackstac.stack`` (``assets``, ``bounds_latlon``, ``epsg``,
        ``resolution``, ``chunksize``...).
    :return: The array stackstac returns (lazy, backed by Dask).
    :raises ImportError: stackstac is not installed (extra ``[stackstac]``).
    :raises TypeError: ``items`` holds no STAC items, or ``signer`` is not callable.
    """
    _check_signer(signer)
    if not isinstance(gdal_settings, Mapping):
        raise TypeError(f"gdal_settings must be a mapping, got {type(gdal_settings).__name__}")
    stackstac = require("stackstac", _STACKSTAC_EXTRA)
    pystac = require("pystac", _STACKSTAC_EXTRA)
    signed = signer(pystac.ItemCollection(_pystac_items(items, pystac), clone_items=True))
    if "gdal_env" not in stack_kwargs:
        stack_kwargs["gdal_env"] = stackstac.DEFAULT_GDAL_ENV.updated(always=dict(gdal_settings))
    # As plain dicts: stackstac converts pystac Items with to_dict(), which tries to fetch the root
    # catalog of each item (without credentials) to make its links absolute.
    plain = [item.to_dict(transform_hrefs=False) for item in signed.items]
    array: xarray.DataArray = stackstac.stack(plain, **stack_kwargs)
    return array

"""Pixels into xarray on the stand-in: odc-stac and stackstac read signed COGs from Azurite through GDAL.

The area straddles the edge between two sentinel-mini items (two dates), so each time slice holds one
item's pixels on one side and nodata on the other. Expected values come from the source COGs read
whole with rasterio over a signed URL: each output pixel's centre is mapped to the source pixel that
contains it (nearest resampling at the native resolution must return exactly that pixel).
"""

from __future__ import annotations

import time
import urllib.parse
from typing import Any

import numpy as np
import pytest
from azure.core.credentials import AccessToken
from azure.planetarycomputer import (
    GDAL_SETTINGS,
    AssetSigner,
    PlanetaryComputerProClient,
    load_odc,
    stack_stackstac,
)
from azure.planetarycomputer.models import StacSearchParameters
from standin import ENDPOINT, needs_standin

pytestmark = needs_standin

odc_stac = pytest.importorskip("odc.stac")
stackstac = pytest.importorskip("stackstac")
rasterio = pytest.importorskip("rasterio")

COLLECTION = "sentinel-mini"
# Across the edge x=-122.5 between S2_MINI_00_00 (west) and S2_MINI_00_01 (east) of the seed.
BBOX = (-122.52, 47.22, -122.48, 47.24)
RESOLUTION = 0.1 / 256  # the seed's COGs: 256 pixels over 0.1 degree
BANDS = ["B04", "B08"]
SEARCH = StacSearchParameters(collections=[COLLECTION], bounding_box=list(BBOX), limit=10)


class AnyToken:
    """The stand-in accepts any bearer token."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("pixels-e2e", int(time.time()) + 3600)


def blob_host() -> str:
    """``host:port`` of the stand-in's Azurite, from an asset href (never a hard-coded port)."""
    probe = PlanetaryComputerProClient(ENDPOINT, AnyToken())
    href = probe.stac.get_item_collection(COLLECTION, limit=1).features[0].assets["B04"].href
    return urllib.parse.urlsplit(href).netloc


@pytest.fixture(scope="module")
def client() -> PlanetaryComputerProClient:
    return PlanetaryComputerProClient(ENDPOINT, AnyToken(), storage_hosts=[blob_host()])


@pytest.fixture(scope="module")
def items(client: PlanetaryComputerProClient) -> list[Any]:
    found = list(client.stac.search(SEARCH).features)
    assert len(found) == 2, [item.id for item in found]
    return sorted(found, key=lambda item: item.properties["datetime"])


@pytest.fixture(scope="module")
def signer(client: PlanetaryComputerProClient) -> AssetSigner:
    return client.sas.signer()


@pytest.fixture(scope="module", autouse=True)
def rio_settings() -> None:
    odc_stac.configure_rio(cloud_defaults=True, **GDAL_SETTINGS)


def source(signer: AssetSigner, href: str) -> tuple[np.ndarray, Any]:
    """The whole source band and its transform, read with rasterio over a signed URL."""
    signed = signer(href)
    assert "sig=" in signed and "sig=" not in href
    with rasterio.Env(**GDAL_SETTINGS), rasterio.open(signed) as src:
        return src.read(1), src.transform


def expected_slice(signer: AssetSigner, item: Any, band: str, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """What a nearest-neighbour load of ``band`` of ``item`` at pixel centres ``xs`` x ``ys`` must hold:
    the source pixel under each centre inside the item, NaN outside."""
    data, transform = source(signer, item.assets[band].href)
    grid_x, grid_y = np.meshgrid(xs, ys)
    rows, cols = rasterio.transform.rowcol(transform, grid_x.ravel(), grid_y.ravel())
    rows, cols = np.asarray(rows), np.asarray(cols)
    inside = (rows >= 0) & (rows < data.shape[0]) & (cols >= 0) & (cols < data.shape[1])
    values = np.full(rows.shape, np.nan)
    values[inside] = data[rows[inside], cols[inside]]
    return values.reshape(grid_x.shape)


def assert_matches(got: np.ndarray, expected: np.ndarray, nodata: float | None) -> None:
    outside = np.isnan(expected)
    assert 0 < outside.sum() < outside.size, "the area must cross the item's edge"
    np.testing.assert_array_equal(got[~outside], expected[~outside])
    if nodata is None:
        assert np.isnan(got[outside]).all()
    else:
        assert (got[outside] == nodata).all()


def test_odc_load_reads_signed_cogs_matching_the_sources(items: list[Any], signer: AssetSigner) -> None:
    dataset = load_odc(items, signer=signer, bands=BANDS, bbox=BBOX, crs="EPSG:4326", resolution=RESOLUTION)

    assert dataset.sizes["time"] == 2
    xs, ys = dataset.longitude.values, dataset.latitude.values
    for band in BANDS:
        assert dataset[band].dtype == np.uint16
        for index, item in enumerate(items):
            expected = expected_slice(signer, item, band, xs, ys)
            assert_matches(dataset[band].values[index], expected, nodata=0)
    for item in items:  # the caller's items keep their unsigned hrefs
        assert "sig=" not in item.assets["B04"].href


def test_odc_load_with_dask_chunks_matches_the_eager_load(items: list[Any], signer: AssetSigner) -> None:
    eager = load_odc(items, signer=signer, bands=["B04"], bbox=BBOX, crs="EPSG:4326", resolution=RESOLUTION)
    lazy = load_odc(
        items,
        signer=signer,
        bands=["B04"],
        bbox=BBOX,
        crs="EPSG:4326",
        resolution=RESOLUTION,
        chunks={"latitude": 32, "longitude": 32},
    )
    assert lazy.B04.chunks is not None  # a Dask array, computed here through GDAL
    np.testing.assert_array_equal(lazy.B04.compute().values, eager.B04.values)


def test_stackstac_reads_signed_cogs_matching_the_sources(items: list[Any], signer: AssetSigner) -> None:
    array = stack_stackstac(
        items,
        signer=signer,
        assets=BANDS,
        bounds_latlon=BBOX,
        epsg=4326,
        resolution=RESOLUTION,
        rescale=False,
        xy_coords="center",
    ).compute()

    assert array.sizes["time"] == 2 and list(array.band.values) == BANDS
    xs, ys = array.x.values, array.y.values
    for b, band in enumerate(BANDS):
        for index, item in enumerate(items):
            expected = expected_slice(signer, item, band, xs, ys)
            assert_matches(array.values[index, b], expected, nodata=None)
    for item in items:  # stackstac got signed copies; the caller's items are unchanged
        assert "sig=" not in item.assets["B04"].href


def test_stackstac_accepts_the_search_page_as_dicts(
    client: PlanetaryComputerProClient, signer: AssetSigner
) -> None:
    page = client.stac.search(SEARCH)
    dicts = [item.as_dict() for item in page.features]
    array = stack_stackstac(
        dicts,
        signer=signer,
        assets=["B04"],
        bounds_latlon=BBOX,
        epsg=4326,
        resolution=RESOLUTION,
        rescale=False,
    )
    assert int(np.isfinite(array.compute().values).sum()) > 0


def test_without_signing_storage_refuses_the_reads(items: list[Any]) -> None:
    """The stand-in's storage refuses anonymous reads: the signer is what makes the loads above work."""
    with pytest.raises(Exception, match=r"(?i)(403|not recognized|HTTP|failed)"):
        odc_stac.load(
            items_as_pystac(items), bands=["B04"], bbox=BBOX, crs="EPSG:4326", resolution=RESOLUTION
        )


def items_as_pystac(items: list[Any]) -> list[Any]:
    import pystac

    return [pystac.Item.from_dict(item.as_dict()) for item in items]

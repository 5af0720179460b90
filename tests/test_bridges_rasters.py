"""The pixels bridge without a server: GDAL settings as rasterio, odc-stac and stackstac take them, items
in every form the loaders accept, bad input refused early, missing extras named, a light import.

Pixels read through GDAL from the stand-in are checked in tests/e2e/test_pixels.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from azure.planetarycomputer import GDAL_SETTINGS, load_odc, stack_stackstac
from azure.planetarycomputer._bridges._rasters import _pystac_items
from azure.planetarycomputer.models import StacItemCollection

pystac = pytest.importorskip("pystac")

REQUIRED = {
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GDAL_HTTP_MAX_RETRY": None,
    "GDAL_HTTP_RETRY_DELAY": None,
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": None,
    "GDAL_HTTP_MERGE_CONSECUTIVE_RANGES": "YES",
    "VSI_CACHE": "TRUE",
}


def item_dict(
    item_id: str, href: str = "https://account.blob.core.windows.net/c-0123abcd/a.tif"
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": item_id,
        "geometry": {"type": "Point", "coordinates": [0.5, 0.5]},
        "bbox": [0.5, 0.5, 0.5, 0.5],
        "properties": {"datetime": "2024-01-01T00:00:00Z"},
        "links": [{"rel": "root", "href": "https://geocatalog.example.com/stac/"}],
        "assets": {"data": {"href": href, "type": "image/tiff; application=geotiff"}},
    }


def test_gdal_settings_hold_what_signed_cogs_need() -> None:
    for name, value in REQUIRED.items():
        assert name in GDAL_SETTINGS
        if value is not None:
            assert GDAL_SETTINGS[name] == value
    assert int(GDAL_SETTINGS["GDAL_HTTP_MAX_RETRY"]) > 0
    assert float(GDAL_SETTINGS["GDAL_HTTP_RETRY_DELAY"]) > 0
    assert ".tif" in GDAL_SETTINGS["CPL_VSIL_CURL_ALLOWED_EXTENSIONS"].split(",")
    assert all(isinstance(value, str) for value in GDAL_SETTINGS.values())  # valid as os.environ too


def test_gdal_settings_cannot_be_changed_by_accident() -> None:
    with pytest.raises(TypeError):
        GDAL_SETTINGS["VSI_CACHE"] = "FALSE"  # type: ignore[index]


def test_rasterio_env_applies_every_setting() -> None:
    rasterio = pytest.importorskip("rasterio")
    with rasterio.Env(**GDAL_SETTINGS):
        active = rasterio.env.getenv()
        for name, value in GDAL_SETTINGS.items():
            assert str(active[name]).upper() == value.upper(), name


def test_stackstac_layers_the_settings_over_its_own() -> None:
    stackstac = pytest.importorskip("stackstac")
    env = stackstac.DEFAULT_GDAL_ENV.updated(always=dict(GDAL_SETTINGS))
    assert env.read.options["GDAL_HTTP_MAX_RETRY"] == GDAL_SETTINGS["GDAL_HTTP_MAX_RETRY"]
    assert env.open.options["GDAL_DISABLE_READDIR_ON_OPEN"] == "EMPTY_DIR"
    assert env.read.options["GDAL_HTTP_MULTIRANGE"] == "YES"  # stackstac's own, kept


def test_items_in_every_form_become_pystac_items() -> None:
    first, second = item_dict("a"), item_dict("b")
    page = StacItemCollection({"type": "FeatureCollection", "features": [first, second]})
    as_pystac = pystac.Item.from_dict(first)
    forms: list[Any] = [
        [first, second],
        page,
        list(page.features),
        pystac.ItemCollection([pystac.Item.from_dict(first), pystac.Item.from_dict(second)]),
        (item for item in [first, second]),
    ]
    for form in forms:
        assert [item.id for item in _pystac_items(form, pystac)] == ["a", "b"]
    assert _pystac_items(as_pystac, pystac) == [as_pystac]  # not copied
    assert _pystac_items(first, pystac)[0].assets["data"].href == first["assets"]["data"]["href"]


@pytest.mark.parametrize("items", ["item", b"x", 3, [1, 2], ["a.tif"], None])
def test_things_that_are_not_items_are_refused(items: Any) -> None:
    with pytest.raises(TypeError, match="items must"):
        _pystac_items(items, pystac)


def test_load_odc_refuses_bad_arguments_before_loading() -> None:
    with pytest.raises(TypeError, match="signer must be callable"):
        load_odc([item_dict("a")], signer="not callable")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="patch_url"):
        load_odc([item_dict("a")], signer=str, patch_url=str)


def test_stack_stackstac_refuses_bad_arguments_before_loading() -> None:
    with pytest.raises(TypeError, match="signer must be callable"):
        stack_stackstac([item_dict("a")], signer=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="gdal_settings"):
        stack_stackstac([item_dict("a")], signer=str, gdal_settings=["GDAL_HTTP_MAX_RETRY"])  # type: ignore[arg-type]


def test_stack_stackstac_signs_a_copy_and_leaves_the_items_alone() -> None:
    pytest.importorskip("stackstac")
    seen: list[Any] = []

    def signer(collection: Any) -> Any:
        seen.append(collection)
        signed = collection.clone()
        for item in signed.items:
            item.assets["data"].href += "?sv=1&sig=x"
        return signed

    items = [pystac.Item.from_dict(item_dict("a"))]
    items[0].properties["proj:epsg"] = 4326
    array = stack_stackstac(items, signer=signer, resolution=1.0)  # lazy: nothing is read
    assert array.sizes["time"] == 1 and list(array.band.values) == ["data"]
    assert isinstance(seen[0], pystac.ItemCollection)
    assert seen[0].items[0] is not items[0]
    assert "sig=" not in items[0].assets["data"].href


@pytest.mark.parametrize(
    "module, extra, call",
    [
        ("odc.stac", "odc", lambda: load_odc([item_dict("a")], signer=str)),
        ("stackstac", "stackstac", lambda: stack_stackstac([item_dict("a")], signer=str)),
    ],
)
def test_a_missing_library_names_its_extra(
    monkeypatch: pytest.MonkeyPatch, module: str, extra: str, call: Any
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # import raises ImportError
    with pytest.raises(ImportError, match=rf'pip install "azure-planetarycomputer\[{extra}\]"'):
        call()


def test_importing_the_package_loads_none_of_the_bridge_libraries() -> None:
    probe = "import json, sys, azure.planetarycomputer; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = set(json.loads(result.stdout))
    for library in ("odc", "stackstac", "rasterio", "xarray", "dask", "pystac", "adlfs", "fsspec", "obstore"):
        assert library not in loaded, library

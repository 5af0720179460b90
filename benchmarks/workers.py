"""One measured client, in its own process: ``python workers.py SCENARIO CLIENT PARAMS_JSON``.

Prints one JSON line: wall seconds and CPU seconds (user+sys of this process, getrusage) of the measured
work, plus counts to check that every client did the same work. Each worker first prepares (imports its
packages, builds its client: measured apart, as prepare_s) and returns the work to measure. Only the
standard library is imported at module level, so this file runs in our venv and in the peers venv.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

API_VERSION = "2026-04-15"
TOKEN = "benchmark-token"


def peak_rss_mb() -> float:
    """The peak resident set of this process: VmHWM (reset by exec), not ru_maxrss (kept across the exec
    from the parent's fork, so it would start at the parent's size)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class FakeCredential:
    """A TokenCredential with a fixed token; the stand-in accepts any bearer token."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(TOKEN, int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        from azure.core.credentials import AccessTokenInfo

        return AccessTokenInfo(TOKEN, int(time.time()) + 3600)


def ours_client(endpoint: str) -> Any:
    from azure.planetarycomputer import PlanetaryComputerProClient

    return PlanetaryComputerProClient(endpoint, FakeCredential())


def official_client(endpoint: str) -> Any:
    """The official package; its bearer policy refuses plain http, so give it one that allows loopback."""
    from azure.core.pipeline.policies import BearerTokenCredentialPolicy
    from azure.planetarycomputer import PlanetaryComputerProClient

    class LoopbackBearerPolicy(BearerTokenCredentialPolicy):
        def on_request(self, request: Any) -> None:
            request.context.options["enforce_https"] = False
            super().on_request(request)

    policy = LoopbackBearerPolicy(FakeCredential(), "https://geocatalog.spatio.azure.com/.default")
    return PlanetaryComputerProClient(endpoint, FakeCredential(), authentication_policy=policy)


# ----------------------------------------------------------------------------------------------- search
def search_ours(p: dict[str, Any]) -> dict[str, Any]:
    client = ours_client(p["endpoint"])
    n = 0
    for item in client.stac.search_items_paged(
        collections=p["collections"], limit=p["limit"], max_items=p["max_items"]
    ):
        _ = item.id  # touch the id, as a user would
        n += 1
    return {"items": n}


def search_floor_httpx(p: dict[str, Any]) -> dict[str, Any]:
    """The floor: raw httpx following the service's next links, json.loads of each page."""
    import httpx

    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    params = {"api-version": API_VERSION}
    body: dict[str, Any] | None = {"collections": p["collections"], "limit": p["limit"]}
    method, url = "POST", f"{p['endpoint']}/stac/search"
    n, pages = 0, 0
    with httpx.Client(headers=headers) as http:
        while True:
            if method == "POST":
                response = http.post(url, params=params, content=json.dumps(body))
            else:
                response = http.get(url, params=params)
            response.raise_for_status()
            page = json.loads(response.content)
            pages += 1
            for feature in page["features"]:
                feature["id"]
                n += 1
                if n >= p["max_items"]:
                    return {"items": n, "pages": pages}
            link = next((link for link in page.get("links", []) if link.get("rel") == "next"), None)
            if link is None:
                return {"items": n, "pages": pages}
            method, url = link.get("method", "GET").upper(), link["href"]
            if method == "POST":
                body = {**body, **link["body"]} if link.get("merge") and body else link.get("body")


def _pystac_search(p: dict[str, Any]) -> Any:
    from pystac_client import ItemSearch
    from pystac_client.stac_api_io import StacApiIO

    stac_io = StacApiIO(headers={"Authorization": f"Bearer {TOKEN}"}, parameters={"api-version": API_VERSION})
    return ItemSearch(
        f"{p['endpoint']}/stac/search",
        method="POST",
        stac_io=stac_io,
        collections=p["collections"],
        limit=p["limit"],
        max_items=p["max_items"],
    )


def search_pystac_items(p: dict[str, Any]) -> dict[str, Any]:
    n = 0
    for item in _pystac_search(p).items():
        _ = item.id
        n += 1
    return {"items": n}


def search_pystac_dicts(p: dict[str, Any]) -> dict[str, Any]:
    n = 0
    for item in _pystac_search(p).items_as_dicts():
        item["id"]
        n += 1
    return {"items": n}


def search_official(p: dict[str, Any]) -> dict[str, Any]:
    """The official package, looping pages by hand: stac.search, then the next links."""
    from azure.core.rest import HttpRequest

    client = official_client(p["endpoint"])
    body: dict[str, Any] = {"collections": p["collections"], "limit": p["limit"]}
    page: Any = client.stac.search(body=body)
    n, pages = 0, 1
    while True:
        for feature in page["features"] if isinstance(page, dict) else page.features:
            feature["id"] if isinstance(feature, dict) else feature.id
            n += 1
            if n >= p["max_items"]:
                return {"items": n, "pages": pages}
        links = page["links"] if isinstance(page, dict) else (page.links or [])
        link = next((link for link in links if link["rel"] == "next"), None)
        if link is None:
            return {"items": n, "pages": pages}
        pages += 1
        if str(link.get("method") or "GET").upper() == "POST":
            body = {**body, **link["body"]} if link.get("merge") else dict(link["body"])
            page = client.stac.search(body=body)
        else:
            response = client.send_request(HttpRequest("GET", link["href"]))
            response.raise_for_status()
            page = response.json()


# ----------------------------------------------------------------------------- search, realistic reads
# Each client reads, per item, what a user typically reads: id, datetime, common properties, the
# geometry's type and first vertex, the bbox, and each asset's href, type, roles and bands. The
# typed clients read typed attributes where the model has them and the mapping for extension fields.
def read_typed(item: Any) -> int:
    """Ours and the official package: the generated models' attributes (and mapping for extensions)."""
    properties = item.properties
    geometry = item.geometry
    _ = (
        item.id,
        properties.date_time,
        properties.platform,
        properties.constellation,
        properties.instruments,
        properties.get("eo:cloud_cover"),
        properties.get("proj:epsg"),
        properties.get("s2:mgrs_tile"),
        geometry.type,
        geometry.coordinates[0][0],
        item.bounding_box,
    )
    n = 0
    for asset in item.assets.values():
        _ = (asset.href, asset.type, asset.roles, asset.get("eo:bands"), asset.get("raster:bands"))
        n += 1
    return n


def read_dict(item: dict[str, Any]) -> int:
    """The floor (and rustac, pystac-client's dicts): the same fields read from the parsed JSON."""
    properties = item["properties"]
    geometry = item["geometry"]
    _ = (
        item["id"],
        properties["datetime"],
        properties.get("platform"),
        properties.get("constellation"),
        properties.get("instruments"),
        properties.get("eo:cloud_cover"),
        properties.get("proj:epsg"),
        properties.get("s2:mgrs_tile"),
        geometry["type"],
        geometry["coordinates"][0][0],
        item["bbox"],
    )
    n = 0
    for asset in item["assets"].values():
        _ = (
            asset["href"],
            asset.get("type"),
            asset.get("roles"),
            asset.get("eo:bands"),
            asset.get("raster:bands"),
        )
        n += 1
    return n


def read_pystac(item: Any) -> int:
    """pystac's Item: its typed attributes (datetime is parsed), extension fields from the dicts."""
    properties = item.properties
    _ = (
        item.id,
        item.datetime,
        properties.get("platform"),
        properties.get("constellation"),
        properties.get("instruments"),
        properties.get("eo:cloud_cover"),
        properties.get("proj:epsg"),
        properties.get("s2:mgrs_tile"),
        item.geometry["type"],
        item.geometry["coordinates"][0][0],
        item.bbox,
    )
    n = 0
    for asset in item.assets.values():
        extra = asset.extra_fields
        _ = (asset.href, asset.media_type, asset.roles, extra.get("eo:bands"), extra.get("raster:bands"))
        n += 1
    return n


def s2_ours(p: dict[str, Any]) -> dict[str, Any]:
    client = ours_client(p["endpoint"])
    n = assets = 0
    for item in client.stac.search_items_paged(
        collections=p["collections"], limit=p["limit"], max_items=p["max_items"]
    ):
        assets += read_typed(item)
        n += 1
    return {"items": n, "assets_read": assets}


def s2_floor_httpx(p: dict[str, Any]) -> dict[str, Any]:
    n = assets = 0
    for page in _floor_pages(p):
        for feature in page["features"][: p["max_items"] - n]:
            assets += read_dict(feature)
            n += 1
    return {"items": n, "assets_read": assets}


def _floor_pages(p: dict[str, Any]) -> Any:
    """Pages of a search by raw httpx, following the next links (POST body / GET token), json.loads."""
    import httpx

    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    params = {"api-version": API_VERSION}
    body: dict[str, Any] | None = {"collections": p["collections"], "limit": p["limit"]}
    method, url = "POST", f"{p['endpoint']}/stac/search"
    seen = 0
    with httpx.Client(headers=headers) as http:
        while True:
            if method == "POST":
                response = http.post(url, params=params, content=json.dumps(body))
            else:
                response = http.get(url, params=params)
            response.raise_for_status()
            page = json.loads(response.content)
            yield page
            seen += len(page["features"])
            link = next((link for link in page.get("links", []) if link.get("rel") == "next"), None)
            if link is None or seen >= p["max_items"] or not page["features"]:
                return
            method, url = link.get("method", "GET").upper(), link["href"]
            if method == "POST":
                body = {**body, **link["body"]} if link.get("merge") and body else link.get("body")


def s2_pystac_items(p: dict[str, Any]) -> dict[str, Any]:
    n = assets = 0
    for item in _pystac_search(p).items():
        assets += read_pystac(item)
        n += 1
    return {"items": n, "assets_read": assets}


def s2_rustac(p: dict[str, Any]) -> dict[str, Any]:
    """rustac (Rust): its search returns the items as dicts, read like the floor's."""
    import asyncio

    import rustac

    async def search() -> list[dict[str, Any]]:
        return await rustac.search(
            f"{p.get('rustac_endpoint', p['endpoint'])}/stac",
            collections=p["collections"],
            limit=p["limit"],
            max_items=p["max_items"],
        )

    items = asyncio.run(search())
    n = assets = 0
    for item in items:
        assets += read_dict(item)
        n += 1
    return {"items": n, "assets_read": assets}


def s2_official(p: dict[str, Any]) -> dict[str, Any]:
    """The official package, pages by hand (stac.search, then next links), typed attribute reads."""
    from azure.core.rest import HttpRequest
    from azure.planetarycomputer.models import StacItemCollection

    client = official_client(p["endpoint"])
    body: dict[str, Any] = {"collections": p["collections"], "limit": p["limit"]}
    page: Any = client.stac.search(body=body)
    n = assets = 0
    while True:
        for feature in page.features:
            assets += read_typed(feature)
            n += 1
            if n >= p["max_items"]:
                return {"items": n, "assets_read": assets}
        link = next((link for link in page.links or [] if link.rel == "next"), None)
        if link is None or not page.features:
            return {"items": n, "assets_read": assets}
        if str(link.method or "GET").upper() == "POST":
            body = {**body, **link.body} if link.merge else dict(link.body)
            page = client.stac.search(body=body)
        else:
            response = client.send_request(HttpRequest("GET", link.href))
            response.raise_for_status()
            page = StacItemCollection(response.json())


# ------------------------------------------------------------------------------------------------ tiles
def _tile_path(p: dict[str, Any], z: int, x: int, y: int) -> str:
    return (
        f"{p['endpoint']}/data/mosaic/collections/{p['collection']}/items/{p['item']}"
        f"/tiles/WebMercatorQuad/{z}/{x}/{y}"
    )


def tiles_ours(p: dict[str, Any]) -> dict[str, Any]:
    client = ours_client(p["endpoint"])
    n = size = 0
    for _tile, body in client.data.iter_tiles(
        p["collection"],
        p["item"],
        zooms=p["zooms"],
        bbox=p["bbox"],
        assets=p["assets"],
        asset_band_indices=p["asset_band_indices"],
        format=p["format"],
        concurrency=p["concurrency"],
    ):
        n += 1
        size += len(body)
    return {"tiles": n, "bytes": size}


def tiles_floor_httpx(p: dict[str, Any]) -> dict[str, Any]:
    """The floor: raw httpx, one shared client, the same number of threads as ours' concurrency."""
    import httpx

    params = {
        "api-version": API_VERSION,
        "assets": ",".join(p["assets"]),
        "asset_bidx": ",".join(p["asset_band_indices"]),
        "format": p["format"],
    }
    limits = httpx.Limits(max_connections=p["concurrency"], max_keepalive_connections=p["concurrency"])
    with httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}, limits=limits) as http:

        def fetch(t: list[int]) -> int:
            response = http.get(_tile_path(p, t[2], t[0], t[1]), params=params)
            response.raise_for_status()
            return len(response.content)

        with ThreadPoolExecutor(p["concurrency"]) as pool:
            sizes = list(pool.map(fetch, p["tiles"]))
    return {"tiles": len(sizes), "bytes": sum(sizes)}


def tiles_official(p: dict[str, Any]) -> dict[str, Any]:
    """The official package: get_tile for each tile, one after the other."""
    client = official_client(p["endpoint"])
    n = size = 0
    for x, y, z in p["tiles"]:
        body = b"".join(
            client.data.get_tile(
                p["collection"],
                p["item"],
                "WebMercatorQuad",
                z,
                x,
                y,
                assets=p["assets"],
                asset_band_indices=p["asset_band_indices"],
                format=p["format"],
            )
        )
        n += 1
        size += len(body)
    return {"tiles": n, "bytes": size}


# ------------------------------------------------------------------------------------------------ async
def ours_aio_client(endpoint: str) -> Any:
    from azure.planetarycomputer.aio import PlanetaryComputerProClient

    return PlanetaryComputerProClient(endpoint, FakeAsyncCredential())


def official_aio_client(endpoint: str) -> Any:
    """The official package's aio client, with a bearer policy that allows plain http on loopback."""
    from azure.core.pipeline.policies import AsyncBearerTokenCredentialPolicy
    from azure.planetarycomputer.aio import PlanetaryComputerProClient

    class LoopbackBearerPolicy(AsyncBearerTokenCredentialPolicy):
        async def on_request(self, request: Any) -> None:
            request.context.options["enforce_https"] = False
            await super().on_request(request)

    policy = LoopbackBearerPolicy(FakeAsyncCredential(), "https://geocatalog.spatio.azure.com/.default")
    return PlanetaryComputerProClient(endpoint, FakeAsyncCredential(), authentication_policy=policy)


class FakeAsyncCredential:
    """An AsyncTokenCredential with a fixed token."""

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(TOKEN, int(time.time()) + 3600)

    async def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        from azure.core.credentials import AccessTokenInfo

        return AccessTokenInfo(TOKEN, int(time.time()) + 3600)

    async def close(self) -> None:
        pass

    async def __aenter__(self) -> FakeAsyncCredential:
        return self

    async def __aexit__(self, *args: Any) -> None:
        pass


def aio_search_ours(p: dict[str, Any]) -> dict[str, Any]:
    import asyncio

    async def main() -> int:
        n = 0
        async with ours_aio_client(p["endpoint"]) as client:
            async for item in client.stac.search_items_paged(
                collections=p["collections"], limit=p["limit"], max_items=p["max_items"]
            ):
                _ = item.id
                n += 1
        return n

    return {"items": asyncio.run(main())}


def aio_search_floor_httpx(p: dict[str, Any]) -> dict[str, Any]:
    """The floor: httpx.AsyncClient following the next links, json.loads of each page."""
    import asyncio

    import httpx

    async def main() -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        params = {"api-version": API_VERSION}
        body: dict[str, Any] | None = {"collections": p["collections"], "limit": p["limit"]}
        method, url = "POST", f"{p['endpoint']}/stac/search"
        n = pages = 0
        async with httpx.AsyncClient(headers=headers) as http:
            while True:
                if method == "POST":
                    response = await http.post(url, params=params, content=json.dumps(body))
                else:
                    response = await http.get(url, params=params)
                response.raise_for_status()
                page = json.loads(response.content)
                pages += 1
                for feature in page["features"]:
                    feature["id"]
                    n += 1
                    if n >= p["max_items"]:
                        return {"items": n, "pages": pages}
                link = next((link for link in page.get("links", []) if link.get("rel") == "next"), None)
                if link is None:
                    return {"items": n, "pages": pages}
                method, url = link.get("method", "GET").upper(), link["href"]
                if method == "POST":
                    body = {**body, **link["body"]} if link.get("merge") and body else link.get("body")

    return asyncio.run(main())


def aio_search_official(p: dict[str, Any]) -> dict[str, Any]:
    """The official aio client, pages by hand: stac.search, then the next links."""
    import asyncio

    from azure.core.rest import HttpRequest

    async def main() -> dict[str, Any]:
        body: dict[str, Any] = {"collections": p["collections"], "limit": p["limit"]}
        n, pages = 0, 1
        async with official_aio_client(p["endpoint"]) as client:
            page: Any = await client.stac.search(body=body)
            while True:
                for feature in page["features"] if isinstance(page, dict) else page.features:
                    feature["id"] if isinstance(feature, dict) else feature.id
                    n += 1
                    if n >= p["max_items"]:
                        return {"items": n, "pages": pages}
                links = page["links"] if isinstance(page, dict) else (page.links or [])
                link = next((link for link in links if link["rel"] == "next"), None)
                if link is None:
                    return {"items": n, "pages": pages}
                pages += 1
                if str(link.get("method") or "GET").upper() == "POST":
                    body = {**body, **link["body"]} if link.get("merge") else dict(link["body"])
                    page = await client.stac.search(body=body)
                else:
                    response = await client.send_request(HttpRequest("GET", link["href"]))
                    await response.read()
                    response.raise_for_status()
                    page = response.json()

    return asyncio.run(main())


def aio_tiles_ours(p: dict[str, Any]) -> dict[str, Any]:
    import asyncio

    async def main() -> dict[str, Any]:
        n = size = 0
        async with ours_aio_client(p["endpoint"]) as client:
            tiles = await client.data.iter_tiles(
                p["collection"],
                p["item"],
                zooms=p["zooms"],
                bbox=p["bbox"],
                assets=p["assets"],
                asset_band_indices=p["asset_band_indices"],
                format=p["format"],
                concurrency=p["concurrency"],
            )
            async for _tile, body in tiles:
                n += 1
                size += len(body)
        return {"tiles": n, "bytes": size}

    return asyncio.run(main())


def aio_tiles_floor_httpx(p: dict[str, Any]) -> dict[str, Any]:
    """The floor: one httpx.AsyncClient, `concurrency` requests in flight (a semaphore), all tiles."""
    import asyncio

    import httpx

    params = {
        "api-version": API_VERSION,
        "assets": ",".join(p["assets"]),
        "asset_bidx": ",".join(p["asset_band_indices"]),
        "format": p["format"],
    }

    async def main() -> dict[str, Any]:
        limits = httpx.Limits(max_connections=p["concurrency"], max_keepalive_connections=p["concurrency"])
        gate = asyncio.Semaphore(p["concurrency"])
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, limits=limits) as http:

            async def fetch(t: list[int]) -> int:
                async with gate:
                    response = await http.get(_tile_path(p, t[2], t[0], t[1]), params=params)
                    response.raise_for_status()
                    return len(response.content)

            sizes = await asyncio.gather(*(fetch(t) for t in p["tiles"]))
        return {"tiles": len(sizes), "bytes": sum(sizes)}

    return asyncio.run(main())


def aio_tiles_official(p: dict[str, Any]) -> dict[str, Any]:
    """The official aio client: get_tile for every tile, `concurrency` in flight (a semaphore)."""
    import asyncio

    async def main() -> dict[str, Any]:
        gate = asyncio.Semaphore(p["concurrency"])
        async with official_aio_client(p["endpoint"]) as client:

            async def fetch(t: list[int]) -> int:
                x, y, z = t
                async with gate:
                    chunks = await client.data.get_tile(
                        p["collection"],
                        p["item"],
                        "WebMercatorQuad",
                        z,
                        x,
                        y,
                        assets=p["assets"],
                        asset_band_indices=p["asset_band_indices"],
                        format=p["format"],
                    )
                    return len(b"".join([chunk async for chunk in chunks]))

            sizes = await asyncio.gather(*(fetch(t) for t in p["tiles"]))
        return {"tiles": len(sizes), "bytes": sum(sizes)}

    return asyncio.run(main())


# ----------------------------------------------------------------------------------------------- memory
def memory_ours(p: dict[str, Any]) -> dict[str, Any]:
    """Page through `max_items` items (a loopback pager server), touching each id: peak RSS."""
    client = ours_client(p["endpoint"])
    n = 0
    for item in client.stac.search_items_paged(
        collections=["any"], limit=p["limit"], max_items=p["max_items"]
    ):
        _ = item.id
        n += 1
    return {"items": n}


def memory_floor_httpx(p: dict[str, Any]) -> dict[str, Any]:
    n = 0
    for page in _floor_pages({**p, "collections": ["any"]}):
        for feature in page["features"][: p["max_items"] - n]:
            feature["id"]
            n += 1
    return {"items": n}


# ----------------------------------------------------------------------------------------------- stream
def _write_to_disk(chunks: Any) -> dict[str, Any]:
    """Write a streamed body to a temporary file, as a download to disk does; count its bytes."""
    import os
    import tempfile

    size = 0
    with tempfile.NamedTemporaryFile(prefix="bench-stream-", suffix=".tif") as file:
        for chunk in chunks:
            file.write(chunk)
            size += len(chunk)
        file.flush()
        on_disk = os.fstat(file.fileno()).st_size
    return {"bytes": size, "bytes_on_disk": on_disk}


def stream_ours(p: dict[str, Any]) -> dict[str, Any]:
    client = ours_client(p["endpoint"])
    return _write_to_disk(client.data.get_item_bbox_crop(p["collection"], p["item"], *p["bbox"], "tif"))


def stream_floor_httpx(p: dict[str, Any]) -> dict[str, Any]:
    import httpx

    url = f"{p['endpoint']}{p['path']}"
    http = httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"})
    with http, http.stream("GET", url, params={"api-version": API_VERSION}) as response:
        response.raise_for_status()
        return _write_to_disk(response.iter_bytes())


def stream_official(p: dict[str, Any]) -> dict[str, Any]:
    client = official_client(p["endpoint"])
    return _write_to_disk(client.data.get_item_bbox_crop(p["collection"], p["item"], *p["bbox"], "tif"))


# ----------------------------------------------------------------------------------------------- import
def import_any(p: dict[str, Any], official: bool) -> dict[str, Any]:
    t0 = time.perf_counter()
    import azure.planetarycomputer  # noqa: F401

    t1 = time.perf_counter()
    client = official_client(p["endpoint"]) if official else ours_client(p["endpoint"])
    t2 = time.perf_counter()
    client.stac.get_conformance_classes()
    t3 = time.perf_counter()
    return {"import_s": t1 - t0, "construct_s": t2 - t1, "first_call_s": t3 - t2, "total_s": t3 - t0}


WORKERS: dict[str, dict[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    "search": {
        "ours": search_ours,
        "floor-httpx": search_floor_httpx,
        "pystac-client items()": search_pystac_items,
        "pystac-client items_as_dicts()": search_pystac_dicts,
        "official (by hand)": search_official,
    },
    "search-s2": {
        "ours": s2_ours,
        "floor-httpx": s2_floor_httpx,
        "pystac-client items()": s2_pystac_items,
        "rustac": s2_rustac,
        "official (by hand)": s2_official,
    },
    "tiles": {"ours": tiles_ours, "floor-httpx": tiles_floor_httpx, "official (sequential)": tiles_official},
    "aio-search": {
        "ours": aio_search_ours,
        "floor-httpx": aio_search_floor_httpx,
        "official (by hand)": aio_search_official,
    },
    "aio-tiles": {
        "ours": aio_tiles_ours,
        "floor-httpx": aio_tiles_floor_httpx,
        "official": aio_tiles_official,
    },
    "memory": {"ours": memory_ours, "floor-httpx": memory_floor_httpx},
    "stream": {"ours": stream_ours, "floor-httpx": stream_floor_httpx, "official": stream_official},
    "import": {"ours": lambda p: import_any(p, False), "official": lambda p: import_any(p, True)},
}


def prepare(scenario: str, client: str, p: dict[str, Any]) -> None:
    """Import what the client needs and build one client (warming lazy imports), before measuring."""
    if scenario == "import":
        return
    aio = scenario.startswith("aio-")
    if aio:
        import asyncio  # noqa: F401
    if client == "ours":
        ours_client(p["endpoint"])
        if aio:
            import aiohttp
            from azure.planetarycomputer.aio import PlanetaryComputerProClient
        if scenario.endswith("tiles"):
            import morecantile  # noqa: F401
    elif client.startswith("official"):
        official_client(p["endpoint"])
        from azure.core.rest import HttpRequest  # noqa: F401

        if aio:
            import aiohttp  # noqa: F401
            from azure.planetarycomputer.aio import PlanetaryComputerProClient  # noqa: F401
        if scenario == "search-s2":
            from azure.planetarycomputer.models import StacItemCollection  # noqa: F401
    elif client.startswith("floor"):
        import httpx  # noqa: F401
    elif client == "rustac":
        import rustac  # noqa: F401
    elif client.startswith("pystac"):
        from pystac_client import ItemSearch  # noqa: F401
        from pystac_client.stac_api_io import StacApiIO  # noqa: F401


def main() -> None:
    scenario, client, params = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    worker = WORKERS[scenario][client]
    t_prepare = time.perf_counter()
    prepare(scenario, client, params)
    prepare_s = time.perf_counter() - t_prepare
    rss_before_mb = peak_rss_mb()
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    extra = worker(params)
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    print(
        json.dumps(
            {
                "wall_s": wall,
                "cpu_s": cpu,
                "cpu_total_s": cpu_seconds(),
                "prepare_s": prepare_s,
                "maxrss_mb": peak_rss_mb(),
                "rss_before_mb": rss_before_mb,
                **extra,
            }
        )
    )


if __name__ == "__main__":
    main()

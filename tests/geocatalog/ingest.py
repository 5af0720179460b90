"""Ingestion runs of the stand-in: read a static STAC catalog or a stac-geoparquet file, as the service
does, and turn it into items of a collection.

Sources are read through the catalog's ingestion sources: a blob URL on the stand-in's Azurite is read
with the SAS token of the ingestion source whose ``containerUrl`` holds it (no source, no access);
other http(s) URLs are fetched directly. Each item's assets are copied into the collection's managed
container (``<collection>-<8 hex>/<item id>/<file>``) and its hrefs rewritten to the copies. Broken
items (unreadable JSON, no geometry, a missing asset...) come back as errors, not exceptions, so a run
can count them. Everything here is blocking; app.py runs it in a worker thread.
"""

from __future__ import annotations

import json
import os
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import blobstore
from azure.core.exceptions import HttpResponseError
from azure.storage.blob import BlobClient


class IngestError(Exception):
    """A reason an item (or the whole source) could not be ingested: ``code`` and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class SourceRecord:
    """One item read from the source: the item, or the error that stopped it."""

    url: str
    item: dict | None
    error: IngestError | None = None


class SourceReader:
    """Reads URLs the way the service does, with the SAS tokens of the catalog's ingestion sources."""

    def __init__(self, sources: list[dict]) -> None:
        self.tokens: dict[str, str] = {}
        for source in sources:
            info = source.get("connectionInfo") or {}
            url, token = info.get("containerUrl", ""), info.get("sasToken", "")
            blob = blobstore.parse_blob_url(url.rstrip("/") + "/")
            if blob is not None and token:
                self.tokens[blob[0]] = token.lstrip("?")

    def fetch(self, url: str) -> bytes:
        blob = blobstore.parse_blob_url(url)
        if blob is not None:
            token = self.tokens.get(blob[0])
            if token is None:
                raise IngestError(
                    "SourceNotAuthorized", f"No ingestion source grants access to container '{blob[0]}'."
                )
            try:
                client = BlobClient.from_blob_url(url.split("?", 1)[0], credential=token)
                return client.download_blob().readall()
            except HttpResponseError as exc:
                code = getattr(exc, "error_code", None) or "StorageError"
                raise IngestError(str(code), f"Reading '{url}' failed: {exc.reason}") from None
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise IngestError("InvalidUrl", f"'{url}' is not an http(s) URL.")
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return bytes(response.read())
        except OSError as exc:
            raise IngestError("SourceNotReachable", f"Reading '{url}' failed: {exc}") from None

    def fetch_json(self, url: str) -> Any:
        raw = self.fetch(url)
        try:
            return json.loads(raw)
        except ValueError:
            raise IngestError("InvalidJson", f"'{url}' is not valid JSON.") from None


def static_catalog(reader: SourceReader, url: str) -> Iterator[SourceRecord]:
    """Items of a static catalog: follows child and item links, relative hrefs resolved."""
    root = reader.fetch_json(url)  # an unreadable root fails the whole run
    todo: list[tuple[str, Any]] = [(url, root)]
    seen = {url}
    while todo:
        base, doc = todo.pop(0)
        for link in doc.get("links", []) if isinstance(doc, dict) else []:
            rel, href = link.get("rel"), link.get("href")
            if rel not in ("child", "item") or not href:
                continue
            target = urllib.parse.urljoin(base, href)
            if target in seen:
                continue
            seen.add(target)
            try:
                child = reader.fetch_json(target)
            except IngestError as exc:
                if rel == "item":
                    yield SourceRecord(target, None, exc)
                continue
            if rel == "item" or (isinstance(child, dict) and child.get("type") == "Feature"):
                yield SourceRecord(target, child)
            else:
                todo.append((target, child))


def stac_geoparquet(reader: SourceReader, url: str) -> Iterator[SourceRecord]:
    """Items of a stac-geoparquet file (read with rustac)."""
    import rustac

    data = reader.fetch(url)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "items.parquet")
        with open(path, "wb") as f:
            f.write(data)
        try:
            collection = rustac.read_sync(path)
        except Exception as exc:  # rustac raises its own error types for unreadable files
            raise IngestError("InvalidGeoparquet", f"'{url}' is not a stac-geoparquet file: {exc}") from None
    for feature in collection.get("features", []):
        yield SourceRecord(f"{url}#{feature.get('id')}", feature)


def prepare_item(reader: SourceReader, record: SourceRecord, collection_id: str) -> dict:
    """Validate the item, copy its assets into the collection's container, rewrite their hrefs."""
    item = record.item
    if not isinstance(item, dict) or item.get("type") != "Feature":
        raise IngestError("InvalidItem", f"'{record.url}' is not a STAC item.")
    item_id = item.get("id")
    if not isinstance(item_id, str) or not item_id:
        raise IngestError("InvalidItem", f"'{record.url}' has no 'id'.")
    if not isinstance(item.get("geometry"), dict):
        raise IngestError("InvalidItem", f"Item '{item_id}' has no geometry.")
    props = item.get("properties")
    if not isinstance(props, dict) or not (props.get("datetime") or props.get("start_datetime")):
        raise IngestError("InvalidItem", f"Item '{item_id}' has no datetime.")
    container = blobstore.container_for(collection_id)
    blobstore.ensure_container(container)
    assets = {}
    for key, asset in (item.get("assets") or {}).items():
        href = urllib.parse.urljoin(record.url.split("#", 1)[0], asset.get("href", ""))
        try:
            data = reader.fetch(href)
        except IngestError as exc:
            raise IngestError("AssetNotFound", f"Item '{item_id}': asset '{key}': {exc}") from None
        name = os.path.basename(urllib.parse.urlsplit(href).path) or key
        new_href = blobstore.upload(container, f"{item_id}/{name}", data, asset.get("type"))
        assets[key] = dict(asset, href=new_href)
    out = dict(item, assets=assets, collection=collection_id, links=[])
    out.pop("_msft:ts", None)
    out.pop("_msft:etag", None)
    return out

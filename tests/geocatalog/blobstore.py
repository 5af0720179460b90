"""The stand-in's blob storage: Azurite (Microsoft's Azure Storage emulator), reached with azure-storage-blob.

`up` starts azurite-blob on 127.0.0.1:$GEOCATALOG_BLOB_PORT (default 10000) with Azurite's documented
development account. Everything the GeoCatalog keeps in its managed storage lives here, in containers
named as the service names them (``<collection>-<8 hex>``), under path-style URLs
``http://127.0.0.1:<port>/devstoreaccount1/<container>/<blob>``.

Used by gen_data.py (seeding) and app.py (collection assets, SAS, ingestion, the tiler's reads).
SAS tokens handed to clients are minted by :class:`SasIssuer` against container stored access policies,
so that revoking replaces the policies and Azurite itself refuses every token issued before.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import os
import re
import threading
import urllib.parse

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import (
    AccessPolicy,
    BlobServiceClient,
    ContainerSasPermissions,
    generate_container_sas,
)

# Azurite's documented development account (public, the same on every machine; not a secret).
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
BLOB_PORT = int(os.environ.get("GEOCATALOG_BLOB_PORT", "10000"))
BLOB_HOST = f"127.0.0.1:{BLOB_PORT}"
ACCOUNT_URL = f"http://{BLOB_HOST}/{ACCOUNT}"
# Real storage accepts at most 5 stored access policies per container (azure-storage-blob enforces it).
MAX_POLICIES = 5


@functools.lru_cache(maxsize=1)
def service() -> BlobServiceClient:
    return BlobServiceClient.from_connection_string(
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};BlobEndpoint={ACCOUNT_URL};"
    )


def container_for(collection_id: str) -> str:
    """The collection's managed container: ``<collection>-<8 hex>``, a valid container name."""
    digest = hashlib.sha256(collection_id.encode()).hexdigest()[:8]
    stem = re.sub(r"[^a-z0-9-]+", "-", collection_id.lower()).strip("-")
    stem = re.sub(r"-{2,}", "-", stem)[:54] or "collection"
    return f"{stem}-{digest}"


def blob_url(container: str, blob: str) -> str:
    return f"{ACCOUNT_URL}/{container}/{urllib.parse.quote(blob)}"


def parse_blob_url(href: str) -> tuple[str, str] | None:
    """(container, blob) of a URL on this Azurite account, else None."""
    parts = urllib.parse.urlsplit(href)
    if parts.scheme not in ("http", "https") or parts.netloc != BLOB_HOST:
        return None
    segments = urllib.parse.unquote(parts.path).lstrip("/").split("/", 2)
    if len(segments) < 2 or segments[0] != ACCOUNT or not segments[1]:
        return None
    return segments[1], segments[2] if len(segments) > 2 else ""


def ensure_container(container: str) -> None:
    with contextlib.suppress(ResourceExistsError):
        service().create_container(container)


def upload(container: str, blob: str, data: bytes, content_type: str | None = None) -> str:
    from azure.storage.blob import ContentSettings

    settings = ContentSettings(content_type=content_type) if content_type else None
    service().get_blob_client(container, blob).upload_blob(data, overwrite=True, content_settings=settings)
    return blob_url(container, blob)


def download(container: str, blob: str) -> bytes | None:
    try:
        return service().get_blob_client(container, blob).download_blob().readall()
    except ResourceNotFoundError:
        return None


def delete(container: str, blob: str) -> None:
    with contextlib.suppress(ResourceNotFoundError):
        service().get_blob_client(container, blob).delete_blob()


@functools.lru_cache(maxsize=256)
def _internal_token(container: str, hour: int) -> str:
    expiry = dt.datetime.fromtimestamp((hour + 2) * 3600, dt.timezone.utc)
    return generate_container_sas(ACCOUNT, container, account_key=ACCOUNT_KEY, permission="rl", expiry=expiry)


def internal_read_url(href: str) -> str:
    """``href`` with a read SAS the stand-in's own services use (the service reads its storage with a
    managed identity, which revocation does not touch: so no stored access policy here)."""
    parsed = parse_blob_url(href)
    if parsed is None or "sig=" in href:
        return href
    hour = int(dt.datetime.now(dt.timezone.utc).timestamp() // 3600)
    token = _internal_token(parsed[0], hour)
    return href + ("&" if "?" in href else "?") + token


class SasIssuer:
    """Service SAS tokens for the catalog's containers, each bound to a stored access policy.

    A policy is named ``<generation>-<expiry epoch>`` and carries the expiry (Azurite, like storage,
    takes start/expiry from the policy when a token names one). Tokens minted in the same expiry
    bucket share a policy: 1-minute buckets for tokens under an hour, 1-hour buckets above, always
    rounded up, and the expiry returned is the policy's. Revoking starts a new generation and removes
    every policy of the old one, so Azurite refuses all tokens issued before the revoke, and only those.
    """

    def __init__(self, generation: str) -> None:
        self.generation = generation
        self._lock = threading.Lock()
        self._policies: dict[str, dict[str, AccessPolicy]] = {}

    def _current(self, container: str) -> dict[str, AccessPolicy]:
        if container not in self._policies:
            acl = service().get_container_client(container).get_container_access_policy()
            self._policies[container] = {s.id: s.access_policy for s in acl["signed_identifiers"]}
        return self._policies[container]

    def mint(self, container: str, minutes: int) -> tuple[str, dt.datetime]:
        now = dt.datetime.now(dt.timezone.utc)
        bucket = 60 if minutes < 60 else 3600
        wanted = now.timestamp() + minutes * 60
        expiry_epoch = int(-(-wanted // bucket) * bucket)
        expiry = dt.datetime.fromtimestamp(expiry_epoch, dt.timezone.utc)
        with self._lock:
            ensure_container(container)
            policy_id = f"{self.generation}-{expiry_epoch}"
            policies = self._current(container)
            if policy_id not in policies:
                alive = {
                    k: v
                    for k, v in policies.items()
                    if k.startswith(self.generation + "-") and int(k.rsplit("-", 1)[1]) > now.timestamp()
                }
                while len(alive) >= MAX_POLICIES:  # the soonest-expiring goes first
                    alive.pop(min(alive, key=lambda k: int(k.rsplit("-", 1)[1])))
                alive[policy_id] = AccessPolicy(
                    permission=ContainerSasPermissions(read=True, list=True), expiry=expiry
                )
                service().get_container_client(container).set_container_access_policy(alive)
                self._policies[container] = alive
            token = generate_container_sas(ACCOUNT, container, account_key=ACCOUNT_KEY, policy_id=policy_id)
        return token, expiry

    def revoke(self, new_generation: str, containers: list[str]) -> None:
        with self._lock:
            self.generation = new_generation
            for container in sorted(set(containers) | set(self._policies)):
                with contextlib.suppress(ResourceNotFoundError):
                    service().get_container_client(container).set_container_access_policy({})
                self._policies[container] = {}

"""What a task needs in the process that runs it: one client per process, built from configuration.

Tasks of the ``_dask`` helpers travel to worker processes as plain configuration (endpoint, API
version, a picklable *credential factory*, client options), never as a client, a credential or a
token. The first task in a process builds a
:class:`~azure.planetarycomputer.PlanetaryComputerProClient` from that configuration, and every
later task with the same configuration in that process reuses it, with its connection pool, its
bearer-token refresh and its SAS token cache: a worker asks for a token when its own is about to
expire, not when the job started.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from azure.core.credentials import TokenCredential

from .._endpoint import validate_endpoint

if TYPE_CHECKING:
    from .._asset_signer import AssetSigner
    from .._client import PlanetaryComputerProClient

__all__ = ["ClientConfig", "check_credential_factory"]

CredentialFactory = Callable[[], TokenCredential]

_clients: dict[tuple[Any, ...], PlanetaryComputerProClient] = {}
_clients_lock = threading.Lock()


def check_credential_factory(credential_factory: Any) -> CredentialFactory:
    """``credential_factory`` if it is a callable (not a credential object); raises TypeError otherwise."""
    if credential_factory is None:
        raise TypeError(
            "credential_factory is required: a picklable callable without arguments returning a "
            "TokenCredential (e.g. azure.identity.DefaultAzureCredential, the class), called once in "
            "each worker process"
        )
    is_credential = not isinstance(credential_factory, type) and hasattr(credential_factory, "get_token")
    if is_credential or not callable(credential_factory):
        raise TypeError(
            "credential_factory must be a callable returning a TokenCredential, not a credential "
            f"(got {type(credential_factory).__name__}): a credential may hold a token, which would "
            "then travel to every worker"
        )
    return credential_factory


@dataclass(frozen=True)
class ClientConfig:
    """How to build a client in any process: picklable, and holding no secret."""

    endpoint: str
    credential_factory: CredentialFactory
    api_version: str | None = None
    options: tuple[tuple[str, Any], ...] = field(default_factory=tuple)
    """Client keyword options (``storage_hosts``, ``retry_total``...), as sorted pairs."""

    @classmethod
    def of(
        cls,
        endpoint: str,
        credential_factory: Any,
        *,
        api_version: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> ClientConfig:
        """Check and build a configuration (the endpoint as the client would accept it)."""
        factory = check_credential_factory(credential_factory)
        pairs = tuple(sorted((str(key), _frozen(value)) for key, value in (options or {}).items()))
        return cls(validate_endpoint(endpoint), factory, api_version, pairs)

    def client(self) -> PlanetaryComputerProClient:
        """This process's client for this configuration, built on first use and kept."""
        key = (self.endpoint, self.credential_factory, self.api_version, self.options)
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                from .._client import PlanetaryComputerProClient

                kwargs: dict[str, Any] = dict(self.options)
                if self.api_version is not None:
                    kwargs["api_version"] = self.api_version
                client = PlanetaryComputerProClient(self.endpoint, self.credential_factory(), **kwargs)
                _clients[key] = client
        return client

    def signer(self) -> AssetSigner:
        """A signer of this process's client (sharing its SAS token cache)."""
        return self.client().sas.signer(credential_factory=self.credential_factory)

    def __repr__(self) -> str:
        return f"ClientConfig({self.endpoint!r}, api_version={self.api_version!r})"


def _frozen(value: Any) -> Any:
    """A hashable stand-in for an option value (lists become tuples)."""
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(part) for part in value)
    return value

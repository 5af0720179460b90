"""What importing the package and building a client loads: only what a synchronous client needs.

Import time is part of every short script's run time (and a benchmark target): the async code,
requests and the optional extras are loaded only by what uses them.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

_PROBE = """
import json, sys
import azure.planetarycomputer as pc
from azure.core.credentials import AccessToken

class Credential:
    def get_token(self, *scopes, **kwargs):
        return AccessToken("token", 2**31)

client = pc.PlanetaryComputerProClient("https://geocatalog.example.com", Credential())
client.stac, client.data, client.ingestion, client.sas
import azure.planetarycomputer.models, azure.planetarycomputer.operations
print(json.dumps(sorted(sys.modules)))
"""

_NOT_FOR_A_SYNC_CLIENT = [
    "asyncio",
    "aiohttp",
    "requests",
    "azure.core.polling.async_base_polling",
    "azure.planetarycomputer.aio",
    "azure.planetarycomputer._generated.aio",
    "morecantile",
    "tqdm",
    "shapely",
]


@pytest.fixture(scope="module")
def loaded_modules() -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(result.stdout))


@pytest.mark.parametrize("module", _NOT_FOR_A_SYNC_CLIENT)
def test_a_sync_client_does_not_load(loaded_modules: set[str], module: str) -> None:
    assert "azure.planetarycomputer._client" in loaded_modules  # the probe did import the package
    loaded = sorted(name for name in loaded_modules if name == module or name.startswith(module + "."))
    assert loaded == []


def test_the_async_client_still_imports() -> None:
    probe = (
        "import azure.planetarycomputer.aio as aio, sys; "
        "assert 'azure.planetarycomputer._generated.aio.operations' in sys.modules; "
        "print(aio.PlanetaryComputerProClient.__name__)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "PlanetaryComputerProClient"


# --------------------------------------------------------------------------------------------------
# The async client without aiohttp (the [aio] extra), in a venv that does not have it
# --------------------------------------------------------------------------------------------------

_WITHOUT_AIOHTTP = """
import asyncio, importlib.util, sys
from azure.core.credentials import AccessToken
from azure.core.pipeline.transport import AsyncHttpTransport
from azure.core.rest import HttpRequest
from azure.core.rest._http_response_impl_async import AsyncHttpResponseImpl
assert importlib.util.find_spec("aiohttp") is None, "this venv must not have aiohttp"

from azure.planetarycomputer.aio import PlanetaryComputerProClient

class Credential:
    async def get_token(self, *scopes, **kwargs):
        return AccessToken("token", 2**31)
    async def close(self):
        pass

client = PlanetaryComputerProClient("http://127.0.0.1:9", Credential())  # at module level
print("constructed")

async def first_request():
    try:
        async with client:
            await client.stac.get_collection("naip")
    except ImportError as error:
        print("ImportError:", error)

asyncio.run(first_request())

class OwnTransport(AsyncHttpTransport):
    async def __aenter__(self): return self
    async def __aexit__(self, *args): pass
    async def open(self): pass
    async def close(self): pass
    async def send(self, request, **kwargs):
        response = AsyncHttpResponseImpl(
            request=request, internal_response=None, status_code=200, reason="OK",
            headers={"Content-Type": "application/json"}, content_type="application/json",
            stream_download_generator=None,
        )
        response._content = b'{"id": "naip"}'
        return response

async def own_transport():
    own = PlanetaryComputerProClient("http://127.0.0.1:9", Credential(), transport=OwnTransport())
    async with own:
        print("own transport:", (await own.stac.get_collection("naip")).id)

asyncio.run(own_transport())
print("aiohttp loaded:", "aiohttp" in sys.modules)
"""


def test_the_async_client_imports_and_constructs_without_aiohttp(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from clean_venvs import venv_for_tests

    python = venv_for_tests("no-aiohttp", tmp_path_factory.getbasetemp() / "venvs")
    result = subprocess.run(
        [str(python), "-c", _WITHOUT_AIOHTTP], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "constructed"
    assert lines[1].startswith("ImportError: ")
    assert 'pip install "azure-planetarycomputer[aio]"' in lines[1]
    assert lines[2:] == ["own transport: naip", "aiohttp loaded: False"]

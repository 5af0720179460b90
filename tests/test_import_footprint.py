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

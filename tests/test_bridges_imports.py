"""The bridges keep the core install light: nothing optional is imported until a bridge is used,
and a missing library raises an ImportError naming the extra that installs it, before any request.

Each check runs in a fresh interpreter, where the optional library is made unimportable.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

OPTIONAL = ["pystac", "pystac_client", "pyarrow", "stac_geoparquet", "geopandas", "requests"]

_SETUP = """
import sys
for name in {blocked!r}:
    sys.modules[name] = None  # importing it now raises ImportError
from azure.core.credentials import AccessToken
from azure.planetarycomputer import PlanetaryComputerProClient
from azure.planetarycomputer.models import StacItem

class Credential:
    def get_token(self, *scopes, **kwargs):
        return AccessToken("token", 2**31)

# Port 9 (discard) on loopback: a request would fail with a connection error, not an ImportError.
client = PlanetaryComputerProClient("http://127.0.0.1:9", Credential(), retry_total=0)
"""


def run(code: str, blocked: list[str]) -> str:
    script = _SETUP.format(blocked=blocked) + textwrap.dedent(code)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_using_the_client_imports_no_bridge_library() -> None:
    code = """
    import json
    pager = client.stac.search_items_paged(collections="x")
    item = StacItem({"type": "Feature", "id": "a", "stac_version": "1.0.0"})
    assert callable(item.to_pystac) and callable(pager.to_arrow)
    print(json.dumps(sorted(sys.modules)))
    """
    loaded = set(json.loads(run(code, blocked=[])))
    assert "azure.planetarycomputer._bridges" in loaded
    assert sorted(m for m in loaded if m.split(".")[0] in OPTIONAL) == []


@pytest.mark.parametrize(
    ("blocked", "call", "extra"),
    [
        ("pystac", "StacItem({'type': 'Feature', 'id': 'a', 'stac_version': '1.0.0'}).to_pystac()", "pystac"),
        ("pystac", "client.stac.search_items_paged().to_pystac()", "pystac"),
        ("pystac_client", "client.stac.open_pystac_client()", "pystac-client"),
        ("pyarrow", "client.stac.search_items_paged().to_arrow()", "geoparquet"),
        (
            "stac_geoparquet",
            "client.stac.search_items_paged().to_geoparquet(__import__('tempfile').mkdtemp() + '/x.parquet')",
            "geoparquet",
        ),
        ("geopandas", "client.stac.search_items_paged().to_geodataframe()", "geopandas"),
    ],
)
def test_a_missing_library_names_its_extra_before_any_request(blocked: str, call: str, extra: str) -> None:
    code = f"""
    try:
        {call}
    except ImportError as error:
        print(str(error))
    else:
        print("no error")
    """
    message = run(code, blocked=[blocked])
    assert f'pip install "azure-planetarycomputer[{extra}]"' in message
    assert repr(blocked.split(".")[0]) in message

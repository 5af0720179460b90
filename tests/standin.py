"""Where the local GeoCatalog stand-in (tests/geocatalog/up) is, and the marks of tests that use it.

Tests marked with ``needs_standin`` are skipped when it is not reachable at GEOCATALOG_ENDPOINT
(default http://127.0.0.1:8811), unless GEOCATALOG_REQUIRED=1 (set by .ci/run after starting it):
then an unreachable stand-in fails the run.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request

import pytest

ENDPOINT = os.environ.get("GEOCATALOG_ENDPOINT", "http://127.0.0.1:8811").rstrip("/")
BLOB_PORT = int(os.environ.get("GEOCATALOG_BLOB_PORT", "10000"))
STORAGE_HOST = f"127.0.0.1:{BLOB_PORT}"
"""The stand-in's blob storage (Azurite, path-style URLs): the client's ``storage_hosts=[STORAGE_HOST]``."""


def _reachable() -> bool:
    request = urllib.request.Request(f"{ENDPOINT}/stac", headers={"Authorization": "Bearer probe"})
    try:
        with urllib.request.urlopen(request, timeout=3) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


STANDIN_UP = _reachable()
if not STANDIN_UP and os.environ.get("GEOCATALOG_REQUIRED") == "1":
    raise RuntimeError(f"GEOCATALOG_REQUIRED=1 but the GeoCatalog stand-in is not reachable at {ENDPOINT}")

needs_standin = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not STANDIN_UP,
        reason=f"GeoCatalog stand-in not reachable at {ENDPOINT} (start it with tests/geocatalog/up)",
    ),
]

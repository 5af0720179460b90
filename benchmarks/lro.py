"""Long-running write latency: one item create-and-wait, ours against the official client.

The service sends no Retry-After on its operations, so with azure-core's fixed polling a
``begin_create_item(...).result()`` waits the whole ``polling_interval`` (30 s by default) even when
the operation is done in under a second; ours polls adaptively (0.25 s, doubling, to the interval).
This measures the wall time of that one call with each client's defaults, and the ratio.

    GEOCATALOG_ENDPOINT=http://127.0.0.1:8811 python benchmarks/lro.py            # 3 runs per client
    python benchmarks/lro.py --reps 5 --official-python benchmarks/.venv-peers/bin/python

Needs the local stand-in (``tests/geocatalog/up``). The official ``azure-planetarycomputer==1.0.0``
is taken from ``--official-python``, else ``benchmarks/.venv-peers`` (made by ``run.py``), else a
venv of its own (``benchmarks/.venv-lro``, created on first use; gitignore it like the other one).
Each client runs in its own subprocess, clients alternating; medians are printed as a table and,
with ``--json FILE``, written as JSON. Each measurement creates one item in the collection
``bench-lro`` (created on first use); items are deleted afterwards without waiting.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ENDPOINT = os.environ.get("GEOCATALOG_ENDPOINT", "http://127.0.0.1:8811").rstrip("/")
COLLECTION = "bench-lro"
OFFICIAL = "azure-planetarycomputer==1.0.0"
TOKEN = "bench-token"


class FakeCredential:
    """The stand-in accepts any bearer token."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(TOKEN, int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        from azure.core.credentials import AccessTokenInfo

        return AccessTokenInfo(TOKEN, int(time.time()) + 3600)


def make_client(which: str, endpoint: str) -> Any:
    from azure.planetarycomputer import PlanetaryComputerProClient

    if which == "ours":
        return PlanetaryComputerProClient(endpoint, FakeCredential())
    # The official package's bearer policy refuses plain http: allow it for the loopback stand-in.
    from azure.core.pipeline.policies import BearerTokenCredentialPolicy

    class LoopbackBearerPolicy(BearerTokenCredentialPolicy):
        def on_request(self, request: Any) -> None:
            request.context.options["enforce_https"] = False
            super().on_request(request)

    policy = LoopbackBearerPolicy(FakeCredential(), "https://geocatalog.spatio.azure.com/.default")
    return PlanetaryComputerProClient(endpoint, FakeCredential(), authentication_policy=policy)


def item(item_id: str) -> dict[str, Any]:
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": item_id,
        "collection": COLLECTION,
        "geometry": {"type": "Point", "coordinates": [-84.4, 33.6]},
        "bbox": [-84.4, 33.6, -84.4, 33.6],
        "properties": {"datetime": "2021-06-01T00:00:00Z"},
        "assets": {},
        "links": [],
    }


def worker(which: str, endpoint: str) -> None:
    """One measurement in this process: print ``{"wall_s": ...}``."""
    client = make_client(which, endpoint)
    item_id = f"lro-{which}-{uuid.uuid4().hex[:12]}"
    start = time.perf_counter()
    client.stac.begin_create_item(COLLECTION, item(item_id)).result()
    wall = time.perf_counter() - start
    client.stac.begin_delete_item(COLLECTION, item_id)  # clean up; not waited for
    print(json.dumps({"wall_s": wall}))


def ensure_collection(endpoint: str) -> None:
    client = make_client("ours", endpoint)
    client.stac.ensure_collection(
        {
            "type": "Collection",
            "id": COLLECTION,
            "stac_version": "1.0.0",
            "description": "Long-running operation benchmark",
            "license": "proprietary",
            "links": [],
            "extent": {
                "spatial": {"bbox": [[-180, -90, 180, 90]]},
                "temporal": {"interval": [["2020-01-01T00:00:00Z", None]]},
            },
        },
        wait_visible=True,
    )


def official_python(given: str | None) -> Path:
    if given:
        return Path(given)
    peers = HERE / ".venv-peers" / "bin" / "python"
    if peers.exists():
        return peers
    own = HERE / ".venv-lro"
    python = own / "bin" / "python"
    if not python.exists():
        print(f"installing {OFFICIAL} into {own}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(own)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", OFFICIAL], check=True)
    return python


def measure(python: Path, which: str, endpoint: str) -> float:
    done = subprocess.run(
        [str(python), str(Path(__file__).resolve()), "--worker", which, "--endpoint", endpoint],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(json.loads(done.stdout.strip().splitlines()[-1])["wall_s"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--endpoint", default=ENDPOINT)
    parser.add_argument("--official-python", help="a python with azure-planetarycomputer==1.0.0 installed")
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    parser.add_argument("--worker", choices=["ours", "official"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.endpoint)
        return

    ensure_collection(args.endpoint)
    pythons = {"ours": Path(sys.executable), "official": official_python(args.official_python)}
    walls: dict[str, list[float]] = {name: [] for name in pythons}
    for rep in range(args.reps):
        for name, python in pythons.items():
            walls[name].append(measure(python, name, args.endpoint))
            print(f"run {rep + 1}/{args.reps} {name}: {walls[name][-1]:.2f} s", flush=True)
    medians = {name: statistics.median(values) for name, values in walls.items()}
    ratio = medians["official"] / medians["ours"]
    print("\n| client | create-and-wait, median wall s |\n|---|---|")
    for name, value in medians.items():
        print(f"| {name} | {value:.2f} |")
    print(f"\nofficial / ours: {ratio:.1f}x")
    if args.json:
        report = {"scenario": "lro-create-item", "reps": args.reps, "walls": walls, "medians": medians}
        args.json.write_text(json.dumps({**report, "official_over_ours": ratio}, indent=2))


if __name__ == "__main__":
    main()

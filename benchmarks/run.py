"""Benchmarks against the clients users would pick instead, and against the floor.

    python benchmarks/run.py [--quick] [--reps N] [--no-peers] [--latency-ms MS] [--only GROUP,...]

GROUP: search, search-s2, import, tiles, latency, aio-search, aio-tiles, aio-latency, memory, stream.

Sets up what it needs: the local GeoCatalog stand-in (tests/geocatalog/up), synthetic collections of
20,000 small items and of 5,000 Sentinel-2-L2A-shaped items loaded with pypgstac (skipped when already
there), and the peer packages (azure-planetarycomputer==1.0.0 from PyPI, pystac-client, rustac, httpx,
aiohttp) in benchmarks/.venv-peers. Each
measured client runs in its own subprocess (benchmarks/workers.py), round-robin, N repetitions; the
medians and the ratios measured in the same run are printed and written to benchmarks/results.json
and benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORKERS = HERE / "workers.py"
PEERS_VENV = HERE / ".venv-peers"
PEERS_PYTHON = PEERS_VENV / "bin" / "python"
PEER_PACKAGES = ["azure-planetarycomputer==1.0.0", "pystac-client", "rustac", "httpx", "aiohttp"]
STANDIN_PYTHON = ROOT / "tests" / "geocatalog" / ".venv" / "bin" / "python"
ENDPOINT = os.environ.get("GEOCATALOG_ENDPOINT", "http://127.0.0.1:8811").rstrip("/")
BENCH_COLLECTION = "bench-items"
BENCH_ITEMS = 20_000
S2_COLLECTION = "bench-sentinel-2-l2a"
S2_ITEMS = 5_000
TILE_TARGET = {  # one sample NAIP item of the stand-in; the bbox lies inside it
    "collection": "naip-atl",
    "item": "ga_m_sample_05_05",
    "bbox": [-84.54, 33.56, -84.495, 33.605],
    "assets": ["image"],
    "asset_band_indices": ["image|1,2,3"],
    "format": "png",
}
OURS_VENV = HERE / ".venv-ours"
OURS_PYTHON = Path(sys.executable)  # run() replaces it with ensure_ours() when it sets things up
TOKEN = "benchmark-token"
FLOOR = "floor-httpx"
GROUPS = [  # the scenario groups, in report order
    "search",
    "search-s2",
    "import",
    "tiles",
    "latency",
    "aio-search",
    "aio-tiles",
    "aio-latency",
    "memory",
    "stream",
]


# ------------------------------------------------------------------------------------------------ setup
def _get(path: str) -> int:
    request = urllib.request.Request(f"{ENDPOINT}{path}", headers={"Authorization": "Bearer probe"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return 0


def standin_reachable() -> bool:
    return _get("/stac") == 200


def ensure_standin() -> None:
    if not standin_reachable():
        print("starting the stand-in: tests/geocatalog/up", flush=True)
        subprocess.run([str(ROOT / "tests" / "geocatalog" / "up")], check=True)


def ensure_bench_collection(
    count: int = BENCH_ITEMS, collection: str = BENCH_COLLECTION, shape: str = "small"
) -> None:
    if shape == "small":
        last = f"/stac/collections/{collection}/items/bench-{count - 1:06d}"
    else:
        sys.path.insert(0, str(HERE))
        from seed import sentinel2_item

        last = f"/stac/collections/{collection}/items/{sentinel2_item(collection, count - 1)['id']}"
    if _get(last) == 200:
        return
    print(f"loading {count} synthetic {shape} items into {collection} (pypgstac)", flush=True)
    env = dict(
        os.environ,
        PGHOST="127.0.0.1",
        PGPORT=os.environ.get("GEOCATALOG_PG_PORT", "55432"),
        PGUSER="postgres",
        PGPASSWORD="geocatalog",
        PGDATABASE="geocatalog",
    )
    subprocess.run(
        [
            str(STANDIN_PYTHON),
            str(HERE / "seed.py"),
            str(HERE / ".state" / f"seed-{shape}"),
            collection,
            str(count),
            shape,
        ],
        check=True,
        env=env,
    )


def ensure_peers(create: bool) -> Path | None:
    """The peers' python, creating the venv when asked; None when it is not there."""
    if not PEERS_PYTHON.exists() and create:
        print(f"installing peers into {PEERS_VENV}: {' '.join(PEER_PACKAGES)}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
        subprocess.run([str(PEERS_PYTHON), "-m", "pip", "install", "-q", *PEER_PACKAGES], check=True)
    return PEERS_PYTHON if PEERS_PYTHON.exists() else None


def _imports_from_source_tree(python: Path) -> bool:
    """Whether ``python`` imports azure.planetarycomputer from this checkout (editable), or not at all."""
    probe = (
        "import importlib.util as u\n"
        "try:\n    s = u.find_spec('azure.planetarycomputer')\nexcept ImportError:\n    s = None\n"
        "print(s.origin if s and s.origin else '')"
    )
    result = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=True)
    origin = result.stdout.strip()
    return not origin or (ROOT / "customizations") in Path(origin).resolve().parents


def ensure_ours() -> Path:
    """The python that runs our client: one with our wheel installed, as users have it.

    An editable install imports from the source tree (with no bytecode where PYTHONDONTWRITEBYTECODE
    is set), which inflates import time and memory. When this python already has the wheel installed
    (as in .ci/run), it is used; otherwise the wheel is built from this checkout (sdist, then the
    wheel from it) and reinstalled into benchmarks/.venv-ours.
    """
    if not _imports_from_source_tree(Path(sys.executable)):
        return Path(sys.executable)
    python = OURS_VENV / "bin" / "python"
    dist = OURS_VENV / "dist"
    print(f"building our wheel and installing it into {OURS_VENV}", flush=True)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(OURS_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "build"], check=True)
    for old in dist.glob("*"):
        old.unlink()
    build = [str(python), "-m", "build", "--outdir", str(dist), str(ROOT)]
    subprocess.run(build, check=True, stdout=subprocess.DEVNULL)
    [wheel] = dist.glob("*.whl")
    pip = [str(python), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, f"{wheel}[all]"], check=True)  # the dependencies, once
    subprocess.run([*pip, "--force-reinstall", "--no-deps", str(wheel)], check=True)  # same version, new code
    return python


def tile_list(zoom: int, bbox: list[float], max_tiles: int | None) -> list[list[int]]:
    import morecantile

    tms = morecantile.tms.get("WebMercatorQuad")
    tiles = [[t.x, t.y, t.z] for t in tms.tiles(*bbox, zooms=[zoom])]
    return tiles[:max_tiles] if max_tiles else tiles


def bbox_of(tiles: list[list[int]]) -> list[float]:
    """The bbox that covers exactly these tiles (shrunk a little so that no neighbour is included)."""
    import morecantile

    tms = morecantile.tms.get("WebMercatorQuad")
    bounds = [tms.bounds(morecantile.Tile(x, y, z)) for x, y, z in tiles]
    eps = 1e-7
    return [
        min(b.left for b in bounds) + eps,
        min(b.bottom for b in bounds) + eps,
        max(b.right for b in bounds) - eps,
        max(b.top for b in bounds) - eps,
    ]


# ---------------------------------------------------------------------------------------------- running
def run_worker(python: Path, scenario: str, client: str, params: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run(
        [str(python), str(WORKERS), scenario, client, json.dumps(params)],
        capture_output=True,
        text=True,
        cwd=str(HERE),
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{scenario}/{client} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def measure(scenario: str, clients: dict[str, Path], params: dict[str, Any], reps: int) -> dict[str, Any]:
    """Round-robin the clients `reps` times; medians of every numeric field."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in clients}
    for _ in range(reps):
        for name, python in clients.items():
            runs[name].append(run_worker(python, scenario, name, params))
    out: dict[str, Any] = {}
    for name, results in runs.items():
        keys = [k for k, v in results[0].items() if isinstance(v, (int, float))]
        out[name] = {k: statistics.median(r[k] for r in results) for k in keys}
        out[name]["runs"] = results
    return out


def ratios(medians: dict[str, Any], base: str, keys: tuple[str, ...]) -> dict[str, dict[str, float]]:
    if base not in medians:
        return {}
    return {
        name: {k: m[k] / medians[base][k] for k in keys if medians[base].get(k)}
        for name, m in medians.items()
    }


def pick(candidates: dict[str, Path | None]) -> dict[str, Path]:
    return {name: python for name, python in candidates.items() if python is not None}


def search_scenarios(
    sizes: list[tuple[int, int]], peers: Path | None, reps: int, collections: list[str]
) -> list[dict[str, Any]]:
    results = []
    for max_items, limit in sizes:
        clients = pick(
            {
                FLOOR: peers,
                "ours": OURS_PYTHON,
                "pystac-client items()": peers,
                "pystac-client items_as_dicts()": peers,
                "official (by hand)": peers,
            }
        )
        params = {"endpoint": ENDPOINT, "collections": collections, "limit": limit, "max_items": max_items}
        print(f"search {max_items} items, page size {limit}: {', '.join(clients)}", flush=True)
        medians = measure("search", clients, params, reps)
        results.append(
            {
                "scenario": f"search {max_items} items, page size {limit}",
                "kind": "search",
                "params": params,
                "medians": medians,
                "ratio_to_floor": ratios(medians, FLOOR, ("wall_s", "cpu_s")),
                "ratio_to_official": ratios(medians, "official (by hand)", ("wall_s", "cpu_s")),
            }
        )
    return results


def search_s2_scenario(
    max_items: int, limit: int, peers: Path | None, reps: int, collection: str = S2_COLLECTION
) -> dict[str, Any]:
    """Realistic search: Sentinel-2-L2A-shaped items, each client reading what users typically read."""
    clients = pick(
        {
            FLOOR: peers,
            "ours": OURS_PYTHON,
            "pystac-client items()": peers,
            "rustac": peers,
            "official (by hand)": peers,
        }
    )
    params = {"endpoint": ENDPOINT, "collections": [collection], "limit": limit, "max_items": max_items}
    print(f"search-s2 {max_items} Sentinel-2 items, page size {limit}: {', '.join(clients)}", flush=True)
    # rustac cannot send the bearer token the stand-in wants: it goes through a proxy adding it (0 ms).
    # Its wall time includes that hop; its CPU (its own process) does not.
    with latency_proxy(0, f"Authorization: Bearer {TOKEN}") as proxied:
        params["rustac_endpoint"] = proxied
        medians = measure("search-s2", clients, params, reps)
    return {
        "scenario": f"search {max_items} Sentinel-2-L2A-shaped items, page size {limit}, realistic reads",
        "kind": "search",
        "group": "search-s2",
        "params": params,
        "medians": medians,
        "ratio_to_floor": ratios(medians, FLOOR, ("wall_s", "cpu_s")),
        "ratio_to_official": ratios(medians, "official (by hand)", ("wall_s", "cpu_s")),
    }


def aio_search_scenario(
    max_items: int, limit: int, peers: Path | None, reps: int, collections: list[str]
) -> dict[str, Any]:
    clients = pick({FLOOR: peers, "ours": OURS_PYTHON, "official (by hand)": peers})
    params = {"endpoint": ENDPOINT, "collections": collections, "limit": limit, "max_items": max_items}
    print(f"aio-search {max_items} items, page size {limit}: {', '.join(clients)}", flush=True)
    medians = measure("aio-search", clients, params, reps)
    return {
        "scenario": f"async: search {max_items} items, page size {limit}",
        "kind": "search",
        "group": "aio-search",
        "params": params,
        "medians": medians,
        "ratio_to_floor": ratios(medians, FLOOR, ("wall_s", "cpu_s")),
        "ratio_to_official": ratios(medians, "official (by hand)", ("wall_s", "cpu_s")),
    }


IMPORT_REPS = 15
"""Import timings are a few hundred ms and noisy on a shared machine: more runs than the others."""


def compile_our_bytecode() -> None:
    """Write the .pyc files of our package, as ``pip install`` does for an installed wheel.

    Ours is installed in editable mode from the source tree, and PYTHONDONTWRITEBYTECODE (set in some
    environments) keeps Python from caching its bytecode: each import would compile ~2 MB of
    generated source, which no user's installed package does.
    """
    if not _imports_from_source_tree(OURS_PYTHON):
        return  # an installed wheel: pip compiled it
    # compileall does not follow the _generated symlink: the generated tree is compiled on its own
    for tree in (ROOT / "customizations" / "azure", ROOT / "generated" / "python"):
        subprocess.run(
            [str(OURS_PYTHON), "-m", "compileall", "-q", str(tree)], check=True, stdout=subprocess.DEVNULL
        )


def import_scenario(peers: Path | None, reps: int) -> dict[str, Any]:
    clients = pick({"ours": OURS_PYTHON, "official": peers})
    print(f"import and first call: {', '.join(clients)}", flush=True)
    compile_our_bytecode()
    keys = ("import_s", "construct_s", "first_call_s", "total_s", "cpu_total_s")
    medians = measure("import", clients, {"endpoint": ENDPOINT}, reps)
    return {
        "scenario": "import + construct + first call",
        "kind": "import",
        "reps": reps,
        "medians": medians,
        "ratio_to_official": ratios(medians, "official", keys),
    }


@contextlib.contextmanager
def latency_proxy(delay_ms: float, header: str | None = None) -> Iterator[str]:
    """A proxy in front of the stand-in that holds every response back `delay_ms` (latency_proxy.py),
    on a free port; with `header` ("Name: value"), added to every request it forwards."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "latency_proxy.py"), str(port), ENDPOINT, str(delay_ms)]
        + ([header] if header else []),
        stdout=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def tiles_scenario(
    peers: Path | None,
    reps: int,
    zoom: int,
    max_tiles: int | None,
    concurrency: int,
    latency_ms: float = 0,
    aio: bool = False,
) -> dict[str, Any]:
    if latency_ms:
        with latency_proxy(latency_ms) as url:
            result = _tiles_scenario(peers, reps, zoom, max_tiles, concurrency, url, aio)
        result["scenario"] += f", {latency_ms:g} ms added per response (proxy)"
        result["params"]["latency_ms"] = latency_ms
        return result
    return _tiles_scenario(peers, reps, zoom, max_tiles, concurrency, ENDPOINT, aio)


def _tiles_scenario(
    peers: Path | None,
    reps: int,
    zoom: int,
    max_tiles: int | None,
    concurrency: int,
    endpoint: str,
    aio: bool = False,
) -> dict[str, Any]:
    tiles = tile_list(zoom, TILE_TARGET["bbox"], max_tiles)  # type: ignore[arg-type]
    bbox = bbox_of(tiles) if max_tiles else TILE_TARGET["bbox"]
    if max_tiles and len(tile_list(zoom, bbox, None)) != len(tiles):  # a sub-rectangle keeps things equal
        tiles = tile_list(zoom, bbox, None)
    params = {
        "endpoint": endpoint,
        **TILE_TARGET,
        "bbox": bbox,
        "zooms": [zoom],
        "tiles": tiles,
        "concurrency": concurrency,
    }
    official = "official" if aio else "official (sequential)"
    clients = pick({FLOOR: peers, "ours": OURS_PYTHON, official: peers})
    scenario = "aio-tiles" if aio else "tiles"
    print(
        f"{scenario}: {len(tiles)} tiles at z{zoom}, concurrency {concurrency}: {', '.join(clients)}",
        flush=True,
    )
    medians = measure(scenario, clients, params, reps)
    return {
        "scenario": f"{'async: ' if aio else ''}{len(tiles)} tiles (z{zoom}), concurrency {concurrency}",
        "kind": "tiles",
        "params": {k: v for k, v in params.items() if k != "tiles"},
        "medians": medians,
        "ratio_to_floor": ratios(medians, FLOOR, ("wall_s", "cpu_s")),
        "ratio_to_official": ratios(medians, official, ("wall_s", "cpu_s")),
    }


class _BigBodyHandler(http.server.BaseHTTPRequestHandler):
    """Answers any GET with a synthetic image body of `size` bytes, sent in 256 KiB chunks."""

    protocol_version = "HTTP/1.1"
    size = 0

    def do_GET(self) -> None:
        chunk = bytes(range(256)) * 1024
        self.send_response(200)
        self.send_header("Content-Type", "image/tiff")
        self.send_header("Content-Length", str(self.size))
        self.end_headers()
        sent = 0
        while sent < self.size:
            piece = chunk[: self.size - sent]
            self.wfile.write(piece)
            sent += len(piece)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def stream_scenario(peers: Path | None, reps: int, size_mb: int) -> dict[str, Any]:
    """Peak memory while reading one large image response (a loopback server sends `size_mb` MiB)."""
    handler = type("BigBody", (_BigBodyHandler,), {"size": size_mb << 20})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        bbox = [-84.5, 33.5, -84.25, 33.75]
        params = {
            "endpoint": f"http://127.0.0.1:{server.server_address[1]}",
            "collection": "naip",
            "item": "tile-1",
            "bbox": bbox,
            "path": "/data/mosaic/collections/naip/items/tile-1/bbox/" + ",".join(map(str, bbox)) + ".tif",
        }
        clients = pick({FLOOR: peers, "ours": OURS_PYTHON, "official": peers})
        print(f"stream one {size_mb} MiB response: {', '.join(clients)}", flush=True)
        medians = measure("stream", clients, params, reps)
    finally:
        server.shutdown()
        server.server_close()
    return {
        "scenario": f"stream one {size_mb} MiB image response (bbox crop) to disk, peak RSS",
        "kind": "stream",
        "params": params,
        "medians": medians,
        "ratio_to_floor": ratios(medians, FLOOR, ("wall_s", "cpu_s")),
        "ratio_to_official": ratios(medians, "official", ("wall_s", "cpu_s")),
    }


class _PagerHandler(http.server.BaseHTTPRequestHandler):
    """A search that never ends: any POST /stac/search or GET with ``token=N`` answers page N of
    `limit` small items with a GET next link; the items are made on the fly, so the server holds
    nothing and any number of items can be paged through (the memory scenario)."""

    protocol_version = "HTTP/1.1"
    template = ""

    def _page(self, number: int, limit: int) -> None:
        first = number * limit
        features = ",".join(self.template.replace("@ID@", f"m-{first + k:08d}") for k in range(limit))
        base = f"http://{self.headers.get('Host')}/stac/search"
        following = f"{base}?limit={limit}&token={number + 1}"
        body = (
            '{"type":"FeatureCollection","features":['
            + features
            + '],"links":[{"rel":"next","href":"'
            + following
            + '","type":"application/geo+json","method":"GET"}]}'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/geo+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length) or b"{}")
        self._page(0, int(request.get("limit") or 100))

    def do_GET(self) -> None:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        self._page(int(query.get("token", 0)), int(query.get("limit", 100)))

    def log_message(self, format: str, *args: Any) -> None:
        pass


def memory_scenario(peers: Path | None, reps: int, counts: list[int], limit: int) -> list[dict[str, Any]]:
    """Peak RSS while paging through `counts` items from a loopback pager server: flat means the
    peak does not grow with the number of items beyond one page."""
    sys.path.insert(0, str(HERE))
    from seed import item

    sample = item("memory", 0, 200)
    sample["id"] = "@ID@"
    handler = type("Pager", (_PagerHandler,), {"template": json.dumps(sample, separators=(",", ":"))})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    results = []
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        for count in counts:
            params = {"endpoint": endpoint, "limit": limit, "max_items": count}
            clients = pick({FLOOR: peers, "ours": OURS_PYTHON})
            print(f"memory: {count} items, page size {limit}: {', '.join(clients)}", flush=True)
            medians = measure("memory", clients, params, reps)
            results.append(
                {
                    "scenario": f"memory: page through {count} items (page size {limit}, loopback server)",
                    "kind": "search",
                    "group": "memory",
                    "params": params,
                    "medians": medians,
                    "ratio_to_floor": ratios(medians, FLOOR, ("wall_s", "cpu_s")),
                    "ratio_to_official": {},
                }
            )
    finally:
        server.shutdown()
        server.server_close()
    return results


# ---------------------------------------------------------------------------------------------- report
def machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "endpoint": ENDPOINT,
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _fmt(value: float | None, unit: str = "") -> str:
    return "—" if value is None else f"{value:.3f}{unit}"


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {m['cpu_count']} CPUs, Python {m['python']}, {m['platform']}; "
        f"stand-in at {m['endpoint']}; {m['date_utc']}. "
        "CPU is user+sys of the client's own process (getrusage), for the measured work only "
        "(imports and a first client construction happen before, except in the import scenario). "
        "Ratios are to the floor (raw httpx) and to the official azure-planetarycomputer 1.0.0, "
        "measured in the same run.",
        "",
    ]
    for s in report["scenarios"]:
        lines += [f"## {s['scenario']} ({s.get('reps', report['reps'])} runs, medians)", ""]
        if s["kind"] == "import":
            lines += [
                "| client | import s | construct s | first call s | total s | CPU s (process) | "
                "total / official |",
                "|---|---|---|---|---|---|---|",
            ]
            for name, med in s["medians"].items():
                r = s["ratio_to_official"].get(name, {}).get("total_s")
                lines.append(
                    f"| {name} | {_fmt(med['import_s'])} | {_fmt(med['construct_s'])} | "
                    f"{_fmt(med['first_call_s'])} | {_fmt(med['total_s'])} | "
                    f"{_fmt(med['cpu_total_s'])} | {_fmt(r, 'x')} |"
                )
        else:
            count = {"search": "items", "tiles": "tiles", "stream": "bytes"}[s["kind"]]
            lines += [
                f"| client | {count} | wall s | CPU s | wall / floor | CPU / floor | wall / official | "
                "CPU / official | peak RSS MB | RSS before MB |",
                "|---|---|---|---|---|---|---|---|---|---|",
            ]
            for name, med in s["medians"].items():
                rf, ro = s["ratio_to_floor"].get(name, {}), s["ratio_to_official"].get(name, {})
                lines.append(
                    f"| {name} | {int(med.get(count, 0))} | {_fmt(med['wall_s'])} | "
                    f"{_fmt(med['cpu_s'])} | {_fmt(rf.get('wall_s'), 'x')} | "
                    f"{_fmt(rf.get('cpu_s'), 'x')} | {_fmt(ro.get('wall_s'), 'x')} | "
                    f"{_fmt(ro.get('cpu_s'), 'x')} | {_fmt(med.get('maxrss_mb'))} | "
                    f"{_fmt(med.get('rss_before_mb'))} |"
                )
        lines.append("")
    if report.get("skipped"):
        lines += ["Not measured: " + "; ".join(report["skipped"]), ""]
    return "\n".join(lines)


def run(
    quick: bool = False,
    reps: int | None = None,
    peers: bool = True,
    only: set[str] | None = None,
    search_sizes: list[tuple[int, int]] | None = None,
    collections: list[str] | None = None,
    tile_zoom: int = 17,
    max_tiles: int | None = None,
    concurrency: int = 8,
    latency_ms: float | None = None,
    stream_mb: int | None = None,
    s2_collection: str | None = None,
    s2_items: int | None = None,
    memory_counts: list[int] | None = None,
    setup: bool = True,
    write: bool = True,
) -> dict[str, Any]:
    """Run the scenarios and return the report (also written to results.json and RESULTS.md if `write`)."""
    global OURS_PYTHON
    only = only or set(GROUPS)
    reps = reps or (3 if quick else 5)
    if setup:
        OURS_PYTHON = ensure_ours()
        compile_our_bytecode()  # every scenario measures ours as installed, with its bytecode compiled
        ensure_standin()
        if collections is None:
            ensure_bench_collection()
        if "search-s2" in only and s2_collection is None:
            ensure_bench_collection(S2_ITEMS, S2_COLLECTION, "sentinel2")
    peers_python = ensure_peers(create=peers and not quick) if peers else None
    if search_sizes is None:
        search_sizes = [(2_000, 100), (2_000, 1_000)] if quick else [(10_000, 100), (10_000, 1_000)]
    if max_tiles is None and quick:
        max_tiles = 64
    report: dict[str, Any] = {
        "machine": machine(),
        "reps": reps,
        "quick": quick,
        "scenarios": [],
        "skipped": [],
    }
    if peers_python is None:
        report["skipped"].append("peers (floor-httpx, pystac-client, official): no benchmarks/.venv-peers")
    if "search" in only:
        report["scenarios"] += search_scenarios(
            search_sizes, peers_python, reps, collections or [BENCH_COLLECTION]
        )
    if "search-s2" in only:
        report["scenarios"].append(
            search_s2_scenario(
                s2_items or (600 if quick else 3_000), 100, peers_python, reps, s2_collection or S2_COLLECTION
            )
        )
    if "import" in only:
        report["scenarios"].append(import_scenario(peers_python, reps if quick else max(reps, IMPORT_REPS)))
    if "tiles" in only:
        report["scenarios"].append(tiles_scenario(peers_python, reps, tile_zoom, max_tiles, concurrency))
        report["scenarios"][-1]["group"] = "tiles"
    if latency_ms is None:
        latency_ms = 0 if quick else 50
    if "latency" in only and latency_ms:
        report["scenarios"].append(
            tiles_scenario(peers_python, reps, tile_zoom, max_tiles, concurrency, latency_ms)
        )
        report["scenarios"][-1]["group"] = "latency"
    if "aio-search" in only:
        for max_items, limit in search_sizes[:1]:
            report["scenarios"].append(
                aio_search_scenario(max_items, limit, peers_python, reps, collections or [BENCH_COLLECTION])
            )
    if "aio-tiles" in only:
        report["scenarios"].append(
            tiles_scenario(peers_python, reps, tile_zoom, max_tiles, concurrency, aio=True)
        )
        report["scenarios"][-1]["group"] = "aio-tiles"
    if "aio-latency" in only and latency_ms:
        report["scenarios"].append(
            tiles_scenario(peers_python, reps, tile_zoom, max_tiles, concurrency, latency_ms, aio=True)
        )
        report["scenarios"][-1]["group"] = "aio-latency"
    if "memory" in only:
        counts = memory_counts or ([2_000, 20_000] if quick else [10_000, 100_000])
        report["scenarios"] += memory_scenario(peers_python, reps, counts, 1_000)
    if "stream" in only:
        report["scenarios"].append(stream_scenario(peers_python, reps, stream_mb or (32 if quick else 1024)))
    for s in report["scenarios"]:
        s.setdefault("reps", reps)
        s.setdefault("group", s["kind"])
    if write:
        previous = HERE / "results.json"
        if only != set(GROUPS) and previous.exists():
            # a partial run replaces its own scenarios in the last results and keeps the others
            kept = [
                s
                for s in json.loads(previous.read_text())["scenarios"]
                if s.get("group", s["kind"]) not in only
            ]
            report["scenarios"] = sorted(
                kept + report["scenarios"], key=lambda s: GROUPS.index(s.get("group", s["kind"]))
            )
        (HERE / "results.json").write_text(json.dumps(report, indent=2) + "\n")
        (HERE / "RESULTS.md").write_text(markdown(report))
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes, 3 runs; peers only if already installed"
    )
    parser.add_argument("--reps", type=int, help="runs per client (default 5, 3 with --quick)")
    parser.add_argument("--no-peers", action="store_true", help="measure ours only")
    parser.add_argument(
        "--only",
        help=f"comma-separated subset of: {','.join(GROUPS)} (merged into the last results)",
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        help="also run the tiles through a proxy adding this (default 50; 0 in --quick)",
    )
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    report = run(
        quick=args.quick, reps=args.reps, peers=not args.no_peers, only=only, latency_ms=args.latency_ms
    )
    print()
    print(markdown(report))
    print(f"written: {HERE / 'results.json'}, {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()

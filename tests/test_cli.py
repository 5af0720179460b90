"""The ``planetarycomputer`` command line, run as users run it: a subprocess, pipes, a real terminal.

Offline tests check the conventions against scripted local servers (exit codes, one-line errors
with the service's code, ``--debug`` with secrets redacted, nothing heavy imported for ``--help``).
End-to-end tests run each command against the local GeoCatalog stand-in and compare what it wrote
with what the library returns for the same request; the progress-bar tests run the command in a
pseudo-terminal (pexpect) and through a pipe.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.planetarycomputer import PlanetaryComputerProClient
from fault_server import FaultServer, Reply
from standin import ENDPOINT, STORAGE_HOST, needs_standin
from test_ingestion_runs import COLLECTION, INGESTION, RUNS, recorded_operation, run_at, succeeded_operation

SECRET = "cli-test-bearer-token-do-not-print"
ITEM_COLLECTION = "naip-atl"


def run_cli(
    *args: str, endpoint: str | None = ENDPOINT, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "PLANETARYCOMPUTER_ACCESS_TOKEN": SECRET,
        "PLANETARYCOMPUTER_STORAGE_HOSTS": STORAGE_HOST,
        **(env or {}),
    }
    environment.pop("PLANETARYCOMPUTER_ENDPOINT", None)
    if endpoint is not None:
        environment["PLANETARYCOMPUTER_ENDPOINT"] = endpoint
    return subprocess.run(
        [sys.executable, "-m", "azure.planetarycomputer", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )


class _Credential:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(SECRET, 2**31)


@pytest.fixture
def client() -> Iterator[PlanetaryComputerProClient]:
    with PlanetaryComputerProClient(ENDPOINT, _Credential(), storage_hosts=[STORAGE_HOST]) as client:
        yield client


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# -- conventions, offline ---------------------------------------------------------------------------------


def test_help_loads_neither_the_client_nor_azure_core() -> None:
    probe = (
        "import sys\n"
        "from azure.planetarycomputer.cli import _app, _commands\n"
        "print(sorted(m for m in sys.modules if m.startswith(('azure.core', 'azure.planetarycomputer._'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "['azure.planetarycomputer._version']"


def test_help_lists_every_command() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("collections", "search", "tiles", "assets", "sign", "token", "runs"):
        assert f"  {command} " in result.stdout


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("planetarycomputer")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.startswith("planetarycomputer ")


def test_no_endpoint_is_a_usage_error() -> None:
    result = run_cli("collections", "list", endpoint=None)
    assert result.returncode == 2
    assert "--endpoint" in result.stderr and "PLANETARYCOMPUTER_ENDPOINT" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("search", "--bbox", "1,2,3"),
        ("search", "--limit", "0"),
        ("search", "--query", "{not json"),
        ("search", "-o", "result.csv"),
        ("tiles", "download", "c", "i", "-z", "14-12", "--bbox", "0,0,1,1", "-d", "out"),
        ("tiles", "download", "c", "i", "-z", "14", "-d", "out"),
        (
            "tiles",
            "download",
            "c",
            "i",
            "-z",
            "14",
            "--bbox",
            "0,0,1,1",
            "--option",
            "scale=big",
            "-d",
            "out",
        ),
        (
            "tiles",
            "download",
            "c",
            "i",
            "-z",
            "14",
            "--bbox",
            "0,0,1,1",
            "--option",
            "nonsense=1",
            "-d",
            "out",
        ),
        ("nosuchcommand",),
    ],
)
def test_bad_usage_exits_2_before_any_request(args: Sequence[str]) -> None:
    with FaultServer() as server:
        result = run_cli(*args, endpoint=server.url)
        assert result.returncode == 2, result.stderr
        assert server.count() == 0
    assert "Traceback" not in result.stderr


def test_an_argument_the_library_refuses_is_bad_usage() -> None:
    with FaultServer() as server:
        result = run_cli("collections", "show", "..", endpoint=server.url)
        assert server.count() == 0
    assert result.returncode == 2
    assert result.stderr.startswith("planetarycomputer: error: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_service_error_is_one_line_with_the_service_code() -> None:
    with FaultServer() as server:
        server.script(
            "/stac/collections/missing",
            Reply.json(
                {"code": "ResourceNotFound", "message": "Collection missing does not exist."}, status=404
            ),
        )
        result = run_cli("collections", "show", "missing", endpoint=server.url)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "planetarycomputer: error: ResourceNotFound: Collection missing does not exist. (HTTP 404) "
        "(--debug shows more)"
    ]
    assert result.stdout == ""


def test_debug_shows_the_traceback_and_the_log_without_secrets() -> None:
    with FaultServer() as server:
        server.script(
            "/stac/collections/missing",
            Reply.json({"code": "ResourceNotFound", "message": "no such collection"}, status=404),
        )
        result = run_cli("--debug", "collections", "show", "missing", endpoint=server.url)
        assert server.count() >= 1
        assert all(request.header("Authorization") == f"Bearer {SECRET}" for request in server.matching())
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "GET" in result.stderr and "/stac/collections/missing" in result.stderr  # the network trace
    assert SECRET not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("planetarycomputer: error: ResourceNotFound")


def test_an_unreachable_endpoint_is_a_service_error() -> None:
    with FaultServer() as server:
        address = server.url
    result = run_cli("collections", "list", "--json", endpoint=address, env={"PC_UNUSED": "1"})
    assert result.returncode == 1
    assert result.stderr.startswith("planetarycomputer: error: ServiceRequestError")


def test_no_credential_found_is_explained() -> None:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AZURE_", "PLANETARYCOMPUTER_", "IDENTITY_", "MSI_"))
    }
    # Only the environment credential: nothing else is probed (no managed-identity endpoint).
    environment.update(AZURE_TOKEN_CREDENTIALS="EnvironmentCredential", PLANETARYCOMPUTER_ENDPOINT=ENDPOINT)
    result = subprocess.run(
        [sys.executable, "-m", "azure.planetarycomputer", "collections", "list"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "no usable credential" in result.stderr and "PLANETARYCOMPUTER_ACCESS_TOKEN" in result.stderr


def test_search_streams_item_by_item_to_a_closed_pipe() -> None:
    """``search | head -1``: the reader leaves early, the command ends quietly."""
    page = {"type": "FeatureCollection", "features": [{"type": "Feature", "id": f"i{n}"} for n in range(50)]}
    with FaultServer() as server:
        server.script("/stac/search", Reply.json(page))
        environment = {
            **os.environ,
            "PLANETARYCOMPUTER_ACCESS_TOKEN": SECRET,
            "PLANETARYCOMPUTER_ENDPOINT": server.url,
        }
        search = subprocess.Popen(
            [sys.executable, "-m", "azure.planetarycomputer", "search", "--max-items", "50"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment,
        )
        assert search.stdout is not None and search.stderr is not None
        first = search.stdout.readline()
        search.stdout.close()
        error = search.stderr.read()
        assert search.wait(timeout=60) == 0
    assert json.loads(first)["id"] == "i0"
    assert b"Traceback" not in error and b"BrokenPipe" not in error


@pytest.mark.parametrize("outcome", ["Succeeded", "Failed"])
def test_runs_wait_follows_a_run_to_its_end(outcome: str) -> None:
    final = (
        succeeded_operation()
        if outcome == "Succeeded"
        else recorded_operation("test_17_get_operation.json", "Canceled")
    )
    if outcome == "Failed":
        final["statusHistory"][2].update(
            status="Failed", errorCode="CatalogUnreachable", errorMessage="no catalog"
        )
    states = [run_at(step, final) for step in range(3)]
    run_id = states[0]["id"]
    with FaultServer() as server:
        server.script(f"{RUNS}/{run_id}", *(Reply.json(state) for state in states), method="GET")
        result = run_cli(
            "runs", "wait", COLLECTION, INGESTION, run_id, "--interval", "0.05", endpoint=server.url
        )
        assert server.count(method="GET") == 3
    if outcome == "Succeeded":
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["operation"]["status"] == "Succeeded"
    else:
        assert result.returncode == 1
        assert result.stdout == ""
        assert result.stderr.startswith("planetarycomputer: error: ") and "Failed" in result.stderr


# -- end to end on the stand-in ---------------------------------------------------------------------------


class TestAgainstTheStandIn:
    pytestmark = needs_standin

    def test_collections_list_and_show(self, client: PlanetaryComputerProClient) -> None:
        listed = run_cli("collections", "list")
        assert listed.returncode == 0, listed.stderr
        expected = {collection.id for collection in client.stac.get_collections().collections}
        assert {line.split("\t")[0] for line in listed.stdout.splitlines()} == expected
        shown = run_cli("collections", "show", ITEM_COLLECTION)
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout) == client.stac.get_collection(ITEM_COLLECTION).as_dict()

    def test_search_writes_the_items_the_pager_returns(self, client: PlanetaryComputerProClient) -> None:
        result = run_cli(
            "search", "-c", ITEM_COLLECTION, "--limit", "7", "--max-items", "30", "--sortby", "id"
        )
        assert result.returncode == 0, result.stderr
        expected = client.stac.search_items_paged(
            collections=ITEM_COLLECTION, limit=7, max_items=30, sortby="id"
        )
        assert json_lines(result.stdout) == [item.as_dict() for item in expected]

    def test_search_count_and_file_outputs(self, client: PlanetaryComputerProClient, tmp_path: Path) -> None:
        every = [item.id for item in client.stac.search_items_paged(collections=ITEM_COLLECTION, limit=100)]
        counted = run_cli("search", "-c", ITEM_COLLECTION, "--count")
        assert counted.returncode == 0, counted.stderr
        assert int(counted.stdout) == len(every)
        collection_file = tmp_path / "result.json"
        written = run_cli("search", "-c", ITEM_COLLECTION, "--max-items", "12", "-o", str(collection_file))
        assert written.returncode == 0, written.stderr
        document = json.loads(collection_file.read_text())
        assert document["type"] == "FeatureCollection" and len(document["features"]) == 12
        lines_file = tmp_path / "result.ndjson"
        assert (
            run_cli("search", "-c", ITEM_COLLECTION, "--max-items", "12", "-o", str(lines_file)).returncode
            == 0
        )
        assert json_lines(lines_file.read_text()) == document["features"]
        parquet_file = tmp_path / "result.parquet"
        exported = run_cli("search", "-c", ITEM_COLLECTION, "--max-items", "12", "-o", str(parquet_file))
        assert exported.returncode == 0, exported.stderr
        assert "12 items written" in exported.stderr
        import pyarrow.parquet as parquet

        assert parquet.read_table(parquet_file).column("id").to_pylist() == [
            f["id"] for f in document["features"]
        ]
        assert not list(tmp_path.glob("*.part"))

    def test_search_then_sign_through_a_pipe(self, client: PlanetaryComputerProClient) -> None:
        searched = run_cli("search", "-c", ITEM_COLLECTION, "--max-items", "3")
        signed = run_cli("sign", stdin=searched.stdout)
        assert signed.returncode == 0, signed.stderr
        items = json_lines(searched.stdout)
        signed_items = json_lines(signed.stdout)
        assert [item["id"] for item in signed_items] == [item["id"] for item in items]
        assert all("sig=" in asset["href"] for item in signed_items for asset in item["assets"].values())
        assert all(
            signed_asset["href"].split("?")[0] == asset["href"]
            for signed_item, item in zip(signed_items, items)
            for signed_asset, asset in zip(signed_item["assets"].values(), item["assets"].values())
        )
        href = items[0]["assets"]["image"]["href"]
        one = run_cli("sign", href)
        assert one.stdout.strip().split("?")[0] == href and "sig=" in one.stdout
        unmanaged = run_cli("sign", "https://example.com/data/a.tif")
        assert unmanaged.stdout.strip() == "https://example.com/data/a.tif"

    def test_assets_download_from_a_pipe_resumes(
        self, client: PlanetaryComputerProClient, tmp_path: Path
    ) -> None:
        searched = run_cli("search", "-c", ITEM_COLLECTION, "--max-items", "2")
        items = json_lines(searched.stdout)
        first = run_cli("assets", "download", "-d", str(tmp_path), "--asset", "image", stdin=searched.stdout)
        assert first.returncode == 0, first.stderr
        written = [Path(line) for line in first.stdout.splitlines()]
        assert sorted(written) == sorted(
            tmp_path / ITEM_COLLECTION / item["id"] / "image.tif" for item in items
        )
        signed = client.sas.sign(items[0]["assets"]["image"]["href"])
        import urllib.request

        with urllib.request.urlopen(signed) as response:
            assert (tmp_path / ITEM_COLLECTION / items[0]["id"] / "image.tif").read_bytes() == response.read()
        again = run_cli("assets", "download", "-d", str(tmp_path), "--asset", "image", stdin=searched.stdout)
        assert again.returncode == 0 and again.stdout == ""
        assert "0 assets downloaded, 2 already there, 0 failed" in again.stderr

    def test_token_prints_the_expiry_and_the_token_only_when_asked(self) -> None:
        quiet = run_cli("token", ITEM_COLLECTION)
        assert quiet.returncode == 0, quiet.stderr
        assert quiet.stdout.startswith(f"{ITEM_COLLECTION}: SAS token expires ")
        assert "sig=" not in quiet.stdout + quiet.stderr
        shown = run_cli("token", ITEM_COLLECTION, "--show")
        assert "sig=" in shown.stdout and "sig=" not in shown.stderr
        assert "expires" in shown.stderr

    def test_tiles_download_resumes(self, client: PlanetaryComputerProClient, tmp_path: Path) -> None:
        item = next(iter(client.stac.search_items_paged(collections=ITEM_COLLECTION, max_items=1)))
        bbox = ",".join(str(value) for value in item["bbox"])
        args = [
            "tiles",
            "download",
            ITEM_COLLECTION,
            item.id,
            "-z",
            "13-14",
            "--bbox",
            bbox,
            "--assets",
            "image",
        ]
        args += ["--option", "asset_band_indices=image|1,2,3", "-d", str(tmp_path)]
        first = run_cli(*args)
        assert first.returncode == 0, first.stderr
        files = sorted(tmp_path.rglob("*.png"))
        assert files and f"{len(files)} tiles fetched, 0 already there" in first.stderr
        again = run_cli(*args)
        assert again.returncode == 0, again.stderr
        assert f"0 tiles fetched, {len(files)} already there" in again.stderr

    def test_a_tile_failure_exits_1_with_the_service_reason(
        self, client: PlanetaryComputerProClient, tmp_path: Path
    ) -> None:
        item = next(iter(client.stac.search_items_paged(collections=ITEM_COLLECTION, max_items=1)))
        bbox = ",".join(str(value) for value in item["bbox"])
        # Four bands cannot be encoded as PNG: the tiler refuses every tile.
        result = run_cli(
            "tiles",
            "download",
            ITEM_COLLECTION,
            item.id,
            "-z",
            "13",
            "--bbox",
            bbox,
            "--assets",
            "image",
            "-d",
            str(tmp_path),
        )
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert lines[0].startswith("failed: tile 13/") and "BadRequest" in lines[0]
        assert lines[-1].startswith("planetarycomputer: error: ") and "tiles failed" in lines[-1]

    def test_progress_bar_on_a_terminal_only(
        self, client: PlanetaryComputerProClient, tmp_path: Path
    ) -> None:
        pexpect = pytest.importorskip("pexpect")
        item = next(iter(client.stac.search_items_paged(collections=ITEM_COLLECTION, max_items=1)))
        bbox = ",".join(str(value) for value in item["bbox"])
        args = [
            "tiles",
            "download",
            ITEM_COLLECTION,
            item.id,
            "-z",
            "12-14",
            "--bbox",
            bbox,
            "--assets",
            "image",
            "--option",
            "asset_band_indices=image|1,2,3",
        ]
        environment = {
            **os.environ,
            "PLANETARYCOMPUTER_ACCESS_TOKEN": SECRET,
            "PLANETARYCOMPUTER_ENDPOINT": ENDPOINT,
        }
        terminal = pexpect.spawn(
            sys.executable,
            ["-m", "azure.planetarycomputer", *args, "-d", str(tmp_path / "tty")],
            env=environment,
            encoding="utf-8",
            timeout=120,
            dimensions=(24, 120),
        )
        screen = terminal.read()
        terminal.close()
        assert terminal.exitstatus == 0, screen
        assert "100%" in screen and "tiles fetched" in screen  # tqdm's bar, then the summary
        piped = run_cli(*args, "-d", str(tmp_path / "pipe"))
        assert piped.returncode == 0, piped.stderr
        assert "%" not in piped.stderr and "\r" not in piped.stderr
        forced = run_cli(*args, "-d", str(tmp_path / "forced"), "--overwrite", "--progress")
        assert "100%" in forced.stderr

    def test_ingest_items_from_a_pipe_is_idempotent(self, client: PlanetaryComputerProClient) -> None:
        collection_id = f"cli-ingest-{uuid.uuid4().hex[:8]}"
        client.stac.ensure_collection(
            {
                "id": collection_id,
                "type": "Collection",
                "stac_version": "1.0.0",
                "description": "command-line ingest test",
                "license": "proprietary",
                "links": [],
                "extent": {
                    "spatial": {"bbox": [[-180, -90, 180, 90]]},
                    "temporal": {"interval": [[None, None]]},
                },
            },
            wait_visible=True,
        )
        try:
            searched = run_cli("search", "-c", ITEM_COLLECTION, "--max-items", "6")
            items = [{**item, "collection": collection_id} for item in json_lines(searched.stdout)]
            lines = "".join(json.dumps(item) + "\n" for item in items)
            first = run_cli("ingest", collection_id, "-", stdin=lines)
            assert first.returncode == 0, first.stderr
            assert sorted((r["id"], r["outcome"]) for r in json_lines(first.stdout)) == sorted(
                (item["id"], "created") for item in items
            )
            again = run_cli("ingest", collection_id, "-", stdin=lines)
            assert again.returncode == 0, again.stderr
            assert {r["outcome"] for r in json_lines(again.stdout)} == {"unchanged"}
            stored = client.stac.search_items_paged(collections=collection_id, limit=100)
            assert sorted(item.id for item in stored) == sorted(item["id"] for item in items)
            broken = json.dumps({**items[0], "id": "broken-item", "geometry": {"type": "Nonsense"}}) + "\n"
            failed = run_cli("ingest", collection_id, "-", stdin=broken)
            assert failed.returncode == 1
            [outcome] = json_lines(failed.stdout)
            assert outcome["id"] == "broken-item" and outcome["outcome"] == "failed" and outcome["errorCode"]
            assert (
                failed.stderr.strip().splitlines()[-1].startswith("planetarycomputer: error: 1 items failed")
            )
        finally:
            client.stac.begin_delete_collection(collection_id).result()

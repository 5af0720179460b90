"""The replay harness is strict: what it lets through, a contract test can rely on."""

from __future__ import annotations

from typing import Any

import pytest
from _capture import FakeTokenCredential
from azure.planetarycomputer import PlanetaryComputerProClient

from .conftest import (
    VCRPY_MISSING,
    Cassette,
    cassette,
    match_body,
    match_query,
    query_multiset,
    scrub_request,
)

vcr_errors = pytest.importorskip("vcr.errors", reason=VCRPY_MISSING)
Request = pytest.importorskip("vcr.request", reason=VCRPY_MISSING).Request
CannotOverwriteExistingCassetteException = vcr_errors.CannotOverwriteExistingCassetteException

HOST = "https://example.geocatalog.spatio.azure.com"


def request(query: str = "", body: bytes | None = None, content_type: str = "application/json") -> Any:
    return Request("POST", f"{HOST}/stac/search?{query}", body, {"Content-Type": content_type})


def test_query_is_a_multiset_that_keeps_encoded_commas_apart() -> None:
    assert query_multiset("b=2&a=1&a=0") == [("a", ("0",)), ("a", ("1",)), ("b", ("2",))]
    match_query(request("a=1&b=2"), request("b=2&a=1"))
    with pytest.raises(AssertionError):
        match_query(request("a=1&a=1"), request("a=1"))
    # One csv element holding commas (image|1,2,3) is not the three elements image|1, 2 and 3.
    with pytest.raises(AssertionError):
        match_query(request("asset_bidx=image%7C1,2,3"), request("asset_bidx=image%7C1%2C2%2C3"))


def test_json_bodies_match_as_json_and_multipart_bodies_are_not_compared() -> None:
    match_body(request(body=b'{"a": 1, "b": [2]}'), request(body=b'{"b":[2],"a":1}'))
    with pytest.raises(AssertionError):
        match_body(request(body=b'{"a": 1}'), request(body=b'{"a": 2}'))
    with pytest.raises(AssertionError):
        match_body(
            request(body=b"x", content_type="text/plain"), request(body=b"y", content_type="text/plain")
        )
    multipart = "multipart/form-data; boundary="
    match_body(
        request(body=b"--1\r\n...", content_type=multipart + "1"),
        request(body=b"--2", content_type=multipart + "2"),
    )


def test_signatures_are_redacted_before_matching() -> None:
    scrubbed = scrub_request(
        request("href=x%3Fsv%3D1%26sig%3Dsecret&sig=secret", b'{"sasToken": "sp=r&sig=secret"}')
    )
    assert (
        "secret" not in scrubbed.uri and "sig%3DREDACTED" in scrubbed.uri and "sig=REDACTED" in scrubbed.uri
    )
    assert scrubbed.body == b'{"sasToken": "sp=r&sig=REDACTED"}'


def _client(vcr: Cassette) -> PlanetaryComputerProClient:
    endpoint = vcr.requests[0].uri.split("/stac/")[0]
    return PlanetaryComputerProClient(endpoint, FakeTokenCredential(), retry_total=0)


@cassette("stac/00_stac_collection/test_03_get_collection")
def test_a_request_the_cassette_does_not_hold_fails(vcr: Cassette) -> None:
    with _client(vcr) as client, pytest.raises(CannotOverwriteExistingCassetteException):
        client.stac.get_collection("another-collection")
    assert vcr.play_count == 0
    assert not vcr.all_played


@cassette("stac/00_stac_collection/test_03_get_collection")
def test_a_recorded_response_is_played_once(vcr: Cassette) -> None:
    with _client(vcr) as client:
        client.stac.get_collection("naip-atl-atl-atl")
        assert vcr.all_played and vcr.play_count == 1
        with pytest.raises(CannotOverwriteExistingCassetteException):
            client.stac.get_collection("naip-atl-atl-atl")

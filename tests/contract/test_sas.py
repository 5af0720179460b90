"""Recorded shared-access-signature traffic: tokens, signed hrefs, revocation (recordings ``03_sas``)."""

from __future__ import annotations

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from azure.planetarycomputer import models

from .conftest import UTC, Replay, cassette, cassette_marks, naip, settle


@pytest.mark.parametrize(
    ("collection_id", "duration", "expiry"),
    [
        pytest.param(
            naip(1),
            None,
            datetime.datetime(2026, 4, 17, 14, 11, 15, tzinfo=UTC),
            marks=cassette_marks("sas/03_sas/test_01_get_token_with_default_duration"),
            id="default_duration",
        ),
        pytest.param(
            naip(2),
            60,
            datetime.datetime(2026, 4, 16, 15, 11, 16, tzinfo=UTC),
            marks=cassette_marks("sas/03_sas/test_02_get_token_with_custom_duration"),
            id="custom_duration",
        ),
    ],
)
async def test_get_token(
    replay: Replay, collection_id: str, duration: int | None, expiry: datetime.datetime
) -> None:
    async with replay.client() as client:
        token = await settle(client.sas.get_token(collection_id, duration_in_minutes=duration))

    assert dict(token) == replay.response_json(0)
    assert isinstance(token, models.SharedAccessSignatureToken)
    assert token.expires_on == expiry
    assert token.expires_on.utcoffset() == datetime.timedelta(0)
    assert token.token == "Sanitized"
    replay.assert_all_played()


@pytest.mark.parametrize(
    ("atl", "expiry"),
    [
        pytest.param(
            3,
            datetime.datetime(2026, 4, 17, 14, 11, 18, tzinfo=UTC),
            marks=cassette_marks("sas/03_sas/test_03_get_sign_with_collection_thumbnail"),
            id="sign",
        ),
        pytest.param(
            4,
            datetime.datetime(2026, 4, 17, 14, 11, 20, tzinfo=UTC),
            marks=cassette_marks("sas/03_sas/test_04_signed_href_can_download_asset"),
            id="signed_href",
        ),
    ],
)
async def test_sign_collection_thumbnail(replay: Replay, atl: int, expiry: datetime.datetime) -> None:
    collection_id = naip(atl)
    async with replay.client() as client:
        collection = await settle(client.stac.get_collection(collection_id))
        thumbnail = collection.assets["thumbnail"].href
        # The recorder sanitized the storage container suffix in request URIs (-bf48131e -> -00000000)
        # but not in response bodies: sign the href the way the recorded request spelled it.
        signed = await settle(client.sas.get_url(href=thumbnail.replace("-bf48131e/", "-00000000/")))

    assert dict(signed) == replay.response_json(1)
    container = f"https://SANITIZED.blob.core.windows.net/{collection_id}-bf48131e"
    assert thumbnail == f"{container}/collection-assets/thumbnail/thumbnail.png"
    assert isinstance(signed, models.SharedAccessSignatureSignedLink)
    assert signed.href.startswith(f"{thumbnail}?")
    query = parse_qs(urlsplit(signed.href).query)
    assert query["sp"] == ["rl"]
    assert query["sr"] == ["c"]
    assert query["sig"] == ["REDACTED"]
    assert query["ske"] == ["2026-04-23T13:54:13Z"]
    assert signed.expires_on == expiry
    replay.assert_all_played()


@cassette("sas/03_sas/test_05_revoke_token")
async def test_revoke_token(replay: Replay) -> None:
    async with replay.client() as client:
        token = await settle(client.sas.get_token(naip(5), duration_in_minutes=60))
        revoked = await settle(client.sas.revoke_token())

    assert token.expires_on == datetime.datetime(2026, 4, 16, 15, 11, 21, tzinfo=UTC)
    assert replay.response_body(1) == b"null"
    assert revoked is None
    replay.assert_all_played()


@cassette("sas/03_sas/test_05_revoke_token")
async def test_shared_access_signature_alias(replay: Replay) -> None:
    async with replay.client() as client:
        assert client.shared_access_signature is client.sas
        await settle(client.shared_access_signature.get_token(naip(5), duration_in_minutes=60))
        await settle(client.shared_access_signature.revoke_token())

    replay.assert_all_played()

"""``repr()`` and ``str()`` of the models never show a SAS signature or token; the values stay usable.

Every model of ``azure.planetarycomputer.models`` is filled with a signed href in every field and
printed; the token fields (found by name across all models, so a new one cannot slip by) print as
``REDACTED`` whatever their shape. Models the sync and async clients return from the SAS operations,
and items they sign, are printed too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from _capture import FakeAsyncTokenCredential, FakeTokenCredential
from azure.planetarycomputer import PlanetaryComputerProClient, models
from azure.planetarycomputer._generated._utils import model_base
from azure.planetarycomputer.aio import PlanetaryComputerProClient as AsyncPlanetaryComputerProClient
from fault_server import FaultServer, RecordedRequest, Reply

SECRET = "c2VjcmV0LXNpZ25hdHVyZQ%3D%3D"
SIGNED = f"https://acct.blob.core.windows.net/naip-bf48131e/a.tif?sv=2025-01-05&sr=c&sp=rl&sig={SECRET}"
OPAQUE = "an-opaque-token-without-a-sig-parameter"
# Fields whose whole value is a credential, by (model, attribute). StacSearchParameters.token is a
# paging token, not a secret.
TOKEN_FIELDS = {
    ("SharedAccessSignatureToken", "token"),
    ("SharedAccessSignatureTokenConnection", "shared_access_signature_token"),
}
NOT_SECRET_TOKENS = {("StacSearchParameters", "token")}


def _model_classes() -> Iterator[type[model_base.Model]]:
    for name in models.__all__:
        candidate = getattr(models, name)
        if isinstance(candidate, type) and issubclass(candidate, model_base.Model):
            yield candidate


def _fields(cls: type[model_base.Model], str_only: bool = False) -> dict[str, str]:
    """attribute name -> JSON name (of the fields typed ``str``, with ``str_only``)."""
    cls({})  # the generated base computes the field table on first instantiation
    table: dict[str, Any] = getattr(cls, "_attr_to_rest_field")  # noqa: B009 -- set at run time
    annotations: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        annotations.update(getattr(klass, "__annotations__", {}))
    return {
        attribute: field._rest_name
        for attribute, field in table.items()
        if not str_only or annotations.get(attribute) in ("str", "Optional[str]", str)
    }


def _shown(model: Any) -> str:
    return repr(model) + str(model) + repr([model]) + str({"x": model})


def test_the_token_fields_are_the_known_ones() -> None:
    named = {
        (cls.__name__, attribute)
        for cls in _model_classes()
        for attribute in _fields(cls)
        if "token" in attribute.lower() or "sas" in attribute.lower()
    }
    assert named == TOKEN_FIELDS | NOT_SECRET_TOKENS


MODELS_WITH_TEXT = [cls for cls in _model_classes() if _fields(cls, str_only=True)]


def test_the_models_with_text_fields_include_those_with_hrefs() -> None:
    names = {cls.__name__ for cls in MODELS_WITH_TEXT}
    assert {"StacAsset", "StacLink", "SharedAccessSignatureSignedLink", "SharedAccessSignatureToken"} <= names
    assert len(names) > 30


@pytest.mark.parametrize("cls", MODELS_WITH_TEXT, ids=lambda cls: cls.__name__)
def test_no_model_prints_a_signature(cls: type[model_base.Model]) -> None:
    fields = _fields(cls, str_only=True)
    model = cls({rest_name: SIGNED for rest_name in fields.values()})
    shown = _shown(model)
    assert SECRET not in shown and "REDACTED" in shown
    assert SECRET in str(model.as_dict())  # the values are still there for the caller
    assert all(model.get(rest_name) == SIGNED for rest_name in fields.values())
    for attribute, rest_name in fields.items():
        if (cls.__name__, attribute) in TOKEN_FIELDS:
            opaque = cls({rest_name: OPAQUE})
            assert OPAQUE not in _shown(opaque) and "REDACTED" in repr(opaque)
            assert getattr(opaque, attribute) == OPAQUE and opaque.as_dict()[rest_name] == OPAQUE


def test_nested_models_and_plain_dicts_inside_them_are_redacted() -> None:
    source = models.SharedAccessSignatureTokenIngestionSource(
        id="00000000-0000-0000-0000-000000000001",
        connection_info=models.SharedAccessSignatureTokenConnection(
            container_uri=SIGNED, shared_access_signature_token=OPAQUE
        ),
    )
    as_json = models.SharedAccessSignatureTokenIngestionSource(source.as_dict())  # nested plain dicts
    for model in (source, as_json, source.connection_info):
        shown = _shown(model)
        assert SECRET not in shown and OPAQUE not in shown, shown
    assert source.connection_info.shared_access_signature_token == OPAQUE
    assert as_json["connectionInfo"]["sasToken"] == OPAQUE
    item = models.StacItem({"type": "Feature", "id": "i", "assets": {"image": {"href": SIGNED}}})
    assert item.assets["image"].href == SIGNED  # the typed asset is now a model inside the item
    assert SECRET not in _shown(item) and SECRET not in _shown(item.assets["image"])
    # A paging token is not a credential: it stays readable.
    assert "page-2" in repr(models.StacSearchParameters({"token": "page-2"}))


def _expiry() -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def endpoint() -> Iterator[FaultServer]:
    def sign(request: RecordedRequest) -> Reply:
        return Reply.json({"href": SIGNED, "msft:expiry": _expiry()})

    with FaultServer() as running:
        running.route("/sas/sign", sign)
        running.script(
            "/sas/token/naip", Reply.json({"token": f"sv=1&sig={SECRET}", "msft:expiry": _expiry()})
        )
        yield running


def test_models_from_the_sync_client_print_no_secret(endpoint: FaultServer) -> None:
    with PlanetaryComputerProClient(endpoint.url, FakeTokenCredential(), retry_total=0) as client:
        token = client.sas.get_token("naip")
        link = client.sas.get_url(href=SIGNED.split("?")[0])
        item = client.sas.sign(
            models.StacItem({"type": "Feature", "id": "i", "assets": {"a": {"href": SIGNED}}})
        )
    assert SECRET in token.token and link.href == SIGNED  # the caller gets the values
    for model in (token, link, item):
        assert SECRET not in _shown(model)


async def test_models_from_the_async_client_print_no_secret(endpoint: FaultServer) -> None:
    async with AsyncPlanetaryComputerProClient(
        endpoint.url, FakeAsyncTokenCredential(), retry_total=0
    ) as client:
        token = await client.sas.get_token("naip")
        link = await client.sas.get_url(href=SIGNED.split("?")[0])
        item = await client.sas.sign(
            models.StacItem({"type": "Feature", "id": "i", "assets": {"a": {"href": SIGNED}}})
        )
    assert SECRET in token.token and link.href == SIGNED
    for model in (token, link, item):
        assert SECRET not in _shown(model)

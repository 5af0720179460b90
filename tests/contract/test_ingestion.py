"""Recorded ingestion traffic: sources, definitions, runs and operations
(recordings ``01_ingestion_management``)."""

from __future__ import annotations

import datetime
from collections import Counter

from azure.planetarycomputer import models

from .conftest import UTC, Replay, cassette, collect, naip, settle

ZERO_ID = "00000000-0000-0000-0000-000000000000"
SAMPLES = "https://raw.githubusercontent.com/aloverro/mpcpro-sample-datasets/main/datasets/planetary_computer"


def static_catalog(collection_id: str, display_name: str) -> models.IngestionDefinition:
    """The ingestion definition the recorded tests create for a collection."""
    return models.IngestionDefinition(
        import_type="StaticCatalog",
        display_name=display_name,
        source_catalog_url=f"{SAMPLES}/{collection_id}/catalog.json",
        keep_original_assets=True,
        skip_existing_items=True,
    )


def assert_definition(definition: models.IngestionDefinition, collection_id: str, display_name: str) -> None:
    assert isinstance(definition, models.IngestionDefinition)
    assert definition.id == ZERO_ID
    assert definition.import_type == "StaticCatalog"
    assert definition.display_name == display_name
    assert definition.source_catalog_url == f"{SAMPLES}/{collection_id}/catalog.json"
    assert definition.skip_existing_items is True
    assert definition.keep_original_assets is True
    assert definition.status == "Ready"
    assert isinstance(definition.creation_time, datetime.datetime)


def assert_pending_run(run: models.IngestionRun, collection_id: str) -> None:
    assert isinstance(run, models.IngestionRun)
    assert run.id == ZERO_ID
    assert run.source_catalog_url == f"{SAMPLES}/{collection_id}/catalog.json"
    assert run.operation.id == ZERO_ID
    assert run.operation.status == "Pending"
    assert [entry.status for entry in run.operation.status_history] == ["Pending"]
    assert run.operation.total_items == 0
    assert run.operation.total_failed_items == 0


@cassette("ingestion/01_ingestion_management/test_01_list_managed_identities")
async def test_list_managed_identities(replay: Replay) -> None:
    async with replay.client() as client:
        identities = await collect(client.ingestion.list_managed_identities())

    assert identities == []
    replay.assert_all_played()


@cassette("ingestion/01_ingestion_management/test_02a_create_sas_token_ingestion_source")
async def test_create_sas_token_ingestion_source(replay: Replay) -> None:
    container = "https://SANITIZED.blob.core.windows.net/sample-container"
    source = models.SharedAccessSignatureTokenIngestionSource(
        id=ZERO_ID,
        connection_info=models.SharedAccessSignatureTokenConnection(
            container_uri=container,
            # The vcr scrub hook redacts the signature before matching, as it did before recording.
            shared_access_signature_token="sv=2021-01-01&st=Sanitized&se=Sanitized&sr=c&sp=rl&sig=Sanitized",
        ),
    )
    async with replay.client() as client:
        created = await settle(client.ingestion.create_source(source))
        deleted = await settle(client.ingestion.delete_source(created.id))

    assert dict(created) == replay.response_json(0)
    assert replay.request_json(0)["connectionInfo"]["sasToken"].endswith("&sig=REDACTED")
    assert isinstance(created, models.SharedAccessSignatureTokenIngestionSource)
    assert created.kind == "SasToken"
    assert created.id == ZERO_ID
    assert created.created == datetime.datetime(2026, 4, 15, 15, 55, 41, 36837, tzinfo=UTC)
    assert created.connection_info.container_uri == container
    assert created.connection_info.expiration == datetime.datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert created.connection_info.shared_access_signature_token is None
    assert deleted is None
    replay.assert_all_played()


@cassette("ingestion/01_ingestion_management/test_03_create_ingestion_definition")
async def test_create_ingestion_definition(replay: Replay) -> None:
    collection_id = naip(4)
    async with replay.client() as client:
        existing = await collect(client.ingestion.list(collection_id))
        deletions = []
        for definition in existing:
            # The recorded client polled each deletion once and moved on while it was still running.
            poller = await settle(
                client.ingestion.begin_delete(collection_id, definition.id, polling=replay.recorded_polls(1))
            )
            assert await settle(poller.result()) is None
            deletions.append(poller.status())
        created = await settle(
            client.ingestion.create(collection_id, static_catalog(collection_id, "Ingestion"))
        )

    assert [dict(definition) for definition in existing] == replay.response_json(0)["value"]
    assert dict(created) == replay.response_json(19)
    assert len(existing) == 9
    assert existing[1].display_name == "Updated Ingestion Name"
    assert existing[0].creation_time == datetime.datetime(2026, 4, 14, 20, 45, 33, 106644, tzinfo=UTC)
    assert deletions == ["Pending"] * 9
    assert_definition(created, collection_id, "Ingestion")
    replay.assert_all_played()


@cassette("ingestion/01_ingestion_management/test_04_update_ingestion_definition")
async def test_update_ingestion_definition(replay: Replay) -> None:
    collection_id = naip(5)
    async with replay.client() as client:
        created = await settle(
            client.ingestion.create(collection_id, static_catalog(collection_id, "Sample Dataset Ingestion"))
        )
        updated = await settle(
            client.ingestion.update(
                collection_id,
                created.id,
                models.IngestionDefinition(
                    import_type="StaticCatalog", display_name="Updated Ingestion Name"
                ),
            )
        )

    assert dict(created) == replay.response_json(0)
    assert dict(updated) == replay.response_json(1)
    assert_definition(created, collection_id, "Sample Dataset Ingestion")
    assert_definition(updated, collection_id, "Updated Ingestion Name")
    assert updated.creation_time == created.creation_time
    replay.assert_all_played()


@cassette("ingestion/01_ingestion_management/test_05_create_ingestion_run")
async def test_create_ingestion_run(replay: Replay) -> None:
    collection_id = naip(6)
    async with replay.client() as client:
        definition = await settle(
            client.ingestion.create(collection_id, static_catalog(collection_id, "Ingestion for Run"))
        )
        run = await settle(client.ingestion.create_run(collection_id, definition.id))

    assert dict(run) == replay.response_json(1)
    assert_definition(definition, collection_id, "Ingestion for Run")
    assert_pending_run(run, collection_id)
    assert run.creation_time == datetime.datetime(2026, 4, 15, 15, 55, 48, 618180, tzinfo=UTC)
    replay.assert_all_played()


@cassette("ingestion/01_ingestion_management/test_06_get_ingestion_run_status")
async def test_get_ingestion_run_status(replay: Replay) -> None:
    collection_id = naip(7)
    async with replay.client() as client:
        definition = await settle(
            client.ingestion.create(
                collection_id, static_catalog(collection_id, "Ingestion for Status Check")
            )
        )
        run = await settle(client.ingestion.create_run(collection_id, definition.id))
        status = await settle(client.ingestion.get_run(collection_id, definition.id, run.id))

    assert dict(status) == replay.response_json(2)
    assert_pending_run(status, collection_id)
    assert status.operation.creation_time == run.operation.creation_time
    replay.assert_all_played()


@cassette("ingestion/01_ingestion_management/test_07_list_operations")
async def test_list_operations(replay: Replay) -> None:
    async with replay.client() as client:
        operations = await collect(client.ingestion.list_operations())

    assert [dict(operation) for operation in operations] == replay.response_json(0)["value"]
    assert len(operations) == 78
    assert Counter(operation.status for operation in operations) == {
        "Succeeded": 49,
        "Failed": 14,
        "Pending": 9,
        "Canceled": 5,
        "Canceling": 1,
    }
    assert operations[0].type == "IngestionStaticCatalog"
    assert operations[0].collection_id == naip(8)
    assert operations[0].creation_time == datetime.datetime(2026, 4, 15, 15, 55, 49, 848149, tzinfo=UTC)
    replay.assert_all_played()


@cassette("ingestion/01_ingestion_management/test_08_get_operation_by_id")
async def test_get_operation_by_id(replay: Replay) -> None:
    collection_id = naip(9)
    async with replay.client() as client:
        definition = await settle(
            client.ingestion.create(collection_id, static_catalog(collection_id, "Ingestion for Operation"))
        )
        run = await settle(client.ingestion.create_run(collection_id, definition.id))
        operation = await settle(client.ingestion.get_operation(run.operation.id))

    assert dict(operation) == replay.response_json(2)
    assert isinstance(operation, models.Operation)
    assert operation.id == run.operation.id == ZERO_ID
    assert operation.status == "Pending"
    assert operation.type == "IngestionStaticCatalog"
    assert operation.collection_id == collection_id
    assert operation.status_history[0].timestamp == datetime.datetime(
        2026, 4, 15, 15, 55, 52, 566992, tzinfo=UTC
    )
    replay.assert_all_played()


@cassette("ingestion/01_ingestion_management/test_10_cancel_operation")
async def test_cancel_operation(replay: Replay) -> None:
    collection_id = naip(11)
    async with replay.client() as client:
        definition = await settle(
            client.ingestion.create(collection_id, static_catalog(collection_id, "Ingestion for Cancel Test"))
        )
        run = await settle(client.ingestion.create_run(collection_id, definition.id))
        canceled = await settle(client.ingestion.cancel_operation(run.operation.id))

    assert_pending_run(run, collection_id)
    assert canceled is None
    replay.assert_all_played()


@cassette("ingestion/01_ingestion_management/test_14_lists_ingestions")
async def test_list_ingestions(replay: Replay) -> None:
    collection_id = naip(15)
    async with replay.client() as client:
        created = await settle(
            client.ingestion.create(collection_id, static_catalog(collection_id, "Ingestion for Lists Test"))
        )
        definitions = await collect(client.ingestion.list(collection_id))

    assert [dict(definition) for definition in definitions] == replay.response_json(1)["value"]
    assert len(definitions) == 7
    assert definitions[-1].display_name == created.display_name == "Ingestion for Lists Test"
    assert {definition.status for definition in definitions} == {"Ready"}
    replay.assert_all_played()


@cassette("ingestion/01_ingestion_management/test_15_get_ingestion")
async def test_get_ingestion(replay: Replay) -> None:
    collection_id = naip(16)
    async with replay.client() as client:
        created = await settle(
            client.ingestion.create(collection_id, static_catalog(collection_id, "Ingestion for Get Test"))
        )
        fetched = await settle(client.ingestion.get(collection_id, created.id))

    assert dict(fetched) == replay.response_json(1)
    assert_definition(fetched, collection_id, "Ingestion for Get Test")
    assert fetched.creation_time == datetime.datetime(2026, 4, 15, 15, 56, 1, 782570, tzinfo=UTC)
    replay.assert_all_played()


@cassette("ingestion/01_ingestion_management/test_16_list_runs")
async def test_list_runs(replay: Replay) -> None:
    collection_id = naip(17)
    async with replay.client() as client:
        definition = await settle(
            client.ingestion.create(
                collection_id, static_catalog(collection_id, "Ingestion for List Runs Test")
            )
        )
        run = await settle(client.ingestion.create_run(collection_id, definition.id))
        runs = await collect(client.ingestion.list_runs(collection_id, definition.id))

    assert [dict(item) for item in runs] == replay.response_json(2)["value"]
    assert len(runs) == 1
    assert_pending_run(runs[0], collection_id)
    assert runs[0].creation_time == run.creation_time
    replay.assert_all_played()


@cassette("ingestion/01_ingestion_management/test_17_get_operation")
async def test_get_operation(replay: Replay) -> None:
    async with replay.client() as client:
        operations = await collect(client.ingestion.list_operations())
        operation = await settle(client.ingestion.get_operation(operations[0].id))

    assert [dict(item) for item in operations] == replay.response_json(0)["value"]
    assert dict(operation) == replay.response_json(1)
    assert len(operations) == 81
    assert operation.status == "Pending"
    assert operation.collection_id == naip(18)
    replay.assert_all_played()


@cassette("ingestion/01_ingestion_management/test_18_cancel_all_operations_additional")
async def test_cancel_all_operations(replay: Replay) -> None:
    async with replay.client() as client:
        canceled = await settle(client.ingestion.cancel_all_operations())

    assert canceled is None
    replay.assert_all_played()

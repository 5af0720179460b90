#!/usr/bin/env bash
# One command: install the library, start the local GeoCatalog stand-in, run the main job against it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python3 -m venv .venv
. .venv/bin/activate
python -m pip install --quiet -e ".[all]"
# the stand-in: PostgreSQL + pgstac, Azurite (blob storage, GEOCATALOG_BLOB_PORT) and the API (GEOCATALOG_PORT)
tests/geocatalog/up
# the job signs the items' Azurite hrefs through sas.sign (storage_hosts=[<Azurite host:port>]) and
# downloads one asset from Azurite with that signature
python samples/main_job.py --endpoint "${GEOCATALOG_ENDPOINT:-http://127.0.0.1:${GEOCATALOG_PORT:-8811}}" "$@"

#!/usr/bin/env bash
# One command: install the library, start the local GeoCatalog stand-in, run the main job against it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python3 -m venv .venv
. .venv/bin/activate
python -m pip install --quiet -e ".[all]"
tests/geocatalog/up
python samples/main_job.py --endpoint "${GEOCATALOG_ENDPOINT:-http://127.0.0.1:8811}" "$@"

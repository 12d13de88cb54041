#!/usr/bin/env bash
# Runs every test: unit tests, the API tests on SQLite and PostgreSQL, and the
# browser journeys. Installs what they need first (scripts/tools.sh), skipping
# what is already there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=tools.sh
source scripts/tools.sh

# The API tests run every case on PostgreSQL too, each in a database of its
# own on this server.
bash scripts/postgres.sh ${TEST_POSTGRES_URL:+"$TEST_POSTGRES_URL"}

cargo test --workspace --all-targets "$@"

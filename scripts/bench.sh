#!/usr/bin/env bash
# Builds the backend and the load generator in release mode and runs every
# scenario on SQLite and PostgreSQL, printing one table per database and the
# targets as ratios measured in this run. Run it on a quiet machine.
#   ./scripts/bench.sh [--seconds N] [--connections N] [--sqlite-only]
#                      [--profile-refresh | --profile-logins | --profile-me]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ " $* " != *" --sqlite-only "* ]]; then
    bash scripts/postgres.sh ${TEST_POSTGRES_URL:+"$TEST_POSTGRES_URL"}
fi
cargo build --release -p backend -p bench
exec target/release/bench --backend target/release/backend "$@"

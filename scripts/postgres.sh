#!/usr/bin/env bash
# Makes sure the PostgreSQL server of the given URL answers, starting the
# local cluster if it is this machine's and stopped.
set -euo pipefail
# Without one, TEST_POSTGRES_URL's default, which testkit/src/pg.rs holds.
default=$(sed -n 's/^pub const DEFAULT_POSTGRES_URL: &str = "\(.*\)";$/\1/p' \
    "$(dirname "${BASH_SOURCE[0]}")/../testkit/src/pg.rs")
url="${1:-$default}"
if command -v pg_isready >/dev/null && pg_isready -q -d "$url"; then
    exit 0
fi
if command -v pg_ctlcluster >/dev/null && [[ -d /etc/postgresql ]]; then
    echo "postgres: starting the local cluster"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
    for _ in $(seq 1 30); do
        pg_isready -q -d "$url" && exit 0
        sleep 1
    done
fi
echo "postgres: no server answers at $url; set TEST_POSTGRES_URL to one that does" >&2
exit 1

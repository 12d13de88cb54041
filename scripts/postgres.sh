#!/usr/bin/env bash
# Makes sure the PostgreSQL server of the given URL answers, starting the
# local cluster if it is this machine's and stopped.
set -euo pipefail
url="${1:-postgres://postgres@127.0.0.1:5432/test}"
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

#!/usr/bin/env bash
# Sets everything up and runs the app: installs the tool chain (once), builds
# the frontend in release mode, and starts the backend serving it and the API
# on one port with two demo users. Extra arguments go to `backend serve`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The browser is only needed by the tests.
TOOLS_SKIP_BROWSER=1 source scripts/tools.sh

trunk build --release
exec cargo run --release -p backend -- serve --demo "$@"

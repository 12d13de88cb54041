#!/usr/bin/env bash
# Runs each fuzz target for a bounded time (default 60 s each) on the stable
# toolchain. Findings are written to fuzz/artifacts/<target>/.
#   ./scripts/fuzz.sh [seconds]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds="${1:-60}"
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --version 0.13.2 --locked
fi
# cargo-fuzz needs nightly flags; the stable compiler accepts them with this.
export RUSTC_BOOTSTRAP=1
for target in token request_body; do
    echo "fuzz: $target for $seconds s"
    mkdir -p "fuzz/corpus/$target"
    cargo fuzz run "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
        -max_total_time="$seconds" -max_len=4096
done

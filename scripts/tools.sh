#!/usr/bin/env bash
# Installs the frontend and end-to-end tool chain, idempotently (TOOLCHAIN.md):
#   - the wasm32-unknown-unknown target
#   - trunk 0.21.14 and wasm-bindgen-cli 0.2.130 (cargo install, from crates.io)
#   - binaryen 132 (wasm-opt) from npm into $repo/.tools/binaryen
#   - MailDev 3.0.0 (the tests' SMTP server) from npm into $repo/.tools/maildev
#   - Debian chromium and chromium-driver (for the e2e tests)
# Each step is skipped when the right version is already there, so running it
# again costs a few seconds. Nothing is downloaded from outside the package
# registries: trunk finds wasm-bindgen and wasm-opt on PATH and fetches nothing.
#
#   bash scripts/tools.sh      install
#   source scripts/tools.sh    install, then keep PATH and TRUNK_SKIP_VERSION_CHECK
#                              in the current shell
# TOOLS_SKIP_BROWSER=1 skips the apt step (for a build-only machine).

_tools_main() {
    set -euo pipefail

    local repo
    repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    local trunk_version="0.21.14"
    local wasm_bindgen_version="0.2.130"
    local binaryen_version="132.0.0"
    local binaryen_dir="$repo/.tools/binaryen"
    local maildev_version="3.0.0"

    export PATH="$binaryen_dir/node_modules/.bin:$HOME/.cargo/bin:$PATH"

    # The wasm target.
    if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
        echo "tools: wasm32-unknown-unknown target present"
    else
        rustup target add wasm32-unknown-unknown
    fi

    # trunk. 0.22 needs a newer rustc than ours, hence the pin.
    if command -v trunk >/dev/null && trunk --version 2>/dev/null | grep -q "trunk $trunk_version\$"; then
        echo "tools: trunk $trunk_version present"
    else
        cargo install trunk --version "$trunk_version" --locked
    fi

    # wasm-bindgen-cli must match the wasm-bindgen library exactly. --locked
    # fails to build this version here, so it is deliberately left out.
    if command -v wasm-bindgen >/dev/null &&
        wasm-bindgen --version 2>/dev/null | grep -q "wasm-bindgen $wasm_bindgen_version\$"; then
        echo "tools: wasm-bindgen $wasm_bindgen_version present"
    else
        cargo install wasm-bindgen-cli --version "$wasm_bindgen_version"
    fi

    # binaryen from npm: Debian's binaryen (108) produces a wasm that breaks
    # at run time (externref tables).
    if ! command -v npm >/dev/null; then
        _tools_apt nodejs npm
    fi
    if [[ -x "$binaryen_dir/node_modules/.bin/wasm-opt" ]] &&
        "$binaryen_dir/node_modules/.bin/wasm-opt" --version 2>/dev/null | grep -q "version ${binaryen_version%%.*}"; then
        echo "tools: binaryen ${binaryen_version%%.*} present"
    else
        mkdir -p "$binaryen_dir"
        npm install --prefix "$binaryen_dir" --no-audit --no-fund "binaryen@$binaryen_version"
    fi

    # MailDev, the SMTP server the tests send mail to and read back through
    # its REST API (one started per test run, on free ports).
    local maildev_dir="$repo/.tools/maildev"
    if [[ -x "$maildev_dir/node_modules/.bin/maildev" ]] &&
        grep -q "\"version\": \"$maildev_version\"" "$maildev_dir/node_modules/maildev/package.json" 2>/dev/null; then
        echo "tools: maildev $maildev_version present"
    else
        mkdir -p "$maildev_dir"
        npm install --prefix "$maildev_dir" --no-audit --no-fund "maildev@$maildev_version"
    fi

    # Chromium and its driver for the browser journeys.
    if [[ "${TOOLS_SKIP_BROWSER:-}" == 1 ]]; then
        echo "tools: browser skipped (TOOLS_SKIP_BROWSER=1)"
    elif command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
        echo "tools: chromium and chromedriver present"
    else
        _tools_apt chromium chromium-driver
    fi
}

# Installs Debian packages, updating the package lists only when they are
# missing or do not know the packages yet.
_tools_apt() {
    local sudo=""
    if [[ "$(id -u)" != 0 ]]; then sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-cache show "$@" >/dev/null 2>&1; then
        $sudo apt-get update
    fi
    $sudo apt-get install -y --no-install-recommends "$@"
}

# Run in a subshell so that `set -e` and a failure never kill an interactive
# shell that sourced this file.
( _tools_main "$@" )
_tools_status=$?
unset -f _tools_main _tools_apt

_tools_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case ":$PATH:" in
*":$HOME/.cargo/bin:"*) ;;
*) export PATH="$HOME/.cargo/bin:$PATH" ;;
esac
case ":$PATH:" in
*":$_tools_repo/.tools/binaryen/node_modules/.bin:"*) ;;
*) export PATH="$_tools_repo/.tools/binaryen/node_modules/.bin:$PATH" ;;
esac
export TRUNK_SKIP_VERSION_CHECK=true
unset _tools_repo

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    exit "$_tools_status"
else
    # Sourced: report failure without exiting the caller's shell.
    (exit "$_tools_status") || { unset _tools_status; return 1; }
    unset _tools_status
fi

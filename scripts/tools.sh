#!/usr/bin/env bash
# Makes sure the tools the tests and `make validate` run are installed: promtool and prometheus (the
# live-scrape test in e2e/tests/observability/ and the rule checks), the Postgres and Redis exporters (the
# dashboard's health panels), and Chromium with ChromeDriver (browser tests). Installs what is missing from
# the Debian packages when run as root; otherwise says what to install and fails.
# Usage: scripts/tools.sh [TOOL...] checks only the named tools (e.g. `promtool`); no argument checks all.
# Set OCEAN_SKIP_TOOLS=1 to manage them yourself.
set -euo pipefail

[[ "${OCEAN_SKIP_TOOLS:-0}" == "1" ]] && exit 0

log() { printf '[tools] %s\n' "$*"; }
fail() { printf '[tools] error: %s\n' "$*" >&2; exit 1; }

# command -> Debian package
declare -A PACKAGE=(
    [promtool]=prometheus
    [prometheus]=prometheus
    [prometheus-postgres-exporter]=prometheus-postgres-exporter
    [prometheus-redis-exporter]=prometheus-redis-exporter
    [chromium]=chromium
    [chromedriver]=chromium-driver
)
ORDER=(promtool prometheus prometheus-postgres-exporter prometheus-redis-exporter chromium chromedriver)

wanted=("$@")
((${#wanted[@]})) || wanted=("${ORDER[@]}")

missing=()
for tool in "${wanted[@]}"; do
    [[ -n "${PACKAGE[$tool]:-}" ]] || fail "unknown tool '$tool' (known: ${ORDER[*]})"
    command -v "$tool" >/dev/null || missing+=("$tool")
done
((${#missing[@]})) || exit 0

packages=()
for tool in "${missing[@]}"; do
    pkg=${PACKAGE[$tool]}
    [[ " ${packages[*]} " == *" $pkg "* ]] || packages+=("$pkg")
done

command -v apt-get >/dev/null \
    || fail "missing: ${missing[*]}; this is not a Debian/Ubuntu machine: install them yourself (Debian packages: ${packages[*]})"
[[ "$(id -u)" == "0" ]] \
    || fail "missing: ${missing[*]}; run 'sudo apt-get install -y --no-install-recommends ${packages[*]}' (or run make as root)"
log "installing ${packages[*]} from the OS packages (for ${missing[*]})"
DEBIAN_FRONTEND=noninteractive apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null

for tool in "${missing[@]}"; do
    command -v "$tool" >/dev/null || fail "$tool is still missing after installing ${PACKAGE[$tool]}"
done
log "installed ${missing[*]}"

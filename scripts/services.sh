#!/usr/bin/env bash
# Makes sure Postgres and Redis answer on 127.0.0.1 (ports 5432 and 6379). Starts them when they are
# installed but stopped; installs them from the OS packages (Debian/Ubuntu, as root) when missing.
# Set OCEAN_SKIP_SERVICES=1 to manage them yourself.
set -euo pipefail

[[ "${OCEAN_SKIP_SERVICES:-0}" == "1" ]] && exit 0

log() { printf '[services] %s\n' "$*"; }
fail() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

postgres_ready() {
    if command -v pg_isready >/dev/null; then pg_isready -h 127.0.0.1 -p 5432 -q; else port_open 5432; fi
}

redis_ready() {
    if command -v redis-cli >/dev/null; then
        [[ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" == "PONG" ]]
    else
        port_open 6379
    fi
}

wait_until() {
    local what=$1 check=$2
    for _ in $(seq 1 60); do
        if $check; then return 0; fi
        sleep 0.5
    done
    fail "$what did not come up within 30 s"
}

apt_install() {
    command -v apt-get >/dev/null || fail "$1 is not installed and this is not a Debian/Ubuntu machine: install $1 yourself"
    [[ "$(id -u)" == "0" ]] || fail "$1 is not installed: run 'sudo apt-get install -y $*' (or run make as root)"
    log "installing $* from the OS packages"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

start_postgres() {
    if ! command -v pg_ctlcluster >/dev/null || [[ -z "$(ls /etc/postgresql 2>/dev/null)" ]]; then
        apt_install postgresql postgresql-client
        # A cluster we created ourselves: let local TCP clients in without a password, as on our machines.
        local hba
        hba=$(ls /etc/postgresql/*/main/pg_hba.conf | head -n1)
        sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+$/\1trust/' "$hba"
    fi
    local version
    version=$(ls /etc/postgresql | sort -V | tail -n1)
    log "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
        || pg_ctlcluster "$version" main start \
        || fail "could not start PostgreSQL (see /var/log/postgresql/)"
    pg_ctlcluster "$version" main reload >/dev/null 2>&1 || true
}

start_redis() {
    command -v redis-server >/dev/null || apt_install redis-server
    log "starting Redis"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir "${TMPDIR:-/tmp}" --logfile "${TMPDIR:-/tmp}/ocean-redis.log" \
        || fail "could not start Redis"
}

if postgres_ready; then log "PostgreSQL is up"; else start_postgres; wait_until PostgreSQL postgres_ready; fi
if redis_ready; then log "Redis is up"; else start_redis; wait_until Redis redis_ready; fi

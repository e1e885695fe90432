#!/usr/bin/env bash
# Start Postgres and Redis on loopback when they are not already running, and
# check that the tests can create their own databases (each test session
# creates and drops one; each uses its own Redis db index).
set -euo pipefail

PG_HOST=127.0.0.1
PG_PORT=5432
REDIS_PORT=6379

wait_for() {  # wait_for DESCRIPTION COMMAND...
    local what=$1; shift
    for _ in $(seq 1 60); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.5
    done
    echo "services: $what did not come up" >&2
    return 1
}

install_if_missing() {  # a fresh machine of another kind may lack them
    if command -v pg_ctlcluster >/dev/null && command -v redis-server >/dev/null; then
        return 0
    fi
    if command -v apt-get >/dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql redis-server
    fi
}

if ! pg_isready -h "$PG_HOST" -p "$PG_PORT" -q 2>/dev/null; then
    install_if_missing
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
    wait_for "Postgres" pg_isready -h "$PG_HOST" -p "$PG_PORT" -q
fi

if ! redis-cli -h "$PG_HOST" -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    install_if_missing
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" \
        --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
    wait_for "Redis" redis-cli -h "$PG_HOST" -p "$REDIS_PORT" ping
fi

# The ops tests validate docker-compose.yml with docker-compose and the
# Prometheus files with promtool and a real Prometheus (Debian's packages).
if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null \
    || ! command -v docker-compose >/dev/null; then
    if command -v apt-get >/dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            prometheus docker-compose >/dev/null
    fi
fi

# The tests connect as postgres over TCP without a password and create
# databases; fail here, clearly, if that is not possible.
psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -qAtc "SELECT 1" >/dev/null
echo "services: Postgres on $PG_HOST:$PG_PORT and Redis on $PG_HOST:$REDIS_PORT are up"

#!/usr/bin/env bash
# smoke-test-pg16.sh [--tag postgres:16.14] — end-to-end check of the local image:
# host-network container, PGPORT and `-p` port selection, password auth,
# POSTGRES_USER/POSTGRES_DB creation, pgcrypto, non-root server, single
# "ready to accept connections". Needs psql on the host. Cleans up after itself.
set -euo pipefail

TAG=postgres:16.14
[[ "${1:-}" == --tag ]] && { TAG="${2:?--tag needs a value}"; }
NAME=pgc-smoke
TIMEOUT=30
fail() { echo "smoke-test: FAIL: $*" >&2; docker logs "$NAME" 2>&1 | tail -n 20 | sed 's/^/  | /' >&2 || true; exit 1; }
cleanup() { docker rm -f "$NAME" >/dev/null 2>&1 || true; }
trap cleanup EXIT
command -v psql >/dev/null || fail "psql not installed on the host"
now_ms() { date +%s%3N; }

# start_and_wait <port> <docker run args...>  -> prints start→ready ms
start_and_wait() {
  local port="$1"; shift
  cleanup
  local t0; t0="$(now_ms)"
  docker run -d --name "$NAME" --network host "$@" >/dev/null || fail "docker run failed"
  while :; do
    if docker logs "$NAME" 2>&1 | grep -q 'ready to accept connections' \
       && pg_isready -q -h 127.0.0.1 -p "$port"; then break; fi
    [[ "$(docker inspect -f '{{.State.Running}}' "$NAME" 2>/dev/null)" == true ]] || fail "container exited"
    (( $(now_ms) - t0 < TIMEOUT * 1000 )) || fail "not ready within ${TIMEOUT}s"
    sleep 0.05
  done
  echo $(( $(now_ms) - t0 ))
}

q() { local port="$1" user="$2" db="$3"; shift 3; PGPASSWORD=secret psql -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$user" -d "$db" -Atc "$@"; }

# 1) defaults + PGPORT
ms="$(start_and_wait 55432 -e POSTGRES_PASSWORD=secret -e PGPORT=55432 "$TAG" -c listen_addresses=127.0.0.1 -c fsync=off)"
echo "start→ready (PGPORT=55432, first boot incl. initdb): ${ms} ms"
v="$(q 55432 postgres postgres 'select version()')"; echo "  $v"
[[ "$v" == "PostgreSQL 16."* ]] || fail "unexpected version: $v"
n="$(docker logs "$NAME" 2>&1 | grep -c 'ready to accept connections' || true)"
[[ "$n" == 1 ]] || fail "'ready to accept connections' printed $n times"
[[ "$(q 55432 postgres postgres 'show fsync')" == off ]] || fail "-c fsync=off not applied"
[[ "$(q 55432 postgres postgres 'show listen_addresses')" == 127.0.0.1 ]] || fail "listen_addresses not applied"
q 55432 postgres postgres "create extension pgcrypto; select encode(digest('abc','sha256'),'hex')" >/dev/null || fail "pgcrypto"
q 55432 postgres postgres "select 1 from pg_collation where collname = 'en_US'" | grep -q 1 || echo "  note: no en_US collation imported"
echo "  encoding/collation: $(q 55432 postgres postgres "select pg_encoding_to_char(encoding)||' '||datcollate from pg_database where datname='postgres'")"
if PGPASSWORD=wrong psql -X -h 127.0.0.1 -p 55432 -U postgres -Atc 'select 1' >/dev/null 2>&1; then fail "wrong password accepted"; fi
users="$(docker top "$NAME" -o pid,user,args | awk 'NR>1 {print $2}' | sort -u | tr '\n' ' ')"
echo "  server process users (docker top): $users"
[[ "$users" != *root* && "$users" != *"0 "* ]] || fail "server runs as root"

# 2) custom user/db + `-p` arg instead of PGPORT
ms="$(start_and_wait 55433 -e POSTGRES_PASSWORD=secret -e POSTGRES_USER=conf -e POSTGRES_DB=confdb "$TAG" -p 55433 -c listen_addresses=127.0.0.1 -c fsync=off)"
echo "start→ready (-p 55433, POSTGRES_USER=conf POSTGRES_DB=confdb): ${ms} ms"
[[ "$(q 55433 conf confdb 'select 1')" == 1 ]] || fail "select 1 as conf@confdb"
[[ "$(q 55433 conf confdb 'select current_user||current_database()')" == confconfdb ]] || fail "wrong user/db"
n="$(docker logs "$NAME" 2>&1 | grep -c 'ready to accept connections' || true)"
[[ "$n" == 1 ]] || fail "'ready to accept connections' printed $n times"

# 3) missing password must fail loudly
cleanup
if out="$(docker run --rm --network none "$TAG" 2>&1)"; then fail "started without POSTGRES_PASSWORD"; fi
grep -q 'POSTGRES_PASSWORD' <<<"$out" || fail "no helpful error without POSTGRES_PASSWORD"

echo "smoke-test: OK"

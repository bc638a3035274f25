#!/usr/bin/env bash
# ensure-engine.sh — make sure a Docker engine answers on /var/run/docker.sock.
#
# If `docker info` already works: do nothing (exit 0).
# Otherwise (must be root): install Debian's docker.io if dockerd is missing,
# start `dockerd --bridge=none --iptables=false` in the background (log:
# /var/log/pgconform-dockerd.log) and wait until `docker info` answers.
# Fails loudly (exit 1, with the daemon log tail) if the engine cannot start.
#
# Env overrides:
#   PGC_DOCKERD_LOG      daemon log file      (default /var/log/pgconform-dockerd.log)
#   PGC_DOCKERD_TIMEOUT  seconds to wait      (default 60)
#   PGC_DOCKERD_ARGS     extra dockerd args   (default empty)
set -euo pipefail

LOG="${PGC_DOCKERD_LOG:-/var/log/pgconform-dockerd.log}"
TIMEOUT="${PGC_DOCKERD_TIMEOUT:-60}"
SOCK=/var/run/docker.sock
export DOCKER_HOST="${DOCKER_HOST:-unix://$SOCK}"

say() { echo "ensure-engine: $*" >&2; }
die() {
  {
    echo
    echo "################################################################"
    echo "## ensure-engine: ERROR: $*"
    if [[ -s "$LOG" ]]; then
      echo "## --- $LOG (this start attempt, last 30 lines) ---"
      awk '/^=== .* pgconform ensure-engine starting dockerd ===$/ { n = 0 } { buf[n++] = $0 }
           END { for (i = 0; i < n; i++) print buf[i] }' "$LOG" | tail -n 30 | sed 's/^/## /'
    fi
    echo "################################################################"
  } >&2
  exit 1
}

# Which docker CLI? /usr/local/bin/docker may be a (newer) client-only binary;
# any CLI works as long as it talks to $SOCK (API version is negotiated).
docker_cli() {
  if command -v docker >/dev/null 2>&1; then command -v docker
  elif [[ -x /usr/bin/docker ]]; then echo /usr/bin/docker
  else return 1; fi
}

engine_ok() {
  local cli
  cli="$(docker_cli)" || return 1
  "$cli" info --format '{{.ServerVersion}}' >/dev/null 2>&1
}

if engine_ok; then
  say "engine already running ($("$(docker_cli)" info --format 'server {{.ServerVersion}}' 2>/dev/null))"
  exit 0
fi

[[ "$(id -u)" == 0 ]] || die "docker engine not reachable at $SOCK and not root (uid $(id -u)); cannot install/start dockerd"

# --- install dockerd if missing -------------------------------------------
if ! command -v dockerd >/dev/null 2>&1; then
  say "dockerd not found; installing Debian package docker.io"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-cache show docker.io >/dev/null 2>&1 || \
     [[ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -n1)" ]]; then
    say "apt lists missing or older than 24h: apt-get update"
    apt-get update -qq || die "apt-get update failed"
  fi
  # Don't let the package's init scripts try to start a daemon (no systemd here).
  policy_rc=/usr/sbin/policy-rc.d; created_policy=0
  if [[ ! -e "$policy_rc" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy_rc"; chmod +x "$policy_rc"; created_policy=1
  fi
  rc=0
  apt-get install -y -qq --no-install-recommends docker.io >/dev/null || rc=$?
  [[ $created_policy == 1 ]] && rm -f "$policy_rc"
  [[ $rc == 0 ]] || die "apt-get install docker.io failed (exit $rc)"
  command -v dockerd >/dev/null 2>&1 || die "docker.io installed but dockerd still not on PATH"
fi
docker_cli >/dev/null || die "no docker CLI found (expected /usr/bin/docker from docker.io)"

# --- start dockerd -----------------------------------------------------------
if pid="$(pgrep -x dockerd 2>/dev/null | head -n1)" && [[ -n "$pid" ]]; then
  say "dockerd already running (pid $pid) but not answering yet; waiting"
else
  # A stale pidfile/socket from a dead daemon makes dockerd refuse to start.
  if [[ -f /var/run/docker.pid ]] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    rm -f /var/run/docker.pid
  fi
  [[ -S "$SOCK" ]] && rm -f "$SOCK"
  mkdir -p "$(dirname "$LOG")"
  say "starting dockerd --bridge=none --iptables=false (log: $LOG)"
  # shellcheck disable=SC2086
  { echo "=== $(date -Is) pgconform ensure-engine starting dockerd ==="; } >>"$LOG"
  nohup setsid dockerd --bridge=none --iptables=false \
      ${PGC_DOCKERD_ARGS:-} >>"$LOG" 2>&1 </dev/null &
  pid=$!
fi

deadline=$((SECONDS + TIMEOUT))
until engine_ok; do
  if ! kill -0 "$pid" 2>/dev/null; then
    die "dockerd (pid $pid) exited during startup — see log below (kernel without overlayfs/cgroups? storage-driver issue?)"
  fi
  if (( SECONDS >= deadline )); then
    die "dockerd (pid $pid) did not answer 'docker info' within ${TIMEOUT}s"
  fi
  sleep 0.5
done

say "engine ready: $("$(docker_cli)" info --format 'server {{.ServerVersion}}, storage {{.Driver}}, cgroup v{{.CgroupVersion}}' 2>/dev/null) (dockerd pid $pid)"

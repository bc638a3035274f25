#!/usr/bin/env bash
# Extracts Debian's PostgreSQL 15 server binaries into DEST (default
# /var/cache/pgconform/other-major) without installing the package (no
# cluster is created, nothing is started), and prints the bin directory.
# The tests use them to check that a non-16 server is refused unless
# --allow-any-major (PGCONFORM_TEST_OTHER_MAJOR_BIN).
set -euo pipefail
dest="${1:-/var/cache/pgconform/other-major}"
bin="$dest/root/usr/lib/postgresql/15/bin"
if [ ! -x "$bin/postgres" ]; then
  mkdir -p "$dest/deb"
  (cd "$dest/deb" && apt-get download postgresql-15 >/dev/null 2>&1) || {
    [ "$(id -u)" -eq 0 ] && apt-get update -qq >/dev/null
    (cd "$dest/deb" && apt-get download postgresql-15 >/dev/null)
  }
  dpkg -x "$dest"/deb/postgresql-15_*.deb "$dest/root"
  # The server runs as an unprivileged user when we are root.
  chmod -R a+rX "$dest"
fi
missing=$(ldd "$bin/postgres" | grep 'not found' || true)
if [ -n "$missing" ]; then
  echo "PostgreSQL 15 binaries in $bin lack libraries:" >&2
  echo "$missing" >&2
  exit 1
fi
echo "$bin"

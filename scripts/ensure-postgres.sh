#!/usr/bin/env bash
# Start the local PostgreSQL cluster if it is not accepting connections.
set -euo pipefail
host=${PGHOST:-127.0.0.1}
port=${PGPORT:-5432}
ready() { pg_isready -q -h "$host" -p "$port" 2>/dev/null; }
if ready; then exit 0; fi
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "PostgreSQL is not running on $host:$port and pg_ctlcluster is not installed." >&2
  echo "Install PostgreSQL 15 (apt-get install postgresql) or point HERALD_DATABASE_URL elsewhere." >&2
  exit 1
fi
version=$(ls /etc/postgresql | sort -V | tail -n 1)
echo "starting PostgreSQL $version ..."
pg_ctlcluster --skip-systemctl-redirect "$version" main start
for _ in $(seq 1 30); do ready && exit 0; sleep 1; done
echo "PostgreSQL did not become ready on $host:$port" >&2
exit 1

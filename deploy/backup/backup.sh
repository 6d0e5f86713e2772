#!/usr/bin/env bash
# Backs up the Aggregation database while the servers keep running.
#
#   deploy/backup/backup.sh SOURCE FILE
#
# SOURCE is a libpq connection string or URI of the database the servers use, e.g.
# postgresql://postgres@127.0.0.1:5432/aggregation (a password comes from ~/.pgpass or PGPASSWORD).
# FILE receives the dump (pg_dump's custom format: compressed, restored by restore.sh).
#
# pg_dump reads every table in one repeatable-read snapshot, so the ledger, the audit trail, the
# unit checkpoints (derived from the ledger, kept so a restored server starts without replaying it)
# and the outbox in the file are those of a single instant; reports acknowledged after that instant
# are not in it. The file is written beside FILE and moved into place only once it reads back whole
# and holds the ledger's rows, so FILE is never a half-written dump.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  sed -n '2,9p' "$0" >&2
  exit 2
fi

source=$1
file=$2
here=$(dirname "$0")
. "$here/pg-tools.sh"

partial="$file.partial"
rm -f "$partial"
"$(pg_tool pg_dump)" --dbname="$source" --format=custom --compress=6 --no-owner --no-privileges --file="$partial"

contents=$("$(pg_tool pg_restore)" --list "$partial")
if ! grep -q "TABLE DATA public report_ledger " <<<"$contents"; then
  echo "The dump of $source holds no report_ledger: is it the Aggregation database?" >&2
  rm -f "$partial"
  exit 1
fi

mv "$partial" "$file"
echo "Backed up to $file ($(stat -c %s "$file") bytes)"

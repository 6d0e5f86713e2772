#!/usr/bin/env bash
# Restores a dump made by backup.sh into a PostgreSQL server, as a new database of the same name.
#
#   deploy/backup/restore.sh FILE TARGET
#
# TARGET is a libpq connection string or URI of an existing database on the server to restore into
# (its maintenance database, e.g. postgresql://postgres@127.0.0.1:5432/postgres). The database
# named in the dump must not exist there yet: a restore never writes over data. Start the servers
# on the restored database only once this has finished.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  sed -n '2,9p' "$0" >&2
  exit 2
fi

file=$1
target=$2
here=$(dirname "$0")
. "$here/pg-tools.sh"

# --create makes the database and reconnects to it; --exit-on-error stops at the first failure
# rather than leaving a database that starts with rows missing. Tables are filled before their
# indexes, constraints and triggers (the audit trail's append-only trigger included) are created.
"$(pg_tool pg_restore)" --create --exit-on-error --no-owner --no-privileges --dbname="$target" "$file"

# A restore carries no planner statistics; without them the first queries on the large tables plan badly.
database=$("$(pg_tool pg_restore)" --list "$file" | sed -n 's/^;[[:space:]]*dbname: //p')
"$(pg_tool psql)" --dbname="$target" --quiet -v ON_ERROR_STOP=1 -c "\\connect \"$database\"" -c "ANALYZE"
echo "Restored $file as database $database"

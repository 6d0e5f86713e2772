# Sourced by backup.sh and restore.sh: finds PostgreSQL's client tools the way the server finds its
# binaries (AGGREGATION_PG_BIN, then Debian's newest /usr/lib/postgresql/NN/bin, then PATH). The
# newest matters: pg_dump refuses a server newer than itself, and a dump restores into the same or a
# newer major version only.
pg_tool() {
  local name=$1 dir
  if [[ -n ${AGGREGATION_PG_BIN:-} && -x $AGGREGATION_PG_BIN/$name ]]; then
    echo "$AGGREGATION_PG_BIN/$name"
    return
  fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
    if [[ -x $dir/$name ]]; then
      echo "$dir/$name"
      return
    fi
  done
  command -v "$name" || { echo "$name not found: install PostgreSQL's client tools (Debian: apt-get install postgresql-client) or set AGGREGATION_PG_BIN" >&2; exit 2; }
}

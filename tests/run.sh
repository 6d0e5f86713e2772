#!/usr/bin/env bash
# The test command (README, .ci/run): installs what the tests need when it is missing (PostgreSQL's
# server, Chromium, LibreOffice, Poppler's pdftotext, Prometheus, podman), then runs every test. The tests start their
# own private PostgreSQL from the installed server binaries, and their own headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

have_postgres() {
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
have_postgres || missing+=(postgresql)
# The dashboard's browser test drives Debian's Chromium (no browser download exists here).
[ -x /usr/bin/chromium ] || [ -n "${AGGREGATION_CHROMIUM:-}" ] || missing+=(chromium)
# The report tests print the officials' report to PDF with LibreOffice (Times New Roman's metrics
# from Liberation) and read each page's words with pdftotext.
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-writer-nogui libreoffice-calc-nogui fonts-liberation2)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
# The container test builds images from Debian's packages (debootstrap) and runs deploy/compose
# under podman with the runc runtime (deploy/images/containers.conf).
{ command -v podman && command -v podman-compose && { command -v debootstrap || [ -x /usr/sbin/debootstrap ]; } &&
  { command -v runc || [ -x /usr/sbin/runc ]; }; } >/dev/null 2>&1 ||
  missing+=(podman podman-compose runc debootstrap uidmap slirp4netns fuse-overlayfs)
# The metrics test scrapes a running server with a real Prometheus, started by the test on loopback.
[ -x /usr/bin/prometheus ] || [ -n "${AGGREGATION_PROMETHEUS:-}" ] || missing+=(prometheus)

if [ ${#missing[@]} -gt 0 ]; then
  echo "tests/run.sh: installing ${missing[*]} (Debian packages)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

dotnet test Aggregation.sln "$@"

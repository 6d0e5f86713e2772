#!/usr/bin/env bash
# Builds the images deploy/compose runs, from Debian's packages, for machines that reach no container
# registry (this project's test machines): podman, Debian's apt mirror and the NuGet packages the
# machine already uses are enough. Run from anywhere; prints the variables compose needs, e.g.
#   eval "$(deploy/images/build-local.sh)"
#   podman-compose -f deploy/compose/compose.yaml up -d
#
# Kept in podman's store and built only when missing (delete one with `podman rmi` to rebuild it):
#   localhost/aggregation-debian:bookworm      debootstrap --variant=minbase, plus what .NET needs
#   localhost/aggregation-postgres:15          PostgreSQL 15, the official postgres image's interface
#   localhost/aggregation-nginx:bookworm       nginx, the official nginx image's template interface
#   localhost/aggregation-dotnet-sdk:10.0      this machine's .NET SDK (for the build stage)
#   localhost/aggregation-dotnet-runtime:10.0  its ASP.NET Core runtime (for the server image)
# Built every time, from the working tree (about a minute on 2 cores):
#   localhost/aggregation-server:local         deploy/docker/Dockerfile with the two .NET bases above
#
# Needs root, podman, debootstrap (Debian packages: podman podman-compose runc debootstrap) and the
# .NET SDK on PATH. Progress goes to standard error.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
images="$root/deploy/images"
export CONTAINERS_CONF=${CONTAINERS_CONF:-$images/containers.conf}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
base=localhost/aggregation-debian:bookworm
postgres=localhost/aggregation-postgres:15
nginx=localhost/aggregation-nginx:bookworm
sdk=localhost/aggregation-dotnet-sdk:10.0
runtime=localhost/aggregation-dotnet-runtime:10.0
server=${SERVER_IMAGE:-localhost/aggregation-server:local}

say() { echo "build-local: $*" >&2; }
for tool in podman debootstrap dotnet; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || {
    say "$tool is not installed (Debian packages: podman podman-compose runc debootstrap; the .NET SDK for dotnet)"
    exit 1
  }
done
PATH=$PATH:/usr/sbin
missing() { ! podman image exists "$1"; }
timed() {
  local what=$1 started=$SECONDS
  shift
  "$@" >&2
  say "$what took $((SECONDS - started)) s"
}

if missing "$base"; then
  rootfs=$(mktemp -d /var/tmp/aggregation-rootfs.XXXXXX)
  trap 'rm -rf "$rootfs"' EXIT
  # ICU, OpenSSL, zlib, Kerberos' GSSAPI and time zones are what the .NET runtime loads.
  timed "debootstrap of $base" debootstrap --variant=minbase \
    --include=ca-certificates,libicu72,libssl3,zlib1g,libgssapi-krb5-2,tzdata \
    bookworm "$rootfs" "$mirror"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  timed "import of $base" sh -c "tar -C '$rootfs' -c . | podman import --change 'CMD [\"/bin/bash\"]' - '$base'"
  rm -rf "$rootfs"
  trap - EXIT
fi

build() { podman build --network host --build-arg BASE_IMAGE="$base" "$@"; }
missing "$postgres" && timed "build of $postgres" build -t "$postgres" -f "$images/postgres.Containerfile" "$images"
missing "$nginx" && timed "build of $nginx" build -t "$nginx" -f "$images/nginx.Containerfile" "$images"

dotnet_root=${DOTNET_ROOT:-$(dirname "$(readlink -f "$(command -v dotnet)")")}
missing "$sdk" && timed "build of $sdk" build -t "$sdk" -f "$images/dotnet-sdk.Containerfile" "$dotnet_root"
missing "$runtime" && timed "build of $runtime" build -t "$runtime" -f "$images/dotnet-runtime.Containerfile" "$dotnet_root"

# The build stage restores from this machine's NuGet cache, and reaches its package source (for
# the vulnerability audit, and any package not cached) trusting what this machine trusts.
nuget=${NUGET_PACKAGES:-$HOME/.nuget/packages}
mkdir -p "$nuget"
certificates=/etc/ssl/certs/ca-certificates.crt
trust=()
[ -f "$certificates" ] && trust=(-v "$certificates:$certificates:ro")
# --layers=false: no intermediate images to cache, so repeated builds (each tree a new build) do
# not pile up layers in the store; the previous server image, untagged now, is removed after.
timed "build of $server" podman build --network host --layers=false \
  -v "$nuget:/root/.nuget/packages" \
  "${trust[@]}" \
  --build-arg SDK_IMAGE="$sdk" --build-arg RUNTIME_IMAGE="$runtime" \
  --label org.aggregation.build=local \
  -t "$server" -f "$root/deploy/docker/Dockerfile" "$root"
podman image prune -f --filter label=org.aggregation.build=local >/dev/null

echo "export CONTAINERS_CONF='$CONTAINERS_CONF' POSTGRES_IMAGE='$postgres' NGINX_IMAGE='$nginx' SERVER_IMAGE='$server'"

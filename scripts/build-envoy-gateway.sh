#!/usr/bin/env bash
# Build Envoy Gateway from the Go module proxy with the installed Go into .tools/bin (git-ignored),
# for the extension-server tests only (never for `aigw run`). Called by `scripts/bootstrap.sh --test`;
# see docs/testing-envoy-gateway.md.
#
#   bash scripts/build-envoy-gateway.sh     # skipped when .tools/bin/envoy-gateway is at its pin
#
# Environment:
#   AIGW_ENVOY_GATEWAY_VERSION   overrides the pin below (a tag: v1.X.Y)
#   AIGW_ENVOY_GATEWAY_OUT_DIR   where the binary goes (default .tools/bin)
#   GOFLAGS, GOPROXY             passed through to go
#   GOCACHE, GOMODCACHE, GOPATH  default to .tools/go/{cache,mod,path} (shared with build-kube.sh)
#
# github.com/envoyproxy/gateway's go.mod has no replace or exclude directives, so a plain
# `go install …/cmd/envoy-gateway@<tag>` works (unlike kube-apiserver, no wrapper module). Cold, it
# takes about 15 minutes on 2 busy cores; it fetches only modules.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The Envoy Gateway upstream Envoy AI Gateway v1.1 builds against (its go.mod).
VERSION=${AIGW_ENVOY_GATEWAY_VERSION:-v1.8.1}
OUT_DIR=${AIGW_ENVOY_GATEWAY_OUT_DIR:-$ROOT/.tools/bin}
WORK=$ROOT/.tools/eg-build
export GOCACHE=${GOCACHE:-$ROOT/.tools/go/cache}
export GOMODCACHE=${GOMODCACHE:-$ROOT/.tools/go/mod}
export GOPATH=${GOPATH:-$ROOT/.tools/go/path}
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-modcacherw"

say() { printf '[build-envoy-gateway] %s\n' "$*" >&2; }
die() {
  printf '[build-envoy-gateway] ERROR: %s\n' "$*" >&2
  exit 1
}

# The module version the binary was built from: `go install …@vX` records it in the build info
# (`go version -m`), while `envoy-gateway version` only knows what release ldflags set. A stamp
# next to the binary keeps the check free of go once built.
STAMP="$OUT_DIR/.envoy-gateway.version"
current() { go version -m "$1" 2>/dev/null | awk '$1 == "mod" && $2 == "github.com/envoyproxy/gateway" { print $3 }'; }
is_current() { [ -x "$OUT_DIR/envoy-gateway" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$VERSION" ]; }

is_current && exit 0
[[ $VERSION =~ ^v1\.[0-9]+\.[0-9]+$ ]] || die "AIGW_ENVOY_GATEWAY_VERSION=$VERSION is not a release tag like v1.8.1"
command -v go >/dev/null ||
  die "go not found on PATH: install Go (>= the go directive of envoyproxy/gateway@$VERSION, 1.26 for v1.8) or set ENVOY_GATEWAY_BIN to a prebuilt binary"

mkdir -p "$WORK" "$OUT_DIR"
# One build at a time per checkout; a second caller waits, then finds the binary.
if command -v flock >/dev/null; then
  exec 9>"$WORK/.lock"
  flock -n 9 || {
    say "another build-envoy-gateway.sh is running in this checkout; waiting for it"
    flock 9
  }
fi
is_current && exit 0

start=$(date +%s)
say "building envoy-gateway $VERSION from the Go module proxy (cold: about 15 min on 2 cores; Go caches in .tools/go)"
# Same package path and flags as a bare `go install`, so a build started by hand with these caches
# is a cache hit here.
GOBIN="$WORK/bin" go install "github.com/envoyproxy/gateway/cmd/envoy-gateway@$VERSION" ||
  die "go install github.com/envoyproxy/gateway/cmd/envoy-gateway@$VERSION failed (see above)"
mv -f "$WORK/bin/envoy-gateway" "$OUT_DIR/envoy-gateway"
have=$(current "$OUT_DIR/envoy-gateway")
[ "$have" = "$VERSION" ] || die "built envoy-gateway but its build info says '$have', not $VERSION"
echo "$VERSION" >"$STAMP"
s=$(($(date +%s) - start))
say "envoy-gateway $VERSION built in $((s / 60))m$(printf '%02d' $((s % 60)))s → ${OUT_DIR#"$ROOT"/}"

#!/usr/bin/env bash
# Build an OpenTelemetry Collector for the observability tests (OTLP receiver over gRPC and
# HTTP, file exporter) with the collector builder (`go.opentelemetry.io/collector/cmd/builder`)
# and the installed Go, from the Go module proxy, into .tools/bin/otelcol-aigw (git-ignored).
# Called by `scripts/bootstrap.sh --test`; never for `aigw run`. See docs/observability.md.
#
#   bash scripts/build-otelcol.sh     # skipped when .tools/bin/otelcol-aigw is at its pin
#
# Environment:
#   AIGW_OTELCOL_VERSION         overrides the pin below (a collector release: 0.X.Y)
#   AIGW_OTELCOL_OUT_DIR         where the binary goes (default .tools/bin)
#   GOFLAGS, GOPROXY             passed through to go
#   GOCACHE, GOMODCACHE, GOPATH  default to .tools/go/{cache,mod,path} (shared with build-kube.sh)
#
# Every collector module is taken at one release: the core modules (receiver/otlpreceiver and the
# builder's default confmap providers) and contrib's exporter/fileexporter. 0.161.0 is the newest
# release whose contrib fileexporter the registry here served and `go mod tidy` accepted.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VERSION=${AIGW_OTELCOL_VERSION:-0.161.0}
OUT_DIR=${AIGW_OTELCOL_OUT_DIR:-$ROOT/.tools/bin}
WORK=$ROOT/.tools/otelcol-build
export GOCACHE=${GOCACHE:-$ROOT/.tools/go/cache}
export GOMODCACHE=${GOMODCACHE:-$ROOT/.tools/go/mod}
export GOPATH=${GOPATH:-$ROOT/.tools/go/path}
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-modcacherw"

say() { printf '[build-otelcol] %s\n' "$*" >&2; }
die() {
  printf '[build-otelcol] ERROR: %s\n' "$*" >&2
  exit 1
}

STAMP="$OUT_DIR/.otelcol-aigw.version"
is_current() { [ -x "$OUT_DIR/otelcol-aigw" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$VERSION" ]; }

is_current && exit 0
[[ $VERSION =~ ^0\.[0-9]+\.[0-9]+$ ]] || die "AIGW_OTELCOL_VERSION=$VERSION is not a collector release like 0.161.0"
command -v go >/dev/null ||
  die "go not found on PATH: install Go or set OTELCOL_BIN to a collector with the otlp receiver and the file exporter"

mkdir -p "$WORK" "$OUT_DIR"
if command -v flock >/dev/null; then
  exec 9>"$WORK/.lock"
  flock -n 9 || {
    say "another build-otelcol.sh is running in this checkout; waiting for it"
    flock 9
  }
fi
is_current && exit 0

start=$(date +%s)
say "building the collector builder $VERSION and a collector (otlp receiver, file exporter) from the Go module proxy (Go caches in .tools/go)"
GOBIN="$WORK/bin" go install "go.opentelemetry.io/collector/cmd/builder@v$VERSION" ||
  die "go install go.opentelemetry.io/collector/cmd/builder@v$VERSION failed (see above)"
cat >"$WORK/manifest.yaml" <<YAML
dist:
  name: otelcol-aigw
  description: OpenTelemetry Collector for the aigw-ts observability tests
  output_path: $WORK/dist
  version: $VERSION
receivers:
  - gomod: go.opentelemetry.io/collector/receiver/otlpreceiver v$VERSION
exporters:
  - gomod: github.com/open-telemetry/opentelemetry-collector-contrib/exporter/fileexporter v$VERSION
YAML
"$WORK/bin/builder" --config "$WORK/manifest.yaml" ||
  die "the collector builder failed (see above)"
mv -f "$WORK/dist/otelcol-aigw" "$OUT_DIR/otelcol-aigw"
"$OUT_DIR/otelcol-aigw" --version >/dev/null || die "the built collector does not run"
echo "$VERSION" >"$STAMP"
s=$(($(date +%s) - start))
say "otelcol-aigw $VERSION built in $((s / 60))m$(printf '%02d' $((s % 60)))s → ${OUT_DIR#"$ROOT"/}"

#!/usr/bin/env bash
# Build helm from the Go module proxy with the installed Go into .tools/bin (git-ignored), for the
# deploy tests only (helm lint / template of deploy/helm; never for `aigw run`). Called by
# `scripts/bootstrap.sh --test`; see docs/deploy.md.
#
#   bash scripts/build-helm.sh     # skipped when .tools/bin/helm is at its pin
#
# Environment:
#   AIGW_HELM_VERSION            overrides the pin below (a tag: v3.X.Y)
#   AIGW_HELM_OUT_DIR            where the binary goes (default .tools/bin)
#   GOFLAGS, GOPROXY             passed through to go
#   GOCACHE, GOMODCACHE, GOPATH  default to .tools/go/{cache,mod,path} (shared with build-kube.sh)
#
# helm.sh/helm/v3's go.mod has no replace or exclude directives, so a plain
# `go install helm.sh/helm/v3/cmd/helm@<tag>` works. Cold, it takes about 5 minutes on 2 cores.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VERSION=${AIGW_HELM_VERSION:-v3.22.1}
OUT_DIR=${AIGW_HELM_OUT_DIR:-$ROOT/.tools/bin}
WORK=$ROOT/.tools/helm-build
export GOCACHE=${GOCACHE:-$ROOT/.tools/go/cache}
export GOMODCACHE=${GOMODCACHE:-$ROOT/.tools/go/mod}
export GOPATH=${GOPATH:-$ROOT/.tools/go/path}
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-modcacherw"

say() { printf '[build-helm] %s\n' "$*" >&2; }
die() {
  printf '[build-helm] ERROR: %s\n' "$*" >&2
  exit 1
}

# The module version the binary was built from is in its build info (`go version -m`); a stamp
# next to the binary keeps the up-to-date check free of go once built.
STAMP="$OUT_DIR/.helm.version"
current() { go version -m "$1" 2>/dev/null | awk '$1 == "mod" && $2 == "helm.sh/helm/v3" { print $3 }'; }
is_current() { [ -x "$OUT_DIR/helm" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$VERSION" ]; }

is_current && exit 0
[[ $VERSION =~ ^v3\.[0-9]+\.[0-9]+$ ]] || die "AIGW_HELM_VERSION=$VERSION is not a release tag like v3.22.1"
command -v go >/dev/null ||
  die "go not found on PATH: install Go (>= the go directive of helm.sh/helm/v3@$VERSION) or set HELM_BIN to a prebuilt helm"

mkdir -p "$WORK" "$OUT_DIR"
# One build at a time per checkout; a second caller waits, then finds the binary.
if command -v flock >/dev/null; then
  exec 9>"$WORK/.lock"
  flock -n 9 || {
    say "another build-helm.sh is running in this checkout; waiting for it"
    flock 9
  }
fi
is_current && exit 0

start=$(date +%s)
say "building helm $VERSION from the Go module proxy (cold: about 5 min on 2 cores; Go caches in .tools/go)"
# `helm version` reports what release ldflags set, so stamp the version the way helm's Makefile does.
GOBIN="$WORK/bin" go install -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$VERSION" \
  "helm.sh/helm/v3/cmd/helm@$VERSION" ||
  die "go install helm.sh/helm/v3/cmd/helm@$VERSION failed (see above)"
mv -f "$WORK/bin/helm" "$OUT_DIR/helm"
have=$(current "$OUT_DIR/helm")
[ "$have" = "$VERSION" ] || die "built helm but its build info says '$have', not $VERSION"
echo "$VERSION" >"$STAMP"
s=$(($(date +%s) - start))
say "helm $VERSION built in $((s / 60))m$(printf '%02d' $((s % 60)))s → ${OUT_DIR#"$ROOT"/}"

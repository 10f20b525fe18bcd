#!/usr/bin/env bash
# Vendor the third-party CRDs our controller reads or writes into deploy/third-party-crds/, byte for
# byte as published, from the Go module proxy (both projects' Go modules carry their CRD YAML):
#
#   Envoy Gateway  github.com/envoyproxy/gateway  v1.8.1  (the version Envoy AI Gateway v1.1 pins)
#     charts/gateway-helm/charts/crds/crds/generated/*.yaml        → envoy-gateway/
#   Gateway API    sigs.k8s.io/gateway-api         v1.5.1  (what that EG release's go.mod requires)
#     config/crd/{standard,experimental}/*.yaml (CRDs only)        → gateway-api/{standard,experimental}/
#
# Left out: Gateway API's ValidatingAdmissionPolicy (`*_vap_safeupgrades.yaml`, it only guards
# against CRD downgrades) and the kustomization files. Envoy Gateway installs the experimental
# channel, so tests do too (testkit `thirdPartyCrdFiles()`); standard is kept for comparison.
#
#   bash scripts/vendor-crds.sh           # (re)write deploy/third-party-crds, then commit it
#   bash scripts/vendor-crds.sh --check   # exit 1 when the vendored files differ from the pins
#
# AIGW_EG_VERSION overrides the Envoy Gateway pin; AIGW_GATEWAY_API_VERSION the Gateway API one
# (default: read from the EG release's go.mod).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EG_VERSION=${AIGW_EG_VERSION:-v1.8.1}
DEST=$ROOT/deploy/third-party-crds

say() { printf '[vendor-crds] %s\n' "$*" >&2; }
die() {
  printf '[vendor-crds] ERROR: %s\n' "$*" >&2
  exit 1
}

command -v go >/dev/null || die "go not found on PATH: it fetches the CRDs from the Go module proxy"

# `go mod download -json` needs a module to run in; an empty throwaway one is enough.
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
printf 'module aigw.local/vendor-crds\n\ngo 1.22\n' >"$SCRATCH/go.mod"

module_dir() { # $1 = module@version → its directory in the module cache
  local json
  json=$(cd "$SCRATCH" && go mod download -json "$1" 2>&1) ||
    die "could not download $1 from the Go module proxy ($(go env GOPROXY)): $json"
  printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p'
}

is_crd() { grep -q '^kind: CustomResourceDefinition' "$1"; }

copy_crds() { # $1 = source dir, $2 = destination dir
  local f n=0
  mkdir -p "$2"
  for f in "$1"/*.yaml; do
    if is_crd "$f"; then
      cp "$f" "$2/" && chmod 644 "$2/$(basename "$f")"
      n=$((n + 1))
    fi
  done
  [ "$n" -gt 0 ] || die "no CRDs in $1: did the upstream layout change?"
}

eg_dir=$(module_dir "github.com/envoyproxy/gateway@$EG_VERSION")
GATEWAY_API_VERSION=${AIGW_GATEWAY_API_VERSION:-$(sed -n 's/^[[:space:]]*sigs.k8s.io\/gateway-api \(v[^ ]*\).*/\1/p' "$eg_dir/go.mod" | head -n 1)}
[ -n "$GATEWAY_API_VERSION" ] || die "envoyproxy/gateway@$EG_VERSION's go.mod does not require sigs.k8s.io/gateway-api"
gwapi_dir=$(module_dir "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION")

OUT=$SCRATCH/out
copy_crds "$eg_dir/charts/gateway-helm/charts/crds/crds/generated" "$OUT/envoy-gateway"
copy_crds "$gwapi_dir/config/crd/standard" "$OUT/gateway-api/standard"
copy_crds "$gwapi_dir/config/crd/experimental" "$OUT/gateway-api/experimental"
cat >"$OUT/VERSIONS" <<EOF
# Written by scripts/vendor-crds.sh; do not edit. Files below are byte-identical to upstream.
envoy-gateway github.com/envoyproxy/gateway $EG_VERSION charts/gateway-helm/charts/crds/crds/generated
gateway-api sigs.k8s.io/gateway-api $GATEWAY_API_VERSION config/crd/{standard,experimental}
EOF

if [ "${1:-}" = --check ]; then
  diff -r "$DEST" "$OUT" >/dev/null ||
    die "deploy/third-party-crds differs from Envoy Gateway $EG_VERSION / Gateway API $GATEWAY_API_VERSION: run bash scripts/vendor-crds.sh"
  say "deploy/third-party-crds matches Envoy Gateway $EG_VERSION and Gateway API $GATEWAY_API_VERSION"
  exit 0
fi
rm -rf "$DEST"
mkdir -p "$(dirname "$DEST")"
cp -r "$OUT" "$DEST"
say "vendored Envoy Gateway $EG_VERSION and Gateway API $GATEWAY_API_VERSION CRDs into deploy/third-party-crds"

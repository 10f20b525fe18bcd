#!/usr/bin/env bash
# Install the official coding-agent CLIs that e2e/src/agent-clis.test.ts drives against `aigw run`
# (docs/agents.md), at pinned versions, from the npm registry into .tools/agent-clis (git-ignored).
# Called by `scripts/bootstrap.sh --test`; never for `aigw run`.
#
#   bash scripts/install-agent-clis.sh   # skipped when every pinned version is already there
#
# Prints the three binaries' paths as shell assignments (CLAUDE_CODE_BIN=…, CODEX_BIN=…,
# GEMINI_CLI_BIN=…) on stdout for bootstrap.sh; progress goes to stderr.
#
# Environment:
#   CLAUDE_CODE_BIN, CODEX_BIN, GEMINI_CLI_BIN   a prebuilt CLI instead (that one is not installed)
#   AIGW_AGENT_CLIS_DIR                          where they go (default .tools/agent-clis)
#
# The native binaries come from the registry too: Claude Code and Codex ship theirs in per-platform
# packages (optionalDependencies, e.g. @anthropic-ai/claude-code-linux-x64, and
# @openai/codex@<v>-linux-x64); Claude Code's postinstall only links the one for this platform into
# bin/claude.exe, and nothing downloads from anywhere else. Gemini CLI is plain JavaScript; its
# optional native add-ons (node-pty, keytar) are left out: in -p mode it runs shell commands with
# child_process and keeps no credentials in a keychain.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${AIGW_AGENT_CLIS_DIR:-$ROOT/.tools/agent-clis}
CLAUDE_CODE_VERSION=2.1.328
CODEX_VERSION=0.169.0
GEMINI_CLI_VERSION=0.61.0

say() { printf '[install-agent-clis] %s\n' "$*" >&2; }
die() {
  printf '[install-agent-clis] ERROR: %s\n' "$*" >&2
  exit 1
}

installed_version() { # $1 = prefix dir name, $2 = package; prints its version there, or nothing
  local manifest="$DIR/$1/node_modules/$2/package.json"
  [ -f "$manifest" ] && node -p "require(process.argv[1]).version" "$manifest" 2>/dev/null || true
}

# One prefix per CLI, so one CLI's install never prunes another's and each can be skipped alone.
ensure_cli() { # $1 = prefix dir name, $2 = package, $3 = version, $4 = bin path in the package, rest = npm flags
  local name=$1 pkg=$2 version=$3 bin=$4
  shift 4
  local prefix="$DIR/$name"
  if [ "$(installed_version "$name" "$pkg")" = "$version" ] && [ -x "$prefix/node_modules/$pkg/$bin" ]; then
    return
  fi
  local start
  start=$(date +%s)
  say "installing $pkg@$version into ${prefix#"$ROOT"/}"
  mkdir -p "$prefix"
  # A package.json of our own keeps npm from walking up to the workspace root's.
  [ -f "$prefix/package.json" ] || printf '{ "private": true }\n' >"$prefix/package.json"
  if ! npm install --prefix "$prefix" --no-audit --no-fund --no-save --loglevel=error "$@" \
    "$pkg@$version" >"$prefix/npm-install.log" 2>&1; then
    tail -n 20 "$prefix/npm-install.log" >&2
    die "npm install $pkg@$version failed (above; whole log: $prefix/npm-install.log)"
  fi
  [ -x "$prefix/node_modules/$pkg/$bin" ] ||
    die "$pkg@$version installed but $bin is missing (no native package for $(uname -m)?)"
  say "$pkg@$version installed in $(($(date +%s) - start))s"
}

command -v npm >/dev/null || die "npm not found on PATH (it comes with Node.js)"
mkdir -p "$DIR"
if command -v flock >/dev/null; then
  exec 9>"$DIR/.lock"
  flock -n 9 || {
    say "another install-agent-clis.sh is running in this checkout; waiting for it"
    flock 9
  }
fi

if [ -n "${CLAUDE_CODE_BIN:-}" ] && [ "$CLAUDE_CODE_BIN" != "$DIR/claude-code/node_modules/@anthropic-ai/claude-code/bin/claude.exe" ]; then
  [ -x "$CLAUDE_CODE_BIN" ] || die "CLAUDE_CODE_BIN=$CLAUDE_CODE_BIN is not an executable"
else
  ensure_cli claude-code @anthropic-ai/claude-code "$CLAUDE_CODE_VERSION" bin/claude.exe
  CLAUDE_CODE_BIN="$DIR/claude-code/node_modules/@anthropic-ai/claude-code/bin/claude.exe"
fi
if [ -n "${CODEX_BIN:-}" ] && [ "$CODEX_BIN" != "$DIR/codex/node_modules/@openai/codex/bin/codex.js" ]; then
  [ -x "$CODEX_BIN" ] || die "CODEX_BIN=$CODEX_BIN is not an executable"
else
  ensure_cli codex @openai/codex "$CODEX_VERSION" bin/codex.js
  CODEX_BIN="$DIR/codex/node_modules/@openai/codex/bin/codex.js"
fi
if [ -n "${GEMINI_CLI_BIN:-}" ] && [ "$GEMINI_CLI_BIN" != "$DIR/gemini-cli/node_modules/@google/gemini-cli/bundle/gemini.js" ]; then
  [ -x "$GEMINI_CLI_BIN" ] || die "GEMINI_CLI_BIN=$GEMINI_CLI_BIN is not an executable"
else
  ensure_cli gemini-cli @google/gemini-cli "$GEMINI_CLI_VERSION" bundle/gemini.js --omit=optional
  GEMINI_CLI_BIN="$DIR/gemini-cli/node_modules/@google/gemini-cli/bundle/gemini.js"
fi

printf 'CLAUDE_CODE_BIN=%q\nCODEX_BIN=%q\nGEMINI_CLI_BIN=%q\n' "$CLAUDE_CODE_BIN" "$CODEX_BIN" "$GEMINI_CLI_BIN"

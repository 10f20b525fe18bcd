#!/usr/bin/env bash
# The one command that runs every check on a fresh machine (README, .ci/run):
#   bootstrap → generate + diff → build → lint → typecheck → unit → integration → e2e → summary.
# Every step runs even when an earlier one failed (except bootstrap), so one run shows every
# problem; the exit code is non-zero when any step failed.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

bash scripts/bootstrap.sh --test || exit 1
# shellcheck source=/dev/null
source .tools/env.sh

REPORTS="$ROOT/.tools/reports"
rm -rf "$REPORTS" && mkdir -p "$REPORTS"
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

declare -a names=() results=() durations=()
step() { # step <name> <command...>
  local name=$1 start rc
  shift
  printf '\n===== %s =====\n' "$name"
  start=$(date +%s)
  "$@"
  rc=$?
  names+=("$name")
  results+=("$rc")
  durations+=("$(($(date +%s) - start))")
  return 0
}

generate_diff() {
  # --force: regenerate for real instead of replaying turbo's cache.
  pnpm exec turbo run generate --force --output-logs=errors-only || return 1
  local changed
  changed=$(git status --porcelain -- 'packages/*/src/gen' 'deploy/crds')
  if [ -n "$changed" ]; then
    echo "generated code differs from what is committed (run 'pnpm generate' and commit):"
    echo "$changed"
    git --no-pager diff --stat -- 'packages/*/src/gen' 'deploy/crds'
    return 1
  fi
  echo "generated code is up to date"
}

vitest_project() { # vitest_project <project>
  pnpm exec vitest run --project "$1" --reporter=default --reporter=json \
    --outputFile.json="$REPORTS/$1.json"
}

step "generate (diff-checked)" generate_diff
# Build first: type-aware lint and the tests read @aigw/proto's declarations from dist/.
step "build" pnpm run --silent build
step "lint" pnpm run --silent lint
step "format" pnpm run --silent format:check
step "typecheck" pnpm run --silent typecheck
step "unit tests" vitest_project unit
step "integration tests" vitest_project integration
step "e2e tests" vitest_project e2e

# The benchmark runner end to end, tiny counts (< 60 s); no timing thresholds. Counted as one test.
bench_smoke() {
  local rc=0
  pnpm run --silent bench --smoke || rc=1
  echo "{\"numPassedTests\":$((1 - rc)),\"numFailedTests\":$rc,\"numPendingTests\":0}" >"$REPORTS/bench.json"
  return $rc
}
step "bench smoke" bench_smoke

# No test may leave a process behind: the harness kills its children; check it did.
leftovers() {
  # Envoy, kube-apiserver and etcd from the bootstrap cache, test Redis servers (they retitle themselves
  # "redis-server 127.0.0.1:<port>"; a system Redis on 6379 is not ours), and app processes.
  local found
  found=$(pgrep -af -- "$ENVOY_BIN|$ROOT/.tools/bin/(kube-apiserver|etcd|envoy-gateway)|redis-server 127\.0\.0\.1:|$ROOT/apps/[a-z-]+/(src|dist)/bin" |
    grep -v -e 'redis-server 127\.0\.0\.1:6379' -e pgrep || true)
  if [ -n "$found" ]; then
    echo "processes left running by the tests:"
    echo "$found"
    return 1
  fi
  echo "no process left running"
}
step "no leftover processes" leftovers

printf '\n===== summary =====\n'
failed=0
for i in "${!names[@]}"; do
  if [ "${results[$i]}" = 0 ]; then status=ok; else
    status=FAILED
    failed=1
  fi
  printf '%-26s %-7s %4ss\n' "${names[$i]}" "$status" "${durations[$i]}"
done
node -e '
const fs = require("fs"); let p = 0, f = 0, s = 0; const failures = [];
for (const n of ["unit", "integration", "e2e", "bench"]) {
  try { const r = JSON.parse(fs.readFileSync(process.argv[1] + "/" + n + ".json", "utf8"));
        p += r.numPassedTests; f += r.numFailedTests; s += r.numPendingTests + (r.numTodoTests ?? 0);
        for (const file of r.testResults ?? []) for (const a of file.assertionResults ?? [])
          if (a.status === "failed") failures.push(`${n}: ${file.name} :: ${a.fullName}`); } catch { f += 0; }
}
console.log(`tests: ${p} passed, ${f} failed, ${s} skipped`);
for (const line of failures) console.log(`failed: ${line}`);
' "$REPORTS"
exit $failed

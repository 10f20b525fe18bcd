import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { childEnv, testkitEnv } from './config.js';
import { findRepoRoot } from './find-repo-root.js';

/** One sample of a metric family, as the reference parser reads it. */
export interface PrometheusSample {
  /** The sample's own name: `<family>_bucket`, `_count`, `_sum`, `_total`, or the family's. */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One metric family (`# HELP`, `# TYPE` and its samples). */
export interface PrometheusFamily {
  /** The family name (a counter's without `_total`, as the parser reports it). */
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly samples: readonly PrometheusSample[];
}

// Reads the exposition on stdin with Prometheus's reference Python client's parser and prints the
// families as JSON; a malformed exposition makes the parser raise (exit 1, its message on stderr).
const script = `
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families
def number(v):
    return None if math.isnan(v) else ("+Inf" if v == math.inf else ("-Inf" if v == -math.inf else v))
out = [
    {"name": f.name, "type": f.type, "help": f.documentation,
     "samples": [{"name": s.name, "labels": s.labels, "value": number(s.value)} for s in f.samples]}
    for f in text_string_to_metric_families(sys.stdin.read())
]
json.dump(out, sys.stdout)
`;

function pythonPath(): string {
  const fromEnv = testkitEnv().prometheusClientPythonPath;
  if (fromEnv !== undefined) return fromEnv;
  const root = findRepoRoot();
  const cached = root === undefined ? undefined : join(root, '.tools', 'python');
  if (cached !== undefined && existsSync(join(cached, 'prometheus_client'))) return cached;
  throw new Error(
    'the Prometheus text parser (Python prometheus_client) is not installed: run `bash scripts/bootstrap.sh --test` or set PROMETHEUS_CLIENT_PYTHONPATH',
  );
}

/**
 * Parses Prometheus text exposition (what an app's `GET /metrics` serves) with the reference
 * parser, Prometheus's Python client (`prometheus_client.parser`, installed into `.tools/python`
 * by `scripts/bootstrap.sh --test`). Rejects with the parser's message when the text is not
 * valid exposition format.
 */
export function parsePrometheusText(text: string): Promise<PrometheusFamily[]> {
  const path = pythonPath();
  return new Promise((resolve, reject) => {
    const child = execFile(
      'python3',
      ['-c', script],
      { env: childEnv({ PYTHONPATH: path }), maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`the Prometheus text does not parse: ${stderr.trim() || err.message}`));
          return;
        }
        resolve(JSON.parse(stdout) as PrometheusFamily[]);
      },
    );
    child.stdin?.end(text);
  });
}

import { readFileSync } from 'node:fs';

import { parser } from '@prometheus-io/lezer-promql';
import { beforeAll, describe, expect, it } from 'vitest';

import { helmTemplate, helmTemplateRaw, type KubeObject } from '../src/helm.js';
import { chartDir, repoPath } from '../src/paths.js';
import { findHelm } from '../src/tools.js';

import { exportedSeries, type ExportedSeries } from './app-metrics.js';

const helm = findHelm(process.env);

/** The single source of the dashboard (Helm's `.Files` reads only inside the chart). */
const chartDashboard = 'deploy/helm/aigw/dashboards/aigw.json';
/** The copy for importing by hand, kept identical. */
const copyDashboard = 'deploy/grafana/aigw-dashboard.json';

/** Labels Prometheus adds to every scraped series. */
const targetLabels = ['job', 'instance'];

interface Target {
  readonly refId: string;
  readonly expr: string;
  readonly legendFormat?: string;
  readonly datasource?: unknown;
}
interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: unknown;
  readonly targets?: readonly Target[];
}
interface Variable {
  readonly type: string;
  readonly name: string;
  readonly query: unknown;
  readonly definition?: string;
  readonly datasource?: unknown;
}
interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly schemaVersion: number;
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly Variable[] };
}

const text = readFileSync(repoPath(chartDashboard), 'utf8');
const dashboard = JSON.parse(text) as Dashboard;
const queryPanels = dashboard.panels.filter((p) => p.type !== 'row');
const targets = queryPanels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p.title, ...t })),
);

/** What one PromQL expression reads: the series names, matcher labels and grouping labels. */
interface Reads {
  readonly errors: string[];
  readonly selectors: { name: string; labels: string[] }[];
  readonly grouping: string[];
}

/**
 * Parses `expr` with Prometheus's own PromQL grammar (@prometheus-io/lezer-promql, the one the
 * Prometheus UI uses), after replacing Grafana's interval variables as Grafana does.
 */
function reads(expr: string): Reads {
  const promql = expr.replaceAll(/\$__(rate_interval|interval|range)\b/g, '5m');
  const out: Reads = { errors: [], selectors: [], grouping: [] };
  parser.parse(promql).iterate({
    enter(node) {
      if (node.type.isError) {
        out.errors.push(`at ${String(node.from)}: ${promql.slice(node.from, node.from + 30)}`);
      }
      if (node.name === 'VectorSelector') {
        const identifier = node.node.getChild('Identifier');
        const labels: string[] = [];
        node.node.cursor().iterate((child) => {
          if (child.name === 'LabelName') labels.push(promql.slice(child.from, child.to));
        });
        out.selectors.push({
          name: identifier === null ? '' : promql.slice(identifier.from, identifier.to),
          labels,
        });
        return false;
      }
      if (node.name === 'GroupingLabels') {
        for (const label of node.node.getChildren('LabelName')) {
          out.grouping.push(promql.slice(label.from, label.to));
        }
      }
      return undefined;
    },
  });
  return out;
}

/**
 * What is wrong with one query against the exported series: syntax errors, unknown series, labels
 * a selector, a grouping or the legend names that the series read do not carry. And which apps it
 * reads.
 */
function check(
  expr: string,
  legend: string,
  series: ReadonlyMap<string, ExportedSeries>,
): { problems: string[]; apps: string[] } {
  const parsed = reads(expr);
  const problems = parsed.errors.map((e) => `syntax error ${e}`);
  const apps = new Set<string>();
  const known = new Set(targetLabels);
  for (const selector of parsed.selectors) {
    const exported = series.get(selector.name);
    if (exported === undefined) {
      problems.push(`no app exports ${selector.name || '(no name)'}`);
      continue;
    }
    apps.add(exported.app);
    for (const label of exported.labels) known.add(label);
    const missing = selector.labels.filter(
      (l) => !exported.labels.has(l) && !targetLabels.includes(l),
    );
    problems.push(...missing.map((l) => `${selector.name} has no label ${l}`));
  }
  const unknown = (labels: Iterable<string>): string[] => [...labels].filter((l) => !known.has(l));
  problems.push(...unknown(parsed.grouping).map((l) => `grouping by unknown label ${l}`));
  const legendLabels = [...legend.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1] ?? '');
  problems.push(...unknown(legendLabels).map((l) => `legend names unknown label ${l}`));
  return { problems, apps: [...apps] };
}

/** `label_values(<selector>, <label>)` of a query variable. */
function labelValuesQuery(query: string): { selector: string; label: string } {
  const match = /^label_values\((.+),\s*([a-zA-Z_]\w*)\)$/.exec(query);
  if (match?.[1] === undefined || match[2] === undefined) {
    throw new Error(`not a label_values query: ${query}`);
  }
  return { selector: match[1], label: match[2] };
}

describe('the Grafana dashboard', () => {
  let series: Map<string, ExportedSeries>;
  beforeAll(async () => {
    series = await exportedSeries();
  });

  it('is one file: deploy/grafana holds the chart’s copy byte for byte', () => {
    expect(
      readFileSync(repoPath(copyDashboard), 'utf8') === text,
      `${copyDashboard} differs from ${chartDashboard}: cp ${chartDashboard} ${copyDashboard}`,
    ).toBe(true);
  });

  it('is a current Grafana dashboard reading a chosen Prometheus data source', () => {
    expect(dashboard.uid).toBe('aigw-overview');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    const variables = dashboard.templating.list;
    expect(variables.find((v) => v.name === 'datasource')).toMatchObject({
      type: 'datasource',
      query: 'prometheus',
    });
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title)).toEqual([
      'GenAI traffic (extproc)',
      'Rate limiting (aigw-ratelimit)',
      'Control plane (controller, webhook, extension server)',
      'Processes',
    ]);
    for (const panel of queryPanels) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.datasource, `${panel.title} ${target.refId}`).toEqual(panel.datasource);
      }
    }
  });

  it('filters the GenAI panels by route, backend and model variables read from the extproc’s labels', () => {
    const variables = new Map(dashboard.templating.list.map((v) => [v.name, v]));
    const expected = [
      ['route', 'aigw_route'],
      ['backend', 'aigw_backend'],
      ['model', 'gen_ai_request_model'],
    ] as const;
    for (const [name, label] of expected) {
      const variable = variables.get(name);
      expect(variable?.type, name).toBe('query');
      expect(variable?.query).toMatchObject({ query: variable?.definition });
      const query = labelValuesQuery(variable?.definition ?? '');
      expect(query.label).toBe(label);
      expect(check(query.selector, `{{${label}}}`, series)).toEqual({
        problems: [],
        apps: ['extproc'],
      });
    }
    for (const target of targets.filter((t) => t.expr.includes('gen_ai_'))) {
      expect(target.expr, target.panel).toContain(
        'aigw_route=~"$route", aigw_backend=~"$backend", gen_ai_request_model=~"$model"',
      );
    }
  });

  it('parses every query as PromQL and reads only series and labels the apps export', () => {
    expect(targets.length).toBeGreaterThan(40);
    const problems: string[] = [];
    const apps = new Set<string>();
    for (const target of targets) {
      const result = check(target.expr, target.legendFormat ?? '', series);
      problems.push(...result.problems.map((p) => `${target.panel} ${target.refId}: ${p}`));
      for (const app of result.apps) apps.add(app);
    }
    expect(problems).toEqual([]);
    expect([...apps].sort()).toEqual([
      'controller',
      'extension-server',
      'extproc',
      'ratelimit',
      'webhook',
    ]);
  });

  it('reads the unprefixed controller-runtime and process series of the aigw controller only', () => {
    for (const target of targets) {
      const names = reads(target.expr).selectors.map((s) => s.name);
      const unprefixed = names.filter(
        (n) => series.get(n)?.app === 'controller' && !n.startsWith('aigw_'),
      );
      if (unprefixed.length === 0) continue;
      expect(target.expr, `${target.panel} ${target.refId}`).toContain(
        'and on (job, instance) aigw_controller_informer_synced',
      );
    }
  });

  it('rejects a series no app exports and a PromQL syntax error (the checks above can fail)', () => {
    expect(series.has('gen_ai_server_request_duration_seconds_bucket')).toBe(true);
    expect(series.has('gen_ai_server_request_duration_seconds')).toBe(false);
    expect(reads('sum(rate(foo[$__rate_interval]) by (le)').errors).not.toEqual([]);
    expect(
      reads('sum by (le) (rate(a_bucket{x=~"$v"}[$__rate_interval])) / on () group_left () b'),
    ).toEqual({
      errors: [],
      selectors: [
        { name: 'a_bucket', labels: ['x'] },
        { name: 'b', labels: [] },
      ],
      grouping: ['le'],
    });
  });
});

describe('the chart’s dashboard ConfigMap (grafana.dashboards)', () => {
  async function render(values: Record<string, unknown> = {}): Promise<KubeObject[]> {
    return (await helmTemplate(helm, chartDir, { values }))
      .filter((r) => r.source.endsWith('/grafana-dashboard.yaml'))
      .map((r) => r.object);
  }

  it('renders nothing by default', async () => {
    const all = await helmTemplate(helm, chartDir);
    expect(all.filter((r) => r.source.endsWith('/grafana-dashboard.yaml'))).toEqual([]);
    expect(all.filter((r) => JSON.stringify(r.object).includes('aigw-overview'))).toEqual([]);
  });

  it('enabled: one ConfigMap carrying exactly the JSON, with the sidecar label', async () => {
    const [configMap, ...more] = await render({ grafana: { dashboards: { enabled: true } } });
    expect(more).toEqual([]);
    expect(configMap).toMatchObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'aigw-grafana-dashboard',
        namespace: 'aigw-system',
        labels: {
          grafana_dashboard: '1',
          'app.kubernetes.io/part-of': 'aigw',
          'app.kubernetes.io/component': 'grafana-dashboard',
        },
      },
    });
    expect(configMap?.metadata.annotations).toBeUndefined();
    const data = (configMap as KubeObject & { data: Record<string, string> }).data;
    expect(Object.keys(data)).toEqual(['aigw.json']);
    expect(data['aigw.json'] === text, 'the ConfigMap JSON differs from the file').toBe(true);
  });

  it.each([
    [{ enabled: 'always' }, /at '\/grafana\/dashboards\/enabled': got string, want boolean/],
    [{ label: {} }, /at '\/grafana\/dashboards': additional properties 'label' not allowed/],
    [{ labels: { grafana_dashboard: 1 } }, /at '\/grafana\/dashboards\/labels\/grafana_dashboard'/],
    [{ namespace: 'Monitoring' }, /at '\/grafana\/dashboards\/namespace'/],
  ])('values.schema.json refuses grafana.dashboards %j', async (dashboards, message) => {
    const result = await helmTemplateRaw(helm, chartDir, { values: { grafana: { dashboards } } });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });

  it('with labels, annotations and a namespace of the operator’s Grafana', async () => {
    const [configMap] = await render({
      grafana: {
        dashboards: {
          enabled: true,
          labels: { grafana_dashboard: null, dashboards: 'aigw' },
          annotations: { grafana_folder: 'AI gateway' },
          namespace: 'monitoring',
        },
      },
    });
    expect(configMap?.metadata.namespace).toBe('monitoring');
    expect(configMap?.metadata.labels).toMatchObject({ dashboards: 'aigw' });
    expect(configMap?.metadata.labels).not.toHaveProperty('grafana_dashboard');
    expect(configMap?.metadata.annotations).toEqual({ grafana_folder: 'AI gateway' });
  });
});

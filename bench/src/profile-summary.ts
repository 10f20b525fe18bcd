/**
 * Reads a V8 `.cpuprofile` (what `node --cpu-prof` writes) and aggregates sampled time by
 * function (+ file and line) and by package, optionally within a time window, so the hot spots
 * can be written down without a flame-graph viewer.
 */

/** The parts of the `.cpuprofile` JSON this summary reads. */
export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  /** Microseconds on the monotonic clock (the same one as `process.hrtime`). */
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

/** One row of a summary table. */
export interface ProfileRow {
  /** `function (file:line)` or a package / category name. */
  readonly name: string;
  readonly category: string;
  readonly ms: number;
  /** Share of the busy (non-idle) time. */
  readonly pctBusy: number;
}

/** A profile (or a window of it) summarised. */
export interface ProfileSummary {
  readonly wallMs: number;
  /** Sampled time not idle: JS, native, GC. */
  readonly busyMs: number;
  readonly gcMs: number;
  readonly samples: number;
  /** Self time by package or category. */
  readonly byCategory: readonly ProfileRow[];
  /** Self time by coarse group (see {@link groupOf}), every group listed. */
  readonly byGroup: readonly ProfileRow[];
  /** Functions with the most self time. */
  readonly topSelf: readonly ProfileRow[];
  /** Our own functions (`@aigw/*`) with the most total time (self + callees). */
  readonly topTotalOwn: readonly ProfileRow[];
}

/** Options of {@link summariseProfile}. */
export interface SummaryOptions {
  /** Only samples taken in `[fromUs, toUs)` (monotonic microseconds). */
  readonly window?: { readonly fromUs: number; readonly toUs: number } | undefined;
  /** Rows per top list (default 20). */
  readonly top?: number;
}

const special: Readonly<Record<string, string>> = {
  '(idle)': 'idle',
  '(program)': 'V8/native (program)',
  '(garbage collector)': 'V8 garbage collector',
  '(root)': 'V8/native (program)',
};

/** `node:internal/http2/core` → `node:http2`; `node:net` → `node:net`. */
function nodeArea(url: string): string {
  const parts = url.slice('node:'.length).split('/');
  const area = parts[0] === 'internal' && parts.length > 2 ? parts[1] : parts.at(-1);
  return `node:${area ?? url}`;
}

/** The package a file under `node_modules` belongs to (scoped names kept whole). */
function packageName(url: string, modules: number): string {
  const [first = url, second = ''] = url.slice(modules + '/node_modules/'.length).split('/');
  return first.startsWith('@') ? `${first}/${second}` : first;
}

/** Which package or runtime part a script URL belongs to. */
export function categoryOf(url: string, functionName: string): string {
  if (url === '') return special[functionName] ?? 'V8 builtins';
  if (url.startsWith('node:')) return nodeArea(url);
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) return packageName(url, modules);
  const own = /\/(?:apps|packages)\/([^/]+)\//.exec(url);
  return own ? `@aigw/${own[1] ?? ''}` : 'other';
}

/** Coarse groups for "what dominates", in display order. */
export const profileGroups = [
  'gRPC + HTTP/2 transport (grpc-js, node:http2, streams, buffers, events)',
  'Node errors for reset streams (node:errors)',
  'Protobuf encode/decode (generated code, @bufbuild/protobuf)',
  'Our code (@aigw/extproc, translator, service-kit, filterapi)',
  'Other libraries (CEL, pino, zod, ...)',
  'V8 garbage collector',
  'V8 native / builtins',
] as const;

/** The group of a {@link categoryOf} category. */
export function groupOf(category: string): (typeof profileGroups)[number] {
  if (category === 'node:errors') return profileGroups[1];
  if (category.startsWith('node:') || category.startsWith('@grpc/')) return profileGroups[0];
  if (category === '@aigw/proto' || category === '@bufbuild/protobuf') return profileGroups[2];
  if (category.startsWith('@aigw/')) return profileGroups[3];
  if (category === 'V8 garbage collector') return profileGroups[5];
  if (category.startsWith('V8')) return profileGroups[6];
  return profileGroups[4];
}

/** A URL shortened for tables: repository-relative, or from the package name on. */
export function shortUrl(url: string): string {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) return url.slice(modules + '/node_modules/'.length);
  const own = /\/((?:apps|packages|bench|e2e)\/.*)$/.exec(url);
  return own?.[1] ?? url;
}

function frameKey(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName === '' ? '(anonymous)' : functionName;
  return url === '' ? name : `${name} (${shortUrl(url)}:${String(lineNumber + 1)})`;
}

interface Indexed {
  readonly key: string;
  readonly category: string;
  readonly parent: number | undefined;
}

function index(profile: CpuProfile): Map<number, Indexed> {
  const parents = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parents.set(child, node.id);
  }
  const byId = new Map<number, Indexed>();
  for (const node of profile.nodes) {
    byId.set(node.id, {
      key: frameKey(node),
      category: categoryOf(node.callFrame.url, node.callFrame.functionName),
      parent: parents.get(node.id),
    });
  }
  return byId;
}

/** Each sample's time and the interval it stands for (the time until the next sample). */
function sampleTimes(profile: CpuProfile): { at: Float64Array; dt: Float64Array } {
  const n = profile.samples.length;
  const at = new Float64Array(n);
  let t = profile.startTime;
  for (let i = 0; i < n; i++) {
    t += profile.timeDeltas[i] ?? 0;
    at[i] = t;
  }
  const dt = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const next = i + 1 < n ? (at[i + 1] ?? t) : profile.endTime;
    dt[i] = Math.max(0, next - (at[i] ?? t));
  }
  return { at, dt };
}

function add(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

function rows(
  map: ReadonlyMap<string, number>,
  options: { busyUs: number; top: number; categoryOf: (key: string) => string },
): ProfileRow[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, options.top)
    .map(([name, us]) => ({
      name,
      category: options.categoryOf(name),
      ms: us / 1000,
      pctBusy: options.busyUs > 0 ? (100 * us) / options.busyUs : 0,
    }));
}

function groupRows(categories: ReadonlyMap<string, number>, busyUs: number): ProfileRow[] {
  const byGroup = new Map<string, number>(profileGroups.map((group) => [group, 0]));
  for (const [category, us] of categories) add(byGroup, groupOf(category), us);
  return [...byGroup].map(([name, us]) => ({
    name,
    category: name,
    ms: us / 1000,
    pctBusy: busyUs > 0 ? (100 * us) / busyUs : 0,
  }));
}

interface Totals {
  readonly self: Map<string, number>;
  readonly total: Map<string, number>;
  readonly categories: Map<string, number>;
  readonly keyCategory: Map<string, string>;
  wallUs: number;
  samples: number;
}

function isInWindow(time: number, window: SummaryOptions['window']): boolean {
  return window === undefined || (time >= window.fromUs && time < window.toUs);
}

function accumulate(profile: CpuProfile, options: SummaryOptions): Totals {
  const nodes = index(profile);
  const { at, dt } = sampleTimes(profile);
  const totals: Totals = {
    self: new Map(),
    total: new Map(),
    categories: new Map(),
    keyCategory: new Map(),
    wallUs: 0,
    samples: 0,
  };
  const window = options.window;
  for (let i = 0; i < profile.samples.length; i++) {
    const leaf = nodes.get(profile.samples[i] ?? -1);
    if (!leaf || !isInWindow(at[i] ?? 0, window)) continue;
    const us = dt[i] ?? 0;
    totals.wallUs += us;
    totals.samples++;
    add(totals.categories, leaf.category, us);
    if (leaf.category === 'idle') continue;
    add(totals.self, leaf.key, us);
    totals.keyCategory.set(leaf.key, leaf.category);
    addOwnTotals(totals, { leaf, nodes, us });
  }
  return totals;
}

/** Adds a sample's time to every `@aigw/*` function on its stack, once each however deep it recurses. */
function addOwnTotals(
  totals: Totals,
  sample: { leaf: Indexed; nodes: ReadonlyMap<number, Indexed>; us: number },
): void {
  const seen = new Set<string>();
  for (
    let node: Indexed | undefined = sample.leaf;
    node;
    node = sample.nodes.get(node.parent ?? -1)
  ) {
    if (!node.category.startsWith('@aigw/') || seen.has(node.key)) continue;
    seen.add(node.key);
    totals.keyCategory.set(node.key, node.category);
    add(totals.total, node.key, sample.us);
  }
}

/** Summarises `profile` (or the window of it in `options`). */
export function summariseProfile(
  profile: CpuProfile,
  options: SummaryOptions = {},
): ProfileSummary {
  const totals = accumulate(profile, options);
  const idleUs = totals.categories.get('idle') ?? 0;
  const busyUs = totals.wallUs - idleUs;
  const top = options.top ?? 20;
  const keyCategory = (key: string): string => totals.keyCategory.get(key) ?? key;
  const busyCategories = new Map([...totals.categories].filter(([name]) => name !== 'idle'));
  return {
    wallMs: totals.wallUs / 1000,
    busyMs: busyUs / 1000,
    gcMs: (totals.categories.get('V8 garbage collector') ?? 0) / 1000,
    samples: totals.samples,
    byCategory: rows(busyCategories, { busyUs, top, categoryOf: (key) => key }),
    byGroup: groupRows(busyCategories, busyUs),
    topSelf: rows(totals.self, { busyUs, top, categoryOf: keyCategory }),
    topTotalOwn: rows(totals.total, { busyUs, top, categoryOf: keyCategory }),
  };
}

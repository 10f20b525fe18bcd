/** The profile summary as markdown (docs/benchmarks.md, docs/performance.md). */
import type { ProfileResult } from './profile-run.js';
import type { ProfileRow } from './profile-summary.js';

function rowTable(title: string, rows: readonly ProfileRow[], withCategory: boolean): string {
  const head = withCategory
    ? [`| ${title} | package | ms | % of busy |`, '| --- | --- | ---: | ---: |']
    : [`| ${title} | ms | % of busy |`, '| --- | ---: | ---: |'];
  const body = rows.map((row) => {
    const name = row.name.replaceAll('|', '\\|');
    const cells = [row.ms.toFixed(0), row.pctBusy.toFixed(1)];
    return withCategory
      ? `| \`${name}\` | ${row.category} | ${cells.join(' | ')} |`
      : `| ${name} | ${cells.join(' | ')} |`;
  });
  return [...head, ...body].join('\n');
}

/** One table: each group's share of the extproc's busy time, one column per profiled phase. */
function groupTable(profile: ProfileResult): string {
  const phases = profile.phases;
  const perRequest = phases.map((phase) =>
    phase.requests > 0 ? ((1000 * phase.summary.busyMs) / phase.requests).toFixed(0) : '—',
  );
  const lines = [
    `| Share of extproc CPU | ${phases.map((phase) => phase.name).join(' | ')} |`,
    `| --- |${phases.map(() => ' ---: |').join('')}`,
  ];
  const names = phases[0]?.summary.byGroup.map((row) => row.name) ?? [];
  for (const [index, name] of names.entries()) {
    const cells = phases.map(
      (phase) => `${(phase.summary.byGroup[index]?.pctBusy ?? 0).toFixed(1)}%`,
    );
    lines.push(`| ${name} | ${cells.join(' | ')} |`);
  }
  lines.push(`| **Extproc CPU per request (µs, profiler on)** | ${perRequest.join(' | ')} |`);
  return lines.join('\n');
}

/** The profile summary (markdown), one section per profiled phase. */
export function profileMarkdown(profile: ProfileResult): string {
  const parts: string[] = [
    groupTable(profile),
    `Raw profile: \`${profile.file}\` (git-ignored; open it in Chrome DevTools or speedscope).`,
  ];
  for (const phase of profile.phases) {
    const s = phase.summary;
    const perRequest =
      phase.requests > 0
        ? ` → **${((1000 * s.busyMs) / phase.requests).toFixed(0)} µs of extproc CPU per request**`
        : '';
    const perFrame =
      phase.frames > 0 ? `, ${((1000 * s.busyMs) / phase.frames).toFixed(0)} µs per SSE frame` : '';
    parts.push(
      `#### Profiled phase: ${phase.name}\n\n` +
        `${(s.wallMs / 1000).toFixed(1)} s window` +
        (phase.requests > 0 ? `, ${phase.requests.toLocaleString('en-US')} requests` : '') +
        `${phase.frames > 0 ? ` (${phase.frames.toLocaleString('en-US')} frames)` : ''}. ` +
        `Extproc busy ${(s.busyMs / 1000).toFixed(2)} s (${((100 * s.busyMs) / s.wallMs).toFixed(0)}% of one core)` +
        `${perRequest}${perFrame}; ` +
        `garbage collection ${((100 * s.gcMs) / Math.max(1, s.busyMs)).toFixed(1)}% of busy.`,
      rowTable('Self time by package', s.byCategory.slice(0, 10), false),
      rowTable('Top functions by self time', s.topSelf.slice(0, 12), true),
      rowTable(
        'Our functions (`@aigw/*`) by total time (self + callees)',
        s.topTotalOwn.slice(0, 8),
        true,
      ),
    );
  }
  return parts.join('\n\n');
}

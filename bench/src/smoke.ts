/**
 * `pnpm bench --smoke`: the check that the runner works end to end. It holds no figure to a
 * threshold (timings on a shared machine are noise); it only requires that every row of the table
 * was produced — finite numbers in every cell that has a column — and that no request failed.
 * The translator rows may be explicitly pending until packages/translator/bench lands.
 */
import { errorTotal, translatorPending, type BenchReport, type Row } from './report.js';

function rowProblems(row: Row): string[] {
  if (row.pending !== undefined) {
    const isAllowed = row.metric.startsWith('Translator:') && row.pending === translatorPending;
    return isAllowed ? [] : [`${row.metric}: ${row.pending}`];
  }
  const problems: string[] = [];
  if (!Number.isFinite(row.gateway)) problems.push(`${row.metric}: no gateway figure`);
  if (row.direct !== undefined && !Number.isFinite(row.direct))
    problems.push(`${row.metric}: no Envoy-direct (baseline) figure`);
  if (row.failures && !(row.failures.direct === 0 && row.failures.gateway === 0))
    problems.push(`${row.metric}: failed requests`);
  return problems;
}

/** Every problem with a report, one line each; empty when the smoke check passes. */
export function smokeProblems(report: BenchReport): string[] {
  const problems = report.rows.flatMap(rowProblems);
  if (report.rows.length === 0) problems.push('the table has no rows');
  const errors = errorTotal(report);
  if (errors > 0) problems.push(`${String(errors)} failed requests or cross-checks`);
  return problems;
}

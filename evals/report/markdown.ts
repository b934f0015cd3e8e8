/** The Markdown report: summary, per-tag table, baseline comparison, failures with reasons. */
import type { RunRecord } from '../results.js';

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const num = (x: number | null, d = 2) => (x === null || !Number.isFinite(x) ? '–' : x.toFixed(d));

/** Renders a run as Markdown. */
export function renderMarkdown(run: RunRecord): string {
  const s = run.summary;
  const out: string[] = [];
  out.push(`# Eval run: ${run.suite.name} v${run.suite.version}`, '');
  out.push(`Mode **${run.mode}**, model \`${run.model_version ?? '?'}\`, started ${run.started_at}, ${run.duration_s.toFixed(1)} s.`, '');
  out.push(`**${s.passed} / ${s.total - s.skipped} passed (${pct(s.pass_rate)})**: ${s.failed} failed, ${s.errors} errors, ${s.skipped} skipped (of ${s.total}).`, '');
  out.push('| figure | value |', '|---|---|');
  out.push(`| counting MAE | ${num(s.count_mae)} |`, `| median location error (m) | ${num(s.location_median_m, 0)} |`, `| mean ranking AP / P@10 | ${num(s.mean_ranking_ap, 3)} / ${num(s.mean_ranking_p10, 3)} |`, `| mean detection AP50 | ${num(s.mean_detection_ap50, 3)} |`);
  out.push(`| latency p50 / p95 (ms) | ${s.latency_p50_ms.toFixed(0)} / ${s.latency_p95_ms.toFixed(0)} |`, `| tokens | ${s.tokens ?? '–'} |`, `| expected tools called | ${s.expected_tools_rate === null ? '–' : pct(s.expected_tools_rate)} |`, '');
  out.push('## By tag', '', '| tag | passed | ran | skipped | rate |', '|---|---|---|---|---|');
  for (const [tag, b] of Object.entries(s.by_tag).sort()) out.push(`| ${tag} | ${b.passed} | ${b.total - b.skipped} | ${b.skipped} | ${b.total - b.skipped ? pct(b.rate) : '–'} |`);
  out.push('');
  if (run.comparison) {
    const c = run.comparison;
    out.push(`## Against baseline ${c.baseline.file} (${c.baseline.model_version ?? '?'})`, '', c.regressed ? '**REGRESSION**' : 'No regression.', '');
    out.push('| figure | before | after | |', '|---|---|---|---|');
    for (const m of c.metrics) out.push(`| ${m.metric} | ${num(m.before, 3)} | ${num(m.after, 3)} | ${m.regressed ? 'worse' : ''} |`);
    out.push('');
    if (c.newly_failing.length) out.push(`Newly failing: ${c.newly_failing.join(', ')}`, '');
    if (c.newly_passing.length) out.push(`Newly passing: ${c.newly_passing.join(', ')}`, '');
  }
  const bad = run.tasks.filter((t) => t.status === 'fail' || t.status === 'error');
  out.push(`## Failures (${bad.length})`, '');
  for (const t of bad) out.push(`- **${t.id}** (${t.status}; ${t.tags.join(', ')}): ${t.question}  \n  answer: \`${JSON.stringify(t.answer)?.slice(0, 160)}\`  \n  reason: ${t.reason ?? '?'}`);
  const skipped = run.tasks.filter((t) => t.status === 'skipped');
  if (skipped.length) {
    out.push('', `## Skipped (${skipped.length})`, '');
    const reasons = new Map<string, string[]>();
    for (const t of skipped) (reasons.get(t.reason ?? '?') ?? reasons.set(t.reason ?? '?', []).get(t.reason ?? '?')!).push(t.id);
    for (const [r, ids] of reasons) out.push(`- ${r}: ${ids.length} task(s) (${ids.slice(0, 6).join(', ')}${ids.length > 6 ? ', …' : ''})`);
  }
  out.push('');
  return out.join('\n');
}

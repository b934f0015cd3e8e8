/**
 * The self-contained HTML report: summary, plots (precision–recall curves of ranked and
 * detection outputs, per-tag accuracy bars, before/after bars against the baseline) and
 * failure cards with evidence thumbnails embedded as data URLs. One file, no scripts.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunRecord } from '../results.js';
import { barsSvg, esc, prCurvesSvg } from './svg.js';

/** Renders a run as HTML; thumbnails are read from `runDir` and inlined. */
export async function renderHtml(run: RunRecord, runDir: string): Promise<string> {
  const s = run.summary;
  const tagRows = Object.entries(s.by_tag).filter(([, b]) => b.total > b.skipped).sort().map(([tag, b]) => ({ label: tag, value: b.rate, note: `${b.passed}/${b.total - b.skipped}`, ...(run.comparison ? { before: run.comparison.metrics.find((m) => m.metric === `pass_rate[${tag}]`)?.before ?? b.rate } : {}) }));
  const curves = run.tasks.flatMap((t) => t.metrics.filter((m) => m.curve.recall.length).map((m) => ({ label: `${t.id} AP ${m.ap.toFixed(2)}`, ...m.curve, kind: m.kind })));
  const cmp = run.comparison;
  const parts: string[] = [];
  parts.push(`<h1>Eval run: ${esc(run.suite.name)} v${esc(run.suite.version)}</h1>`);
  parts.push(`<p>Mode <b>${run.mode}</b>, model <code>${esc(run.model_version ?? '?')}</code>, started ${esc(run.started_at)}, ${run.duration_s.toFixed(1)} s.</p>`);
  parts.push(`<p class="big ${s.pass_rate >= 0.9 ? 'ok' : 'bad'}">${s.passed} / ${s.total - s.skipped} passed (${(s.pass_rate * 100).toFixed(1)} %) · ${s.failed} failed · ${s.errors} errors · ${s.skipped} skipped</p>`);
  if (cmp) parts.push(`<p class="big ${cmp.regressed ? 'bad' : 'ok'}">${cmp.regressed ? 'REGRESSION' : 'No regression'} against ${esc(cmp.baseline.file)} (${esc(cmp.baseline.model_version ?? '?')})${cmp.newly_failing.length ? `: newly failing ${esc(cmp.newly_failing.join(', '))}` : ''}</p>`);
  parts.push('<div class="row">');
  parts.push(`<figure><figcaption>Accuracy by tag${cmp ? ' (grey: baseline)' : ''}</figcaption>${barsSvg(tagRows.length ? tagRows : [{ label: 'all', value: s.pass_rate }])}</figure>`);
  if (cmp) {
    const rows = cmp.metrics.filter((m) => m.higher_is_better && !m.metric.includes('[')).map((m) => ({ label: m.metric, value: m.after, before: m.before }));
    parts.push(`<figure><figcaption>Before / after (grey: baseline)</figcaption>${barsSvg(rows)}</figure>`);
  }
  for (const kind of ['ranking', 'detection'] as const) {
    const c = curves.filter((x) => x.kind === kind);
    if (c.length) parts.push(`<figure><figcaption>Precision–recall, ${kind === 'ranking' ? 'ranked search hits' : 'detections (IoU 0.5)'}</figcaption>${prCurvesSvg(c)}</figure>`);
  }
  parts.push('</div>');
  parts.push(`<table><tr><th>counting MAE</th><th>median location error</th><th>mean ranking AP / P@10</th><th>mean detection AP50</th><th>latency p50 / p95</th><th>tokens</th></tr><tr><td>${fmt(s.count_mae)}</td><td>${fmt(s.location_median_m, 0)} m</td><td>${fmt(s.mean_ranking_ap, 3)} / ${fmt(s.mean_ranking_p10, 3)}</td><td>${fmt(s.mean_detection_ap50, 3)}</td><td>${s.latency_p50_ms.toFixed(0)} / ${s.latency_p95_ms.toFixed(0)} ms</td><td>${s.tokens ?? '–'}</td></tr></table>`);
  const bad = run.tasks.filter((t) => t.status === 'fail' || t.status === 'error');
  parts.push(`<h2>Failures (${bad.length})</h2><div class="cards">`);
  for (const t of bad) {
    const img = t.thumbnail ? await dataUrl(path.join(runDir, t.thumbnail)) : null;
    parts.push(`<div class="card">${img ? `<img src="${img}" alt="evidence for ${esc(t.id)}">` : ''}<h3>${esc(t.id)} <small>${t.status} · ${esc(t.tags.join(', '))}</small></h3><p>${esc(t.question)}</p><p><b>answer</b> <code>${esc(JSON.stringify(t.answer)?.slice(0, 200) ?? '')}</code></p><p><b>why</b> ${esc(t.reason ?? '?')}</p></div>`);
  }
  parts.push('</div>');
  parts.push('<h2>All tasks</h2><table><tr><th>task</th><th>tags</th><th>status</th><th>latency</th><th>detail</th></tr>');
  for (const t of run.tasks) parts.push(`<tr class="${t.status}"><td>${esc(t.id)}</td><td>${esc(t.tags.join(', '))}</td><td>${t.status}</td><td>${t.latency_ms.toFixed(0)} ms</td><td>${esc((t.reason ?? t.checks.map((c) => c.detail).join('; ')).slice(0, 200))}</td></tr>`);
  parts.push('</table>');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>geoscout eval ${esc(run.suite.name)}</title><style>${CSS}</style></head><body>${parts.join('\n')}</body></html>\n`;
}

const fmt = (x: number | null, d = 2) => (x === null || !Number.isFinite(x) ? '–' : x.toFixed(d));

async function dataUrl(file: string): Promise<string | null> {
  const buf = await readFile(file).catch(() => null);
  if (!buf) return null;
  return `data:${file.endsWith('.jpg') ? 'image/jpeg' : 'image/png'};base64,${buf.toString('base64')}`;
}

const CSS = `body{font:14px system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}h1{font-size:22px}.big{font-size:17px;font-weight:600}.ok{color:#1b7f2a}.bad{color:#c62828}
.row{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0;background:#fff;border:1px solid #ddd;padding:8px}figcaption{font-weight:600;margin-bottom:4px}
table{border-collapse:collapse;margin:12px 0;background:#fff}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;font-size:12px}tr.fail td,tr.error td{background:#fdecea}tr.skipped td{color:#888}
.cards{display:flex;flex-wrap:wrap;gap:12px}.card{width:300px;background:#fff;border:1px solid #ddd;padding:8px}.card img{width:256px;height:auto;display:block}.card h3{font-size:13px;margin:6px 0}code{font-size:11px;word-break:break-all}`;

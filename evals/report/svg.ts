/** Small inline-SVG charts for the HTML report (no scripts, no external assets). */

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** Precision–recall curves (step lines), one per series, recall on x. */
export function prCurvesSvg(series: { label: string; precision: number[]; recall: number[] }[], w = 480, h = 320): string {
  const m = { l: 44, r: 200, t: 16, b: 36 };
  const pw = w - m.l - m.r, ph = h - m.t - m.b;
  const X = (r: number) => m.l + r * pw, Y = (p: number) => m.t + (1 - p) * ph;
  const axes = [0, 0.25, 0.5, 0.75, 1].map((v) => `<line x1="${X(0)}" x2="${X(1)}" y1="${Y(v)}" y2="${Y(v)}" stroke="#ddd"/><text x="${m.l - 6}" y="${Y(v) + 4}" text-anchor="end" font-size="10">${v}</text><text x="${X(v)}" y="${h - m.b + 14}" text-anchor="middle" font-size="10">${v}</text>`).join('');
  const lines = series.slice(0, 10).map((s, i) => {
    const pts: string[] = [`${X(0)},${Y(s.precision[0] ?? 0)}`];
    s.recall.forEach((r, k) => pts.push(`${X(r)},${Y(s.precision[k]!)}`));
    const c = PALETTE[i % PALETTE.length]!;
    return `<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.join(' ')}"/><rect x="${w - m.r + 10}" y="${m.t + i * 16}" width="10" height="10" fill="${c}"/><text x="${w - m.r + 24}" y="${m.t + i * 16 + 9}" font-size="10">${esc(s.label.slice(0, 32))}</text>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" role="img" aria-label="precision-recall curves"><rect width="${w}" height="${h}" fill="#fff"/>${axes}<line x1="${X(0)}" x2="${X(0)}" y1="${Y(0)}" y2="${Y(1)}" stroke="#333"/><line x1="${X(0)}" x2="${X(1)}" y1="${Y(0)}" y2="${Y(0)}" stroke="#333"/>${lines}<text x="${m.l + pw / 2}" y="${h - 4}" text-anchor="middle" font-size="11">recall</text><text x="12" y="${m.t + ph / 2}" transform="rotate(-90 12 ${m.t + ph / 2})" text-anchor="middle" font-size="11">precision</text></svg>`;
}

/**
 * Horizontal bars of values in [0, 1]; with `before`, each row shows the baseline bar
 * (grey) above the current one, coloured red where it dropped.
 */
export function barsSvg(rows: { label: string; value: number; before?: number; note?: string }[], w = 480): string {
  const rowH = rows.some((r) => r.before !== undefined) ? 30 : 20;
  const m = { l: 150, r: 60, t: 10, b: 10 };
  const h = m.t + m.b + rows.length * rowH;
  const bw = w - m.l - m.r;
  const body = rows.map((r, i) => {
    const y = m.t + i * rowH;
    const cur = r.before !== undefined && r.value < r.before - 1e-9 ? '#d62728' : '#2ca02c';
    const before = r.before !== undefined ? `<rect x="${m.l}" y="${y + 2}" width="${Math.max(1, r.before * bw)}" height="10" fill="#bbb"/>` : '';
    const yc = r.before !== undefined ? y + 14 : y + 3;
    return `<text x="${m.l - 6}" y="${yc + 10}" text-anchor="end" font-size="11">${esc(r.label)}</text>${before}<rect x="${m.l}" y="${yc}" width="${Math.max(1, r.value * bw)}" height="12" fill="${cur}"/><text x="${m.l + r.value * bw + 4}" y="${yc + 10}" font-size="10">${(r.value * 100).toFixed(0)}%${r.note ? ` ${esc(r.note)}` : ''}</text>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" role="img" aria-label="bar chart"><rect width="${w}" height="${h}" fill="#fff"/>${body}</svg>`;
}

export { esc };

/** One line of the evaluation table (percentages). */
export interface EvalRow { set: string; metric: string; parent: number | null; candidate: number | null; delta: number | null }

/** Registration decision with the reasons, one per criterion. */
export interface Decision { registered: boolean; reasons: string[] }

interface ClassRow { class: string; n: number; 't2i_R@10': number; 't2i_P@10': number; 'i2i_P@10': number; AP: number | null }
interface ModelScores { mAP?: number | null; AP?: Record<string, number | null>; classes?: ClassRow[]; class_mean?: Record<string, number>; retrieval?: Record<string, number> }
/** What geoscout_train.compare writes. */
export interface CompareJson { sets: Record<string, { rows: number; parent: ModelScores; candidate: ModelScores }> }

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const row = (set: string, metric: string, p: unknown, c: unknown): EvalRow => {
  const parent = num(p), candidate = num(c);
  return { set, metric, parent, candidate, delta: parent !== null && candidate !== null ? Math.round((candidate - parent) * 100) / 100 : null };
};

/** The evaluation table: per set mAP, class-mean t2i R@10 / i2i P@10, text→image R@10, then AP per class. */
export function evaluationTable(cmp: CompareJson): EvalRow[] {
  const out: EvalRow[] = [];
  for (const [set, s] of Object.entries(cmp.sets)) {
    out.push(row(set, 'mAP', s.parent.mAP, s.candidate.mAP));
    out.push(row(set, 'class t2i_R@10', s.parent.class_mean?.['t2i_R@10'], s.candidate.class_mean?.['t2i_R@10']));
    out.push(row(set, 'class i2i_P@10', s.parent.class_mean?.['i2i_P@10'], s.candidate.class_mean?.['i2i_P@10']));
    out.push(row(set, 'caption t2i_R@10', s.parent.retrieval?.['t2i_R@10'], s.candidate.retrieval?.['t2i_R@10']));
    for (const cls of Object.keys(s.parent.AP ?? {}).sort()) out.push(row(set, `AP ${cls}`, s.parent.AP?.[cls], s.candidate.AP?.[cls]));
  }
  return out;
}

function meanAp(scores: ModelScores, keep: (cls: string) => boolean): number | null {
  const v = Object.entries(scores.AP ?? {}).filter(([c]) => keep(c)).map(([, x]) => num(x)).filter((x): x is number => x !== null);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

/**
 * "Not worse" means, within `tolerance` percentage points: the held-out split's mAP (the
 * new data), the benchmark's mAP, and the benchmark's mean AP over classes the new data
 * does not teach (nothing forgotten). Every criterion is reported, pass or fail.
 */
export function decide(cmp: CompareJson, targets: string[], tolerance: number): Decision {
  const reasons: string[] = [];
  let ok = true;
  const check = (label: string, p: number | null, c: number | null) => {
    if (p === null || c === null) {
      reasons.push(`${label}: not measurable (no labelled chips)`);
      return;
    }
    const pass = c >= p - tolerance;
    ok &&= pass;
    reasons.push(`${label} ${c.toFixed(1)} vs current ${p.toFixed(1)} (${c - p >= 0 ? '+' : ''}${(c - p).toFixed(1)}): ${pass ? 'not worse' : `worse by more than ${tolerance}`}`);
  };
  const held = cmp.sets.heldout, bench = cmp.sets.benchmark;
  if (held) check('held-out mAP', meanAp(held.parent, () => true), meanAp(held.candidate, () => true));
  else reasons.push('held-out split empty (fewer than 3 examples per class): judged on the benchmark only');
  if (bench) {
    check('benchmark mAP', meanAp(bench.parent, () => true), meanAp(bench.candidate, () => true));
    const other = (c: string) => !targets.includes(c);
    check('benchmark mAP of classes not in the new data', meanAp(bench.parent, other), meanAp(bench.candidate, other));
    for (const t of targets) {
      const p = num(bench.parent.AP?.[t]), c = num(bench.candidate.AP?.[t]);
      if (p !== null && c !== null) reasons.push(`benchmark AP ${t}: ${p.toFixed(1)} → ${c.toFixed(1)}`);
    }
  }
  const measured = reasons.some((r) => r.includes(' vs current '));
  if (!measured) {
    ok = false;
    reasons.push('nothing could be measured, so the new version is not registered');
  }
  return { registered: ok, reasons };
}

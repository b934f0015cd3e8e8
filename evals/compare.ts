/**
 * Baseline comparison: a task that passed in the baseline and fails now is a
 * regression; so is an aggregate figure that got worse by more than the tolerance.
 * Tasks skipped on either side are not compared.
 */
import type { RunRecord, RunSummary } from './results.js';

/** A compared aggregate figure. */
export interface MetricDelta {
  metric: string;
  before: number;
  after: number;
  /** True when this figure got worse beyond the tolerance. */
  regressed: boolean;
  /** Higher is better (pass rate, AP) or lower is better (errors). */
  higher_is_better: boolean;
}

/** Result of comparing a run with a baseline run. */
export interface Comparison {
  baseline: { file: string; started_at: string; model_version: string | null };
  newly_failing: string[];
  newly_passing: string[];
  metrics: MetricDelta[];
  regressed: boolean;
}

/** Figures compared and their direction; relative tolerance for the error figures. */
const FIGURES: { key: keyof RunSummary; higher: boolean }[] = [
  { key: 'pass_rate', higher: true },
  { key: 'mean_ranking_ap', higher: true },
  { key: 'mean_ranking_p10', higher: true },
  { key: 'mean_detection_ap50', higher: true },
  { key: 'count_mae', higher: false },
  { key: 'location_median_m', higher: false },
];

/**
 * Compares `run` with `baseline`. `tolerance` is the allowed drop of a rate/AP (absolute,
 * default 0.02) and the allowed relative growth of an error figure (default 0.2).
 */
export function compareRuns(run: RunRecord, baseline: RunRecord, baselineFile: string, opts: { tolerance?: number; errorTolerance?: number } = {}): Comparison {
  const tol = opts.tolerance ?? 0.02;
  const errTol = opts.errorTolerance ?? 0.2;
  const before = new Map(baseline.tasks.map((t) => [t.id, t.status]));
  const newlyFailing: string[] = [], newlyPassing: string[] = [];
  for (const t of run.tasks) {
    const b = before.get(t.id);
    if (!b || b === 'skipped' || t.status === 'skipped') continue;
    if (b === 'pass' && t.status !== 'pass') newlyFailing.push(t.id);
    if (b !== 'pass' && t.status === 'pass') newlyPassing.push(t.id);
  }
  const metrics: MetricDelta[] = [];
  for (const { key, higher } of FIGURES) {
    const a = baseline.summary[key], c = run.summary[key];
    if (typeof a !== 'number' || typeof c !== 'number') continue;
    const regressed = higher ? c < a - tol : c > a * (1 + errTol) + 1e-9 && c - a > 1;
    metrics.push({ metric: key, before: a, after: c, regressed, higher_is_better: higher });
  }
  for (const [tag, b] of Object.entries(baseline.summary.by_tag)) {
    const c = run.summary.by_tag[tag];
    if (!c || b.total - b.skipped === 0 || c.total - c.skipped === 0) continue;
    metrics.push({ metric: `pass_rate[${tag}]`, before: b.rate, after: c.rate, regressed: c.rate < b.rate - tol, higher_is_better: true });
  }
  return {
    baseline: { file: baselineFile, started_at: baseline.started_at, model_version: baseline.model_version },
    newly_failing: newlyFailing,
    newly_passing: newlyPassing,
    metrics,
    regressed: newlyFailing.length > 0 || metrics.some((m) => m.regressed),
  };
}

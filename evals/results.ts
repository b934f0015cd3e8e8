/** The record of an eval run (results.json) and its summary. */
import { median } from './metrics/geo.js';
import type { ToolCallRecord } from './oracle.js';
import type { CheckResult, Citation } from './suite/checks.js';
import type { TaskMetricResult } from './task-metrics.js';

/** Outcome of a task. `error` (a tool or the agent threw, or it timed out) counts as a failure. */
export type TaskStatus = 'pass' | 'fail' | 'error' | 'skipped';

/** One task's result. */
export interface TaskResult {
  id: string;
  question: string;
  tags: string[];
  status: TaskStatus;
  /** Why it failed, errored or was skipped. */
  reason?: string;
  answer: unknown;
  citations: Citation[];
  checks: CheckResult[];
  tool_trace: ToolCallRecord[] | unknown[];
  latency_ms: number;
  tokens?: number;
  metrics: TaskMetricResult[];
  /** Whether every expected tool was called (absent when the task lists none). */
  expected_tools_called?: boolean;
  /** Thumbnail of the evidence for failures, relative to the run dir. */
  thumbnail?: string;
}

/** Aggregate figures (the baseline compares these). */
export interface RunSummary {
  total: number;
  passed: number;
  failed: number;
  errors: number;
  skipped: number;
  /** passed / (total − skipped). */
  pass_rate: number;
  by_tag: Record<string, { total: number; passed: number; skipped: number; rate: number }>;
  /** Mean absolute counting error over the number checks of count tasks. */
  count_mae: number | null;
  /** Median location error (m) over location checks. */
  location_median_m: number | null;
  /** Mean ranking AP / detection AP50 over tasks with metrics. */
  mean_ranking_ap: number | null;
  /** Mean share of the top 10 ranked hits near a true object. */
  mean_ranking_p10: number | null;
  mean_detection_ap50: number | null;
  latency_p50_ms: number;
  latency_p95_ms: number;
  tokens: number | null;
  /** Share of tasks with expected_tools whose tools were all called (agent mode's tool choice). */
  expected_tools_rate: number | null;
}

/** results.json. */
export interface RunRecord {
  suite: { name: string; version: string; file?: string };
  mode: 'oracle' | 'agent';
  model_version: string | null;
  started_at: string;
  duration_s: number;
  world?: { dir: string; scenes: Record<string, { image_id: string }> };
  tasks: TaskResult[];
  summary: RunSummary;
  comparison?: import('./compare.js').Comparison;
}

const meanOrNull = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** Summarises task results. */
export function summarise(tasks: TaskResult[]): RunSummary {
  const count = (s: TaskStatus) => tasks.filter((t) => t.status === s).length;
  const ran = tasks.length - count('skipped');
  const byTag: RunSummary['by_tag'] = {};
  for (const t of tasks) {
    for (const tag of t.tags) {
      const b = (byTag[tag] ??= { total: 0, passed: 0, skipped: 0, rate: 0 });
      b.total++;
      if (t.status === 'pass') b.passed++;
      if (t.status === 'skipped') b.skipped++;
    }
  }
  for (const b of Object.values(byTag)) b.rate = b.total - b.skipped > 0 ? b.passed / (b.total - b.skipped) : 0;
  const errs = (type: string, tag?: string) => tasks.filter((t) => !tag || t.tags.includes(tag)).flatMap((t) => t.checks.filter((c) => c.type === type && c.error !== undefined && Number.isFinite(c.error)).map((c) => c.error!));
  const lat = tasks.filter((t) => t.status !== 'skipped').map((t) => t.latency_ms).sort((a, b) => a - b);
  const pct = (p: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]! : 0);
  const metric = (kind: string) => tasks.flatMap((t) => t.metrics.filter((m) => m.kind === kind && Number.isFinite(m.ap)).map((m) => m.ap));
  const tokens = tasks.map((t) => t.tokens).filter((x): x is number => x !== undefined);
  const loc = errs('location');
  return {
    total: tasks.length,
    passed: count('pass'),
    failed: count('fail'),
    errors: count('error'),
    skipped: count('skipped'),
    pass_rate: ran ? count('pass') / ran : 0,
    by_tag: byTag,
    count_mae: meanOrNull(errs('number', 'count')),
    location_median_m: loc.length ? median(loc) : null,
    mean_ranking_ap: meanOrNull(metric('ranking')),
    mean_ranking_p10: meanOrNull(tasks.flatMap((t) => t.metrics.filter((m) => m.p_at_10 !== undefined).map((m) => m.p_at_10!))),
    mean_detection_ap50: meanOrNull(metric('detection')),
    latency_p50_ms: pct(0.5),
    latency_p95_ms: pct(0.95),
    tokens: tokens.length ? tokens.reduce((a, b) => a + b, 0) : null,
    expected_tools_rate: meanOrNull(tasks.filter((t) => t.expected_tools_called !== undefined && t.status !== 'skipped').map((t) => (t.expected_tools_called ? 1 : 0))),
  };
}

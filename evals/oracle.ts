/**
 * Oracle mode: a task's scripted tool plan, run in-process through the same tool
 * definitions MCP and the agent use (zod-parsed input → handler), then an extractor
 * that turns the outputs into an answer. Measures the tools alone, no LLM.
 */
import type { z } from 'zod';
import { GeoscoutError, toGeoscoutError } from '../core/errors.js';
import type { ToolContext, ToolDefinition } from '../tools/tool.js';
import { centroidOf } from './metrics/ground-truth.js';
import type { Citation } from './suite/checks.js';
import type { Extractor, Task } from './suite/schema.js';
import { fillTemplates, getPath } from './suite/template.js';

/** Any registered tool. */
export type AnyTool = ToolDefinition<z.ZodTypeAny, z.ZodTypeAny>;

/** One recorded tool call. */
export interface ToolCallRecord {
  tool: string;
  input: unknown;
  ms: number;
  ok: boolean;
  error?: string;
  /** The output with long strings (image bytes) cut, for the run record. */
  output?: unknown;
}

/** Thrown when a task cannot run here (a tool or data is missing): reported as skipped, not failed. */
export class SkipTask extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'SkipTask';
  }
}

/** Result of an oracle run. */
export interface OracleResult {
  answer: unknown;
  citations: Citation[];
  trace: ToolCallRecord[];
  outputs: Record<string, unknown>;
}

/** Runs a task's oracle plan; `vars` feeds templates ({{scope.*}}, {{world.*}}). */
export async function runOracle(task: Task, tools: Map<string, AnyTool>, ctx: ToolContext, vars: Record<string, unknown>): Promise<OracleResult> {
  const plan = task.oracle;
  if (!plan) throw new SkipTask('no oracle plan in this task');
  const missing = plan.steps.map((s) => s.tool).filter((t) => !tools.has(t));
  if (missing.length) throw new SkipTask(`tool ${[...new Set(missing)].join(', ')} not available`);
  const outputs: Record<string, unknown> = {};
  const trace: ToolCallRecord[] = [];
  for (const step of plan.steps) {
    const tool = tools.get(step.tool)!;
    const input = fillTemplates(step.input, { ...vars, steps: outputs });
    const t0 = performance.now();
    try {
      const parsed = tool.inputSchema.safeParse(input);
      if (!parsed.success) {
        const i = parsed.error.issues[0]!;
        throw new GeoscoutError('INVALID_INPUT', `oracle step ${step.id} (${step.tool}): ${i.path.join('.') || 'input'}: ${i.message}`);
      }
      const out: unknown = await tool.handler(parsed.data, ctx);
      outputs[step.id] = out;
      trace.push({ tool: step.tool, input, ms: performance.now() - t0, ok: true, output: trimForRecord(out) });
    } catch (err) {
      const e = toGeoscoutError(err);
      trace.push({ tool: step.tool, input, ms: performance.now() - t0, ok: false, error: `${e.code}: ${e.message}` });
      // The runner records how far the plan got.
      e.details.trace = trace;
      throw e;
    }
  }
  return { answer: extractAnswer(plan.answer, outputs), citations: collectCitations(Object.values(outputs)), trace, outputs };
}

/** Applies an extractor to step outputs. */
export function extractAnswer(x: Extractor, outputs: Record<string, unknown>): unknown {
  const out = (step: string) => {
    if (!(step in outputs)) throw new GeoscoutError('INVALID_INPUT', `extractor refers to step "${step}", which the plan does not have.`);
    return outputs[step];
  };
  switch (x.kind) {
    case 'value':
      return getPath(out(x.step), x.path) ?? null;
    case 'count': {
      const v = getPath(out(x.step), x.path);
      if (typeof v === 'number') return v;
      if (!Array.isArray(v)) return 0;
      return x.min_score === undefined ? v.length : v.filter((i) => scoreOf(i) >= x.min_score!).length;
    }
    case 'set': {
      const v = getPath(out(x.step), x.path);
      if (!Array.isArray(v)) return [];
      const items = x.min_score === undefined ? v : v.filter((i) => scoreOf(i) >= x.min_score!);
      return [...new Set(items.map((i) => getPath(i, x.field)).filter((s) => s !== undefined && s !== null).map((s) => String(s)))];
    }
    case 'location': {
      const v = getPath(out(x.step), x.path);
      return v === undefined ? null : (lonLatOf(v) ?? null);
    }
    case 'argmax': {
      let best = -Infinity, label: string | null = null;
      x.steps.forEach((s, i) => {
        const v = getPath(out(s), x.path);
        const ref = x.relative_to?.[i] !== undefined ? getPath(out(x.relative_to[i]!), x.path) : 0;
        if (typeof v !== 'number' || typeof ref !== 'number') return;
        if (v - ref > best) { best = v - ref; label = x.labels[i] ?? null; }
      });
      return label;
    }
  }
}

/** Score of a ranked item: `score` or GeoJSON `properties.score`. */
export function scoreOf(item: unknown): number {
  const s = getPath(item, 'score') ?? getPath(item, 'properties.score');
  return typeof s === 'number' ? s : -Infinity;
}

/** Lon/lat of a hit (best box, then centre), a {lon, lat}, or a GeoJSON feature/geometry. */
export function lonLatOf(item: unknown): [number, number] | undefined {
  if (!item || typeof item !== 'object') return undefined;
  const o = item as Record<string, unknown>;
  const bb = o.best_box as { lon?: number | null; lat?: number | null } | null | undefined;
  if (bb && typeof bb.lon === 'number' && typeof bb.lat === 'number') return [bb.lon, bb.lat];
  if (typeof o.lon === 'number' && typeof o.lat === 'number') return [o.lon, o.lat];
  const props = o.properties as { lon?: unknown; lat?: unknown } | undefined;
  if (o.type === 'Feature' && typeof props?.lon === 'number' && typeof props.lat === 'number') return [props.lon, props.lat];
  const c = o.center as { lon?: number; lat?: number } | null | undefined;
  if (c && typeof c.lon === 'number' && typeof c.lat === 'number') return [c.lon, c.lat];
  const g = (o.type === 'Feature' ? o.geometry : 'coordinates' in o ? o : undefined) as { type: string; coordinates: unknown } | undefined | null;
  return g ? centroidOf(g) : undefined;
}

/**
 * Evidence in tool outputs: anything with a tile_id (tile), doc_id + page (page) or
 * image_id (image), at any depth (GeoJSON properties included).
 */
export function collectCitations(values: unknown[]): Citation[] {
  const seen = new Map<string, Citation>();
  const add = (c: Citation) => seen.set(`${c.kind}:${c.id}`, c);
  const walk = (v: unknown, depth: number) => {
    if (depth > 6 || !v || typeof v !== 'object') return;
    if (Array.isArray(v)) { for (const x of v) walk(x, depth + 1); return; }
    const o = v as Record<string, unknown>;
    if (typeof o.tile_id === 'string') add({ kind: 'tile', id: o.tile_id });
    // Pages are cited by file name when known (readable, and stable across re-ingests).
    if (typeof o.doc_id === 'string' && typeof o.page === 'number') add({ kind: 'page', id: `${typeof o.file === 'string' ? o.file.split(/[\\/]/).pop() : o.doc_id}#p${o.page}` });
    if (typeof o.image_id === 'string') add({ kind: 'image', id: o.image_id });
    for (const x of Object.values(o)) walk(x, depth + 1);
  };
  for (const v of values) walk(v, 0);
  return [...seen.values()];
}

/** Copies an output with strings over 200 characters cut (base64 images) and arrays over 50 items cut. */
export function trimForRecord(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return v.length > 200 ? `${v.slice(0, 40)}…(${v.length} chars)` : v;
  if (depth > 8 || !v || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.slice(0, 50).map((x) => trimForRecord(x, depth + 1));
  return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'vector').map(([k, x]) => [k, trimForRecord(x, depth + 1)]));
}

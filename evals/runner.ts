/**
 * `geoscout eval run`: runs a suite's tasks (oracle plans through the tools, or the
 * agent), in parallel with a limit and a per-task timeout, scores them, writes
 * `results.json` (+ thumbnails of failures) into the run directory, and compares with
 * a baseline run when one is given.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import type { Config } from '../core/config.js';
import { GeoscoutError, isGeoscoutError, toGeoscoutError } from '../core/errors.js';
import { Store } from '../pipeline/index/store.js';
import { createToolContext } from '../tools/context.js';
import { TOOLS } from '../tools/registry.js';
import type { ToolContext } from '../tools/tool.js';
import { loadAskAgent, normaliseCitations, totalTokens, type AskAgent, type ResolvedScope } from './agent-bridge.js';
import { compareRuns } from './compare.js';
import { runOracle, SkipTask, type AnyTool } from './oracle.js';
import { summarise, type RunRecord, type TaskResult } from './results.js';
import { scoreCheck } from './suite/checks.js';
import type { Suite, Task } from './suite/schema.js';
import { computeTaskMetrics } from './task-metrics.js';
import { makeThumbnail } from './thumbnails.js';
import { prepareWorld, worldDir, type PreparedWorld } from './world.js';

/** Options of {@link runSuite}. */
export interface RunOptions {
  config: Config;
  mode: 'oracle' | 'agent';
  /** Run directory (created). */
  outDir: string;
  /** Model under test (id or id@version; default: the configured/active one). */
  model?: string;
  concurrency?: number;
  /** Per-task timeout in seconds (default: the task's, then the suite's). */
  timeoutS?: number;
  /** Only tasks whose id or one of whose tags is listed. */
  only?: string[];
  /** Store for suites without a world (default: open config.dbUri). */
  store?: () => Promise<Store>;
  /** Tools available to oracle plans (default: tools/registry.ts). */
  tools?: AnyTool[];
  /** Agent entry point (default: askAgent from agent/, loaded lazily). */
  askAgent?: AskAgent;
  /** Baseline results.json to compare with. */
  baseline?: string;
  tolerance?: number;
  suiteFile?: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, message?: string) => void;
}

/** Runs a suite; returns (and writes) the run record. */
export async function runSuite(suite: Suite, opts: RunOptions): Promise<RunRecord> {
  const startedAt = new Date();
  const config: Config = opts.model ? { ...opts.config, models: { ...opts.config.models, active: opts.model } } : opts.config;
  await mkdir(opts.outDir, { recursive: true });
  let ownStore: Store | undefined;
  let world: PreparedWorld | undefined;
  let storeFn = opts.store ?? (async () => (ownStore ??= await Store.open(config.dbUri)));
  if (suite.world) {
    const dir = worldDir(config, suite);
    await mkdir(dir, { recursive: true });
    ownStore = await Store.open(path.join(dir, 'lancedb'));
    storeFn = async () => ownStore!;
  }
  const ctx = createToolContext(config, storeFn, opts.signal);
  try {
    const encoder = await ctx.encoder();
    if (suite.world) {
      world = await prepareWorld(suite, worldDir(config, suite), ownStore!, encoder, { ...(opts.signal ? { signal: opts.signal } : {}), onProgress: (m) => opts.onProgress?.(0, suite.tasks.length, m) });
    }
    const tools = new Map((opts.tools ?? TOOLS).map((t) => [t.name, t]));
    const askAgent = opts.mode === 'agent' ? (opts.askAgent ?? (await loadAskAgent(config))) : undefined;
    const tasks = suite.tasks.filter((t) => !opts.only?.length || opts.only.includes(t.id) || t.tags.some((g) => opts.only!.includes(g)));
    if (!tasks.length) throw new GeoscoutError('INVALID_INPUT', `No task of suite ${suite.name} matches --only ${opts.only?.join(',')}: give task ids or tags.`);
    const limit = pLimit(Math.max(1, opts.concurrency ?? 2));
    let done = 0;
    const results = await Promise.all(
      tasks.map((task) =>
        limit(async () => {
          const { outputs, ...r } = await runTask(task, { suite, ctx, tools, world, askAgent, timeoutS: opts.timeoutS ?? task.timeout_s ?? suite.defaults.timeout_s, signal: opts.signal, mode: opts.mode });
          if (r.status === 'fail' || r.status === 'error') {
            const thumb = await makeThumbnail(r, outputs, tools, ctx, opts.outDir);
            if (thumb) r.thumbnail = thumb;
          }
          opts.onProgress?.(++done, tasks.length, `${r.status.padEnd(7)} ${task.id}${r.reason ? `: ${r.reason}` : ''}`);
          return r;
        }),
      ),
    );
    const record: RunRecord = {
      suite: { name: suite.name, version: suite.version, ...(opts.suiteFile ? { file: opts.suiteFile } : {}) },
      mode: opts.mode,
      model_version: encoder.modelVersion,
      started_at: startedAt.toISOString(),
      duration_s: (Date.now() - startedAt.getTime()) / 1000,
      ...(world ? { world: { dir: world.dir, scenes: Object.fromEntries(Object.entries(world.scenes).map(([k, v]) => [k, { image_id: v.image_id }])) } } : {}),
      tasks: results,
      summary: summarise(results),
    };
    if (opts.baseline) record.comparison = compareRuns(record, await readRun(opts.baseline), opts.baseline, opts.tolerance !== undefined ? { tolerance: opts.tolerance } : {});
    await writeFile(path.join(opts.outDir, 'results.json'), JSON.stringify(record, null, 2) + '\n');
    return record;
  } finally {
    await ctx.close();
    await ownStore?.close();
    if (suite.world?.documents) await import('../knowledge/sentence-encoder.js').then((m) => m.closeSharedSentenceEncoders()).catch(() => undefined);
  }
}

/** Reads a run's results.json (a run directory or the file itself). */
export async function readRun(fileOrDir: string): Promise<RunRecord> {
  const file = fileOrDir.endsWith('.json') ? fileOrDir : path.join(fileOrDir, 'results.json');
  const text = await readFile(file, 'utf8').catch((err: unknown) => {
    throw new GeoscoutError('NOT_FOUND', `No eval run at ${file}; give a run directory or its results.json.`, { cause: err });
  });
  return JSON.parse(text) as RunRecord;
}

interface TaskEnv {
  suite: Suite;
  ctx: ToolContext;
  tools: Map<string, AnyTool>;
  world: PreparedWorld | undefined;
  askAgent: AskAgent | undefined;
  timeoutS: number;
  signal: AbortSignal | undefined;
  mode: 'oracle' | 'agent';
}

async function runTask(task: Task, env: TaskEnv): Promise<TaskResult & { outputs: Record<string, unknown> }> {
  const base: TaskResult & { outputs: Record<string, unknown> } = { outputs: {}, id: task.id, question: task.question, tags: task.tags, status: 'error', answer: null, citations: [], checks: [], tool_trace: [], latency_ms: 0, metrics: [] };
  const scope = resolveScope(task, env.world);
  if (task.tags.includes('document') && env.world?.documentsUnavailable) return { ...base, status: 'skipped', reason: env.world.documentsUnavailable };
  const timeout = AbortSignal.timeout(env.timeoutS * 1000);
  const signal = env.signal ? AbortSignal.any([env.signal, timeout]) : timeout;
  const t0 = performance.now();
  try {
    // Handlers check the signal between units of work; the race bounds one that does not.
    const work = env.mode === 'oracle' ? oracleAnswer(task, env, scope, signal) : agentAnswer(task, env, scope, signal);
    const r = await Promise.race([work, new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }))]);
    const checks = task.expected.map((c) => scoreCheck(c, r.answer, r.citations));
    const called = new Set((r.tool_trace as { tool?: string; name?: string }[]).map((x) => x.tool ?? x.name));
    const failed = checks.filter((c) => !c.pass);
    return {
      ...base, ...r,
      status: failed.length ? 'fail' : 'pass',
      ...(failed.length ? { reason: failed.map((c) => `${c.type}: ${c.detail}`).join('; ') } : {}),
      checks,
      ...(task.expected_tools && env.mode === 'agent' ? { expected_tools_called: task.expected_tools.every((t) => called.has(t)) } : {}),
      latency_ms: performance.now() - t0,
      metrics: computeTaskMetrics(task.metrics, r.outputs),
    };
  } catch (err) {
    if (err instanceof SkipTask) return { ...base, status: 'skipped', reason: err.message };
    if (env.signal?.aborted) throw toGeoscoutError(err);
    const timedOut = timeout.aborted;
    const e = toGeoscoutError(err);
    // A missing LLM or agent setting is the run's problem, not the task's: stop with its message.
    if (e.code === 'CONFIG') throw e;
    const trace = isGeoscoutError(err) && Array.isArray(err.details.trace) ? (err.details.trace as unknown[]) : [];
    return { ...base, tool_trace: trace, latency_ms: performance.now() - t0, reason: timedOut ? `timed out after ${env.timeoutS} s` : `${e.code}: ${e.message}` };
  }
}

type Attempt = { answer: unknown; citations: TaskResult['citations']; tool_trace: TaskResult['tool_trace']; tokens?: number; outputs: Record<string, unknown> };

async function oracleAnswer(task: Task, env: TaskEnv, scope: ResolvedScope, signal: AbortSignal): Promise<Attempt> {
  const world = env.world ? { scenes: env.world.scenes } : {};
  const r = await runOracle(task, env.tools, { ...env.ctx, signal }, { scope, world });
  return { answer: r.answer, citations: r.citations, tool_trace: r.trace, outputs: r.outputs };
}

async function agentAnswer(task: Task, env: TaskEnv, scope: ResolvedScope, signal: AbortSignal): Promise<Attempt> {
  const reply = await env.askAgent!(task.question, scope, { signal });
  const tokens = totalTokens(reply.usage);
  return { answer: reply.answer, citations: normaliseCitations(reply.citations), tool_trace: reply.tool_trace ?? [], ...(tokens !== undefined ? { tokens } : {}), outputs: {} };
}

/** Scene names in scope.images become their image ids. */
export function resolveScope(task: Task, world: PreparedWorld | undefined): ResolvedScope {
  const s = task.scope;
  return {
    ...(s.images ? { images: s.images.map((n) => world?.scenes[n]?.image_id ?? n) } : {}),
    ...(s.bbox ? { bbox: s.bbox } : {}),
    ...(s.from ? { from: s.from } : {}),
    ...(s.to ? { to: s.to } : {}),
  };
}

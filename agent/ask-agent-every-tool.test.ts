import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpus } from '../knowledge/corpus/generate-corpus.js';
import { ingestDocuments } from '../knowledge/ingest-docs.js';
import { OcrEngine } from '../knowledge/ocr.js';
import { closeSharedSentenceEncoders, sharedSentenceEncoder } from '../knowledge/sentence-encoder.js';
import { makeServerFixture, REPO_ROOT, serveFixture, type ServerFixture } from '../server/mcp/testing/fixture.js';
import { JobRunner } from '../pipeline/jobs/runner.js';
import { TOOLS } from '../tools/registry.js';
import { askAgent, type AgentEvent, type McpTarget } from './ask-agent.js';
import { createChatModel } from './llm.js';
import { scriptedAnthropic, scriptedOpenAI, type ScriptedServer, type ScriptStep } from './testing/scripted-llm.js';

// A multi-step plan that calls every tool, and cancellation, through the real ChatOpenAI /
// ChatAnthropic classes against local servers speaking their wire formats.
const TOKEN = 'every-tool-token-0123456789abcdef';
const KEYS = { OPENAI_API_KEY: 'sk-test', ANTHROPIC_API_KEY: 'sk-ant-test' };
let fx: ServerFixture;
let httpUrl: string;
let stopHttp: () => Promise<void>;
beforeAll(async () => {
  fx = await makeServerFixture(34);
  // One document, so get_document_context has something to cite.
  const corpus = path.join(fx.dataRoot, 'docs');
  const truth = await generateCorpus(corpus);
  const ocr = new OcrEngine();
  try {
    await ingestDocuments(fx.store, [path.join(corpus, truth.docs[0]!.file)], { text: await sharedSentenceEncoder(), image: await fx.context.encoder(), ocr }, { vision: null });
  } finally {
    await ocr.close();
  }
  const served = await serveFixture(fx, TOKEN);
  httpUrl = served.url;
  stopHttp = served.stop;
}, 180_000);
afterAll(async () => {
  await stopHttp?.();
  await closeSharedSentenceEncoders();
  await fx?.close();
});

const http = (): McpTarget => ({ kind: 'http', url: httpUrl, token: TOKEN });
const stdio = (): McpTarget => ({ kind: 'stdio', args: [path.join(REPO_ROOT, 'bin/geoscout.js'), 'mcp'], env: Object.fromEntries(Object.entries(fx.env).filter(([, v]) => v !== undefined)) as Record<string, string>, cwd: fx.dir });
type Provider = 'openai' | 'anthropic';
const modelFor = (provider: Provider, llm: ScriptedServer) =>
  createChatModel({ provider, model: 'scripted', baseUrl: provider === 'openai' ? `${llm.url}/v1` : llm.url, temperature: 0, maxSteps: 14 }, KEYS);

/** Text of the newest tool result in a request body, in either provider's shape. */
function lastToolText(body: Record<string, unknown>): string {
  const msgs = body.messages as { role: string; content: unknown }[];
  for (const m of [...msgs].reverse()) {
    if (m.role === 'tool') return typeof m.content === 'string' ? m.content : JSON.stringify(m.content);
    if (Array.isArray(m.content)) {
      const r = (m.content as { type: string; content?: unknown }[]).filter((b) => b.type === 'tool_result');
      if (r.length) return JSON.stringify(r.at(-1)!.content);
    }
  }
  return '';
}
const grab = (re: RegExp, body: Record<string, unknown>) => re.exec(lastToolText(body))?.[0] ?? 'none';

/** An analyst's session that touches every tool once, reading ids from the previous results. */
function everyToolPlan(prototype: string) {
  const ids = { image: '', tile: '', job: '', train: '', doc: '' };
  const steps: ScriptStep[] = [
    () => ({ toolCalls: [{ name: 'list_images', args: {} }] }),
    (b) => {
      ids.image = grab(/img_[0-9a-f]{16}/, b);
      return { toolCalls: [{ name: 'search_tiles', args: { text: 'an aircraft parked on an apron', image_ids: [ids.image], limit: 3, rerank: 'patches' } }] };
    },
    (b) => {
      ids.tile = grab(/img_[0-9a-f]+\/[^\s"\\]+/, b);
      return { toolCalls: [{ name: 'get_tile_image', args: { tile_id: ids.tile, max_size: 128 } }] };
    },
    () => ({ toolCalls: [{ name: 'detect_in_region', args: { image_id: ids.image, window: { x: 0, y: 0, width: 512, height: 512 }, queries: [{ text: 'aircraft' }], max_detections: 5 } }] }),
    () => ({ toolCalls: [{ name: 'add_prototype', args: { name: prototype, description: 'a parked aircraft', examples: [{ tile_id: ids.tile }], mode: 'create' } }] }),
    () => ({ toolCalls: [{ name: 'list_prototypes', args: {} }] }),
    () => ({ toolCalls: [{ name: 'get_document_context', args: { query: 'how are vessels recognised', max_passages: 2, max_figures: 1, include_thumbnails: false } }] }),
    (b) => {
      // The model cites a document the way the prompt asks: its id and page, as the result showed them.
      ids.doc = grab(/\([0-9a-f]{16,}\), page \d+/, b).replace(/[()]/g, '');
      return { toolCalls: [{ name: 'ingest_images', args: { image_ids: [ids.image] } }] };
    },
    (b) => {
      ids.job = grab(/job_[0-9a-z]+/, b);
      return { toolCalls: [{ name: 'get_job', args: { job_id: ids.job } }] };
    },
    () => ({ toolCalls: [{ name: 'launch_retraining', args: { sources: { prototypes: [prototype], detections: false }, epochs: 1 } }] }),
    (b) => {
      ids.train = grab(/job_[0-9a-z]+/, b);
      return { toolCalls: [{ name: 'get_job', args: { job_id: ids.train, cancel: true } }] };
    },
    () => ({ text: `Tile ${ids.tile} of ${ids.image} shows a parked aircraft; the maritime guide (${ids.doc}) describes recognition cues. Ingest job ${ids.job} is queued; training job ${ids.train} was cancelled.` }),
  ];
  return { ids, steps };
}

describe.each([
  ['ChatOpenAI, streaming over stdio', scriptedOpenAI, 'openai', 'stdio'],
  ['ChatAnthropic over Streamable HTTP', scriptedAnthropic, 'anthropic', 'http'],
] as const)('a plan over every tool: %s', (_name, start, provider, transport) => {
  it('calls all ten tools in turn, each result reaches the model in an accepted form, and the answer cites what they returned', async () => {
    const plan = everyToolPlan(`apron aircraft ${provider}`);
    const llm = await start(plan.steps);
    try {
      const events: AgentEvent[] = [];
      const streaming = provider === 'openai';
      const r = await askAgent({ question: 'Walk me through the apron: aircraft, documents, and retrain on them.', model: await modelFor(provider, llm), server: transport === 'stdio' ? stdio() : http(), config: fx.config, ...(streaming ? { onEvent: (e: AgentEvent) => events.push(e) } : {}) });
      expect(llm.rejected).toEqual([]);
      // The model reads each tool's text once, not the structured output stringified beside it.
      expect(JSON.stringify(llm.requests)).not.toContain('structuredContent');
      const failed = r.tool_trace.filter((t) => !t.ok).map((t) => `${t.name}: ${t.summary}`);
      expect(failed).toEqual([]);
      const names = r.tool_trace.map((t) => t.name);
      expect(new Set(names)).toEqual(new Set(TOOLS.map((t) => t.name)));
      expect(plan.ids.image).toMatch(/^img_/);
      expect(plan.ids.tile).toMatch(/^img_.+\//);
      expect(plan.ids.job).toMatch(/^job_/);
      expect(plan.ids.train).toMatch(/^job_/);
      expect(plan.ids.doc).toMatch(/^[0-9a-f]{16,}, page \d+$/);
      // The last get_job cancelled the training job; the model read that back.
      expect(lastToolText(llm.requests.at(-1)!)).toMatch(/cancelled|failed/);
      expect(r.answer).toContain(plan.ids.tile);
      expect(r.citations.some((c) => c.tile_id === plan.ids.tile)).toBe(true);
      expect(r.citations.some((c) => c.doc_id)).toBe(true);
      if (streaming) expect(events.filter((e) => e.type === 'tool_call').map((e) => (e as { name: string }).name)).toEqual(names);
      // The jobs the agent started are real: the ingest finishes, the cancelled training stays stopped.
      const runner = await JobRunner.open(fx.config, fx.store);
      expect((await runner.wait(plan.ids.job, { timeoutMs: 120_000 })).status).toBe('succeeded');
      expect(['cancelled', 'failed']).toContain((await runner.wait(plan.ids.train, { timeoutMs: 60_000 })).status);
    } finally {
      await llm.close();
    }
  }, 240_000);
});

describe.each([
  ['ChatOpenAI', scriptedOpenAI, 'openai'],
  ['ChatAnthropic', scriptedAnthropic, 'anthropic'],
] as const)('cancellation through %s', (_name, start, provider) => {
  it('aborting while the model is answering ends the turn as CANCELLED at once and closes the provider request', async () => {
    const llm = await start([() => ({ toolCalls: [{ name: 'list_images', args: {} }] }), () => ({ hang: true })]);
    try {
      const ac = new AbortController();
      const t0 = Date.now();
      const run = askAgent({ question: 'What scenes are there?', model: await modelFor(provider, llm), server: http(), config: fx.config, signal: ac.signal, onEvent: () => {} });
      await until(() => llm.requests.length === 2, 60_000);
      ac.abort();
      await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
      expect(Date.now() - t0).toBeLessThan(60_000);
      await until(() => llm.hungUp === 1, 5_000);
    } finally {
      await llm.close();
    }
  }, 90_000);

  it('aborting during a long tool call ends the turn as CANCELLED and the server keeps serving', async () => {
    const llm = await start([() => ({ toolCalls: [{ name: 'detect_in_region', args: { image_id: fx.image.image_id, queries: [{ text: 'aircraft' }, { text: 'ship' }, { text: 'vehicle' }] } }] })]);
    try {
      const ac = new AbortController();
      const run = askAgent({ question: 'Find everything.', model: await modelFor(provider, llm), server: http(), config: fx.config, signal: ac.signal });
      await until(() => llm.requests.length === 1, 60_000);
      await new Promise((r) => setTimeout(r, 300));
      const t0 = Date.now();
      ac.abort();
      await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
      expect(Date.now() - t0).toBeLessThan(5_000);
      const after = await start([() => ({ toolCalls: [{ name: 'list_images', args: {} }] }), () => ({ text: 'One scene.' })]);
      try {
        const r = await askAgent({ question: 'Scenes?', model: await modelFor(provider, after), server: http(), config: fx.config });
        expect(r.tool_trace.map((t) => [t.name, t.ok])).toEqual([['list_images', true]]);
      } finally {
        await after.close();
      }
    } finally {
      await llm.close();
    }
  }, 120_000);
});

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

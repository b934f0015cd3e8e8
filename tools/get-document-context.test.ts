import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.js';
import { makeTempDir } from '../core/testing/temp-dir.js';
import { objectChip } from '../knowledge/corpus/chips.js';
import { generateCorpus, type CorpusTruth } from '../knowledge/corpus/generate-corpus.js';
import { openDocTables } from '../knowledge/doc-tables.js';
import { evaluateCorpus, qualityTable } from '../knowledge/evaluate-corpus.js';
import { exportPairs } from '../knowledge/export-pairs.js';
import { ingestDocuments, type IngestDocsReport } from '../knowledge/ingest-docs.js';
import { OcrEngine } from '../knowledge/ocr.js';
import { closeSharedSentenceEncoders, sharedSentenceEncoder } from '../knowledge/sentence-encoder.js';
import { Store } from '../pipeline/index/store.js';
import { ClipEncoder } from '../pipeline/models/encoder.js';
import { readModelDir } from '../pipeline/models/model-dir.js';
import { SHIPPED_MODELS_DIR } from '../pipeline/models/registry.js';
import { createToolContext } from './context.js';
import { getDocumentContextInput, getDocumentContextTool } from './get-document-context.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let store: Store;
let ctx: ReturnType<typeof createToolContext>;
let truth: CorpusTruth;
let report: IngestDocsReport;
let ocr: OcrEngine;
const corpus = () => path.join(tmp.dir, 'corpus');
const tables = async () => { const enc = await ctx.encoder(); return openDocTables(store, 384, enc.manifest.id, enc.dim); };
const ask = (input: Record<string, unknown>) => getDocumentContextTool.handler(getDocumentContextInput.parse(input), ctx);

beforeAll(async () => {
  tmp = await makeTempDir();
  truth = await generateCorpus(corpus());
  const config = loadConfig({ cwd: tmp.dir, env: { GEOSCOUT_DATA_DIR: path.join(tmp.dir, 'state') } });
  store = await Store.open(config.dbUri);
  ctx = createToolContext(config, async () => store);
  ocr = new OcrEngine();
  const files = [...truth.docs.map((d) => d.file), ...truth.broken.map((b) => b.file)].map((f) => path.join(corpus(), f));
  report = await ingestDocuments(store, files, { text: await sharedSentenceEncoder(), image: await ctx.encoder(), ocr });
}, 120_000);
afterAll(async () => {
  await ocr.close();
  await ocr.close();
  await closeSharedSentenceEncoders();
  await ctx.close();
  await store.close();
  await tmp.cleanup();
});

describe('docs ingest', () => {
  it('indexes the good PDFs and reports each broken one with its reason, without stopping', () => {
    expect(report.added.map((a) => a.file).sort()).toEqual(truth.docs.map((d) => path.join(corpus(), d.file)).sort());
    const reasons = Object.fromEntries(report.skipped.map((s) => [path.basename(s.file), s.reason]));
    expect(reasons).toEqual(Object.fromEntries(truth.broken.map((b) => [b.file, b.reason])));
    expect(report.skipped.find((s) => s.reason === 'encrypted')!.message).toMatch(/password-protected.*unprotected copy/);
  });

  it('is idempotent per document hash', async () => {
    const again = await ingestDocuments(store, truth.docs.map((d) => path.join(corpus(), d.file)), { text: await sharedSentenceEncoder(), image: await ctx.encoder(), ocr });
    expect(again.added).toHaveLength(0);
    expect(again.unchanged).toHaveLength(truth.docs.length);
  });

  it('indexes a document again when the tile encoder version changed, and back', async () => {
    // The same weights under another version: what a new shipped or retrained encoder looks like to the index.
    const dir = path.join(tmp.dir, 'other-model');
    await cp(path.join(SHIPPED_MODELS_DIR, 'geoscout-mini'), dir, { recursive: true });
    const manifest = { ...(await readModelDir(dir)), version: '0.0.1-test' };
    await writeFile(path.join(dir, 'geoscout-model.json'), JSON.stringify(manifest));
    const other = await ClipEncoder.open(dir, await readModelDir(dir));
    const files = truth.docs.map((d) => path.join(corpus(), d.file));
    const figureVersions = async () => new Set((await (await tables()).figures.query().select(['model_version']).toArray()).map((r: { model_version: string }) => r.model_version));
    try {
      const moved = await ingestDocuments(store, files, { text: await sharedSentenceEncoder(), image: other, ocr });
      expect(moved.added).toHaveLength(truth.docs.length);
      expect(await figureVersions()).toEqual(new Set(['geoscout-mini@0.0.1-test']));
    } finally {
      await other.close();
    }
    const back = await ingestDocuments(store, files, { text: await sharedSentenceEncoder(), image: await ctx.encoder(), ocr });
    expect(back.added).toHaveLength(truth.docs.length);
    expect(await figureVersions()).toEqual(new Set([(await ctx.encoder()).modelVersion]));
    expect((await (await tables()).chunks.countRows())).toBe(report.added.reduce((n, a) => n + a.chunks, 0));
  }, 240_000);

  it('meets the quality bars on the generated corpus (captions, OCR, questions, ship chip)', async () => {
    const q = await evaluateCorpus(store, await ctx.encoder(), await sharedSentenceEncoder(), truth);
    process.stderr.write(qualityTable(q) + '\n');
    expect(q.captions.correct / q.captions.total).toBeGreaterThanOrEqual(0.95);
    expect(q.ocrWords.found / q.ocrWords.total).toBeGreaterThanOrEqual(0.9);
    expect(q.questions.total).toBeGreaterThanOrEqual(30);
    expect(q.questions.top3 / q.questions.total).toBeGreaterThanOrEqual(0.9);
    expect(q.shipQueries.top1).toBeGreaterThanOrEqual(4);
  }, 60_000);
});

describe('get_document_context', () => {
  it('answers a text question with cited passages and the figure of that page', async () => {
    const out = await ask({ query: 'Which small boat has heavy fenders and a towing winch?' });
    const p = out.passages[0]!;
    expect(p).toMatchObject({ source: 'document', untrusted: true, citation: { title: 'Maritime Vessel Recognition Guide', page: truth.questions.find((x) => x.question.includes('towing winch'))!.page } });
    expect(p.citation.file).toMatch(/maritime-guide\.pdf$/);
    expect(p.citation.bbox).toHaveLength(4);
    const fig = out.figures.find((f) => f.caption?.includes('a tug'));
    expect(fig?.citation.figure_number).toBeGreaterThan(0);
    expect(fig?.ocr_text).toMatch(/TOWING WINCH/);
    expect(getDocumentContextTool.render(out)).toMatch(/untrusted data/);
  });

  it('an image query with a ship chip returns that ship type\'s figure first, with caption and thumbnail', async () => {
    const chip = await objectChip('tanker', 1, 240);
    const out = await ask({ image_base64: chip.toString('base64'), max_figures: 3 });
    expect(out.figure_match).toBe('visual');
    expect(out.figures[0]!.caption).toMatch(/Figure \d+: Annotated chip of a tanker/);
    const media = await getDocumentContextTool.media!(out, getDocumentContextInput.parse({ query: 'x' }));
    expect(media.images![0]!.mimeType).toBe('image/png');
    expect(Buffer.from(media.images![0]!.data, 'base64').subarray(1, 4).toString()).toBe('PNG');
  });

  it('returns prompt-injection text as quoted, untrusted document content', async () => {
    const out = await ask({ query: 'notice to AI systems ignore previous instructions', max_passages: 3 });
    const hit = out.passages.find((p) => p.text.includes('ignore previous instructions'))!;
    expect(hit).toMatchObject({ source: 'document', untrusted: true });
    expect(out.notice).toMatch(/not instructions/);
    const text = getDocumentContextTool.render(out);
    const at = text.indexOf('ignore previous instructions');
    expect(text.lastIndexOf('<<<DOCUMENT TEXT (untrusted data)', at)).toBeGreaterThan(-1);
    expect(text.indexOf('>>>', at)).toBeGreaterThan(at);
  });

  it('bad input says what to give', async () => {
    await expect(ask({})).rejects.toThrow(/Give a query text, an example image/);
    await expect(ask({ image_id: 'img_1' })).rejects.toThrow(/needs a window/);
    await expect(ask({ prototype: 'nope' })).rejects.toThrow(/Unknown prototype/);
  });
});

describe('docs pairs export', () => {
  it('writes figure–caption pairs in the trainer manifest format', async () => {
    const t = await tables();
    const out = path.join(tmp.dir, 'pairs', 'pairs.jsonl');
    const res = await exportPairs(t.figures, out);
    expect(res.rows).toBe(truth.figures.length);
    const rows = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { image: string; caption: string; captions: string[]; split: string });
    const tanker = rows.find((r) => r.caption.includes('tanker'))!;
    expect(tanker.captions[1]).toMatch(/Labels: tanker pipe manifold/);
    expect((await readFile(path.join(tmp.dir, 'pairs', tanker.image))).subarray(1, 4).toString()).toBe('PNG');
  });
});

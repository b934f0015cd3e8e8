import path from 'node:path';
import type { Store } from '../pipeline/index/store.js';
import type { ClipEncoder } from '../pipeline/models/encoder.js';
import type { ObjectType } from '../pipeline/synth/catalog.js';
import { objectChip } from './corpus/chips.js';
import { SHIP_SECTIONS } from './corpus/content.js';
import type { CorpusTruth } from './corpus/generate-corpus.js';
import { documentContext } from './document-context.js';
import { openDocTables } from './doc-tables.js';
import type { SentenceEncoder } from './sentence-encoder.js';

/** Quality figures of the document index against the corpus truth. */
export interface CorpusQuality {
  captions: { correct: number; total: number };
  ocrWords: { found: number; total: number };
  questions: { top3: number; total: number; misses: string[] };
  shipQueries: { top1: number; total: number; results: { type: ObjectType; top: string | null }[] };
}

const iou = (a: number[], b: number[]) => {
  const ix = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!)), iy = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  const u = (a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - ix * iy;
  return u > 0 ? (ix * iy) / u : 0;
};

/**
 * Scores an ingested corpus: a caption is right when the figure found at the true
 * figure's place (same file and page, box IoU ≥ 0.5) carries the true caption; OCR
 * recall counts true label words found in that figure's OCR text; each question is
 * answered when its page is among the top 3 distinct pages of get_document_context's
 * passages; each ship type's query chip (another instance than the document's) must
 * bring that type's figure first.
 */
export async function evaluateCorpus(store: Store, enc: ClipEncoder, text: SentenceEncoder, truth: CorpusTruth): Promise<CorpusQuality> {
  const t = await openDocTables(store, text.dim, enc.manifest.id, enc.dim);
  const figs = (await t.figures.query().select(['file', 'page', 'bbox', 'caption', 'ocr_text']).toArray()) as Record<string, unknown>[];
  const q: CorpusQuality = { captions: { correct: 0, total: 0 }, ocrWords: { found: 0, total: 0 }, questions: { top3: 0, total: 0, misses: [] }, shipQueries: { top1: 0, total: 0, results: [] } };
  for (const tf of truth.figures) {
    const f = figs.find((r) => path.basename(r.file as string) === tf.file && r.page === tf.page && iou(Array.from(r.bbox as ArrayLike<number>), tf.bbox) >= 0.5);
    q.captions.total++;
    if (f?.caption === tf.caption) q.captions.correct++;
    if (tf.kind !== 'raster') continue;
    const words = new Set(((f?.ocr_text as string) ?? '').toUpperCase().split(/[^A-Z0-9-]+/));
    for (const w of tf.labelWords) {
      q.ocrWords.total++;
      if (words.has(w.toUpperCase())) q.ocrWords.found++;
    }
  }
  for (const qu of truth.questions) {
    const ctx = await documentContext(store, enc, text, { text: qu.question, passages: 10, figures: 0 }, []);
    const pages: string[] = [];
    for (const p of ctx.passages) if (!pages.includes(`${path.basename(p.file)}#${p.page}`)) pages.push(`${path.basename(p.file)}#${p.page}`);
    q.questions.total++;
    if (pages.slice(0, 3).includes(`${qu.file}#${qu.page}`)) q.questions.top3++;
    else q.questions.misses.push(qu.question);
  }
  for (const sec of SHIP_SECTIONS) {
    const chip = await objectChip(sec.type, 1, 240);
    const ctx = await documentContext(store, enc, text, { image: { base64: chip.toString('base64') }, passages: 0, figures: 1 }, []);
    const top = ctx.figures[0]?.caption ?? null;
    const want = truth.figures.find((f) => f.type === sec.type)!.caption;
    q.shipQueries.total++;
    if (top === want) q.shipQueries.top1++;
    q.shipQueries.results.push({ type: sec.type, top });
  }
  return q;
}

/** The quality table as printable lines. */
export function qualityTable(q: CorpusQuality): string {
  const pct = (a: number, b: number) => (b ? ((100 * a) / b).toFixed(1) : '–');
  const rows: [string, string, string, string][] = [
    ['captions matched to the right figure', `${q.captions.correct}/${q.captions.total}`, pct(q.captions.correct, q.captions.total), '≥ 95%'],
    ['in-figure label words recovered by OCR', `${q.ocrWords.found}/${q.ocrWords.total}`, pct(q.ocrWords.found, q.ocrWords.total), '≥ 90%'],
    ['questions with the right page in top 3', `${q.questions.top3}/${q.questions.total}`, pct(q.questions.top3, q.questions.total), '≥ 90%'],
    ['ship chip → same-type figure first', `${q.shipQueries.top1}/${q.shipQueries.total}`, pct(q.shipQueries.top1, q.shipQueries.total), 'report'],
  ];
  const w = [42, 8, 7, 7];
  const line = (r: string[]) => '| ' + r.map((c, i) => c.padEnd(w[i]!)).join(' | ') + ' |';
  return [line(['metric', 'count', '%', 'target']), '|' + w.map((x) => '-'.repeat(x + 2)).join('|') + '|', ...rows.map(line)].join('\n');
}

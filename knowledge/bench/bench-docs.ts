/**
 * bench:docs — throughput and quality of the document index on the generated corpus:
 * pages/s of text extraction + layout, figures/s for OCR and for figure embedding,
 * passages/s for the sentence model, then the quality table (captions, OCR, questions,
 * ship chip → figure). Usage: npm run bench:docs
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../core/config.js';
import { makeTempDir } from '../../core/testing/temp-dir.js';
import { Store } from '../../pipeline/index/store.js';
import { createToolContext } from '../../tools/context.js';
import { generateCorpus } from '../corpus/generate-corpus.js';
import { evaluateCorpus, qualityTable } from '../evaluate-corpus.js';
import { pictureRegion, removeAnnotations } from '../figure-crop.js';
import { ingestDocuments } from '../ingest-docs.js';
import { OcrEngine } from '../ocr.js';
import { loadPdf } from '../pdf/load-pdf.js';
import { layoutPage } from '../pdf/layout.js';
import { readPage } from '../pdf/page-content.js';
import { imagePng, pngToRgb } from '../pdf/render.js';
import { closeSharedSentenceEncoders, sharedSentenceEncoder } from '../sentence-encoder.js';

const tmp = await makeTempDir();
const dir = path.join(tmp.dir, 'corpus');
const truth = await generateCorpus(dir);
const files = truth.docs.map((d) => path.join(dir, d.file));
const config = loadConfig({ cwd: tmp.dir, env: { GEOSCOUT_DATA_DIR: path.join(tmp.dir, 'state') } });
const store = await Store.open(config.dbUri);
const ctx = createToolContext(config, async () => store);
const enc = await ctx.encoder();
const text = await sharedSentenceEncoder();
const ocr = new OcrEngine();
const rate = (n: number, ms: number) => (n / (ms / 1000)).toFixed(1);
try {
  // 1. text: pdfjs text content + operator list + layout, no OCR
  let pages = 0;
  const pngs: Buffer[] = [];
  let t0 = performance.now();
  for (const f of files) {
    const doc = await loadPdf(new Uint8Array(await readFile(f)), f, 10_000);
    for (let p = 1; p <= doc.numPages; p++) {
      const c = await readPage(await doc.getPage(p));
      layoutPage(c.items, c.width, c.height);
      for (const img of c.images) if (img.width < 1000) pngs.push(await imagePng(img));
      pages++;
    }
    await doc.destroy();
  }
  const textMs = performance.now() - t0;
  // 2. OCR of figures (warm worker: the first call loads the model)
  await ocr.recognize(pngs[0]!);
  t0 = performance.now();
  for (const p of pngs) await ocr.recognize(p);
  const ocrMs = performance.now() - t0;
  // 3. figure embedding (clean-up + tile encoder)
  t0 = performance.now();
  const rgb = await Promise.all(pngs.map(async (p) => removeAnnotations(pictureRegion(await pngToRgb(p)))));
  await enc.encodeImages(rgb, { patches: false });
  const embMs = performance.now() - t0;
  // 4. sentence model
  const sentences = truth.questions.map((q) => q.question).concat(truth.questions.map((q) => `${q.question} ${q.question} ${q.question}`));
  t0 = performance.now();
  await text.encode(sentences);
  const sentMs = performance.now() - t0;
  // 5. whole ingest, then quality
  t0 = performance.now();
  const rep = await ingestDocuments(store, files, { text, image: enc, ocr });
  const ingestMs = performance.now() - t0;
  const q = await evaluateCorpus(store, enc, text, truth);
  const out = [
    `Document index on the generated corpus: ${truth.docs.length} PDFs, ${pages} pages, ${truth.figures.length} figures (${pngs.length} raster), ${truth.questions.length} questions`,
    '',
    '| stage | throughput |',
    '|---|---|',
    `| text + layout (pdfjs, no OCR) | ${rate(pages, textMs)} pages/s |`,
    `| OCR of figures (tesseract.js, 1 worker) | ${rate(pngs.length, ocrMs)} figures/s (${(ocrMs / pngs.length).toFixed(0)} ms each) |`,
    `| figure embedding (${enc.modelVersion}) | ${rate(pngs.length, embMs)} figures/s |`,
    `| passage embedding (${text.modelVersion}) | ${rate(sentences.length, sentMs)} passages/s |`,
    `| full ingest (parse + OCR + embed + write) | ${rate(rep.totals.pages, ingestMs)} pages/s |`,
    '',
    qualityTable(q),
    '',
    `ship chip queries: ${q.shipQueries.results.map((r) => `${r.type}→${r.top?.match(/of an? ([^,]+)/)?.[1] ?? '–'}`).join(', ')}`,
  ];
  process.stdout.write(out.join('\n') + '\n');
} finally {
  await ocr.close();
  await closeSharedSentenceEncoders();
  await ctx.close();
  await store.close();
  await tmp.cleanup();
}

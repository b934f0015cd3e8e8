import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GeoscoutError, isGeoscoutError, throwIfAborted, toGeoscoutError } from '../core/errors.js';
import { log } from '../core/log.js';
import type { Store } from '../pipeline/index/store.js';
import type { ClipEncoder } from '../pipeline/models/encoder.js';
import { describeFigure, type VisionConfig } from './describe-figure.js';
import { forgetDocument, indexedWith, openDocTables, refreshFtsIndex, removePartial, type DocTables } from './doc-tables.js';
import { pictureRegion, removeAnnotations } from './figure-crop.js';
import { OcrEngine } from './ocr.js';
import { parseDocument, type ParsedDocument } from './parse-document.js';
import { DocumentSkipped, loadPdf } from './pdf/load-pdf.js';
import { pngToRgb, thumbnail } from './pdf/render.js';
import { regularFile } from '../core/input-file.js';
import { largestPdfImage, MAX_PDF_IMAGE_PIXELS } from './pdf/image-bounds.js';
import type { SentenceEncoder } from './sentence-encoder.js';

/** Limits and options of a docs ingest. */
export interface IngestDocsOptions {
  /** Files larger than this are skipped (default 200 MB; config docs.maxMB). */
  maxBytes?: number;
  /** Documents with more pages are skipped (default 2000; config docs.maxPages). */
  maxPages?: number;
  /** OpenAI-compatible vision endpoint for figure descriptions (visionFromConfig; off when unset). */
  vision?: VisionConfig | null;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, message?: string) => void;
}

/** What happened to each file. */
export interface IngestDocsReport {
  added: { file: string; doc_id: string; title: string; pages: number; chunks: number; figures: number; ms: number }[];
  unchanged: { file: string; doc_id: string }[];
  skipped: { file: string; reason: string; code: string; message: string }[];
  totals: { pages: number; figures: number; parse_ms: number; ocr_figures: number; embed_ms: number };
}

/** The engines an ingest needs; the caller owns and closes them. */
export interface DocEngines {
  text: SentenceEncoder;
  image: ClipEncoder;
  ocr: OcrEngine;
}

/**
 * Ingests PDFs into `documents`, `doc_chunks` and `doc_figures__<model>`. A document is
 * keyed by the SHA-256 of its bytes: an indexed document is left as it is (idempotent);
 * rows a killed run left behind are removed first; the `documents` row is written last.
 * A bad document (encrypted, corrupt, empty, too large) is reported and skipped, and
 * the batch goes on. The FTS index is rebuilt once at the end.
 */
export async function ingestDocuments(store: Store, files: string[], eng: DocEngines, opts: IngestDocsOptions = {}): Promise<IngestDocsReport> {
  const maxBytes = opts.maxBytes ?? 200e6;
  const maxPages = opts.maxPages ?? 2000;
  const vision = opts.vision ?? null;
  const t = await openDocTables(store, eng.text.dim, eng.image.manifest.id, eng.image.dim);
  const report: IngestDocsReport = { added: [], unchanged: [], skipped: [], totals: { pages: 0, figures: 0, parse_ms: 0, ocr_figures: 0, embed_ms: 0 } };
  for (const [i, file] of files.entries()) {
    throwIfAborted(opts.signal);
    opts.onProgress?.(i, files.length, path.basename(file));
    try {
      const size = (await regularFile(file, 'PDF')).size;
      if (size > maxBytes) throw new DocumentSkipped('too_large', `${file} is ${(size / 1e6).toFixed(0)} MB, more than the ${(maxBytes / 1e6).toFixed(0)} MB limit: split it or raise GEOSCOUT_DOCS_MAX_MB.`);
      const bytes = new Uint8Array(await readFile(file));
      const docId = createHash('sha256').update(bytes).digest('hex').slice(0, 32);
      const stored = await indexedWith(t, docId);
      if (stored && stored.text_model === eng.text.modelVersion && stored.figure_model === eng.image.modelVersion) {
        report.unchanged.push({ file, doc_id: docId });
        continue;
      }
      // Indexed with other models (a new shipped or retrained encoder): searches filter by the
      // active model's version, so its figures would never be found. Index it again.
      if (stored) {
        log.info({ file, was: stored, now: { text_model: eng.text.modelVersion, figure_model: eng.image.modelVersion } }, 'document indexed with other models: indexing again');
        await forgetDocument(t, docId);
      }
      const t0 = Date.now();
      const big = await largestPdfImage(bytes);
      if (big && big.width * big.height > MAX_PDF_IMAGE_PIXELS) {
        throw new DocumentSkipped('too_large', `${file} embeds an image of ${big.width}×${big.height} pixels (${((big.width * big.height) / 1e6).toFixed(0)} MP), more than the ${MAX_PDF_IMAGE_PIXELS / 1e6} MP geoscout decodes: downsample its images (e.g. gs -dDownsampleColorImages) and add it again.`);
      }
      const doc = await loadPdf(bytes, file, maxPages);
      let parsed: ParsedDocument;
      try {
        parsed = await parseDocument(doc, path.basename(file, path.extname(file)), eng.ocr, opts.signal ? { signal: opts.signal } : {});
      } catch (cause) {
        if (isGeoscoutError(cause)) throw cause;
        throw new DocumentSkipped('corrupt', `${file} could not be parsed (${(cause as Error).message}).`, cause);
      } finally {
        await doc.destroy();
      }
      // pdfjs repairs an empty page tree into phantom pages; nothing to index is "empty" either way.
      if (parsed.chunks.length === 0 && parsed.figures.length === 0) throw new DocumentSkipped('empty', `${file} has no text or figures to index (no pages, or only blank pages).`);
      const parseMs = Date.now() - t0;
      const t1 = Date.now();
      await removePartial(t, docId);
      await writeDocument(t, docId, file, parsed, eng, vision, opts.signal);
      report.totals.embed_ms += Date.now() - t1;
      report.totals.parse_ms += parseMs;
      report.totals.pages += parsed.pages;
      report.totals.figures += parsed.figures.length;
      report.totals.ocr_figures += parsed.figures.filter((f) => f.kind === 'raster').length;
      report.added.push({ file, doc_id: docId, title: parsed.title, pages: parsed.pages, chunks: parsed.chunks.length, figures: parsed.figures.length, ms: Date.now() - t0 });
    } catch (err) {
      const e = toGeoscoutError(err, 'CORRUPT_DATA', file);
      if (e.code === 'CANCELLED') throw e;
      const reason = err instanceof DocumentSkipped ? err.reason : e.code === 'NOT_FOUND' || (e.cause as NodeJS.ErrnoException)?.code === 'ENOENT' ? 'not_found' : 'error';
      log.warn({ file, reason, err: e.message }, 'document skipped');
      report.skipped.push({ file, reason, code: e.code, message: e.message });
    }
  }
  if (report.added.length) await refreshFtsIndex(t);
  opts.onProgress?.(files.length, files.length);
  return report;
}

async function writeDocument(t: DocTables, docId: string, file: string, d: ParsedDocument, eng: DocEngines, vision: VisionConfig | null, signal?: AbortSignal): Promise<void> {
  // What the sentence model sees carries the title and section, so a passage is found by
  // the topic of its section even when its own sentences do not repeat it.
  const texts = d.chunks.map((c) => `${d.title}. ${c.section}. ${c.text}`);
  const tv = texts.length ? await eng.text.encode(texts, signal) : new Float32Array();
  const D = eng.text.dim;
  if (d.chunks.length) {
    await t.store.upsert(t.chunks, 'chunk_id', d.chunks.map((c, i) => ({
      chunk_id: `${docId}:${i}`, doc_id: docId, title: d.title, file, page: c.page, bbox: c.box.map((v) => Math.round(v * 10) / 10),
      section: c.section, kind: c.kind, text: c.text, model_version: eng.text.modelVersion, vector: tv.slice(i * D, (i + 1) * D),
    })));
  }
  if (d.figures.length) {
    const rgb = await Promise.all(d.figures.map(async (f) => removeAnnotations(pictureRegion(await pngToRgb(f.png)))));
    const { embeds } = await eng.image.encodeImages(rgb, { patches: false, ...(signal ? { signal } : {}) });
    const E = eng.image.dim;
    const rows = [];
    for (const [i, f] of d.figures.entries()) {
      const description = vision ? await describeFigure(vision, f.png, f.caption, signal) : null;
      rows.push({
        figure_id: `${docId}:f${i}`, doc_id: docId, title: d.title, file, page: f.page, figure_number: f.number, bbox: f.box.map((v) => Math.round(v * 10) / 10),
        kind: f.kind, caption: f.caption, ocr_text: f.ocrText, description, thumbnail: await thumbnail(f.png),
        model_version: eng.image.modelVersion, vector: embeds.slice(i * E, (i + 1) * E),
      });
    }
    await t.store.upsert(t.figures, 'figure_id', rows);
  }
  // The document row goes last: it says the chunks and figures are complete. Every write is
  // keyed, so two processes indexing the same PDF at once store it once.
  await t.store.upsert(t.documents, 'doc_id', [{
    doc_id: docId, file, title: d.title, pages: d.pages, chunks: d.chunks.length, figures: d.figures.length,
    text_model: eng.text.modelVersion, figure_model: eng.image.modelVersion, added_at: Date.now(),
  }]);
}

/** Opens the engines a docs ingest needs (sentence model, tile encoder, OCR). */
export async function openDocEngines(image: ClipEncoder, textModelDir?: string): Promise<DocEngines> {
  const { SentenceEncoder } = await import('./sentence-encoder.js');
  return { text: await (textModelDir ? SentenceEncoder.open(textModelDir) : SentenceEncoder.open()), image, ocr: new OcrEngine() };
}

export { GeoscoutError };

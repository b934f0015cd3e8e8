import { GeoscoutError } from '../core/errors.js';
import type { Store } from '../pipeline/index/store.js';
import type { ClipEncoder } from '../pipeline/models/encoder.js';
import { detectionRows } from '../pipeline/detect/detections-table.js';
import { prototypeQuery } from '../pipeline/prototypes/prototypes.js';
import { loadRef, type ImageRef } from '../pipeline/search/query-vector.js';
import { openDocTables } from './doc-tables.js';
import { figuresOnPages, searchFigures, searchPassages, type FigureHit, type PassageHit } from './doc-search.js';
import { pictureRegion, removeAnnotations } from './figure-crop.js';
import type { SentenceEncoder } from './sentence-encoder.js';

/** What to find document context for; at least one of text / image / prototype / detection. */
export interface ContextQuery {
  text?: string;
  image?: ImageRef;
  prototype?: string;
  detectionId?: string;
  docId?: string;
  passages: number;
  figures: number;
}

/** Passages and figures, each with its citation. */
export interface DocumentContext {
  passages: PassageHit[];
  figures: FigureHit[];
  /** How figures were found: 'visual' (image/prototype/detection vector) or 'text'. */
  figure_match: 'visual' | 'text' | 'none';
  figure_model: string;
}

/**
 * Gathers document context. A text query ranks passages by hybrid search and brings
 * the figures of the top pages plus the figures nearest to the text in tile space. A
 * visual query (image, tile window, prototype, detection) ranks figures by similarity in
 * the tile space — the figure↔tile link — and, without text, reads passages around the
 * best figure's caption in its document.
 */
export async function documentContext(store: Store, enc: ClipEncoder, text: SentenceEncoder, q: ContextQuery, roots: string[], signal?: AbortSignal): Promise<DocumentContext> {
  const t = await openDocTables(store, text.dim, enc.manifest.id, enc.dim);
  if ((await t.documents.countRows()) === 0) throw new GeoscoutError('NOT_FOUND', 'No documents are indexed yet: add PDFs with `geoscout docs add <files>` first.');
  const visual = await visualVector(store, enc, q, roots, signal);
  const base = { figure_model: enc.modelVersion };
  const docFilter = q.docId ? { docId: q.docId } : {};
  let figures: FigureHit[] = [];
  let figureMatch: DocumentContext['figure_match'] = 'none';
  if (visual) {
    figures = await searchFigures(t.figures, visual, { limit: q.figures, modelVersion: enc.modelVersion, ...docFilter });
    figureMatch = 'visual';
  }
  let passages: PassageHit[] = [];
  const queryText = q.text?.trim() || (figures[0] ? [figures[0].caption, figures[0].ocr_text].filter(Boolean).join(' ') : '');
  if (queryText) {
    const v = await text.encode([queryText], signal);
    const scope = q.text?.trim() ? docFilter : { docId: figures[0]!.doc_id };
    passages = await searchPassages(t.chunks, queryText, v, { limit: q.passages, ...scope });
  }
  if (!visual && q.text?.trim() && q.figures > 0) {
    const onPages = await figuresOnPages(t.figures, passages.slice(0, 3).map((p) => ({ doc_id: p.doc_id, page: p.page })), enc.modelVersion);
    const byText = await searchFigures(t.figures, await enc.encodeTexts([q.text]), { limit: q.figures, modelVersion: enc.modelVersion, ...docFilter });
    const seen = new Set<string>();
    figures = [...onPages, ...byText].filter((f) => !seen.has(f.figure_id) && seen.add(f.figure_id)).slice(0, q.figures);
    figureMatch = 'text';
  }
  return { passages, figures, figure_match: figureMatch, ...base };
}

async function visualVector(store: Store, enc: ClipEncoder, q: ContextQuery, roots: string[], signal?: AbortSignal): Promise<Float32Array | null> {
  if (q.prototype) return (await prototypeQuery(store, q.prototype, enc.modelVersion)).vector;
  if (q.detectionId) {
    const row = (await detectionRows(store, [q.detectionId]))[0];
    if (!row) throw new GeoscoutError('NOT_FOUND', `No detection ${q.detectionId}: use an id detect_in_region returned.`);
    if (row.model_version !== enc.modelVersion) throw new GeoscoutError('CONFLICT', `Detection ${q.detectionId} was made with ${row.model_version}, the figures are indexed with ${enc.modelVersion}.`);
    return Float32Array.from(row.vector);
  }
  if (!q.image) return null;
  // The same clean-up as figures get at ingest, so an annotated chip matches a plain tile.
  const img = removeAnnotations(pictureRegion(await loadRef(q.image, store, roots)));
  return (await enc.encodeImages([img], { patches: false, ...(signal ? { signal } : {}) })).embeds;
}

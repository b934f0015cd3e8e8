import type * as lancedb from '@lancedb/lancedb';
import { sqlString } from '../pipeline/index/store.js';

/** A passage hit with its citation. */
export interface PassageHit {
  chunk_id: string;
  doc_id: string;
  title: string;
  file: string;
  page: number;
  bbox: number[];
  section: string;
  kind: string;
  text: string;
  /** Reciprocal-rank-fusion score (higher is better). */
  score: number;
  /** Ranks in the full-text and vector lists (null: not in that list). */
  fts_rank: number | null;
  vector_rank: number | null;
}

/** A figure hit with its citation. */
export interface FigureHit {
  figure_id: string;
  doc_id: string;
  title: string;
  file: string;
  page: number;
  figure_number: number | null;
  bbox: number[];
  kind: string;
  caption: string | null;
  ocr_text: string;
  description: string | null;
  thumbnail: Uint8Array | null;
  /** Cosine similarity to the query in the tile embedding space. */
  similarity: number;
}

/** RRF constant: the usual 60 keeps one list's top hit from dominating. */
const RRF_K = 60;

const arr = (v: unknown): number[] => Array.from((v as { toArray?: () => ArrayLike<number> })?.toArray?.() ?? (v as ArrayLike<number>) ?? []);

/** FTS query text: words only, so user punctuation never becomes query syntax. */
function ftsQuery(text: string): string {
  return text.replace(/[^\p{L}\p{N}\s-]/gu, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * Hybrid passage retrieval: BM25 full-text and vector (sentence model) lists of `depth`
 * each, fused by reciprocal rank (score = Σ 1/(60 + rank)). Words that must match
 * (part numbers, names) come from FTS; paraphrases come from the vectors.
 */
export async function searchPassages(table: lancedb.Table, text: string, vector: Float32Array, opts: { limit: number; docId?: string; depth?: number }): Promise<PassageHit[]> {
  const depth = opts.depth ?? Math.max(20, opts.limit * 4);
  const where = opts.docId ? `doc_id = ${sqlString(opts.docId)}` : undefined;
  const cols = ['chunk_id', 'doc_id', 'title', 'file', 'page', 'bbox', 'section', 'kind', 'text'];
  const q = ftsQuery(text);
  let fts: Record<string, unknown>[] = [];
  if (q) {
    let fq = table.query().fullTextSearch(q).select(cols).limit(depth);
    if (where) fq = fq.where(where);
    fts = (await fq.toArray().catch(() => [])) as Record<string, unknown>[];
  }
  let vq = table.vectorSearch(Array.from(vector)).distanceType('cosine').select([...cols, '_distance']).limit(depth);
  if (where) vq = vq.where(where);
  const vec = (await vq.toArray()) as Record<string, unknown>[];
  const fused = new Map<string, { row: Record<string, unknown>; score: number; fts: number | null; vec: number | null }>();
  const add = (rows: Record<string, unknown>[], which: 'fts' | 'vec') => rows.forEach((row, rank) => {
    const id = row.chunk_id as string;
    const e = fused.get(id) ?? { row, score: 0, fts: null, vec: null };
    e.score += 1 / (RRF_K + rank + 1);
    e[which] = rank + 1;
    fused.set(id, e);
  });
  add(fts, 'fts');
  add(vec, 'vec');
  return [...fused.values()]
    .sort((a, b) => b.score - a.score)
    .slice(0, opts.limit)
    .map(({ row, score, fts: fr, vec: vr }) => ({
      chunk_id: row.chunk_id as string, doc_id: row.doc_id as string, title: row.title as string, file: row.file as string, page: row.page as number,
      bbox: arr(row.bbox), section: (row.section as string) ?? '', kind: row.kind as string, text: row.text as string,
      score: Math.round(score * 1e5) / 1e5, fts_rank: fr, vector_rank: vr,
    }));
}

/** Figures nearest to a vector in the tile space (one model version only). */
export async function searchFigures(table: lancedb.Table, vector: Float32Array, opts: { limit: number; modelVersion: string; docId?: string }): Promise<FigureHit[]> {
  const where = [`model_version = ${sqlString(opts.modelVersion)}`, ...(opts.docId ? [`doc_id = ${sqlString(opts.docId)}`] : [])].join(' AND ');
  const rows = (await table.vectorSearch(Array.from(vector)).distanceType('dot').where(where)
    .select(['figure_id', 'doc_id', 'title', 'file', 'page', 'figure_number', 'bbox', 'kind', 'caption', 'ocr_text', 'description', 'thumbnail', '_distance'])
    .limit(opts.limit).toArray()) as Record<string, unknown>[];
  return rows.map(toFigureHit);
}

/** Figures cited by number on pages (a passage about "Figure 3" brings the figure along). */
export async function figuresOnPages(table: lancedb.Table, pages: { doc_id: string; page: number }[], modelVersion: string): Promise<FigureHit[]> {
  if (!pages.length) return [];
  const ors = pages.map((p) => `(doc_id = ${sqlString(p.doc_id)} AND page = ${p.page})`).join(' OR ');
  const rows = (await table.query().where(`model_version = ${sqlString(modelVersion)} AND (${ors})`)
    .select(['figure_id', 'doc_id', 'title', 'file', 'page', 'figure_number', 'bbox', 'kind', 'caption', 'ocr_text', 'description', 'thumbnail']).toArray()) as Record<string, unknown>[];
  return rows.map(toFigureHit);
}

function toFigureHit(row: Record<string, unknown>): FigureHit {
  const thumb = row.thumbnail as Uint8Array | null;
  return {
    figure_id: row.figure_id as string, doc_id: row.doc_id as string, title: row.title as string, file: row.file as string, page: row.page as number,
    figure_number: (row.figure_number as number | null) ?? null, bbox: arr(row.bbox), kind: row.kind as string, caption: (row.caption as string | null) ?? null,
    ocr_text: (row.ocr_text as string) ?? '', description: (row.description as string | null) ?? null, thumbnail: thumb ? new Uint8Array(thumb) : null,
    // dot distance in LanceDB is 1 - a·b for unit vectors
    similarity: row._distance === undefined ? 0 : Math.round((1 - (row._distance as number)) * 1e4) / 1e4,
  };
}

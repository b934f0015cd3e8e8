import * as lancedb from '@lancedb/lancedb';
import { Binary, Field, FixedSizeList, Float32, Float64, Int32, List, Schema, TimestampMillisecond, Utf8 } from 'apache-arrow';
import type { Store } from '../pipeline/index/store.js';
import { sqlString } from '../pipeline/index/store.js';

const str = (n: string, nullable = true) => new Field(n, new Utf8(), nullable);
const i32 = (n: string) => new Field(n, new Int32(), true);
const bbox = () => new Field('bbox', new List(new Field('item', new Float64(), true)), true);
const vec = (dim: number) => new Field('vector', new FixedSizeList(dim, new Field('item', new Float32(), true)), false);

/** `documents`: one row per ingested PDF, written last, so a row means "completely indexed". */
export const documentsSchema = new Schema([
  str('doc_id', false), str('file', false), str('title'), i32('pages'), i32('chunks'), i32('figures'),
  str('text_model'), str('figure_model'), new Field('added_at', new TimestampMillisecond('UTC'), true),
]);

/** `doc_chunks`: passages with page and box, a text vector (sentence model) and an FTS index on `text`. */
export function docChunksSchema(dim: number): Schema {
  return new Schema([
    str('chunk_id', false), str('doc_id', false), str('title'), str('file'), i32('page'), bbox(), str('section'), str('kind'),
    str('text', false), str('model_version'), vec(dim),
  ]);
}

/**
 * `doc_figures__<model id>`: figures with caption, OCR text, description, box, a PNG
 * thumbnail, and a vector in the TILE encoder's space — so a tile or chip query finds
 * document figures. Per model id like the tiles tables (vector sizes differ per model).
 */
export function docFiguresSchema(dim: number): Schema {
  return new Schema([
    str('figure_id', false), str('doc_id', false), str('title'), str('file'), i32('page'), i32('figure_number'), bbox(),
    str('kind'), str('caption'), str('ocr_text'), str('description'), new Field('thumbnail', new Binary(), true),
    str('model_version', false), vec(dim),
  ]);
}

/** Table name of a figure table for a tile model id. */
export function docFiguresTableName(modelId: string): string {
  return `doc_figures__${modelId.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

/** The three tables of the document index for a text model and a tile model. */
export interface DocTables {
  /** The store the tables live in (writes go through its keyed upsert). */
  store: Store;
  documents: lancedb.Table;
  chunks: lancedb.Table;
  figures: lancedb.Table;
}

/** Opens (creating when missing) the document tables. */
export async function openDocTables(store: Store, textDim: number, figureModelId: string, figureDim: number): Promise<DocTables> {
  return {
    store,
    documents: await store.tableWithSchema('documents', documentsSchema),
    chunks: await store.tableWithSchema('doc_chunks', docChunksSchema(textDim)),
    figures: await store.tableWithSchema(docFiguresTableName(figureModelId), docFiguresSchema(figureDim)),
  };
}

/** The models a completely indexed document was embedded with, or null when it is not indexed. */
export async function indexedWith(t: DocTables, docId: string): Promise<{ text_model: string | null; figure_model: string | null } | null> {
  const rows = await t.documents.query().where(`doc_id = ${sqlString(docId)}`).select(['text_model', 'figure_model']).limit(1).toArray();
  return rows.length ? { text_model: rows[0].text_model ?? null, figure_model: rows[0].figure_model ?? null } : null;
}

/** Forgets a document's completion row, so its chunks and figures are written again (see {@link removePartial}). */
export async function forgetDocument(t: DocTables, docId: string): Promise<void> {
  await t.documents.delete(`doc_id = ${sqlString(docId)}`);
}

/** Removes partial rows a killed ingest may have left for a document. */
export async function removePartial(t: DocTables, docId: string): Promise<void> {
  await t.chunks.delete(`doc_id = ${sqlString(docId)}`);
  await t.figures.delete(`doc_id = ${sqlString(docId)}`);
}

/** (Re)builds the full-text index on chunk text so new passages are searchable by words. */
export async function refreshFtsIndex(t: DocTables): Promise<void> {
  if ((await t.chunks.countRows()) === 0) return;
  await t.chunks.createIndex('text', { config: lancedb.Index.fts({ withPosition: false }), replace: true });
}

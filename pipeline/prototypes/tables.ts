import { Field, Float32, Float64, Int32, List, Schema, Utf8 } from 'apache-arrow';
import type { Store } from '../index/store.js';
import { sqlString } from '../index/store.js';

const vec = (name: string) => new Field(name, new List(new Field('item', new Float32(), true)), true);

/**
 * `prototypes`: one row per version of a named prototype (history kept; the highest
 * version is current). Vectors are variable-length lists, not fixed-size vector columns:
 * prototypes of models with different embedding sizes share the table, and nothing
 * searches over prototypes by ANN. Examples, negatives, probe and self-check are JSON.
 */
export const prototypesSchema = new Schema([
  new Field('id', new Utf8(), false),
  new Field('name', new Utf8(), false),
  new Field('version', new Int32(), false),
  new Field('description', new Utf8(), true),
  new Field('model_version', new Utf8(), false),
  vec('text_vector'),
  vec('visual_vector'),
  vec('fused_vector'),
  new Field('examples', new Utf8(), false),
  new Field('negatives', new Utf8(), false),
  new Field('probe', new Utf8(), true),
  new Field('threshold', new Float64(), true),
  new Field('self_check', new Utf8(), true),
  new Field('created_at', new Utf8(), false),
]);

/**
 * `detections`: every box detect_in_region returned, with the crop embedding, so an analyst
 * can confirm or reject it later and the feedback becomes prototype examples (and training
 * data for launch_retraining) without re-reading pixels.
 */
export const detectionsSchema = new Schema([
  new Field('detection_id', new Utf8(), false),
  new Field('image_id', new Utf8(), false),
  new Field('query', new Utf8(), false),
  new Field('prototype', new Utf8(), true),
  new Field('score', new Float64(), false),
  new Field('x', new Int32(), false),
  new Field('y', new Int32(), false),
  new Field('width', new Int32(), false),
  new Field('height', new Int32(), false),
  new Field('lon', new Float64(), true),
  new Field('lat', new Float64(), true),
  new Field('model_version', new Utf8(), false),
  new Field('feedback', new Utf8(), true),
  vec('vector'),
  new Field('created_at', new Utf8(), false),
]);

/** A stored prototype version. */
export interface PrototypeRow {
  id: string;
  name: string;
  version: number;
  description: string | null;
  model_version: string;
  text_vector: number[] | null;
  visual_vector: number[] | null;
  fused_vector: number[];
  examples: string;
  negatives: string;
  probe: string | null;
  threshold: number | null;
  self_check: string | null;
  created_at: string;
}

/** A stored detection. */
export interface DetectionRow {
  detection_id: string;
  image_id: string;
  query: string;
  prototype: string | null;
  score: number;
  x: number;
  y: number;
  width: number;
  height: number;
  lon: number | null;
  lat: number | null;
  model_version: string;
  feedback: 'confirmed' | 'rejected' | null;
  vector: number[];
  created_at: string;
}

/** Opens (creating) the prototypes table. */
export function prototypesTable(store: Store) {
  return store.tableWithSchema('prototypes', prototypesSchema);
}

/** Opens (creating) the detections table. */
export function detectionsTable(store: Store) {
  return store.tableWithSchema('detections', detectionsSchema);
}

/** Every version of prototypes matching a filter, newest first. */
export async function prototypeRows(store: Store, filter: { name?: string; modelVersion?: string } = {}): Promise<PrototypeRow[]> {
  const where = [filter.name ? `name = ${sqlString(filter.name)}` : '', filter.modelVersion ? `model_version = ${sqlString(filter.modelVersion)}` : ''].filter(Boolean).join(' AND ');
  const q = (await prototypesTable(store)).query();
  const rows = (await (where ? q.where(where) : q).toArray()).map(toPlain) as unknown as PrototypeRow[];
  return rows.sort((a, b) => a.name.localeCompare(b.name) || b.version - a.version);
}

/** Detections by id. */
export async function detectionRows(store: Store, ids: string[]): Promise<DetectionRow[]> {
  if (!ids.length) return [];
  const rows = await (await detectionsTable(store)).query().where(`detection_id IN (${ids.map(sqlString).join(', ')})`).toArray();
  return rows.map(toPlain) as unknown as DetectionRow[];
}

/** Upserts detections by id (re-running a detection does not duplicate rows, and keeps feedback). */
export async function upsertDetections(store: Store, rows: DetectionRow[]): Promise<void> {
  if (!rows.length) return;
  const t = await detectionsTable(store);
  const existing = new Map((await detectionRows(store, rows.map((r) => r.detection_id))).map((r) => [r.detection_id, r]));
  const merged = rows.map((r) => ({ ...r, feedback: existing.get(r.detection_id)?.feedback ?? r.feedback }));
  await store.upsert(t, 'detection_id', merged as unknown as Record<string, unknown>[], { update: true });
}

/** Records analyst feedback on detections. */
export async function setFeedback(store: Store, ids: string[], feedback: 'confirmed' | 'rejected', prototype?: string): Promise<void> {
  if (!ids.length) return;
  const values: Record<string, string> = { feedback: sqlString(feedback) };
  if (prototype) values.prototype = sqlString(prototype);
  await (await detectionsTable(store)).update({ where: `detection_id IN (${ids.map(sqlString).join(', ')})`, valuesSql: values });
}

/** Arrow row → plain JS (lists to arrays). */
function toPlain(r: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) out[k] = v && typeof v === 'object' && 'toArray' in v ? Array.from((v as { toArray(): ArrayLike<number> }).toArray()) : v;
  return out;
}

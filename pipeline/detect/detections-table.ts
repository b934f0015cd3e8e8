import { Field, Float64, Int32, Schema, Utf8 } from 'apache-arrow';
import type { Store } from '../index/store.js';
import { listField as vec, plainRow, sqlString } from '../index/store.js';

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

/** Opens (creating) the detections table. */
export function detectionsTable(store: Store) {
  return store.tableWithSchema('detections', detectionsSchema);
}

/** Detections by id. */
export async function detectionRows(store: Store, ids: string[]): Promise<DetectionRow[]> {
  if (!ids.length) return [];
  const rows = await (await detectionsTable(store)).query().where(`detection_id IN (${ids.map(sqlString).join(', ')})`).toArray();
  return rows.map(plainRow) as unknown as DetectionRow[];
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

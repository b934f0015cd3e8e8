import { Field, Float64, Int32, Schema, Utf8 } from 'apache-arrow';
import type { Store } from '../index/store.js';
import type { SceneObject } from '../synth/generate-scene.js';

/** A search hit as the metrics need it. */
export interface HitLike { image_id: string; score: number; window: { x: number; y: number; width: number; height: number }; best_box: { x: number; y: number; width: number; height: number } | null }
/** A ground-truth object in an image. */
export interface Truth { image_id: string; object: SceneObject }

const inside = (o: SceneObject, w: HitLike['window']) => o.cx >= w.x && o.cx <= w.x + w.width && o.cy >= w.y && o.cy <= w.y + w.height;

function iou(a: HitLike['window'], b: [number, number, number, number]): number {
  const x0 = Math.max(a.x, b[0]), y0 = Math.max(a.y, b[1]);
  const x1 = Math.min(a.x + a.width, b[0] + b[2]), y1 = Math.min(a.y + a.height, b[1] + b[3]);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  return inter / (a.width * a.height + b[2] * b[3] - inter);
}

/**
 * Search quality for one class over ranked hits: R@10 (share of objects whose centre is
 * in one of the first 10 tiles), tile AP (hits are relevant when their tile holds an
 * object centre; normalised by the relevant tiles in the list) and box AP50 (best boxes
 * matched one-to-one to truth boxes at IoU ≥ 0.5), all in %.
 */
export function searchMetrics(hits: HitLike[], truth: Truth[]): { 'R@10': number; tileAP: number; AP50: number } {
  const top10 = hits.slice(0, 10);
  const found = truth.filter((t) => top10.some((h) => h.image_id === t.image_id && inside(t.object, h.window))).length;
  let rel = 0, apSum = 0;
  hits.forEach((h, i) => {
    if (truth.some((t) => t.image_id === h.image_id && inside(t.object, h.window))) apSum += ++rel / (i + 1);
  });
  const used = new Set<Truth>();
  let tp = 0, boxSum = 0;
  hits.forEach((h, i) => {
    const m = h.best_box && truth.find((t) => !used.has(t) && t.image_id === h.image_id && iou(h.best_box!, t.object.bbox) >= 0.5);
    if (m) {
      used.add(m);
      boxSum += ++tp / (i + 1);
    }
  });
  return { 'R@10': (100 * found) / Math.max(1, truth.length), tileAP: rel ? (100 * apSum) / rel : 0, AP50: (100 * boxSum) / Math.max(1, truth.length) };
}

/**
 * Writes `prototypes` / `detections` rows for tests, with only the columns the retraining
 * sources read (those tables belong to the detection module; a test database has none).
 */
export async function writeFeedbackRows(store: Store, prototype: { name: string; description: string; examples: object[]; negatives?: object[] }, detections: { image_id: string; x: number; y: number; width: number; height: number; feedback: 'confirmed' | 'rejected' }[]): Promise<void> {
  const s = (n: string) => new Field(n, new Utf8(), true);
  const p = await store.tableWithSchema('prototypes', new Schema([s('id'), s('name'), new Field('version', new Int32(), true), s('description'), s('examples'), s('negatives'), s('model_version'), s('created_at')]));
  await p.add([{ id: 'p1', name: prototype.name, version: 1, description: prototype.description, examples: JSON.stringify(prototype.examples), negatives: JSON.stringify(prototype.negatives ?? []), model_version: null, created_at: new Date().toISOString() }]);
  const f = (n: string) => new Field(n, new Float64(), true);
  const d = await store.tableWithSchema('detections', new Schema([s('detection_id'), s('image_id'), s('query'), s('prototype'), f('score'), f('x'), f('y'), f('width'), f('height'), s('feedback'), s('model_version'), s('created_at')]));
  await d.add(detections.map((r, i) => ({ detection_id: `d${i}`, query: prototype.name, prototype: prototype.name, score: 0.5, model_version: null, created_at: new Date().toISOString(), ...r })));
}

import path from 'node:path';
import { GeoscoutError } from '../../core/errors.js';
import { assertAllowedPath } from '../../core/paths.js';
import { readInputFile } from '../../core/input-file.js';

/** Largest COCO or figure-pairs file read (a COCO file of 100k boxes is ~30 MB). */
const TRAINING_FILE_MAX_BYTES = 500e6;
import type { Store } from '../index/store.js';
import { isSyntheticImageId } from '../synth/exemplars.js';

/** A pixel box of a catalogued image. */
export interface BoxRef { image_id: string; x: number; y: number; width: number; height: number }

/** One labelled example for the dataset, before it becomes a chip. */
export interface Example {
  /** Where the pixels come from: a window of a catalogued image, or a box (or all) of an image file. */
  from: ({ kind: 'catalog' } & BoxRef) | { kind: 'file'; path: string; box?: [number, number, number, number] };
  captions: string[];
  /** Class for per-class metrics; `negative` rows are evaluation distractors only. */
  class: string;
  role: 'positive' | 'negative';
  source: 'prototype' | 'detection' | 'coco' | 'pairs';
}

/** Class key of a free-text name: "Wind turbine" → wind_turbine. */
export function classKey(name: string): string {
  return name.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '') || 'unnamed';
}

/** Captions for a named class: the prompt form evaluation uses, plus phrasings. */
export function classCaptions(name: string, description?: string | null): string[] {
  const noun = name.replace(/_/g, ' ').trim().toLowerCase();
  const a = /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
  return [`a satellite image of ${a}`, `Overhead view of ${a}.`, `Satellite chip showing ${a}.`, ...(description ? [description] : [])];
}

/**
 * Image boxes of a prototype's stored examples: `add_prototype` stores each as
 * `{ image_id, box: { x, y, width, height }, ... }` (pipeline/prototypes/examples.ts); flat
 * `{ image_id, x, y, width, height }` rows (older stores) are read too. Files and tiles
 * without a box have no image box and are left out.
 */
export function parseBoxes(v: unknown): BoxRef[] {
  let arr: unknown = v;
  if (typeof v === 'string') {
    try {
      arr = JSON.parse(v);
    } catch {
      return [];
    }
  }
  if (!Array.isArray(arr)) return [];
  const out: BoxRef[] = [];
  for (const b of arr as Record<string, unknown>[]) {
    if (!b || typeof b !== 'object' || typeof b.image_id !== 'string') continue;
    const src = (b.box && typeof b.box === 'object' ? b.box : b) as Record<string, unknown>;
    const box = { image_id: b.image_id, x: Number(src.x), y: Number(src.y), width: Number(src.width), height: Number(src.height) };
    if ([box.x, box.y, box.width, box.height].every((n) => Number.isFinite(n)) && box.width > 0 && box.height > 0) out.push(box);
  }
  return out;
}

async function readTable(store: Store, name: string): Promise<Record<string, unknown>[]> {
  if (!(await store.tableNames()).includes(name)) return [];
  // Opened through LanceDB directly: these tables belong to other modules and their
  // schemas may grow; only the columns read below matter here.
  const { connect } = await import('@lancedb/lancedb');
  const db = await connect(store.uri);
  try {
    const t = await db.openTable(name);
    try {
      return (await t.query().toArray()) as Record<string, unknown>[];
    } finally {
      t.close();
    }
  } finally {
    db.close();
  }
}

/**
 * Examples from the `prototypes` table (latest version of each name): its examples as
 * positives, its negatives as distractors. `names` limits which prototypes are used.
 * A missing table gives nothing (prototypes may not exist yet). Synthetic exemplars are left out.
 */
export async function prototypeExamples(store: Store, names?: string[]): Promise<Example[]> {
  const latest = new Map<string, Record<string, unknown>>();
  for (const r of await readTable(store, 'prototypes')) {
    const name = String(r.name ?? '');
    if (!name || (names && !names.some((n) => classKey(n) === classKey(name)))) continue;
    const prev = latest.get(name);
    if (!prev || Number(r.version ?? 0) > Number(prev.version ?? 0)) latest.set(name, r);
  }
  const out: Example[] = [];
  for (const [name, r] of latest) {
    const caps = classCaptions(name, r.description ? String(r.description) : null);
    // Synthetic exemplars (synth/exemplars.ts) are not catalogued, and the shipped encoder
    // was trained on the generator's world already: only the user's own examples teach it.
    for (const b of parseBoxes(r.examples).filter((x) => !isSyntheticImageId(x.image_id))) out.push({ from: { kind: 'catalog', ...b }, captions: caps, class: classKey(name), role: 'positive', source: 'prototype' });
    for (const b of parseBoxes(r.negatives)) out.push({ from: { kind: 'catalog', ...b }, captions: caps, class: 'negative', role: 'negative', source: 'prototype' });
  }
  return out;
}

/** Confirmed detections as positives of their prototype (or query), rejected ones as distractors. */
export async function detectionExamples(store: Store, names?: string[]): Promise<Example[]> {
  const out: Example[] = [];
  for (const r of await readTable(store, 'detections')) {
    const fb = r.feedback;
    if (fb !== 'confirmed' && fb !== 'rejected') continue;
    const name = String(r.prototype ?? r.query ?? '');
    if (!name || (names && !names.some((n) => classKey(n) === classKey(name)))) continue;
    const box = { image_id: String(r.image_id), x: Number(r.x), y: Number(r.y), width: Number(r.width), height: Number(r.height) };
    if (![box.x, box.y, box.width, box.height].every(Number.isFinite)) continue;
    out.push({ from: { kind: 'catalog', ...box }, captions: classCaptions(name), class: fb === 'confirmed' ? classKey(name) : 'negative', role: fb === 'confirmed' ? 'positive' : 'negative', source: 'detection' });
  }
  return out;
}

/** A COCO detection file: one example per box, captioned by its category name. */
export async function cocoExamples(file: string, imageRoot?: string, roots: string[] = []): Promise<Example[]> {
  await assertAllowedPath(file, roots);
  const coco = await readJson(file) as { images?: { id: number; file_name: string }[]; annotations?: { image_id: number; bbox: number[]; category_id: number }[]; categories?: { id: number; name: string }[] };
  if (!Array.isArray(coco.images) || !Array.isArray(coco.annotations) || !Array.isArray(coco.categories)) {
    throw new GeoscoutError('INVALID_INPUT', `${file} is not a COCO detection file: it needs images, annotations and categories arrays.`);
  }
  const root = imageRoot ?? path.dirname(file);
  const images = new Map(coco.images.map((i) => [i.id, path.resolve(root, i.file_name)]));
  const cats = new Map(coco.categories.map((c) => [c.id, c.name]));
  const out: Example[] = [];
  for (const a of coco.annotations) {
    const img = images.get(a.image_id), name = cats.get(a.category_id);
    if (!img || !name || a.bbox?.length !== 4) continue;
    // file_name is data from the file, not a path the caller checked: it obeys the roots too.
    await assertAllowedPath(img, roots);
    out.push({ from: { kind: 'file', path: img, box: a.bbox as [number, number, number, number] }, captions: classCaptions(name), class: classKey(name), role: 'positive', source: 'coco' });
  }
  return out;
}

/**
 * Document figure–caption pairs (JSONL from `geoscout docs pairs`): a row needs an image
 * path (`image`, `image_path`, `figure_path` or `path`, relative to the file) and a
 * caption (`caption` or `text`); `class` is optional. Rows without both are skipped.
 */
export async function pairExamples(file: string, roots: string[] = []): Promise<Example[]> {
  await assertAllowedPath(file, roots);
  const text = (await readInputFile(file, 'figure pairs (create them with `geoscout docs pairs`)', TRAINING_FILE_MAX_BYTES)).toString('utf8');
  const out: Example[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const img = r.image ?? r.image_path ?? r.figure_path ?? r.path;
    const cap = r.caption ?? r.text;
    if (typeof img !== 'string' || typeof cap !== 'string' || !cap.trim()) continue;
    const imgPath = path.resolve(path.dirname(file), img);
    await assertAllowedPath(imgPath, roots);
    out.push({ from: { kind: 'file', path: imgPath }, captions: [cap.trim()], class: typeof r.class === 'string' ? classKey(r.class) : '', role: 'positive', source: 'pairs' });
  }
  return out;
}

async function readJson(file: string): Promise<unknown> {
  const text = (await readInputFile(file, 'training file', TRAINING_FILE_MAX_BYTES)).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new GeoscoutError('INVALID_INPUT', `${file} is not JSON: ${(cause as Error).message}`, { cause });
  }
}

import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { GeoscoutError, throwIfAborted } from '../../core/errors.js';
import { getImage, type ImageRecord } from '../catalog/catalog.js';
import { openCatalogImage } from '../catalog/open-image.js';
import type { Store } from '../index/store.js';
import type { Stretch } from '../raster/stretch.js';
import { buildTrainingSet } from '../synth/dataset.js';
import type { Example } from './sources.js';
import type { PixelWindow } from '../raster/georef.js';

/** Options of {@link buildDatasetManifest}. */
export interface ManifestOptions {
  /** Share of each class's positives held out for evaluation (classes with < 3 examples keep all for training). */
  heldoutFraction?: number;
  /** Synthetic replay scenes mixed into training so the model does not forget what it knew (0 = none). */
  replaySeeds?: number[];
  /** Classes left out of the replay (e.g. the parent's withheld classes). */
  replayExclude?: string[];
  /** Chip side written to disk (the trainer resizes to the model input). */
  chipPx?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** The dataset a fine-tune reads: JSONL in the training package's format. */
export interface DatasetManifest {
  dir: string;
  train: string;
  heldout: string;
  /** sha256 over both manifests and every chip's bytes: the model's data lineage. */
  sha256: string;
  counts: { train: number; heldout: number; replay: number; negatives: number; byClass: Record<string, number>; bySource: Record<string, number> };
  /** Classes the new data teaches (positives outside the replay). */
  targetClasses: string[];
}

const hashOf = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Turns examples into chips and two manifests (`train.jsonl`, `heldout.jsonl`, rows
 * `{image, captions, class, split, source}` as geoscout_train reads them). Windows of
 * catalogued images are read with the image's stored stretch, the same pixels ingest
 * embeds; the box is padded by 40 % for context. The held-out split is chosen by a hash
 * of each example, so the same sources give the same split; negatives are held out
 * (they are distractors for the AP, never captioned for training).
 */
export async function buildDatasetManifest(store: Store, dir: string, examples: Example[], opts: ManifestOptions = {}): Promise<DatasetManifest> {
  const positives = examples.filter((e) => e.role === 'positive');
  if (positives.length === 0) {
    throw new GeoscoutError('INVALID_INPUT', 'No training examples in the chosen sources: add prototype examples, confirm detections, or pass a COCO file or figure pairs.');
  }
  await mkdir(path.join(dir, 'chips'), { recursive: true });
  const frac = opts.heldoutFraction ?? 0.25;
  const key = (e: Example) => hashOf(JSON.stringify([e.source, e.from, e.class]));
  const heldout = new Set<Example>(examples.filter((e) => e.role === 'negative'));
  const byClass = new Map<string, Example[]>();
  for (const e of positives) byClass.set(e.class, [...(byClass.get(e.class) ?? []), e]);
  for (const list of byClass.values()) {
    if (list.length < 3) continue;
    const n = Math.max(1, Math.floor(list.length * frac));
    for (const e of [...list].sort((a, b) => key(a).localeCompare(key(b))).slice(0, n)) heldout.add(e);
  }
  const images = new Map<string, Promise<ImageRecord>>();
  const rows: { train: string[]; heldout: string[] } = { train: [], heldout: [] };
  const hash = createHash('sha256');
  const counts: DatasetManifest['counts'] = { train: 0, heldout: 0, replay: 0, negatives: 0, byClass: {}, bySource: {} };
  const total = examples.length;
  for (const [i, e] of examples.entries()) {
    throwIfAborted(opts.signal);
    const k = key(e);
    const file = `chips/${e.source}-${k.slice(0, 16)}.png`;
    const png = await chipOf(store, images, e, opts.chipPx ?? 160);
    await writeFile(path.join(dir, file), png);
    hash.update(png);
    const split = heldout.has(e) ? 'heldout' : 'train';
    rows[split].push(JSON.stringify({ image: file, captions: e.captions, class: e.class || undefined, split: split === 'heldout' ? 'test' : 'train', source: e.source }));
    counts[split]++;
    if (e.role === 'negative') counts.negatives++;
    else counts.byClass[e.class || 'unlabelled'] = (counts.byClass[e.class || 'unlabelled'] ?? 0) + 1;
    counts.bySource[e.source] = (counts.bySource[e.source] ?? 0) + 1;
    opts.onProgress?.(i + 1, total);
  }
  if (opts.replaySeeds?.length) {
    const replayDir = path.join(dir, 'replay');
    const res = await buildTrainingSet(replayDir, { seeds: opts.replaySeeds, split: 'train', sceneSize: 2048, chipSizes: [96, 192], maxPerType: 2, backgroundChips: 4, excludeClasses: opts.replayExclude ?? [], ...(opts.signal ? { signal: opts.signal } : {}) });
    for (const line of (await readFile(res.manifest, 'utf8')).split('\n').filter(Boolean)) {
      const r = JSON.parse(line) as Record<string, unknown>;
      rows.train.push(JSON.stringify({ ...r, image: path.join('replay', String(r.image)), source: 'replay' }));
      counts.replay++;
    }
    counts.train += counts.replay;
    // A handful of new examples among hundreds of replay chips would barely move the
    // model: repeat them (each repeat gets its own augmentation) up to a quarter of the rows.
    const own = rows.train.length - counts.replay;
    const repeat = own > 0 ? Math.min(8, Math.max(1, Math.round(counts.replay / (3 * own)))) : 1;
    const ownRows = rows.train.slice(0, own);
    for (let r = 1; r < repeat; r++) rows.train.push(...ownRows);
    counts.train += own * (repeat - 1);
  }
  const train = path.join(dir, 'train.jsonl'), held = path.join(dir, 'heldout.jsonl');
  const trainText = rows.train.join('\n') + '\n', heldText = rows.heldout.join('\n') + (rows.heldout.length ? '\n' : '');
  await writeFile(train, trainText);
  await writeFile(held, heldText);
  hash.update(trainText).update(heldText);
  return { dir, train, heldout: held, sha256: hash.digest('hex'), counts, targetClasses: [...byClass.keys()].filter(Boolean).sort() };
}

/** The square window around a box, padded for context and kept inside the image. */
export function paddedWindow(b: PixelWindow, W: number, H: number, pad = 1.4, min = 48) {
  const side = Math.min(Math.max(W, 1), Math.max(H, 1), Math.max(min, Math.round(Math.max(b.width, b.height) * pad)));
  const cx = b.x + b.width / 2, cy = b.y + b.height / 2;
  const x = Math.min(Math.max(0, Math.round(cx - side / 2)), W - side), y = Math.min(Math.max(0, Math.round(cy - side / 2)), H - side);
  return { x: Math.max(0, x), y: Math.max(0, y), width: side, height: side };
}

async function chipOf(store: Store, images: Map<string, Promise<ImageRecord>>, e: Example, px: number): Promise<Buffer> {
  const f = e.from;
  if (f.kind === 'catalog') {
    let rec = images.get(f.image_id);
    if (!rec) images.set(f.image_id, (rec = getImage(store, f.image_id)));
    const img = await rec;
    const raster = await openCatalogImage(img);
    try {
      const rgb = await raster.readRgb(paddedWindow(f, img.width, img.height), { outWidth: px, outHeight: px, stretch: img.stretch as Stretch });
      return sharp(Buffer.from(rgb.data), { raw: { width: rgb.width, height: rgb.height, channels: 3 } }).png().toBuffer();
    } finally {
      await raster.close();
    }
  }
  try {
    let s = sharp(f.path, { limitInputPixels: false });
    if (f.box) {
      const meta = await sharp(f.path, { limitInputPixels: false }).metadata();
      const [x, y, w, h] = f.box;
      const win = paddedWindow({ x, y, width: w, height: h }, meta.width ?? 0, meta.height ?? 0);
      s = s.extract({ left: win.x, top: win.y, width: win.width, height: win.height });
    }
    return await s.resize(px, px, { fit: 'fill' }).removeAlpha().png().toBuffer();
  } catch (cause) {
    throw new GeoscoutError('CORRUPT_DATA', `Cannot cut a chip from ${f.path}${f.box ? ` at ${f.box.join(',')}` : ''}: ${(cause as Error).message}. Check the COCO file_name / pairs image path.`, { cause });
  }
}

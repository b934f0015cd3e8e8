import { createHash } from 'node:crypto';
import { GeoscoutError } from '../../core/errors.js';
import { contextSide, squareAround } from '../detect/detect-window.js';
import { openCatalogImage } from '../catalog/open-image.js';
import type { Store } from '../index/store.js';
import type { ClipEncoder } from '../models/encoder.js';
import type { Stretch } from '../raster/stretch.js';
import type { RgbImage } from '../raster/raster.js';
import { loadRef } from '../search/query-vector.js';
import { detectionRows } from '../detect/detections-table.js';
import type { PixelWindow } from '../raster/georef.js';
import { exampleImage } from '../synth/exemplars.js';

import type { ExampleRef } from './schemas.js';

/** A resolved example as stored with a prototype version: its provenance and embedding. */
export interface StoredExample {
  kind: 'tile' | 'box' | 'detection' | 'file';
  image_id?: string;
  tile_id?: string;
  detection_id?: string;
  /** File path, or `sha256:<hex>` for base64 images (bytes are not stored). */
  source?: string;
  box?: PixelWindow;
  vector: number[];
}

/**
 * Embeds examples with the prototype's encoder. A box is read with context (a square
 * centred on it, sized like detect_in_region's crops) so prototype vectors and detection
 * crop vectors are comparable; a detection reuses the embedding stored with it.
 */
export async function resolveExamples(refs: ExampleRef[], enc: ClipEncoder, store: Store, roots: string[], signal?: AbortSignal): Promise<StoredExample[]> {
  const out: StoredExample[] = [];
  const pending: { ex: Omit<StoredExample, 'vector'>; img: RgbImage }[] = [];
  const detIds = refs.flatMap((r) => ('detection_id' in r ? [r.detection_id] : []));
  const dets = new Map((await detectionRows(store, detIds)).map((d) => [d.detection_id, d]));
  for (const ref of refs) {
    if ('detection_id' in ref) {
      const d = dets.get(ref.detection_id);
      if (!d) throw new GeoscoutError('NOT_FOUND', `No stored detection ${ref.detection_id}: use an id returned by detect_in_region.`);
      if (d.model_version !== enc.modelVersion) throw new GeoscoutError('CONFLICT', `Detection ${d.detection_id} was scored with ${d.model_version}, this prototype uses ${enc.modelVersion}. Re-run detect_in_region with this model.`);
      out.push({ kind: 'detection', detection_id: d.detection_id, image_id: d.image_id, box: { x: d.x, y: d.y, width: d.width, height: d.height }, vector: d.vector });
    } else if ('tile_id' in ref) {
      const tile = parseTileId(ref.tile_id);
      const box = ref.box ?? { x: tile.x, y: tile.y, width: tile.size, height: tile.size };
      if (box.x < tile.x || box.y < tile.y || box.x + box.width > tile.x + tile.size || box.y + box.height > tile.y + tile.size || box.width <= 0 || box.height <= 0) {
        throw new GeoscoutError('OUT_OF_BOUNDS', `Example box ${box.x},${box.y},${box.width}×${box.height} is outside tile ${ref.tile_id} (window ${tile.x},${tile.y}, ${tile.size}×${tile.size} px). Give the box in image pixels inside the tile.`);
      }
      pending.push({ ex: { kind: 'tile', tile_id: ref.tile_id, image_id: tile.imageId, box }, img: await readContext(store, tile.imageId, box, signal) });
    } else if ('image_id' in ref) {
      const box = { x: ref.x, y: ref.y, width: ref.width, height: ref.height };
      pending.push({ ex: { kind: 'box', image_id: ref.image_id, box }, img: await readContext(store, ref.image_id, box, signal) });
    } else {
      const source = 'path' in ref ? ref.path : `sha256:${createHash('sha256').update(ref.base64).digest('hex').slice(0, 16)}`;
      pending.push({ ex: { kind: 'file', source }, img: await loadRef(ref, store, roots) });
    }
  }
  if (pending.length) {
    const { embeds } = await enc.encodeImages(pending.map((p) => p.img), { patches: false, ...(signal ? { signal } : {}) });
    pending.forEach((p, i) => out.push({ ...p.ex, vector: Array.from(embeds.subarray(i * enc.dim, (i + 1) * enc.dim)) }));
  }
  return out;
}

/** Parses `img/model@ver/L{level}/{x}_{y}_{size}` (pipeline/ingest/tile-plan.ts tileIdOf). */
export function parseTileId(id: string): { imageId: string; modelVersion: string; level: number; x: number; y: number; size: number } {
  const m = /^([^/]+)\/([^/]+)\/L(\d+)\/(\d+)_(\d+)_(\d+)$/.exec(id);
  if (!m) throw new GeoscoutError('INVALID_INPUT', `"${id}" is not a tile id (expected image/model@version/L<level>/<x>_<y>_<size>, as search_tiles returns).`);
  return { imageId: m[1]!, modelVersion: m[2]!, level: Number(m[3]), x: Number(m[4]), y: Number(m[5]), size: Number(m[6]) };
}

async function readContext(store: Store, imageId: string, box: PixelWindow, signal?: AbortSignal): Promise<RgbImage> {
  const rec = await exampleImage(store, imageId, signal);
  if (box.width <= 0 || box.height <= 0 || box.x < 0 || box.y < 0 || box.x + box.width > rec.width || box.y + box.height > rec.height) {
    throw new GeoscoutError('OUT_OF_BOUNDS', `Example box ${box.x},${box.y},${box.width}×${box.height} is outside image ${imageId} (${rec.width}×${rec.height} px).`);
  }
  const window = squareAround(box, contextSide(box, rec.gsd_m ?? 0.5), rec.width, rec.height);
  const r = await openCatalogImage(rec, signal);
  try {
    return await r.readRgb(window, { maxSize: 512, stretch: rec.stretch as Stretch, ...(signal ? { signal } : {}) });
  } finally {
    await r.close();
  }
}

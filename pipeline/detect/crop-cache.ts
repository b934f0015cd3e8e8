import { createHash } from 'node:crypto';
import { ByteLru } from '../../core/byte-lru.js';
import type { ClipEncoder } from '../models/encoder.js';
import type { RgbImage } from '../raster/raster.js';

/** Bytes of crop embeddings kept across calls (the oldest are dropped first). */
const MAX_BYTES = 64e6;

const cache = new ByteLru(MAX_BYTES);

/**
 * Encodes object crops, remembering the embeddings of crops seen before (LRU, ≤ 64 MB per
 * process). Like the proposals, a crop's embedding does not depend on the query: an
 * analyst's second search or detection over the same place (another class, a prototype),
 * or fifty MCP clients asking about the same area, encode nothing new. Keyed by the model
 * version and the crop's pixels. Used by the search rerank and by detection.
 */
export async function encodeCropsCached(enc: ClipEncoder, crops: RgbImage[], signal?: AbortSignal): Promise<Float32Array> {
  const D = enc.dim;
  const keys = crops.map((c) => createHash('sha1').update(enc.modelVersion).update(`|${c.width}x${c.height}|`).update(c.data).digest('hex'));
  const out = new Float32Array(crops.length * D);
  const missing: number[] = [];
  keys.forEach((k, i) => {
    const hit = cache.get(k);
    if (!hit) return void missing.push(i);
    out.set(hit, i * D);
  });
  if (missing.length) {
    const { embeds } = await enc.encodeImages(missing.map((i) => crops[i]!), { patches: false, ...(signal ? { signal } : {}) });
    missing.forEach((i, j) => {
      const v = embeds.slice(j * D, (j + 1) * D);
      out.set(v, i * D);
      cache.set(keys[i]!, v);
    });
  }
  return out;
}

/** Forgets every cached crop embedding (for benchmarks comparing two runs over the same pixels). */
export function clearCropCache(): void {
  cache.clear();
}

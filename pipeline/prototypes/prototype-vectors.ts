import { getImage } from '../catalog/catalog.js';
import { syntheticGsd } from '../synth/exemplars.js';
import type { Exemplars } from '../detect/exemplars.js';
import { normalize } from '../detect/vectors.js';
import type { Store } from '../index/store.js';
import type { StoredExample } from './examples.js';

/**
 * A prototype's fused vector: normalise(visual + α·text) with α = 2 / (2 + examples), so the
 * words lead while there are one or two examples and fade as examples accumulate.
 */
export function fuse(visual: Float32Array | null, text: Float32Array | null, n: number): Float32Array {
  if (!visual) return text!;
  if (!text) return visual;
  const a = 2 / (2 + n);
  return normalize(visual.map((v, i) => v + a * text[i]!));
}

/** The examples' unit vectors and box sizes in metres (from their images' GSD), for detection. */
export async function exemplarsOf(store: Store, examples: StoredExample[]): Promise<Exemplars | null> {
  if (!examples.length) return null;
  const gsd = new Map<string, number | null>();
  const longSidesM: (number | null)[] = [];
  for (const ex of examples) {
    if (!ex.box || !ex.image_id) {
      longSidesM.push(null);
      continue;
    }
    if (!gsd.has(ex.image_id)) gsd.set(ex.image_id, syntheticGsd(ex.image_id) ?? (await getImage(store, ex.image_id).catch(() => null))?.gsd_m ?? null);
    const g = gsd.get(ex.image_id)!;
    longSidesM.push(g == null ? null : Math.max(ex.box.width, ex.box.height) * g);
  }
  return { vectors: examples.map((e) => normalize(Float32Array.from(e.vector))), longSidesM };
}

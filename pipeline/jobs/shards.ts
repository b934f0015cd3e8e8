import type { Config } from '../../core/config.js';
import { listImages } from '../catalog/catalog.js';
import { Store } from '../index/store.js';

/**
 * Deals an ingest job's images round-robin into `n` shards (array tasks). Sorted ids
 * make the split deterministic, so a re-submitted array covers the same images per task.
 */
export async function imagesForShards(config: Config, params: Record<string, unknown>, n: number): Promise<string[][]> {
  let ids = params.image_ids as string[] | undefined;
  if (!ids) {
    const store = await Store.open(config.dbUri);
    try {
      ids = (await listImages(store)).filter((r) => r.status !== 'stale').map((r) => r.image_id);
    } finally {
      await store.close();
    }
  }
  const sorted = [...ids].sort();
  return Array.from({ length: n }, (_, i) => sorted.filter((_, k) => k % n === i));
}

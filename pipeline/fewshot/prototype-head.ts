import { getImage } from '../catalog/catalog.js';
import { openCatalogImage } from '../catalog/open-image.js';
import type { Store } from '../index/store.js';
import type { Stretch } from '../raster/stretch.js';
import { fitWindowHead, MIN_HEAD_EXAMPLES, type HeadImage, type LocatedExample } from './fit-head.js';
import type { WindowHead } from './window-head.js';
import type { PixelWindow } from '../raster/georef.js';

/** Anything with an optional image id and box (a prototype's stored example). */
interface MaybeLocated {
  image_id?: string;
  box?: PixelWindow;
}

/** The examples that name an image box (tiles without a box, files and data URLs do not). */
export function located(examples: MaybeLocated[]): LocatedExample[] {
  return examples.flatMap((e) => (e.image_id && e.box && e.box.width > 0 && e.box.height > 0 ? [{ image_id: e.image_id, box: e.box }] : []));
}

/**
 * Fits a prototype's window head from its stored examples and negatives when at least
 * {@link MIN_HEAD_EXAMPLES} examples have image boxes; null otherwise. Rejected detections
 * (negatives with a box) are fitted as negatives in every orientation.
 */
export async function fitPrototypeHead(positives: MaybeLocated[], negatives: MaybeLocated[], images: Map<string, HeadImage>, signal?: AbortSignal): Promise<WindowHead | null> {
  const pos = located(positives), neg = located(negatives);
  if (pos.length < MIN_HEAD_EXAMPLES) return null;
  return fitWindowHead(pos, images, { ...(signal ? { signal } : {}), rejected: neg });
}

/** Runs `fn` with every image the examples name opened (stretch and GSD from the catalog), closing them after. */
export async function withExampleImages<T>(store: Store, examples: MaybeLocated[], signal: AbortSignal | undefined, fn: (images: Map<string, HeadImage>) => Promise<T>): Promise<T> {
  const images = new Map<string, HeadImage>();
  try {
    for (const id of new Set(located(examples).map((e) => e.image_id))) images.set(id, await openHeadImage(store, id, signal));
    return await fn(images);
  } finally {
    for (const img of images.values()) await img.raster.close();
  }
}

/** A catalogued image opened for the window head (its stored stretch and GSD). */
export async function openHeadImage(store: Store, imageId: string, signal?: AbortSignal): Promise<HeadImage> {
  const rec = await getImage(store, imageId);
  return { raster: await openCatalogImage(rec, signal), gsdM: rec.gsd_m, stretch: rec.stretch as Stretch };
}

import { listImages } from '../catalog/catalog.js';
import { exampleImage, type ExampleImageRecord } from '../synth/exemplars.js';
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
 * (negatives with a box) are fitted as negatives in every orientation. `bootstrap` (examples
 * rendered by the generator): also background windows of these images, and a linear head.
 */
export async function fitPrototypeHead(positives: MaybeLocated[], negatives: MaybeLocated[], images: Map<string, HeadImage>, signal?: AbortSignal, bootstrap?: { background: HeadImage[] }): Promise<WindowHead | null> {
  const pos = located(positives), neg = located(negatives);
  if (pos.length < MIN_HEAD_EXAMPLES) return null;
  return fitWindowHead(pos, images, { ...(signal ? { signal } : {}), rejected: neg, ...(bootstrap ? { background: bootstrap.background, linear: true } : {}) });
}

/** Catalogued images a head bootstrapped from synthetic exemplars draws background from, at most. */
const BACKGROUND_IMAGES = 4;

/**
 * Runs `fn` with up to {@link BACKGROUND_IMAGES} catalogued images open, spread over the
 * catalogue by id (the same ones for the same catalogue), closing them after. A head fitted on
 * synthetic exemplars learns what the user's imagery looks like where nobody boxed anything.
 */
export async function withCatalogueBackground<T>(store: Store, signal: AbortSignal | undefined, fn: (images: HeadImage[]) => Promise<T>): Promise<T> {
  const recs = (await listImages(store)).filter((r) => r.gsd_m != null).sort((a, b) => a.image_id.localeCompare(b.image_id));
  const step = Math.max(1, recs.length / BACKGROUND_IMAGES);
  const picked = Array.from({ length: Math.min(BACKGROUND_IMAGES, recs.length) }, (_, k) => recs[Math.floor(k * step)]!);
  const images: HeadImage[] = [];
  try {
    for (const rec of picked) images.push(await openRecord(rec, signal));
    return await fn(images);
  } finally {
    for (const img of images) await img.raster.close();
  }
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

/** An example's image opened for the window head (its stored stretch and GSD): catalogued, or a synthetic exemplar scene. */
export async function openHeadImage(store: Store, imageId: string, signal?: AbortSignal): Promise<HeadImage> {
  return openRecord(await exampleImage(store, imageId, signal), signal);
}

/** An image record opened for the window head, with its stored stretch and GSD. */
async function openRecord(rec: ExampleImageRecord, signal?: AbortSignal): Promise<HeadImage> {
  return { raster: await openCatalogImage(rec, signal), gsdM: rec.gsd_m, stretch: rec.stretch as Stretch };
}

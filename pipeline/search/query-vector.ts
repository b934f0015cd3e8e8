import sharp from 'sharp';
import { z } from 'zod';
import { PixelWindowInputSchema } from '../raster/georef.js';
import { GeoscoutError } from '../../core/errors.js';
import { assertAllowedPath } from '../../core/paths.js';
import { getImage } from '../catalog/catalog.js';
import type { Store } from '../index/store.js';
import type { ClipEncoder } from '../models/encoder.js';
import { l2NormalizeRows } from '../models/preprocess.js';
import type { RgbImage } from '../raster/raster.js';
import { openCatalogImage } from '../catalog/open-image.js';
import { INPUT_MAX_BYTES, INPUT_MAX_PIXELS, readInputFile } from '../../core/input-file.js';
import type { Stretch } from '../raster/stretch.js';

/** An example image: a file, base64 bytes, or a window of a catalogued image. */
export const ImageRefSchema = z.union([
  z.object({ path: z.string().min(1).describe('image file (PNG/JPEG/WebP/TIFF) on the server') }).strict(),
  z.object({ base64: z.string().min(16).describe('image bytes, base64 or a data: URL') }).strict(),
  z
    .object({ image_id: z.string().describe('a catalogued image'), ...PixelWindowInputSchema.shape })
    .strict()
    .describe('a pixel window of a catalogued image, e.g. a hit\'s best_box'),
]);
/** An example image: a file, bytes, or a pixel window of a catalogued image. */
export type ImageRef = z.infer<typeof ImageRefSchema>;

/** What to look for: text and/or examples, with negatives and a text modifier. */
export interface QuerySpec {
  text?: string;
  images?: ImageRef[];
  negatives?: ImageRef[];
  negativeTexts?: string[];
  /** Unit vectors already in the model's space (a prototype's fused vector). */
  vectors?: Float32Array[];
  /** Weight of negatives subtracted from the positive direction (default 0.5). */
  negativeWeight?: number;
}

/**
 * Turns a query into one unit vector in the model's space: the mean of positive
 * directions (text, example images) minus `negativeWeight` × the mean of negatives, so
 * "like this chip but on land" = image + text modifier, and "not this" pushes away.
 */
export async function queryVector(q: QuerySpec, enc: ClipEncoder, store: Store, allowedRoots: string[], signal?: AbortSignal): Promise<Float32Array> {
  const D = enc.dim;
  if (q.text !== undefined && q.text.trim() === '') throw new GeoscoutError('INVALID_INPUT', 'The text query is empty: describe what to look for, e.g. "a ship under way".');
  const pos: Float32Array[] = [];
  const neg: Float32Array[] = [];
  if (q.vectors?.length) pos.push(...q.vectors);
  if (q.text) pos.push(await enc.encodeTexts([q.text], signal ? { signal } : {}));
  if (q.images?.length) pos.push(...split(await embedRefs(q.images, enc, store, allowedRoots, signal), D));
  if (q.negativeTexts?.length) neg.push(...split(await enc.encodeTexts(q.negativeTexts), D));
  if (q.negatives?.length) neg.push(...split(await embedRefs(q.negatives, enc, store, allowedRoots, signal), D));
  if (pos.length === 0) throw new GeoscoutError('INVALID_INPUT', 'Give a text, an example image or a prototype to search for.');
  const v = new Float32Array(D);
  for (const p of pos) for (let i = 0; i < D; i++) v[i]! += p[i]! / pos.length;
  const w = (q.negativeWeight ?? 0.5) / Math.max(1, neg.length);
  for (const n of neg) for (let i = 0; i < D; i++) v[i]! -= w * n[i]!;
  return l2NormalizeRows(v, D);
}

function split(v: Float32Array, d: number): Float32Array[] {
  return Array.from({ length: v.length / d }, (_, i) => v.subarray(i * d, (i + 1) * d));
}

async function embedRefs(refs: ImageRef[], enc: ClipEncoder, store: Store, roots: string[], signal?: AbortSignal): Promise<Float32Array> {
  const imgs = await Promise.all(refs.map((r) => loadRef(r, store, roots)));
  return (await enc.encodeImages(imgs, { patches: false, ...(signal ? { signal } : {}) })).embeds;
}

/** Loads an example as RGB. Windows of catalogued images use the image's own stretch. */
export async function loadRef(ref: ImageRef, store: Store, roots: string[]): Promise<RgbImage> {
  if ('image_id' in ref) {
    const rec = await getImage(store, ref.image_id);
    const r = await openCatalogImage(rec);
    try {
      return await r.readRgb({ x: ref.x, y: ref.y, width: ref.width, height: ref.height }, { maxSize: 1024, stretch: rec.stretch as Stretch });
    } finally {
      await r.close();
    }
  }
  let bytes: Buffer;
  let label: string;
  if ('path' in ref) {
    await assertAllowedPath(ref.path, roots);
    label = ref.path;
    bytes = await readInputFile(ref.path, 'example image', INPUT_MAX_BYTES.image);
  } else {
    label = 'the base64 image';
    bytes = Buffer.from(ref.base64.replace(/^data:[^,]*,/, ''), 'base64');
  }
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: INPUT_MAX_PIXELS }).removeAlpha().toColourspace('srgb').resize(1024, 1024, { fit: 'inside', withoutEnlargement: true }).raw().toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  } catch (cause) {
    throw new GeoscoutError('CORRUPT_DATA', `Cannot decode ${label} as an image (PNG, JPEG, WebP or TIFF): ${(cause as Error).message}`, { cause });
  }
}

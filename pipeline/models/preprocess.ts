import sharp from 'sharp';
import type { RgbImage } from '../raster/raster.js';
import type { ModelManifest } from './manifest.js';

/**
 * Resizes an 8-bit RGB image to the model's square input and normalises it into
 * `out` (CHW float32) at `offset`: (v/255 − mean) / std, as the model was trained.
 * `crop: center` resizes the short side and centre-crops (CLIP); `none` squashes the
 * whole image into the square, which suits square tiles and keeps their edges.
 */
export async function preprocessInto(img: RgbImage, image: ModelManifest['image'], out: Float32Array, offset: number): Promise<void> {
  const S = image.input_size;
  let px: Uint8Array = img.data;
  if (img.width !== S || img.height !== S) {
    const buf = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
      .resize(S, S, { fit: image.crop === 'center' ? 'cover' : 'fill', position: 'centre', kernel: 'cubic' })
      .raw()
      .toBuffer();
    px = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  }
  const plane = S * S;
  for (let c = 0; c < 3; c++) {
    const m = image.mean[c]!;
    const inv = 1 / image.std[c]!;
    const base = offset + c * plane;
    for (let i = 0; i < plane; i++) out[base + i] = (px[i * 3 + c]! / 255 - m) * inv;
  }
}

/** L2-normalises `dim`-long rows of `v` in place; zero rows stay zero. */
export function l2NormalizeRows(v: Float32Array, dim: number): Float32Array {
  for (let o = 0; o < v.length; o += dim) {
    let s = 0;
    for (let i = 0; i < dim; i++) s += v[o + i]! * v[o + i]!;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let i = 0; i < dim; i++) v[o + i]! *= inv;
  }
  return v;
}

import sharp from 'sharp';
import type { RgbImage } from './raster.js';

/**
 * Resamples an 8-bit RGB image to `width`×`height` with libvips' linear kernel. When
 * shrinking, libvips widens the kernel by the shrink factor, so this averages the area
 * (no aliasing). The objectness training patches and its runtime both go through here,
 * so the model sees the same resampling it was trained on.
 */
export async function resizeRgb(rgb: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (width === rgb.width && height === rgb.height) return rgb;
  const buf = await sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } })
    .resize(width, height, { kernel: 'linear', fit: 'fill' })
    .raw()
    .toBuffer();
  return { data: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), width, height };
}

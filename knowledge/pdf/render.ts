import { createCanvas } from '@napi-rs/canvas';
import type { PDFPageProxy } from 'pdfjs-dist/types/src/display/api.js';
import sharp from 'sharp';
import type { Box, PlacedImage } from './page-content.js';

/**
 * Renders a region of a page (top-left points) to PNG at `dpi` through pdfjs and
 * @napi-rs/canvas: how a vector-only figure becomes pixels for OCR, embedding and the
 * thumbnail.
 */
export async function renderRegion(page: PDFPageProxy, box: Box, dpi = 150): Promise<Buffer> {
  const scale = dpi / 72;
  const vp = page.getViewport({ scale });
  const canvas = createCanvas(Math.ceil(vp.width), Math.ceil(vp.height));
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  await page.render({ canvas: canvas as unknown as HTMLCanvasElement, canvasContext: ctx as unknown as CanvasRenderingContext2D, viewport: vp }).promise;
  const png = canvas.toBuffer('image/png');
  const left = Math.max(0, Math.floor(box[0] * scale)), top = Math.max(0, Math.floor(box[1] * scale));
  const width = Math.min(canvas.width - left, Math.ceil((box[2] - box[0]) * scale));
  const height = Math.min(canvas.height - top, Math.ceil((box[3] - box[1]) * scale));
  return sharp(png).extract({ left, top, width: Math.max(1, width), height: Math.max(1, height) }).png().toBuffer();
}

/** An embedded image as PNG bytes (gray, RGB or RGBA as decoded by pdfjs). */
export async function imagePng(img: PlacedImage): Promise<Buffer> {
  return sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.width * img.height * img.channels), { raw: { width: img.width, height: img.height, channels: img.channels } })
    .png()
    .toBuffer();
}

/** RGB pixels of PNG bytes, for the tile encoder. */
export async function pngToRgb(png: Buffer): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(png).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** A thumbnail (≤ `max` px on the long side) as PNG. */
export function thumbnail(png: Buffer, max = 320): Promise<Buffer> {
  return sharp(png).resize(max, max, { fit: 'inside', withoutEnlargement: true }).png().toBuffer();
}

import type { PixelWindow } from '../raster/georef.js';
import { resizeRgb } from '../raster/resize-rgb.js';
import type { Raster, RgbImage } from '../raster/raster.js';
import type { Stretch } from '../raster/stretch.js';

/** An RGB image in the head's canonical frame and where it sits in the source image. */
export interface Canonical {
  rgb: RgbImage;
  /** Image pixel of the canonical image's top-left corner. */
  origin: { x: number; y: number };
  /** Canonical pixels per image pixel (per axis, after rounding). */
  sx: number;
  sy: number;
}

/** Options shared by the raster reads of the few-shot head. */
export interface ReadOptions {
  stretch?: Stretch;
  signal?: AbortSignal;
}

/**
 * Reads a window of the raster and resamples it by `s` canonical pixels per image pixel
 * (libvips' area-averaging kernel when shrinking, so no aliasing).
 */
export async function readCanonical(raster: Raster, win: PixelWindow, s: number, opts: ReadOptions): Promise<Canonical> {
  const rgb = await raster.readRgb(win, { ...(opts.stretch ? { stretch: opts.stretch } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
  const w = Math.max(1, Math.round(win.width * s)), h = Math.max(1, Math.round(win.height * s));
  return { rgb: await resizeRgb(rgb, w, h), origin: { x: win.x, y: win.y }, sx: w / win.width, sy: h / win.height };
}

/** A square image window of `side` pixels centred on (cx, cy), clamped to the image. */
export function windowAround(cx: number, cy: number, side: number, width: number, height: number): PixelWindow {
  const x0 = Math.max(0, Math.floor(cx - side / 2)), y0 = Math.max(0, Math.floor(cy - side / 2));
  const x1 = Math.min(width, Math.ceil(cx + side / 2)), y1 = Math.min(height, Math.ceil(cy + side / 2));
  return { x: x0, y: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0) };
}

/**
 * A `side`² patch sampled from `src` around the point (cx, cy) of src's pixels, rotated by
 * `angle` radians, scaled by `scale` (> 1 magnifies) and optionally mirrored; bilinear,
 * edges replicated. Augments a few-shot example into the orientations and sizes a scene holds.
 */
export function samplePatch(src: RgbImage, cx: number, cy: number, side: number, angle = 0, scale = 1, flip = false): RgbImage {
  const out = new Uint8Array(side * side * 3);
  const cos = Math.cos(angle) / scale, sin = Math.sin(angle) / scale;
  const { width: W, height: H, data } = src;
  for (let v = 0; v < side; v++) {
    for (let u = 0; u < side; u++) {
      let du = u - side / 2 + 0.5;
      const dv = v - side / 2 + 0.5;
      if (flip) du = -du;
      const x = Math.min(W - 1, Math.max(0, cx + cos * du - sin * dv - 0.5));
      const y = Math.min(H - 1, Math.max(0, cy + sin * du + cos * dv - 0.5));
      const x0 = Math.floor(x), y0 = Math.floor(y), x1 = Math.min(W - 1, x0 + 1), y1 = Math.min(H - 1, y0 + 1);
      const fx = x - x0, fy = y - y0;
      for (let c = 0; c < 3; c++) {
        const a = data[(y0 * W + x0) * 3 + c]!, b = data[(y0 * W + x1) * 3 + c]!;
        const d = data[(y1 * W + x0) * 3 + c]!, e = data[(y1 * W + x1) * 3 + c]!;
        out[(v * side + u) * 3 + c] = Math.round((a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy);
      }
    }
  }
  return { data: out, width: side, height: side };
}

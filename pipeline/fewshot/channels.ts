import type { RgbImage } from '../raster/raster.js';

/**
 * Aggregated channel features (Dollár et al., "Fast Feature Pyramids for Object Detection",
 * 2014) for the few-shot window head: per pixel, local luminance contrast, two colour
 * opponents, gradient magnitude and six unsigned orientation channels (magnitude-weighted),
 * the gradients normalised by the local mean gradient so a head fitted on one scene holds on
 * another with other light and contrast; then summed over CELL×CELL cells.
 *
 * Why hand-written: no maintained JS package computes channel features, and the model the
 * project ships (an encoder trained on synthetic chips) does not localise small real objects
 * (bench:real). These features are pixel statistics that hold on any imagery, so a head fitted
 * on a user's few examples learns their look directly.
 */
export const CELL = 4;
/** Channels per cell. */
export const CHANNELS = 10;
const ORIENTATIONS = 6;

/** Cell maps: `data[c * ch * cw + y * cw + x]`. */
export interface CellMaps {
  cw: number;
  ch: number;
  data: Float32Array;
}

/**
 * Channel cell maps of an RGB image. `radius`: half-side in pixels of the neighbourhood that
 * normalises contrast and gradients (about the head's window).
 */
export function cellMaps(img: RgbImage, radius: number): CellMaps {
  const { width: W, height: H, data } = img;
  const n = W * H;
  const lum = new Float32Array(n), rg = new Float32Array(n), by = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = data[i * 3]!, g = data[i * 3 + 1]!, b = data[i * 3 + 2]!;
    lum[i] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
    rg[i] = (r - g) / 255;
    by[i] = (b - (r + g) / 2) / 255;
  }
  const meanLum = boxMean(lum, W, H, radius);
  const mag = new Float32Array(n), ori = new Float32Array(n);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      const gx = lum[y * W + Math.min(W - 1, x + 1)]! - lum[y * W + Math.max(0, x - 1)]!;
      const gy = lum[Math.min(H - 1, y + 1) * W + x]! - lum[Math.max(0, y - 1) * W + x]!;
      mag[i] = Math.sqrt(gx * gx + gy * gy);
      let a = Math.atan2(gy, gx);
      if (a < 0) a += Math.PI;
      ori[i] = a;
    }
  }
  const meanMag = boxMean(mag, W, H, radius);
  const cw = Math.ceil(W / CELL), ch = Math.ceil(H / CELL);
  const plane = cw * ch;
  const out = new Float32Array(CHANNELS * plane);
  const inv = 1 / (CELL * CELL);
  for (let y = 0; y < H; y++) {
    const cy = Math.floor(y / CELL);
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      const c = cy * cw + Math.floor(x / CELL);
      const m = mag[i]! / (meanMag[i]! + 0.01);
      out[c]! += (lum[i]! - meanLum[i]!) * 4 * inv;
      out[plane + c]! += rg[i]! * 4 * inv;
      out[2 * plane + c]! += by[i]! * 4 * inv;
      out[3 * plane + c]! += m * inv;
      // Soft binning between the two nearest of ORIENTATIONS unsigned directions.
      const t = (ori[i]! / Math.PI) * ORIENTATIONS;
      const b0 = Math.floor(t) % ORIENTATIONS, f = t - Math.floor(t);
      out[(4 + b0) * plane + c]! += m * (1 - f) * inv;
      out[(4 + ((b0 + 1) % ORIENTATIONS)) * plane + c]! += m * f * inv;
    }
  }
  return { cw, ch, data: out };
}

/** Mean over a (2r+1)² box (clamped at the borders), by an integral image. */
function boxMean(v: Float32Array, W: number, H: number, r: number): Float32Array {
  const S = new Float64Array((W + 1) * (H + 1));
  for (let y = 0; y < H; y++) {
    let row = 0;
    for (let x = 0; x < W; x++) {
      row += v[y * W + x]!;
      S[(y + 1) * (W + 1) + x + 1] = S[y * (W + 1) + x + 1]! + row;
    }
  }
  const out = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    const y0 = Math.max(0, y - r), y1 = Math.min(H, y + r + 1);
    for (let x = 0; x < W; x++) {
      const x0 = Math.max(0, x - r), x1 = Math.min(W, x + r + 1);
      const s = S[y1 * (W + 1) + x1]! - S[y0 * (W + 1) + x1]! - S[y1 * (W + 1) + x0]! + S[y0 * (W + 1) + x0]!;
      out[y * W + x] = s / ((y1 - y0) * (x1 - x0));
    }
  }
  return out;
}

/** The feature vector of the window of `side`×`side` cells whose top-left cell is (cx, cy). */
export function windowFeatures(m: CellMaps, cx: number, cy: number, side: number): Float32Array {
  const out = new Float32Array(CHANNELS * side * side);
  const plane = m.cw * m.ch;
  let k = 0;
  for (let c = 0; c < CHANNELS; c++) {
    for (let dy = 0; dy < side; dy++) {
      const row = c * plane + (cy + dy) * m.cw + cx;
      for (let dx = 0; dx < side; dx++) out[k++] = m.data[row + dx]!;
    }
  }
  return out;
}

/**
 * w·features + b at every window position (top-left cell), as a (cw−side+1)×(ch−side+1) map:
 * the linear head applied densely, one cell stride.
 */
export function scoreMap(m: CellMaps, w: Float32Array, b: number, side: number): { width: number; height: number; data: Float32Array } {
  const width = m.cw - side + 1, height = m.ch - side + 1;
  if (width <= 0 || height <= 0) return { width: 0, height: 0, data: new Float32Array(0) };
  const out = new Float32Array(width * height).fill(b);
  const plane = m.cw * m.ch;
  for (let c = 0; c < CHANNELS; c++) {
    for (let dy = 0; dy < side; dy++) {
      for (let dx = 0; dx < side; dx++) {
        const wk = w[c * side * side + dy * side + dx]!;
        if (wk === 0) continue;
        for (let y = 0; y < height; y++) {
          const src = c * plane + (y + dy) * m.cw + dx, dst = y * width;
          for (let x = 0; x < width; x++) out[dst + x]! += wk * m.data[src + x]!;
        }
      }
    }
  }
  return { width, height, data: out };
}

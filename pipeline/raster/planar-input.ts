import type { RgbImage } from './raster.js';

/** A pixel rectangle of an image (sharp's extract region). */
export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * A model input from a region of an 8-bit RGB image: planar (NCHW) floats 0–255 of
 * `pw`×`ph`, holding the region resampled to `w`×`h` with its last column and row repeated
 * into the rest (a flat colour there would look like an object's edge).
 *
 * At 1:1 the region is copied. Enlarged (w ≥ region.width, h ≥ region.height), it is
 * interpolated bilinearly with libvips' convention (output pixel X samples input
 * X·width/w − 0.5, edges clamped), rounded to whole levels: the levels sharp's 'linear'
 * enlargement gives — the same at 2×, at most 1 apart elsewhere — which the objectness
 * model was trained on. Done here rather than in sharp because a sharp pipeline per model
 * tile, plus the copy into planes after it, cost more than the model on the same cores.
 * Shrinking averages an area, which this does not do: resample with sharp first.
 */
export function planarInput(rgb: RgbImage, region: Region, w: number, h: number, pw: number, ph: number): Float32Array {
  if (w < region.width || h < region.height) throw new RangeError(`planarInput enlarges or copies; ${region.width}×${region.height} → ${w}×${h} shrinks.`);
  if (w === region.width && h === region.height) return repeatLastRow(copyPlanar(rgb, region, pw, ph), pw, ph, h);
  const n = pw * ph;
  const out = new Float32Array(3 * n);
  const planes = [out.subarray(0, n), out.subarray(n, 2 * n), out.subarray(2 * n)] as const;
  const cols = columnTaps(region, w);
  const rows = [rowBuffer(w), rowBuffer(w)] as [RowBuffer, RowBuffer];
  const sy = region.height / h;
  for (let y = 0; y < h; y++) {
    const [j0, j1, fy] = taps(y, sy, region.height);
    const a = holdRow(rows, j0, null, rgb, region, cols), b = holdRow(rows, j1, a, rgb, region, cols);
    const o = y * pw;
    for (let c = 0; c < 3; c++) {
      const p = planes[c]!, ra = a.planes[c]!, rb = b.planes[c]!;
      // levels are ≥ 0, so truncating v + 0.5 rounds half up like Math.floor, faster
      for (let x = 0; x < w; x++) p[o + x] = (ra[x]! + (rb[x]! - ra[x]!) * fy + 0.5) | 0;
      p.fill(p[o + w - 1]!, o + w, o + pw);
    }
  }
  return repeatLastRow(out, pw, ph, h);
}

/** The region at 1:1 into the first rows of pw×ph planes, its last column repeated to pw. */
function copyPlanar(rgb: RgbImage, region: Region, pw: number, ph: number): Float32Array {
  const { width: w, height: h } = region;
  const n = pw * ph;
  const out = new Float32Array(3 * n);
  const d = rgb.data;
  for (let y = 0; y < h; y++) {
    let i = ((region.top + y) * rgb.width + region.left) * 3;
    const o = y * pw, end = o + w;
    // One pass over the row's pixels, no clamping inside (the padding is filled after).
    for (let k = o; k < end; k++, i += 3) {
      out[k] = d[i]!;
      out[n + k] = d[i + 1]!;
      out[2 * n + k] = d[i + 2]!;
    }
    for (let c = 0; c < 3; c++) out.fill(out[c * n + end - 1]!, c * n + end, c * n + o + pw);
  }
  return out;
}

/** Fills rows h…ph−1 of each pw×ph plane with row h−1 (computed once, not again per padding row). */
function repeatLastRow(out: Float32Array, pw: number, ph: number, h: number): Float32Array {
  const n = pw * ph;
  for (let c = 0; c < 3; c++) {
    const last = out.subarray(c * n + (h - 1) * pw, c * n + h * pw);
    for (let y = h; y < ph; y++) out.set(last, c * n + y * pw);
  }
  return out;
}

/** Input taps of output coordinate `v` at `s` input pixels per output pixel: [i0, i1, weight of i1]. */
function taps(v: number, s: number, size: number): [number, number, number] {
  if (s === 1) return [v, v, 0]; // an axis kept at its size is copied
  const u = v * s - 0.5;
  const i = Math.floor(u);
  return [Math.min(Math.max(i, 0), size - 1), Math.min(Math.max(i + 1, 0), size - 1), u - i];
}

interface ColumnTaps {
  /** byte offsets of the left and right input pixels within a row of rgb */
  left: Int32Array;
  right: Int32Array;
  weight: Float32Array;
}

function columnTaps(region: Region, w: number): ColumnTaps {
  const left = new Int32Array(w), right = new Int32Array(w), weight = new Float32Array(w);
  const sx = region.width / w;
  for (let x = 0; x < w; x++) {
    const [i0, i1, f] = taps(x, sx, region.width);
    left[x] = (region.left + i0) * 3;
    right[x] = (region.left + i1) * 3;
    weight[x] = f;
  }
  return { left, right, weight };
}

interface RowBuffer {
  /** the input row held (region-relative), -1 for none */
  row: number;
  planes: [Float32Array, Float32Array, Float32Array];
}

function rowBuffer(w: number): RowBuffer {
  return { row: -1, planes: [new Float32Array(w), new Float32Array(w), new Float32Array(w)] };
}

/**
 * Input row `j` interpolated across, held in one of the two buffers (not `keep`): each input
 * row is interpolated once although it serves about two output rows when enlarging 2×.
 */
function holdRow(rows: [RowBuffer, RowBuffer], j: number, keep: RowBuffer | null, rgb: RgbImage, region: Region, cols: ColumnTaps): RowBuffer {
  const held = rows.find((r) => r.row === j);
  if (held) return held;
  const buf = rows[0] === keep ? rows[1] : rows[0];
  const base = (region.top + j) * rgb.width * 3;
  const [r, g, b] = buf.planes;
  const { left, right, weight } = cols;
  const d = rgb.data;
  for (let x = 0; x < r.length; x++) {
    const p = base + left[x]!, q = base + right[x]!, f = weight[x]!;
    r[x] = d[p]! + (d[q]! - d[p]!) * f;
    g[x] = d[p + 1]! + (d[q + 1]! - d[p + 1]!) * f;
    b[x] = d[p + 2]! + (d[q + 2]! - d[p + 2]!) * f;
  }
  buf.row = j;
  return buf;
}

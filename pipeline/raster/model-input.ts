import type { RgbImage } from './raster.js';

/** A pixel rectangle of an image (sharp's extract region). */
export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * A model input from a region of an 8-bit RGB image: interleaved 8-bit RGB of `pw`×`ph`
 * (the layout models take through pipeline/models/onnx-input.ts), holding the region
 * resampled to `w`×`h` with its last column and row repeated into the rest (a flat colour
 * there would look like an object's edge).
 *
 * At 1:1 the region's rows are copied. Enlarged (w ≥ region.width, h ≥ region.height), it is
 * interpolated bilinearly with libvips' convention (output pixel X samples input
 * X·width/w − 0.5, edges clamped), rounded to whole levels: the levels sharp's 'linear'
 * enlargement gives — the same at 2×, at most 1 apart elsewhere — which the objectness
 * model was trained on. Done here rather than in sharp because a sharp pipeline per model
 * tile cost more than the model on the same cores. Shrinking averages an area, which this
 * does not do: resample with sharp first.
 */
export function modelInput(rgb: RgbImage, region: Region, w: number, h: number, pw: number, ph: number): Uint8Array {
  if (w < region.width || h < region.height) throw new RangeError(`modelInput enlarges or copies; ${region.width}×${region.height} → ${w}×${h} shrinks.`);
  const out = new Uint8Array(pw * ph * 3);
  if (w === region.width && h === region.height) copyRows(rgb, region, out, pw);
  else enlargeRows(rgb, region, w, h, out, pw);
  return repeatLastRow(out, pw, ph, h);
}

/** The region at 1:1 into the first rows of `out` (pw pixels per row), its last column repeated to pw. */
function copyRows(rgb: RgbImage, region: Region, out: Uint8Array, pw: number): void {
  const { width: w, height: h } = region;
  for (let y = 0; y < h; y++) {
    const i = ((region.top + y) * rgb.width + region.left) * 3;
    out.set(rgb.data.subarray(i, i + w * 3), y * pw * 3);
    padRow(out, y * pw * 3, w, pw);
  }
}

/** Bilinear enlargement of the region to w×h into the first rows of `out` (pw pixels per row). */
function enlargeRows(rgb: RgbImage, region: Region, w: number, h: number, out: Uint8Array, pw: number): void {
  const cols = columnTaps(region, w);
  const rows = [rowBuffer(w), rowBuffer(w)] as [RowBuffer, RowBuffer];
  const sy = region.height / h;
  for (let y = 0; y < h; y++) {
    const [j0, j1, fy] = taps(y, sy, region.height);
    const ra = holdRow(rows, j0, null, rgb, region, cols), rb = holdRow(rows, j1, ra, rgb, region, cols);
    const a = ra.values, b = rb.values;
    const o = y * pw * 3;
    // levels are ≥ 0, so truncating v + 0.5 rounds half up like Math.floor, faster
    for (let k = 0; k < a.length; k++) out[o + k] = (a[k]! + (b[k]! - a[k]!) * fy + 0.5) | 0;
    padRow(out, o, w, pw);
  }
}

/** Repeats the pixel at column w−1 of the row starting at byte `o` into columns w…pw−1. */
function padRow(out: Uint8Array, o: number, w: number, pw: number): void {
  const last = o + (w - 1) * 3;
  for (let k = o + w * 3, end = o + pw * 3; k < end; k += 3) {
    out[k] = out[last]!;
    out[k + 1] = out[last + 1]!;
    out[k + 2] = out[last + 2]!;
  }
}

/** Fills rows h…ph−1 with row h−1. */
function repeatLastRow(out: Uint8Array, pw: number, ph: number, h: number): Uint8Array {
  const row = pw * 3;
  for (let y = h; y < ph; y++) out.copyWithin(y * row, (h - 1) * row, h * row);
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
  /** the row interpolated across, interleaved RGB, unrounded */
  values: Float32Array;
}

function rowBuffer(w: number): RowBuffer {
  return { row: -1, values: new Float32Array(w * 3) };
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
  const { left, right, weight } = cols;
  const d = rgb.data, v = buf.values;
  for (let x = 0, k = 0; x < left.length; x++, k += 3) {
    const p = base + left[x]!, q = base + right[x]!, f = weight[x]!;
    v[k] = d[p]! + (d[q]! - d[p]!) * f;
    v[k + 1] = d[p + 1]! + (d[q + 1]! - d[p + 1]!) * f;
    v[k + 2] = d[p + 2]! + (d[q + 2]! - d[p + 2]!) * f;
  }
  buf.row = j;
  return buf;
}

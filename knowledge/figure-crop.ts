import type { RgbImage } from '../pipeline/raster/raster.js';

/**
 * The picture part of a figure for embedding: figures in reports carry white label bands
 * and margins (text burned in below or above the chip). Rows and columns that are mostly
 * near-white are cut away and the longest run of "picture" rows/columns is kept, so the
 * vector describes the imagery, like a tile's, rather than the page furniture. Returns
 * the input when no clear picture region exists (a diagram on white).
 */
export function pictureRegion(img: RgbImage): RgbImage {
  const { data, width: W, height: H } = img;
  const white = (i: number) => data[i]! > 235 && data[i + 1]! > 235 && data[i + 2]! > 235;
  const rowWhite = new Float32Array(H), colWhite = new Float32Array(W);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    if (white((y * W + x) * 3)) {
      rowWhite[y]! += 1 / W;
      colWhite[x]! += 1 / H;
    }
  }
  const [y0, y1] = longestRun(rowWhite, 0.6);
  const [x0, x1] = longestRun(colWhite, 0.6);
  const h = y1 - y0, w = x1 - x0;
  if (h < H * 0.3 || w < W * 0.3 || (h === H && w === W)) return img;
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) out.set(data.subarray(((y0 + y) * W + x0) * 3, ((y0 + y) * W + x1) * 3), y * w * 3);
  return { data: out, width: w, height: h };
}

/** [start, end) of the longest run of entries below `maxWhite`. */
function longestRun(frac: Float32Array, maxWhite: number): [number, number] {
  let best: [number, number] = [0, 0];
  let start = -1;
  for (let i = 0; i <= frac.length; i++) {
    const inside = i < frac.length && frac[i]! < maxWhite;
    if (inside && start < 0) start = i;
    if (!inside && start >= 0) {
      if (i - start > best[1] - best[0]) best = [start, i];
      start = -1;
    }
  }
  return best;
}

/**
 * In-paints saturated red annotation strokes (the circles and arrows analysts draw on
 * chips) with the mean of nearby unmarked pixels, so the figure vector is not pulled
 * towards "red ring" — the tile it should match has no annotation.
 */
export function removeAnnotations(img: RgbImage): RgbImage {
  const { data, width: W, height: H } = img;
  const red = (i: number) => data[i]! > 150 && data[i]! > 2 * data[i + 1]! && data[i]! > 2 * data[i + 2]!;
  const mask = new Uint8Array(W * H);
  let n = 0;
  for (let p = 0; p < W * H; p++) {
    if (!red(p * 3)) continue;
    mask[p] = 1;
    n++;
  }
  if (n === 0) return img;
  const out = Uint8Array.from(data);
  const R = 4;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    if (!mask[y * W + x]) continue;
    const sum = [0, 0, 0];
    let k = 0;
    for (let dy = -R; dy <= R; dy++) for (let dx = -R; dx <= R; dx++) {
      const yy = y + dy, xx = x + dx;
      if (yy < 0 || xx < 0 || yy >= H || xx >= W || mask[yy * W + xx]) continue;
      for (let c = 0; c < 3; c++) sum[c]! += data[(yy * W + xx) * 3 + c]!;
      k++;
    }
    if (k) for (let c = 0; c < 3; c++) out[(y * W + x) * 3 + c] = Math.round(sum[c]! / k);
  }
  return { data: out, width: W, height: H };
}

import { throwIfAborted } from '../../core/errors.js';
import { boxIou, type Box } from '../raster/box-iou.js';
import type { PixelWindow } from '../raster/georef.js';
import type { RgbImage } from '../raster/raster.js';
import { cellMaps, CELL, scoreMap, windowFeatures } from './channels.js';
import { localMaxima, NORM_RADIUS, type HeadImage } from './fit-head.js';
import { readCanonical } from './patch.js';
import { linear, mlpLogit, sigmoid, TARGET_PX, WINDOW_CELLS, type WindowHead } from './window-head.js';

/** Canonical side of one scanned chunk (memory: about 40 bytes per canonical pixel). */
const CHUNK = 1536;
/** Peaks below this probability are not reported (default of minScore). */
const MIN_PROB = 0.02;
/** Lowest linear-head probability a peak needs before the MLP stage rescores it. */
const MLP_PEAK_FLOOR = 0.1;

/** A box found by a window head, in image pixels, with its probability. */
export interface HeadDetection {
  box: Box;
  score: number;
}

/**
 * Applies a window head densely over a pixel window: per scan level, the window is read in
 * chunks (with a margin of one detection window plus the normalisation radius), resampled so
 * the level's objects are {@link TARGET_PX} long, turned into channel cells and scored at
 * every cell; 3×3 peaks become boxes sized by the head's regression; boxes overlapping a
 * better one (IoU > nmsIou) are dropped. Memory: one chunk at a time.
 */
export async function scanWindowHead(img: HeadImage, win: PixelWindow, head: WindowHead, opts: { signal?: AbortSignal; nmsIou?: number; minScore?: number } = {}): Promise<HeadDetection[]> {
  const w = Float32Array.from(head.w), rw = head.regW.map((r) => Float32Array.from(r));
  const minScore = opts.minScore ?? MIN_PROB;
  // Peaks are found on the linear score; with an MLP stage the final score differs, so the
  // linear floor is lower (but bounded: every peak costs an MLP evaluation).
  const floor = head.mlp ? Math.min(minScore, MLP_PEAK_FLOOR) : minScore;
  const minLogit = Math.log(floor / (1 - floor));
  const found: HeadDetection[] = [];
  const W = img.raster.info.width, H = img.raster.info.height;
  for (const L of head.lengthsM) {
    const s = TARGET_PX / (L / (img.gsdM ?? 1));
    const core = Math.max(64, Math.floor(CHUNK / s));
    const pad = Math.ceil((WINDOW_CELLS * CELL) / 2 / s + NORM_RADIUS / s);
    for (let y = win.y; y < win.y + win.height; y += core) {
      for (let x = win.x; x < win.x + win.width; x += core) {
        throwIfAborted(opts.signal);
        const cw = Math.min(core, win.x + win.width - x), ch = Math.min(core, win.y + win.height - y);
        const x0 = Math.max(0, x - pad), y0 = Math.max(0, y - pad);
        const area = { x: x0, y: y0, width: Math.min(W, x + cw + pad) - x0, height: Math.min(H, y + ch + pad) - y0 };
        const c = await readCanonical(img.raster, area, s, { ...(img.stretch ? { stretch: img.stretch } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
        // Four phases half a cell apart: a two-pixel stride in the canonical frame (a cell
        // stride alone leaves centres up to a fifth of the object off).
        for (const [px0, py0] of PHASES) {
          const rgb = px0 || py0 ? shiftRgb(c.rgb, px0, py0) : c.rgb;
          const maps = cellMaps(rgb, NORM_RADIUS);
          const m = scoreMap(maps, w, head.b, WINDOW_CELLS);
          for (const p of localMaxima(m, minLogit)) {
            const [ox, oy] = subcell(m, p.x, p.y);
            const cx = c.origin.x + ((p.x + ox + WINDOW_CELLS / 2) * CELL + px0) / c.sx;
            const cy = c.origin.y + ((p.y + oy + WINDOW_CELLS / 2) * CELL + py0) / c.sy;
            if (cx < x || cx >= x + cw || cy < y || cy >= y + ch) continue;
            const f = windowFeatures(maps, p.x, p.y, WINDOW_CELLS);
            const bw = clampSize(Math.exp(linear(rw[0]!, head.regB[0], f))) / c.sx, bh = clampSize(Math.exp(linear(rw[1]!, head.regB[1], f))) / c.sy;
            const score = sigmoid(head.mlp ? mlpLogit(head.mlp, f) : p.v);
            if (score >= minScore) found.push({ box: { x: cx - bw / 2, y: cy - bh / 2, width: bw, height: bh }, score });
          }
        }
      }
    }
  }
  return gridNms(found, opts.nmsIou ?? 0.4);
}

/**
 * Non-maximum suppression with kept boxes bucketed on a grid of the largest box's size, so
 * each box is compared with its neighbours only: a dense scene yields 10⁵ peaks, and the
 * all-pairs loop took minutes there.
 */
export function gridNms(found: HeadDetection[], iou: number): HeadDetection[] {
  const sorted = [...found].sort((a, b) => b.score - a.score);
  // A loop, not Math.max(...boxes): a low threshold on a dense scene passes 10⁵ boxes, past the argument limit.
  let cell = 1;
  for (const d of sorted) cell = Math.max(cell, d.box.width, d.box.height);
  const grid = new Map<string, HeadDetection[]>();
  const kept: HeadDetection[] = [];
  for (const d of sorted) {
    const gx = Math.floor(d.box.x / cell), gy = Math.floor(d.box.y / cell);
    let clash = false;
    for (let dy = -1; dy <= 1 && !clash; dy++) {
      for (let dx = -1; dx <= 1 && !clash; dx++) clash = (grid.get(`${gx + dx},${gy + dy}`) ?? []).some((k) => boxIou(k.box, d.box) > iou);
    }
    if (clash) continue;
    kept.push(d);
    const key = `${gx},${gy}`;
    (grid.get(key) ?? grid.set(key, []).get(key)!).push(d);
  }
  return kept;
}

/** Pixel offsets of the scan phases. */
const PHASES: [number, number][] = [[0, 0], [CELL / 2, 0], [0, CELL / 2], [CELL / 2, CELL / 2]];

/** The image without its first `dx` columns and `dy` rows. */
function shiftRgb(img: RgbImage, dx: number, dy: number): RgbImage {
  const width = img.width - dx, height = img.height - dy;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) data.set(img.data.subarray(((y + dy) * img.width + dx) * 3, ((y + dy) * img.width + dx + width) * 3), y * width * 3);
  return { data, width, height };
}

/** A canonical size within what the head was trained on (a regression outlier is not a box). */
function clampSize(px: number): number {
  return Math.min(TARGET_PX * 1.6, Math.max(TARGET_PX * 0.15, px));
}

/** Parabolic sub-cell offset of a peak, each axis within ±0.5 cell. */
function subcell(m: { width: number; height: number; data: Float32Array }, x: number, y: number): [number, number] {
  const at = (i: number, j: number) => m.data[Math.min(m.height - 1, Math.max(0, j)) * m.width + Math.min(m.width - 1, Math.max(0, i))]!;
  const off = (a: number, b: number, c: number) => {
    const d = a - 2 * b + c;
    return d < 0 ? Math.max(-0.5, Math.min(0.5, (a - c) / (2 * d))) : 0;
  };
  return [off(at(x - 1, y), at(x, y), at(x + 1, y)), off(at(x, y - 1), at(x, y), at(x, y + 1))];
}

import type { PixelWindow } from '../raster/georef.js';

/*
 * How the objectness model (objectness.ts) covers a chunk: which parts each pass runs in
 * (the stored-tile gate's parts, by what the pass looks for) and the model tiles it cuts.
 */

/**
 * Parts of the chunk (image pixels) where boxes matter, by what a pass looks for: a pass runs
 * in `fine` if it enlarges the pixels (the costly pass, for objects too small to separate at
 * the image's resolution), else in `small` if its largest box fits in `smallSide` pixels, else
 * in `all`. Missing sets fall back to the next: fine → small → all.
 */
export interface PassAreas {
  all: PixelWindow[];
  small?: PixelWindow[];
  smallSide?: number;
  fine?: PixelWindow[];
  /**
   * Run the enlarging pass only in the fine parts where a native-resolution pass found a peak
   * (objectness.ts, CASCADE_PEAK) of a box small enough for it (CASCADE_SIZE). The gate keeps
   * whole tiles of open water for "ship": in the harbour window of bench:detect, 87 % of the
   * kept level-0 tiles hold no native peak at all, and the enlarging pass is 4× the cost of
   * all the others.
   */
  cascade?: boolean;
}

/** The parts a pass runs in: enlarged by `f` < 1, boxes up to `hiPx` image pixels. */
export function passParts(a: PassAreas, f: number, hiPx: number): PixelWindow[] {
  if (f < 1 && a.fine) return a.fine;
  if (a.small && hiPx <= (a.smallSide ?? 0)) return a.small;
  return a.all;
}

/** A rectangle [x0, x1) × [y0, y1) in fractional pixels. */
export interface Rect { x0: number; y0: number; x1: number; y1: number }

/**
 * Cores [x0, y0, x1, y1) of the model tiles for one pass over `[ax0, ay0, ax1, ay1)` (model
 * pixels): a grid of {@link TILE_CORE} squares; with parts, each square shrunk to the bounds of
 * the parts inside it, and dropped without one. A square never grows, so a gated pass costs
 * at most what the full pass does; scattered parts cost their own bounds plus the margin
 * instead of a whole 640² tile each.
 */
export function tileCores(a: [number, number, number, number], parts: Rect[] | null): [number, number, number, number][] {
  const [ax0, ay0, ax1, ay1] = a;
  const cores: [number, number, number, number][] = [];
  for (let ty = ay0; ty < ay1; ty += TILE_CORE) {
    for (let tx = ax0; tx < ax1; tx += TILE_CORE) {
      const sq: [number, number, number, number] = [tx, ty, Math.min(ax1, tx + TILE_CORE), Math.min(ay1, ty + TILE_CORE)];
      if (!parts) {
        cores.push(sq);
        continue;
      }
      let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
      for (const p of parts) {
        if (p.x0 >= sq[2] || p.x1 <= sq[0] || p.y0 >= sq[3] || p.y1 <= sq[1]) continue;
        x0 = Math.min(x0, p.x0); y0 = Math.min(y0, p.y0); x1 = Math.max(x1, p.x1); y1 = Math.max(y1, p.y1);
      }
      if (x0 < x1) cores.push([Math.max(sq[0], Math.floor(x0)), Math.max(sq[1], Math.floor(y0)), Math.min(sq[2], Math.ceil(x1)), Math.min(sq[3], Math.ceil(y1))]);
    }
  }
  return cores;
}

/** Model input tile: core plus margin, in model pixels (bounded memory: ≤ 768² × 3 floats). */
export const TILE_CORE = 640;
export const TILE_MARGIN = 64;


import { GeoscoutError } from '../../core/errors.js';

/** One tile: a square window of the full-resolution image, read and resized to the model input. */
export interface TileSpec {
  level: number;
  x: number;
  y: number;
  /** Side of the window in full-resolution pixels. */
  size: number;
}

/** The tiling of one image for one model. */
export interface TilePlan {
  levels: { level: number; size: number; stride: number; cols: number; rows: number; metres: number | null }[];
  count: number;
}

/** How to tile. Defaults suit targets from cars (4.5 m) to wide-bodies and ships. */
export interface TilePlanOptions {
  /** Model input side in pixels. */
  modelInput: number;
  /** Scene GSD in metres; null for pixel-only images (tiles then use modelInput as-is). */
  gsdM: number | null;
  /**
   * Effective GSD the finest level is resampled to (default 0.5 m): finer scenes get
   * bigger windows so a tile covers the same ground, coarser ones are never upsampled.
   */
  targetGsdM?: number;
  /** Number of levels; each is `levelFactor` times coarser (default 2 levels, factor 3). */
  levels?: number;
  levelFactor?: number;
  /** Fraction of a tile shared with its neighbour (default 0.25): an object cut by one tile edge is whole in the next. */
  overlap?: number;
}

/**
 * GSD-aware, multi-scale tile plan. Level 0 windows cover `modelInput × targetGsd`
 * metres (64 m for a 128-px model at 0.5 m), so a car still spans several pixels of the
 * model input; level 1 covers 3× that (192 m) for aircraft, ships and their context.
 * The last row/column is aligned to the image edge so no tile is partial.
 */
export function planTiles(width: number, height: number, opts: TilePlanOptions): TilePlan {
  const overlap = opts.overlap ?? 0.25;
  if (overlap < 0 || overlap >= 0.9) throw new GeoscoutError('INVALID_INPUT', `overlap must be in [0, 0.9), got ${overlap}.`);
  const base = opts.gsdM ? Math.max(1, (opts.targetGsdM ?? 0.5) / opts.gsdM) : 1;
  const levels = [];
  let count = 0;
  for (let level = 0; level < (opts.levels ?? 2); level++) {
    const want = Math.round(opts.modelInput * base * (opts.levelFactor ?? 3) ** level);
    const size = Math.min(want, width, height);
    if (level > 0 && size <= levels[levels.length - 1]!.size) break; // image too small for a coarser level
    const stride = Math.max(1, Math.round(size * (1 - overlap)));
    const cols = Math.max(1, Math.ceil((width - size) / stride) + 1);
    const rows = Math.max(1, Math.ceil((height - size) / stride) + 1);
    levels.push({ level, size, stride, cols, rows, metres: opts.gsdM ? size * opts.gsdM : null });
    count += cols * rows;
  }
  return { levels, count };
}

/** The tiles of a plan in a fixed order (level, row, column): resumable runs rely on it. */
export function* tilesOf(plan: TilePlan, width: number, height: number): Generator<TileSpec> {
  for (const l of plan.levels) {
    for (let r = 0; r < l.rows; r++) {
      for (let c = 0; c < l.cols; c++) {
        yield { level: l.level, x: Math.min(c * l.stride, width - l.size), y: Math.min(r * l.stride, height - l.size), size: l.size };
      }
    }
  }
}

/** Stable, readable tile id: unique per image, model version, level and window. */
export function tileIdOf(imageId: string, modelVersion: string, t: TileSpec): string {
  return `${imageId}/${modelVersion}/L${t.level}/${t.x}_${t.y}_${t.size}`;
}

import { GeoscoutError, throwIfAborted } from '../../core/errors.js';
import type { Raster, RgbImage } from '../raster/raster.js';
import type { Stretch } from '../raster/stretch.js';
import { cellMaps, CELL, windowFeatures, scoreMap, type CellMaps } from './channels.js';
import { readCanonical, samplePatch, windowAround } from './patch.js';
import { seededRandom } from '../../core/random.js';
import { FEATURE_DIM, fitLogistic, fitMlp, mlpLogit, fitRidge, linear, rocAuc, sigmoid, TARGET_PX, WINDOW_CELLS, type WindowHead } from './window-head.js';
import type { PixelWindow } from '../raster/georef.js';

/** Located examples needed before a head is fitted. */
export const MIN_HEAD_EXAMPLES = 5;
/** Canonical patch side around an example (the window plus normalisation context). */
const PATCH = 64;
/** Half-side of the contrast/gradient normalisation neighbourhood, canonical px. */
export const NORM_RADIUS = 16;
/** Background windows drawn from the examples' scenes, in all. */
const NEGATIVES = 4000;
/** Hard negatives added in the second round. */
const HARD = 1200;
/** Canonical side of a background region read for negatives. */
const REGION = 1024;
/**
 * Examples from which the MLP second stage is fitted. bench:real at 32 px, linear → with MLP:
 * cars 5-shot 0.16 → 0.11, 10-shot 0.39 → 0.33, 20-shot 0.41 → 0.46; trees 0.11 → 0.07,
 * 0.08 → 0.12, 0.10 → 0.15; synthetic wind turbines 5-shot 0.67 → 0.39. A hidden layer needs
 * more than a handful of examples.
 */
const MLP_MIN_EXAMPLES = 15;

/**
 * L2 weight of the linear head on standardised features. Measured on bench:real's cars
 * (20-shot AP50, 12 images at 0.3 m, 20-px frame): 0.01 → 0.30, 0.1 → 0.32, 0.3 → 0.33, 1 → 0.30.
 */
const LINEAR_L2 = 0.3;
/** Scan levels: object lengths a ratio of this apart, at most MAX_LEVELS. */
const LEVEL_RATIO = 1.5;
const MAX_LEVELS = 4;

/** A catalogued image opened for fitting or scanning. */
export interface HeadImage {
  raster: Raster;
  gsdM: number | null;
  stretch?: Stretch;
}

/** One located example: an image id and a box in its pixels. */
export interface LocatedExample {
  image_id: string;
  box: PixelWindow;
}

/** Options of {@link fitWindowHead}. */
export interface FitOptions {
  signal?: AbortSignal;
  seed?: number;
  /** Rejected detections: negatives in every orientation. */
  rejected?: LocatedExample[];
  minExamples?: number;
  /**
   * More images to draw background windows from (random regions, hard negatives mined there
   * too), besides the examples' own scenes: the imagery a head fitted on synthetic exemplars
   * will scan. bench:real cars, 80 synthetic vehicles: AP50 0.25 with the exemplars' scenes
   * alone, 0.27 with two real images' windows as random negatives, 0.30 mined as well.
   */
  background?: HeadImage[];
  /**
   * No hidden layer, however many examples. A head that must hold far from its examples'
   * pixels generalises better linear: 80 synthetic vehicles on bench:real's cars scored AP50
   * 0.37 linear against 0.30 with the MLP (scratch, same exemplars and background).
   */
  linear?: boolean;
}

/**
 * Fits a {@link WindowHead} on a prototype's located examples: positives are each example in
 * 8 orientations × mirror × 3 sizes; negatives are background windows of the examples' own
 * scenes (away from every example), near misses (the example's window shifted by half its
 * size) and, in a second round, the background windows the first head scores highest —
 * except those scoring like the examples, which are more likely unlabelled objects of the
 * class than look-alikes. Minutes on CPU at most; typically seconds.
 */
export async function fitWindowHead(examples: LocatedExample[], images: Map<string, HeadImage>, opts: FitOptions = {}): Promise<WindowHead> {
  const t0 = Date.now();
  if (examples.length < (opts.minExamples ?? MIN_HEAD_EXAMPLES)) throw new GeoscoutError('INVALID_INPUT', `A window head needs at least ${MIN_HEAD_EXAMPLES} examples with an image box; got ${examples.length}.`);
  const rand = seededRandom(opts.seed ?? 1);
  const pos: Float32Array[] = [], reg: { x: Float32Array; lw: number; lh: number }[] = [], neg: Float32Array[] = [];
  for (const ex of examples) {
    throwIfAborted(opts.signal);
    const got = await examplePositives(ex, images.get(ex.image_id)!, opts.signal);
    pos.push(...got.pos);
    reg.push(...got.reg);
    neg.push(...got.near);
  }
  for (const ex of opts.rejected ?? []) {
    throwIfAborted(opts.signal);
    const { src, scx, scy } = await exampleSource(ex, images.get(ex.image_id)!, opts.signal);
    for (let r = 0; r < 8; r++) for (const flip of [false, true]) neg.push(centreWindow(samplePatch(src.rgb, scx, scy, PATCH, (r * Math.PI) / 4, 1, flip)));
  }
  const lengthsPx = examples.map((e) => Math.max(e.box.width, e.box.height));
  const gsdOf = (id: string) => images.get(id)!.gsdM;
  const lengthsM = examples.map((e, i) => lengthsPx[i]! * (gsdOf(e.image_id) ?? 1));
  const levels = scanLevels(lengthsM);
  const background = await backgroundWindows(examples, images, levels, rand, opts.signal, opts.background ?? []);
  const first = fitLogistic(pos, [...neg, ...background.sample], { l2: LINEAR_L2 });
  const posLogits = pos.map((x) => linear(first.w, first.b, x)).sort((a, b) => a - b);
  const q25 = posLogits[Math.floor(posLogits.length * 0.25)]!;
  const hard = background.all(first.w, first.b, q25).slice(0, HARD);
  const negatives = [...neg, ...background.sample, ...hard];
  const head = fitLogistic(pos, negatives, { l2: LINEAR_L2 });
  const mlp = examples.length >= MLP_MIN_EXAMPLES && !opts.linear ? fitMlp(pos, negatives, { hidden: 16, epochs: 30, l2: 0.01 }) : undefined;
  const lw = fitRidge(reg.map((r) => r.x), reg.map((r) => r.lw), reg.length);
  const lh = fitRidge(reg.map((r) => r.x), reg.map((r) => r.lh), reg.length);
  const score = (x: Float32Array) => (mlp ? mlpLogit(mlp, x) : linear(head.w, head.b, x));
  const pl = pos.map(score).sort((a, b) => a - b);
  const nl = negatives.map(score);
  return {
    kind: 'acf-window', version: 1, lengthsM: levels,
    w: Array.from(head.w), b: head.b, ...(mlp ? { mlp } : {}), regW: [Array.from(lw.w), Array.from(lh.w)], regB: [lw.b, lh.b],
    // The probability at which a fifth of the (augmented) examples would be missed, within [0.3, 0.9].
    threshold: Math.min(0.9, Math.max(0.3, sigmoid(pl[Math.floor(pl.length * 0.2)]!))),
    fitted: { positives: pos.length, negatives: negatives.length, hard_negatives: hard.length, examples: examples.length, seconds: (Date.now() - t0) / 1000, train_auc: rocAuc(pl, nl) },
  };
}

/** Offset of the close misses, in object lengths (0: none). */
const CLOSE_MISS = 0.35;

/** The canonical image around an example (its long side {@link TARGET_PX}) and the example's centre in it. */
async function exampleSource(ex: LocatedExample, img: HeadImage, signal?: AbortSignal) {
  const s = TARGET_PX / Math.max(ex.box.width, ex.box.height);
  const cx = ex.box.x + ex.box.width / 2, cy = ex.box.y + ex.box.height / 2;
  const win = windowAround(cx, cy, (PATCH * 1.6) / s, img.raster.info.width, img.raster.info.height);
  const src = await readCanonical(img.raster, win, s, readOpts(img, signal));
  return { src, s, scx: (cx - src.origin.x) * src.sx, scy: (cy - src.origin.y) * src.sy };
}

/** Top-left cell of the window centred in a {@link PATCH} patch. */
const C0 = PATCH / CELL / 2 - WINDOW_CELLS / 2;

/** Features of the window centred in a patch. */
function centreWindow(patch: RgbImage): Float32Array {
  return windowFeatures(cellMaps(patch, NORM_RADIUS), C0, C0, WINDOW_CELLS);
}

/**
 * One example as training data: positives in 8 orientations × mirror × 3 sizes, box-size
 * targets for the right-angle turns (the only ones whose box is exact), and near misses.
 */
async function examplePositives(ex: LocatedExample, img: HeadImage, signal?: AbortSignal) {
  const { src, s, scx, scy } = await exampleSource(ex, img, signal);
  const pos: Float32Array[] = [], reg: { x: Float32Array; lw: number; lh: number }[] = [], near: Float32Array[] = [];
  for (let r = 0; r < 8; r++) {
    for (const flip of [false, true]) {
      for (const scale of [0.85, 1, 1.18]) {
        const maps = cellMaps(samplePatch(src.rgb, scx, scy, PATCH, (r * Math.PI) / 4, scale, flip), NORM_RADIUS);
        const x = windowFeatures(maps, C0, C0, WINDOW_CELLS);
        pos.push(x);
        if (r % 2 === 0) {
          const [w, h] = r % 4 === 0 ? [ex.box.width, ex.box.height] : [ex.box.height, ex.box.width];
          reg.push({ x, lw: Math.log(w * s * scale), lh: Math.log(h * s * scale) });
        }
        if (r === 0 && !flip && scale === 1) for (const [dx, dy] of NEAR_MISS) near.push(windowFeatures(maps, C0 + dx, C0 + dy, WINDOW_CELLS));
      }
    }
  }
  // Close misses (a third of the length off) teach the head to peak on the centre.
  for (let k = 0; k < 8; k++) {
    const a = (k * Math.PI) / 4, d = CLOSE_MISS * TARGET_PX;
    near.push(centreWindow(samplePatch(src.rgb, scx + d * Math.cos(a), scy + d * Math.sin(a), PATCH)));
  }
  return { pos, reg, near };
}

/** Window offsets (cells) that miss the example by about half its length. */
const NEAR_MISS: [number, number][] = [[-3, 0], [3, 0], [0, -3], [0, 3], [-2, -2], [2, -2], [-2, 2], [2, 2]];

/** Object lengths to scan at: the examples' spread in steps of {@link LEVEL_RATIO}. */
export function scanLevels(lengths: number[]): number[] {
  const s = [...lengths].sort((a, b) => a - b);
  const lo = s[Math.floor(s.length * 0.1)]!, hi = s[Math.min(s.length - 1, Math.floor(s.length * 0.9))]!;
  const n = Math.min(MAX_LEVELS, Math.max(1, Math.ceil(Math.log(hi / lo) / Math.log(LEVEL_RATIO))));
  return Array.from({ length: n }, (_, k) => lo * (hi / lo) ** ((k + 0.5) / n));
}

interface Background {
  /** Random background windows. */
  sample: Float32Array[];
  /** Background windows at local maxima of the head scoring between 0 and `below`, best first. */
  all(w: Float32Array, b: number, below: number): Float32Array[];
}

/** Background windows of the examples' scenes (away from every example) and of the extra images, at every scan level. */
async function backgroundWindows(examples: LocatedExample[], images: Map<string, HeadImage>, levels: number[], rand: () => number, signal: AbortSignal | undefined, extra: HeadImage[]): Promise<Background> {
  const regions: { maps: CellMaps; ok: (cx: number, cy: number) => boolean }[] = [];
  // Random regions of the extra images: nobody boxed anything there, so nothing is kept out.
  for (const img of extra) {
    for (const L of levels) {
      throwIfAborted(signal);
      const s = TARGET_PX / (L / (img.gsdM ?? 1));
      const win = windowAround(rand() * img.raster.info.width, rand() * img.raster.info.height, REGION / s, img.raster.info.width, img.raster.info.height);
      const c = await readCanonical(img.raster, win, s, readOpts(img, signal));
      regions.push({ maps: cellMaps(c.rgb, NORM_RADIUS), ok: () => true });
    }
  }
  const ids = [...new Set(examples.map((e) => e.image_id))];
  for (const id of ids) {
    const img = images.get(id)!;
    const mine = examples.filter((e) => e.image_id === id);
    for (const L of levels) {
      throwIfAborted(signal);
      const s = TARGET_PX / (L / (img.gsdM ?? 1));
      const anchor = mine[Math.floor(rand() * mine.length)]!.box;
      const win = windowAround(anchor.x + anchor.width / 2, anchor.y + anchor.height / 2, REGION / s, img.raster.info.width, img.raster.info.height);
      const c = await readCanonical(img.raster, win, s, readOpts(img, signal));
      const centres = mine.map((e) => [(e.box.x + e.box.width / 2 - c.origin.x) * c.sx, (e.box.y + e.box.height / 2 - c.origin.y) * c.sy] as const);
      const keep = 0.75 * TARGET_PX;
      regions.push({ maps: cellMaps(c.rgb, NORM_RADIUS), ok: (x, y) => centres.every(([ex, ey]) => Math.hypot(ex - x, ey - y) > keep) });
    }
  }
  const per = Math.ceil(NEGATIVES / Math.max(1, regions.length));
  const sample: Float32Array[] = [];
  for (const r of regions) {
    const nx = r.maps.cw - WINDOW_CELLS + 1, ny = r.maps.ch - WINDOW_CELLS + 1;
    if (nx <= 0 || ny <= 0) continue;
    for (let k = 0, tries = 0; k < per && tries < per * 4; tries++) {
      const x = Math.floor(rand() * nx), y = Math.floor(rand() * ny);
      if (!r.ok((x + WINDOW_CELLS / 2) * CELL, (y + WINDOW_CELLS / 2) * CELL)) continue;
      sample.push(windowFeatures(r.maps, x, y, WINDOW_CELLS));
      k++;
    }
  }
  return {
    sample,
    all(w, b, below) {
      const found: { v: number; x: Float32Array }[] = [];
      for (const r of regions) {
        const m = scoreMap(r.maps, w, b, WINDOW_CELLS);
        for (const p of localMaxima(m, 0)) {
          if (p.v >= below || !r.ok((p.x + WINDOW_CELLS / 2) * CELL, (p.y + WINDOW_CELLS / 2) * CELL)) continue;
          found.push({ v: p.v, x: windowFeatures(r.maps, p.x, p.y, WINDOW_CELLS) });
        }
      }
      return found.sort((a, c) => c.v - a.v).map((f) => f.x);
    },
  };
}

/** Positions of a score map that are the maximum of their 3×3 neighbourhood and at least `min`. */
export function localMaxima(m: { width: number; height: number; data: Float32Array }, min: number): { x: number; y: number; v: number }[] {
  const out: { x: number; y: number; v: number }[] = [];
  const { width: W, height: H, data } = m;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const v = data[y * W + x]!;
      if (v < min) continue;
      let peak = true;
      for (let dy = -1; dy <= 1 && peak; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          if ((dx || dy) && x + dx >= 0 && x + dx < W && y + dy >= 0 && y + dy < H && data[(y + dy) * W + x + dx]! > v) { peak = false; break; }
        }
      }
      if (peak) out.push({ x, y, v });
    }
  }
  return out;
}

function readOpts(img: HeadImage, signal?: AbortSignal) {
  return { ...(img.stretch ? { stretch: img.stretch } : {}), ...(signal ? { signal } : {}) };
}

export { FEATURE_DIM };

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { z } from 'zod';
import { GeoscoutError, throwIfAborted } from '../../core/errors.js';
import { createSession, sessionOptions, type EncoderOptions } from '../models/encoder.js';
import { SHIPPED_MODELS_DIR } from '../models/registry.js';
import type { RgbImage } from '../raster/raster.js';
import { modelInput, type Region } from '../raster/model-input.js';
import { withUint8HwcInput } from '../models/onnx-input.js';
import { boxIou, DEFAULT_SIZE_PRIOR, type Proposal, type SizePrior } from './proposals.js';
import type { PixelWindow } from '../raster/georef.js';
import { passParts, tileCores, TILE_MARGIN, type PassAreas, type Rect } from './model-tiles.js';

/** Where the shipped objectness model lives. */
export const DEFAULT_OBJECTNESS_DIR = path.join(SHIPPED_MODELS_DIR, 'geoscout-objectness');

/**
 * A pass's calibration: heatmap peak → share of its boxes that hit an object (IoU ≥ 0.5),
 * as [peak, precision] knots, increasing (pipeline/detect/train/calibrate-objectness.ts).
 * Peaks of different passes do not mean the same (a car's Gaussian is small, so its peak
 * is lower): calibrated, one threshold serves cars and ships alike.
 */
const CalibrationSchema = z.array(z.tuple([z.number(), z.number()])).min(2);
/**
 * One resolution the model runs at. `onnx` names weights of its own for this pass (default:
 * the manifest's): since 1.3.0 the 0.25 m/px pass, which proposes cars and tree crowns, runs
 * weights fine-tuned on real aerial imagery, while the coarser passes keep the synthetic-only
 * weights that fine-tune cost ship recall at (MODEL_CARD.md).
 */
const PassSchema = z.object({ mpp: z.number().positive(), minPx: z.number().positive(), maxPx: z.number().positive(), calibration: CalibrationSchema.optional(), onnx: z.string().optional() });
const ManifestSchema = z.object({
  id: z.string(),
  version: z.string(),
  onnx: z.string(),
  input: z.object({ name: z.string(), multiple: z.number().int().positive() }),
  outputs: z.object({ heat: z.string(), size: z.string(), offset: z.string() }),
  stride: z.number().int().positive(),
  passes: z.array(PassSchema).min(1),
  /**
   * Weights file → the same weights with a 2× enlargement folded into the first
   * convolution (pipeline/train/geoscout_train/objectness_fold.py). A pass that enlarges
   * exactly 2× (the 0.25 m/px pass on 0.5 m imagery) runs it on the native pixels: the
   * same boxes as enlarging first, for a quarter of the input.
   */
  enlarge2x: z.record(z.string(), z.string()).optional(),
});

/** The parts of models/geoscout-objectness/objectness.json the runtime uses. */
export type ObjectnessManifest = z.infer<typeof ManifestSchema>;

/** A proposal with the model's centre score; `scaleM` is the pass resolution it came from, metres per pixel. */
export interface ObjectnessProposal extends Proposal {
  /** Calibrated peak of the centre heatmap, 0–1 (also copied to `contrast` so callers that rank by contrast rank by it). */
  objectness?: number;
}

/** Options of {@link ObjectnessModel.propose}. */
export interface ObjectnessOptions {
  sizePrior?: SizePrior;
  /** Lowest heatmap peak kept (default 0.1). */
  minScore?: number;
  /** Cap on proposals per call, highest objectness kept (default 4000). */
  maxProposals?: number;
  /** Boxes from different passes overlapping more than this are one object (default 0.6). */
  nmsIou?: number;
  /** Report raw heatmap peaks instead of calibrated objectness (used to fit the calibration). */
  raw?: boolean;
  /**
   * Largest enlargement of the chunk a pass may use (default 2). The 0.25 m/px pass, which
   * separates cars parked side by side, enlarges 0.5 m imagery 2× and costs about 4× the
   * rest together; 1 skips it on such imagery (faster, fewer cars found).
   */
  maxUpsample?: number;
  /**
   * The part of the chunk (image pixels) whose boxes the caller keeps, by centre. Each pass
   * then reads only the core plus half its largest box plus the model's margin, not the
   * whole chunk: a search reranking one tile of a chunk that carries 96 m of context around
   * it runs the enlarged pass over about a third of the pixels (2.7× less time). The core's
   * boxes are the same up to where the model's tiles fall: on test scenes 88 % of boxes
   * with objectness ≥ 0.3 matched one at IoU ≥ 0.5 (bench:search-quality moved by one hit).
   */
  core?: PixelWindow;
  /** Where the caller keeps boxes, by centre (the stored-tile gate): a model tile runs only if its core meets a part. Default: everywhere. */
  areas?: PassAreas;
  /**
   * Run every pass with this weights file of the manifest ({@link ObjectnessModel.alternateWeights})
   * instead of each pass's own. A prototype whose examples the real-imagery weights box better
   * asks for them (choose-detector.ts). A file the model does not have (a prototype made
   * with another objectness version) falls back to each pass's own weights.
   */
  weights?: string;
  signal?: AbortSignal;
}

/**
 * Raw heatmap peak of a native-resolution pass that lets the enlarging pass run in a part
 * when cascading ({@link PassAreas.cascade}): half the default decode threshold, so a faint
 * small object still brings the fine pass in.
 */
const CASCADE_PEAK = 0.05;

/**
 * Largest native-pass box, as a multiple of the enlarging pass's largest box, whose peak lets
 * that pass run in a part: a 60 m ship's peak says nothing about cars beside it.
 */
const CASCADE_SIZE = 1.5;

/**
 * The trained class-agnostic objectness model (CenterNet-style, ONNX): centre heatmap,
 * box size and offset at stride 4. It runs at a few fixed resolutions (manifest `passes`,
 * metres per pixel) so that a car and a 330 m ship both fall in its pixel range; each pass
 * keeps the boxes of its size band. The chunk is resampled tile by tile (sharp, linear,
 * like its training patches), so memory stays bounded whatever the pass. `close()` is
 * idempotent.
 */
export class ObjectnessModel {
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly manifest: ObjectnessManifest,
    /** One session per weights file (manifest `onnx` and any pass's own). */
    private readonly sessions: Map<string, ort.InferenceSession>,
  ) {}

  /**
   * Opens the model directory (default: the shipped models/geoscout-objectness) with the
   * configured threads and provider (default: every core, CPU), like the encoders.
   */
  static async open(dir: string = DEFAULT_OBJECTNESS_DIR, opts: EncoderOptions = {}): Promise<ObjectnessModel> {
    const file = path.join(dir, 'objectness.json');
    let manifest: ObjectnessManifest;
    try {
      manifest = ManifestSchema.parse(JSON.parse(await readFile(file, 'utf8')));
    } catch (cause) {
      const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
      throw new GeoscoutError(missing ? 'NOT_FOUND' : 'CORRUPT_DATA', `Cannot read the objectness model manifest ${file}: ${(cause as Error).message}. Restore models/geoscout-objectness or retrain it with pipeline/train/train-objectness.sh.`, { cause, details: { path: file } });
    }
    const sessions = new Map<string, ort.InferenceSession>();
    try {
      const weights = [manifest.onnx, ...manifest.passes.flatMap((p) => (p.onnx ? [p.onnx] : []))];
      for (const f of new Set([...weights, ...weights.flatMap((w) => manifest.enlarge2x?.[w] ?? [])])) sessions.set(f, await openWeights(path.join(dir, f), manifest.input.name, opts));
    } catch (err) {
      await Promise.all([...sessions.values()].map((s) => s.release()));
      throw err;
    }
    return new ObjectnessModel(dir, manifest, sessions);
  }

  /**
   * Class-agnostic boxes in image pixels, highest objectness first.
   *
   * @param rgb 8-bit RGB of an image window at `scale` image pixels per rgb pixel
   * @param origin the image pixel of rgb's top-left corner
   * @param gsdM metres per image pixel (null: assume 0.5)
   */
  async propose(rgb: RgbImage, origin: { x: number; y: number }, scale: number, gsdM: number | null, opts: ObjectnessOptions = {}): Promise<ObjectnessProposal[]> {
    if (this.closed) throw new GeoscoutError('INVALID_INPUT', 'The objectness model is closed; open it again.');
    if (rgb.data.length !== rgb.width * rgb.height * 3) throw new GeoscoutError('INVALID_INPUT', `RGB buffer holds ${rgb.data.length} bytes, expected ${rgb.width}×${rgb.height}×3.`);
    const prior = opts.sizePrior ?? DEFAULT_SIZE_PRIOR;
    const rgbMpp = (gsdM ?? 0.5) * scale;
    const out: ObjectnessProposal[] = [];
    const minScore = opts.minScore ?? 0.1;
    const cascade = !!opts.areas?.cascade;
    // Cascading, the enlarging passes run last, only where a native-resolution pass saw a peak.
    const passes = cascade ? [...this.manifest.passes].sort((a, b) => b.mpp - a.mpp) : this.manifest.passes;
    const seen: [number, number, number][] = []; // centre and long side (rgb px) of the native passes' peaks
    const uniform = opts.weights && this.sessions.has(opts.weights) ? opts.weights : null;
    for (const pass of passes) {
      // rgb pixels per model pixel; enlarging more than 2× invents detail the model never saw.
      const f = pass.mpp / rgbMpp;
      const maxUp = Math.min(2, opts.maxUpsample ?? 2);
      const lo = Math.max(pass.minPx, prior.minM / pass.mpp), hi = Math.min(pass.maxPx, prior.maxM / pass.mpp);
      if (f < 1 / maxUp - 1e-9 || lo > hi || Math.min(rgb.width, rgb.height) / f < 16) continue;
      const toRgb = (w: PixelWindow): Rect => ({ x0: (w.x - origin.x) / scale, y0: (w.y - origin.y) / scale, x1: (w.x + w.width - origin.x) / scale, y1: (w.y + w.height - origin.y) / scale });
      const core = opts.core ? toRgb(opts.core) : null;
      let parts = opts.areas ? passParts(opts.areas, f, hi * f * scale).map(toRgb) : null;
      if (parts && cascade && f < 1) parts = parts.filter((a) => seen.some(([x, y, long]) => long <= hi * f * CASCADE_SIZE && x >= a.x0 && x < a.x1 && y >= a.y0 && y < a.y1));
      if (parts && !parts.length) continue;
      const decodeMin = cascade && f >= 1 ? Math.min(CASCADE_PEAK, minScore) : minScore;
      for (const p of await this.runPass(uniform ?? pass.onnx ?? this.manifest.onnx, rgb, f, { ...opts, minScore: decodeMin }, { lo, hi }, core, parts)) {
        if (cascade && f >= 1) seen.push([p.x + p.width / 2, p.y + p.height / 2, Math.max(p.width, p.height)]);
        if (p.score < minScore) continue;
        const o = pass.calibration && !opts.raw ? interpolate(pass.calibration, p.score) : p.score;
        out.push({ x: origin.x + p.x * scale, y: origin.y + p.y * scale, width: p.width * scale, height: p.height * scale, contrast: o, objectness: o, scaleM: pass.mpp });
      }
    }
    return nms(out, opts.nmsIou ?? 0.6).slice(0, opts.maxProposals ?? 4000);
  }

  /** One pass over the chunk, tile by tile: boxes in rgb pixels whose centre is in the tile's core. */
  private async runPass(weights: string, rgb: RgbImage, f: number, opts: ObjectnessOptions, band: { lo: number; hi: number }, core: Rect | null, parts: Rect[] | null): Promise<Array<{ x: number; y: number; width: number; height: number; score: number }>> {
    const mw = Math.round(rgb.width / f), mh = Math.round(rgb.height / f);
    // Model pixels whose boxes can matter: the caller's core plus half the pass's largest box
    // (a box centred in the core reaches that far); the whole chunk without a core.
    const reach = band.hi / 2;
    const [ax0, ay0, ax1, ay1] = core
      ? [Math.max(0, Math.floor(core.x0 / f - reach)), Math.max(0, Math.floor(core.y0 / f - reach)), Math.min(mw, Math.ceil(core.x1 / f + reach)), Math.min(mh, Math.ceil(core.y1 / f + reach))]
      : [0, 0, mw, mh];
    const boxes: Array<{ x: number; y: number; width: number; height: number; score: number }> = [];
    const tiles = tileCores([ax0, ay0, ax1, ay1], parts?.map((a) => ({ x0: a.x0 / f, y0: a.y0 / f, x1: a.x1 / f, y1: a.y1 / f })) ?? null).map(([tx, ty, cx1, cy1]) => {
      // Model-pixel window: core [tx, cx1) × [ty, cy1) plus margins, clamped to the chunk.
      const wx0 = Math.max(0, tx - TILE_MARGIN), wy0 = Math.max(0, ty - TILE_MARGIN);
      const wx1 = Math.min(mw, cx1 + TILE_MARGIN), wy1 = Math.min(mh, cy1 + TILE_MARGIN);
      const rx0 = Math.floor(wx0 * f), ry0 = Math.floor(wy0 * f);
      const rx1 = Math.min(rgb.width, Math.ceil(wx1 * f)), ry1 = Math.min(rgb.height, Math.ceil(wy1 * f));
      const w = Math.max(1, Math.round((rx1 - rx0) / f)), h = Math.max(1, Math.round((ry1 - ry0) / f));
      return { core: [tx, ty, cx1, cy1] as const, wx0, wy0, rx0, ry0, w, h, region: { left: rx0, top: ry0, width: rx1 - rx0, height: ry1 - ry0 } };
    });
    // Enlarging exactly 2×, the folded weights run on the native pixels (same boxes, a quarter of the input).
    const folded = Math.abs(f - 0.5) < 1e-9 ? this.manifest.enlarge2x?.[weights] : undefined;
    const session = this.sessions.get(folded ?? weights)!;
    const prepare = (k: number) => (k < tiles.length ? this.tileInput(rgb, tiles[k]!.region, tiles[k]!.w, tiles[k]!.h, !!folded) : null);
    let next = prepare(0);
    for (let k = 0; k < tiles.length; k++) {
      if (opts.signal?.aborted) void next?.catch(() => {});
      throwIfAborted(opts.signal);
      const { core: [tx, ty, cx1, cy1], wx0, wy0, rx0, ry0, w, h, region } = tiles[k]!;
      const sx = region.width / w, sy = region.height / h; // rgb px per model px in this tile
      const { input, pw, ph } = await next!;
      const dims = folded ? [1, ph / 2, pw / 2, 3] : [1, ph, pw, 3];
      const run = session.run({ [this.manifest.input.name]: new ort.Tensor('uint8', input, dims) });
      // The next tile's input is cut and resampled while the model runs on this one (the
      // model runs on onnxruntime's threads; a sharp shrink or a JS enlargement can take as
      // long as the model on its tile, a 1:1 copy well under a millisecond).
      next = prepare(k + 1);
      const res = await run.catch((err: unknown) => {
        void next?.catch(() => {}); // the failure is this run's; the prefetch is dropped quietly
        throw err;
      });
      const peaks = this.decode(res, pw, ph, opts.minScore ?? 0.1);
      for (const p of peaks) {
        const cx = p.cx, cy = p.cy;
        if (cx >= w || cy >= h) continue; // in the padding
        const gx = wx0 + cx, gy = wy0 + cy;
        if (gx < tx || gx >= cx1 || gy < ty || gy >= cy1) continue; // another tile's core, or outside the area that matters
        const long = Math.max(p.w, p.h);
        if (long < band.lo || long > band.hi) continue;
        boxes.push({ x: rx0 + (cx - p.w / 2) * sx, y: ry0 + (cy - p.h / 2) * sy, width: p.w * sx, height: p.h * sy, score: p.score });
      }
    }
    return boxes;
  }

  /**
   * Crops, resamples and edge-pads one tile to a multiple of the model's input step:
   * interleaved 8-bit RGB of `pw`×`ph` model pixels (the sessions take it through
   * {@link openWeights}). Copied or enlarged in JS (modelInput gives sharp's levels); shrunk
   * by sharp, whose linear kernel then averages the area, as for the training patches.
   * `native`: a 2× enlargement the folded weights do, so the region is copied at half of pw×ph.
   */
  private async tileInput(rgb: RgbImage, region: Region, w: number, h: number, native = false): Promise<{ input: Uint8Array; pw: number; ph: number }> {
    const m = this.manifest.input.multiple;
    const pw = Math.max(m, Math.ceil(w / m) * m), ph = Math.max(m, Math.ceil(h / m) * m);
    if (native) return { input: modelInput(rgb, region, region.width, region.height, pw / 2, ph / 2), pw, ph };
    if (w >= region.width && h >= region.height) return { input: modelInput(rgb, region, w, h, pw, ph), pw, ph };
    const small = await sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } }).extract(region).resize(w, h, { kernel: 'linear', fit: 'fill' }).raw().toBuffer();
    return { input: modelInput({ data: small, width: w, height: h }, { left: 0, top: 0, width: w, height: h }, w, h, pw, ph), pw, ph };
  }

  /** 3×3 max-pool peaks of the heatmap above `thr`, decoded to centre and size in model pixels. */
  private decode(res: ort.InferenceSession.OnnxValueMapType, pw: number, ph: number, thr: number): Array<{ cx: number; cy: number; w: number; h: number; score: number }> {
    const s = this.manifest.stride;
    const gw = pw / s, gh = ph / s, n = gw * gh;
    const heat = res[this.manifest.outputs.heat]!.data as Float32Array;
    const size = res[this.manifest.outputs.size]!.data as Float32Array;
    const off = res[this.manifest.outputs.offset]!.data as Float32Array;
    const out: Array<{ cx: number; cy: number; w: number; h: number; score: number }> = [];
    for (let j = 0; j < gh; j++) {
      for (let i = 0; i < gw; i++) {
        const v = heat[j * gw + i]!;
        if (v < thr || !isPeak(heat, gw, gh, i, j, v)) continue;
        const k = j * gw + i;
        out.push({ cx: (i + off[k]!) * s, cy: (j + off[n + k]!) * s, w: Math.exp(size[k]!) * s, h: Math.exp(size[n + k]!) * s, score: v });
      }
    }
    return out;
  }

  /**
   * Weights files some passes run that could also run every pass (since 1.3.0 the real-imagery
   * fine-tune of the 0.25 m/px pass): the proposal variants a prototype's check may choose.
   */
  get alternateWeights(): string[] {
    return [...new Set(this.manifest.passes.flatMap((p) => (p.onnx && p.onnx !== this.manifest.onnx ? [p.onnx] : [])))];
  }

  /** Releases the ONNX sessions; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.sessions.values()].map((s) => s.release()));
  }
}

/**
 * One weights file as a session that takes interleaved 8-bit RGB ({@link withUint8HwcInput}):
 * the model files keep the exported float NCHW input.
 */
async function openWeights(file: string, input: string, opts: EncoderOptions): Promise<ort.InferenceSession> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (cause) {
    throw new GeoscoutError('NOT_FOUND', `Cannot read objectness weights ${file}: ${(cause as Error).message}. Restore models/geoscout-objectness or retrain it with pipeline/train/train-objectness.sh.`, { cause, details: { path: file } });
  }
  return createSession(file, sessionOptions(opts), opts.provider, withUint8HwcInput(bytes, input, file));
}

/** Piecewise-linear lookup in increasing [x, y] knots, clamped at both ends. */
export function interpolate(knots: [number, number][], x: number): number {
  if (x <= knots[0]![0]) return knots[0]![1];
  for (let i = 1; i < knots.length; i++) {
    const [x1, y1] = knots[i]!;
    if (x <= x1) {
      const [x0, y0] = knots[i - 1]!;
      return x1 === x0 ? y1 : y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
    }
  }
  return knots[knots.length - 1]![1];
}

/** True when no 3×3 neighbour is higher (ties: the first in raster order wins). */
function isPeak(heat: Float32Array, gw: number, gh: number, i: number, j: number, v: number): boolean {
  for (let dy = -1; dy <= 1; dy++) {
    const y = j + dy;
    if (y < 0 || y >= gh) continue;
    for (let dx = -1; dx <= 1; dx++) {
      const x = i + dx;
      if (x < 0 || x >= gw || (dx === 0 && dy === 0)) continue;
      const u = heat[y * gw + x]!;
      if (u > v || (u === v && (dy < 0 || (dy === 0 && dx < 0)))) return false;
    }
  }
  return true;
}

/** Greedy NMS, highest objectness first. */
function nms(ps: ObjectnessProposal[], iou: number): ObjectnessProposal[] {
  const sorted = [...ps].sort((a, b) => b.contrast - a.contrast);
  const kept: ObjectnessProposal[] = [];
  for (const p of sorted) if (!kept.some((k) => boxIou(k, p) > iou)) kept.push(p);
  return kept;
}

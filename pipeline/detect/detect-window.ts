import { GeoscoutError, throwIfAborted } from '../../core/errors.js';
import type { ClipEncoder } from '../models/encoder.js';
import { containsPoint, intersectWindows, padWindow, windowBounds, type PixelWindow } from '../raster/georef.js';
import type { QueryAreas } from './tile-gate.js';
import type { Raster, RgbImage } from '../raster/raster.js';
import type { Stretch } from '../raster/stretch.js';
import type { PixelBox } from './refine-box.js';
import { exemplarFactor } from './exemplars.js';
import { boxIou, DEFAULT_SIZE_PRIOR, type SizePrior } from './proposals.js';
import { saliencyProposer, type ProposeOptions, type Proposer, type ScoredProposal } from './proposer.js';
import { calibrateTextScore, detectionLogitScales, isPrototypeQuery, rawTextScore, scoreCrop, type PreparedQuery } from './scorer.js';
import { rows } from './vectors.js';
import { encodeCropsCached } from './crop-cache.js';
import { sizePriorFactor } from './vocabulary.js';

/** One scored box. */
export interface RawDetection {
  label: string;
  score: number;
  box: PixelBox;
  /** The crop's embedding (kept so feedback can turn a detection into a prototype example). */
  vector: Float32Array;
}

/** Options of {@link detectInWindow}. */
export interface DetectWindowOptions {
  /** Default score threshold for queries without their own. */
  threshold: number;
  /** Class-agnostic proposals (default: saliency blobs; see proposer.ts). */
  proposer?: Proposer;
  /** The image's stored stretch (so crops look like the ingested tiles). */
  stretch?: Stretch;
  /** Region side in pixels processed at once (memory bound: ≈ (chunk + 2·pad)² × 3 bytes). */
  chunk?: number;
  /** Largest region accepted, in pixels (default 16384² — 134 Mpx). */
  maxRegionPixels?: number;
  sizePrior?: SizePrior;
  /** Suppress a same-label box overlapping a better one by more than this IoU. */
  nmsIou?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, message?: string) => void;
  /** Time spent per stage, ms, added up (for the benchmark). */
  timings?: { read: number; proposals: number; encode: number; score: number };
  /**
   * Per query (same order as the queries), the parts of the window that may hold it (the
   * stored-tile gate, tile-gate.ts). Chunks without a part are skipped; a chunk reads only
   * around its parts (plus context); the objectness model's passes for small objects run only
   * in level-0 parts, its enlarging pass only in those of queries for small objects; saliency
   * blobs are skipped when every query names a class of known size. Default: every pixel,
   * every proposal source.
   */
  areas?: { perQuery: QueryAreas[]; smallSide: number };
  /** Proposal weights for every model pass (a prototype's choice, proposer.ts `variants`). */
  weights?: string;
}

/**
 * A query whose smallest object (its class's size range) is shorter than this many image
 * pixels needs the objectness pass that enlarges the image (0.25 m/px on 0.5 m imagery): cars
 * parked side by side touch at the image's own resolution, and a light aircraft (11 m, 22 px)
 * on a road was found only by that pass (tools/detect-in-region.test.ts). Queries for larger
 * things (warehouses, hangars, from 40 m) skip it; a query of unknown size gets every pass.
 */
const FINE_PASS_PX = 32;

/**
 * Same-label boxes that overlap a kept box at least this much vote on its coordinates
 * (box voting, Gidaris & Komodakis 2015): the kept box becomes their score-weighted mean.
 * The proposer offers one object at several passes and offsets; the best-scoring box is
 * not always the best-fitting one (a tug's cabin outscoring its hull), and the mean of the
 * near-duplicates fits better. At NMS's own IoU, so exactly the suppressed boxes vote.
 */
export const VOTE_IOU = 0.4;

/** Boxes whose raw score is at least this (or that pass the query's threshold) take part in voting. */
const VOTE_FLOOR = 0.05;

/** Crop side bounds in metres: the ground extent the encoder saw in training chips. */
const CROP_MIN_M = 48;
const CROP_MAX_M = 192;

/**
 * Detects the prepared queries in a pixel window of an open raster. The window is cut into
 * chunks read with a margin as large as the biggest object, so an object is always whole in
 * the chunk whose core holds its centre; per chunk: class-agnostic proposals, a crop around
 * each (context like the encoder's training chips), one batched encoding, calibrated scores
 * per query. Same-label boxes are merged by NMS across chunks. Memory: one chunk at a time.
 */
export async function detectInWindow(raster: Raster, gsdM: number | null, win: PixelWindow, queries: PreparedQuery[], enc: ClipEncoder, opts: DetectWindowOptions): Promise<RawDetection[]> {
  const max = opts.maxRegionPixels ?? 16384 * 16384;
  if (win.width * win.height > max) {
    throw new GeoscoutError('LIMIT_EXCEEDED', `The region is ${win.width}×${win.height} px (${((win.width * win.height) / 1e6).toFixed(0)} Mpx); the limit is ${(max / 1e6).toFixed(0)} Mpx. Split it into smaller regions or narrow the bbox.`);
  }
  const gsd = gsdM ?? 0.5;
  const prior = opts.sizePrior ?? DEFAULT_SIZE_PRIOR;
  // Chunks of 4096²: each is read with a pad as large as the biggest object (420 px at 0.5 m),
  // so smaller chunks read and propose their margins over and over. 1024² against 2048² made
  // proposals 131 s against 84 s (8192² of a dense synthetic scene); 4096² against 2048² in
  // bench:detect (session 16): exhaustive 119.5 / 179.5 s against 139.8–155.1 / 211.5 s, gated
  // within noise (paired runs 18.2 / 21.2 s against 20.1 / 27.5 s). Memory: (4096 + 840)² × 3 B
  // = 73 MB of pixels per chunk; peak RSS 848 MB against 842 MB.
  const chunk = opts.chunk ?? 4096;
  const pad = Math.min(chunk / 2, Math.ceil(Math.max(prior.maxM, CROP_MAX_M) / 2 / gsd));
  const scales = detectionLogitScales(enc);
  const found: RawDetection[] = [];
  const voters: Voter[] = [];
  const cores = chunksOf(win, chunk);
  const floors = queries.map((q) => scoreFloor(q, q.threshold ?? opts.threshold));
  for (const [k, core] of cores.entries()) {
    throwIfAborted(opts.signal);
    const gate = opts.areas ? gatedChunk(opts.areas, core, queries, gsd) : null;
    const parts = gate?.parts ?? null;
    if (parts && !parts.length) {
      opts.onProgress?.(k + 1, cores.length, `${found.length} candidate boxes`);
      continue;
    }
    const focus = parts ? windowBounds(parts) : core;
    const area = padWindow(focus, pad, raster.info.width, raster.info.height);
    let t = Date.now();
    const rgb = await raster.readRgb(area, { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.stretch ? { stretch: opts.stretch } : {}) });
    if (opts.timings) opts.timings.read += Date.now() - t;
    t = Date.now();
    const centred = (w: PixelWindow, p: PixelBox) => containsPoint(w, p.x + p.width / 2, p.y + p.height / 2);
    const props = (await (opts.proposer ?? saliencyProposer).propose(rgb, area, 1, gsdM, opts.signal, opts.weights ? { ...gate?.propose, weights: opts.weights } : gate?.propose))
      .filter((p) => centred(core, p) && overlaps(win, p) && (!parts || parts.some((w) => centred(w, p))))
      .filter((p) => mayScore(p, queries, floors, gsdM));
    if (opts.timings) opts.timings.proposals += Date.now() - t;
    if (props.length) {
      t = Date.now();
      const crops = props.map((p) => cropAround(rgb, area, p, gsd));
      const embeds = await encodeCropsCached(enc, crops, opts.signal);
      if (opts.timings) opts.timings.encode += Date.now() - t;
      t = Date.now();
      const vecs = rows(embeds, enc.dim);
      for (const [i, p] of props.entries()) {
        for (const q of queries) {
          // What the query says about the crop, times how sure the proposer is that the box
          // is one whole object: fragments and multi-object blobs sit in crops that look
          // like the class but are not detections of their own. A prototype also weighs how
          // near the crop is to its nearest example, in look and in metres; a text query that
          // names a class weighs the box's size against the class's (vocabulary.ts).
          const lengthM = gsdM == null ? null : Math.max(p.width, p.height) * gsdM;
          const near = q.exemplars ? exemplarFactor(q.exemplars, vecs[i]!, lengthM) : 1;
          const size = q.sizeRangeM && lengthM !== null ? sizePriorFactor(lengthM, q.sizeRangeM) : 1;
          const raw = scoreCrop(q, vecs[i]!, scales.plain, scales.context) * near * size * p.objectness;
          // Text scores are Platt-calibrated (scorer.ts); a prototype's probe is its own calibration.
          const score = isPrototypeQuery(q) ? raw : calibrateTextScore(raw);
          const thr = q.threshold ?? opts.threshold;
          const box = { x: p.x, y: p.y, width: p.width, height: p.height };
          // Votes weigh raw scores (as measured); the calibration's steepness would leave one voter.
          if (raw >= VOTE_FLOOR || score >= thr) voters.push({ label: q.label, score: raw, box });
          if (score >= thr) found.push({ label: q.label, score, box, vector: vecs[i]! });
        }
      }
      if (opts.timings) opts.timings.score += Date.now() - t;
    }
    opts.onProgress?.(k + 1, cores.length, `chunk ${k + 1}/${cores.length}: ${props.length} proposals`);
  }
  return voteBoxes(nms(found, opts.nmsIou ?? 0.4), voters, VOTE_IOU);
}

/** The parts of a chunk the gate leaves, and how to propose there. */
function gatedChunk(gate: NonNullable<DetectWindowOptions['areas']>, core: PixelWindow, queries: PreparedQuery[], gsd: number): { parts: PixelWindow[]; propose: ProposeOptions } {
  const clip = (ws: PixelWindow[]) => ws.map((a) => intersectWindows(a, core)).filter((a) => a.width > 0 && a.height > 0);
  const all = uniqueWindows(gate.perQuery.flatMap((q) => clip(q.all)));
  const small = uniqueWindows(gate.perQuery.flatMap((q) => clip(q.small)));
  const fine = uniqueWindows(gate.perQuery.flatMap((q, i) => (needsFinePass(queries[i]!, gsd) ? clip(q.small) : [])));
  // Blobs score at most SALIENCY_ONLY_OBJECTNESS: they matter for classes the model never saw.
  const blobs = queries.some((q) => isPrototypeQuery(q) || !q.sizeRangeM);
  return { parts: all, propose: { areas: { all, small, smallSide: gate.smallSide, fine, cascade: true }, blobs } };
}

function needsFinePass(q: PreparedQuery, gsd: number): boolean {
  return !q.sizeRangeM || q.sizeRangeM[0] / gsd < FINE_PASS_PX;
}

function uniqueWindows(ws: PixelWindow[]): PixelWindow[] {
  const seen = new Map<string, PixelWindow>();
  for (const w of ws) seen.set(`${w.x},${w.y},${w.width},${w.height}`, w);
  return [...seen.values()];
}

/**
 * The least raw score that can count for a query: as a detection (its threshold, on the raw
 * scale) or as a box voter. A crop's raw score is at most objectness × size prior (the query's
 * softmax, probe and nearest-example factors are at most 1), so a proposal below every
 * query's floor is dropped before its crop is encoded, with the same detections.
 */
function scoreFloor(q: PreparedQuery, threshold: number): number {
  // Less a rounding allowance: the calibration's inverse is exact only up to float error.
  return Math.min(VOTE_FLOOR, isPrototypeQuery(q) ? threshold : rawTextScore(threshold)) * (1 - 1e-9);
}

function mayScore(p: ScoredProposal, queries: PreparedQuery[], floors: number[], gsdM: number | null): boolean {
  const lengthM = gsdM == null ? null : Math.max(p.width, p.height) * gsdM;
  return queries.some((q, i) => p.objectness * (q.sizeRangeM && lengthM !== null ? sizePriorFactor(lengthM, q.sizeRangeM) : 1) >= floors[i]!);
}

/** A scored box that votes on the coordinates of the kept box it overlaps (see {@link VOTE_IOU}). */
interface Voter {
  label: string;
  score: number;
  box: PixelBox;
}

/**
 * Each kept box replaced by the score-weighted mean of the same-label voters overlapping it
 * by at least `iou` (itself among them); scores and everything else are kept.
 */
export function voteBoxes<T extends Voter>(kept: T[], voters: Voter[], iou: number): T[] {
  return kept.map((k) => {
    let w = 0, x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    for (const v of voters) {
      if (v.label !== k.label || boxIou(v.box, k.box) < iou) continue;
      w += v.score;
      x0 += v.score * v.box.x;
      y0 += v.score * v.box.y;
      x1 += v.score * (v.box.x + v.box.width);
      y1 += v.score * (v.box.y + v.box.height);
    }
    if (w <= 0) return k;
    return { ...k, box: { x: x0 / w, y: y0 / w, width: (x1 - x0) / w, height: (y1 - y0) / w } };
  });
}

/** Same-label non-maximum suppression. */
export function nms<T extends { label: string; score: number; box: PixelBox }>(dets: T[], iou: number): T[] {
  const sorted = [...dets].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const d of sorted) if (!kept.some((k) => k.label === d.label && boxIou(k.box, d.box) > iou)) kept.push(d);
  return kept;
}

/** Cores of `chunk`-sized pieces covering the window. */
export function chunksOf(win: PixelWindow, chunk: number): PixelWindow[] {
  const out: PixelWindow[] = [];
  for (let y = win.y; y < win.y + win.height; y += chunk) {
    for (let x = win.x; x < win.x + win.width; x += chunk) {
      out.push({ x, y, width: Math.min(chunk, win.x + win.width - x), height: Math.min(chunk, win.y + win.height - y) });
    }
  }
  return out;
}

function overlaps(w: PixelWindow, b: PixelBox): boolean {
  return b.x < w.x + w.width && b.x + b.width > w.x && b.y < w.y + w.height && b.y + b.height > w.y;
}

/** Side in pixels of the context crop around a box: 1.6× its long side, within [48, 192] m. */
export function contextSide(b: PixelBox, gsdM: number): number {
  return Math.round(Math.min(CROP_MAX_M / gsdM, Math.max(CROP_MIN_M / gsdM, Math.max(b.width, b.height) * 1.6)));
}

/**
 * The square window of `side` pixels (at most the image's shorter side) centred on a box,
 * shifted to stay inside a `width`×`height` image.
 */
export function squareAround(b: PixelBox, side: number, width: number, height: number): PixelWindow {
  const s = Math.min(width, height, side);
  const x = Math.min(width - s, Math.max(0, Math.round(b.x + b.width / 2 - s / 2)));
  const y = Math.min(height - s, Math.max(0, Math.round(b.y + b.height / 2 - s / 2)));
  return { x, y, width: s, height: s };
}

/** A square crop centred on the box ({@link contextSide}), shifted to stay inside `rgb`. */
export function cropAround(rgb: RgbImage, area: PixelWindow, b: PixelBox, gsdM: number): RgbImage {
  const side = Math.min(rgb.width, rgb.height, contextSide(b, gsdM));
  const cx = b.x - area.x + b.width / 2, cy = b.y - area.y + b.height / 2;
  const x0 = Math.min(rgb.width - side, Math.max(0, Math.round(cx - side / 2)));
  const y0 = Math.min(rgb.height - side, Math.max(0, Math.round(cy - side / 2)));
  const data = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++) data.set(rgb.data.subarray(((y0 + y) * rgb.width + x0) * 3, ((y0 + y) * rgb.width + x0 + side) * 3), y * side * 3);
  return { data, width: side, height: side };
}

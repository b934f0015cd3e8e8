import { throwIfAborted } from '../../core/errors.js';
import type { HeadImage } from '../fewshot/fit-head.js';
import { scanWindowHead, type HeadDetection } from '../fewshot/scan-head.js';
import { headScoredProposals } from './head-proposals.js';
import type { Proposer } from './proposer.js';
import type { ClipEncoder } from '../models/encoder.js';
import type { PixelWindow } from '../raster/georef.js';
import { contextSide, squareAround, type RawDetection } from './detect-window.js';
import type { PreparedQuery } from './scorer.js';
import { encodeCropsCached } from './crop-cache.js';
import { rows } from './vectors.js';

/** Crops encoded at once for the detections' vectors. */
const BATCH = 64;
/** Head windows kept for matching proposals: as low as measured (scratch/head-obj.ts), since the product with objectness decides. */
const DENSE_FLOOR = 0.01;

/**
 * Detects a prototype that carries a few-shot window head: the head scans the window
 * (pipeline/fewshot) and its probability is the score. The encoder only embeds the kept
 * boxes' context crops, so a detection can later be confirmed or rejected into the prototype
 * like any other. At most `max` boxes, best first.
 */
export async function detectWithHead(img: HeadImage, win: PixelWindow, q: PreparedQuery, enc: ClipEncoder, opts: { threshold: number; max: number; proposer?: Proposer; signal?: AbortSignal }): Promise<RawDetection[]> {
  const found = (await headBoxes(img, win, q, opts)).slice(0, opts.max);
  const out: RawDetection[] = [];
  const gsd = img.gsdM ?? 0.5;
  for (let i = 0; i < found.length; i += BATCH) {
    throwIfAborted(opts.signal);
    const part = found.slice(i, i + BATCH);
    const crops = await Promise.all(part.map((d) => img.raster.readRgb(squareAround(d.box, contextSide(d.box, gsd), img.raster.info.width, img.raster.info.height), {
      ...(img.stretch ? { stretch: img.stretch } : {}), ...(opts.signal ? { signal: opts.signal } : {}),
    })));
    const vecs = rows(await encodeCropsCached(enc, crops, opts.signal), enc.dim);
    part.forEach((d, k) => out.push({ label: q.label, score: d.score, box: d.box, vector: vecs[k]! }));
  }
  return out;
}

/**
 * The head's boxes at or above the threshold: its own dense scan, or, for a query that asks
 * for it (a class head, route-queries.ts) when a proposer is at hand, the objectness
 * proposals it agrees with (head-proposals.ts).
 */
async function headBoxes(img: HeadImage, win: PixelWindow, q: PreparedQuery, opts: { threshold: number; proposer?: Proposer; signal?: AbortSignal }): Promise<HeadDetection[]> {
  const head = q.head!, signal = opts.signal ? { signal: opts.signal } : {};
  if (!q.headProposals || !opts.proposer) return scanWindowHead(img, win, head, { ...signal, minScore: opts.threshold });
  const dense = await scanWindowHead(img, win, head, { ...signal, minScore: DENSE_FLOOR });
  const weights = q.headProposals.weights && opts.proposer.variants.includes(q.headProposals.weights) ? { weights: q.headProposals.weights } : {};
  const scored = await headScoredProposals(img, win, dense, opts.proposer, { maxLengthM: Math.max(...head.lengthsM), ...weights, ...signal });
  return scored.filter((d) => d.score >= opts.threshold);
}

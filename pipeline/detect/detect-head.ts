import { throwIfAborted } from '../../core/errors.js';
import type { HeadImage } from '../fewshot/fit-head.js';
import { scanWindowHead } from '../fewshot/scan-head.js';
import type { ClipEncoder } from '../models/encoder.js';
import type { PixelWindow } from '../raster/georef.js';
import { contextSide, squareAround, type RawDetection } from './detect-window.js';
import type { PreparedQuery } from './scorer.js';
import { encodeCropsCached } from './crop-cache.js';
import { rows } from './vectors.js';

/** Crops encoded at once for the detections' vectors. */
const BATCH = 64;

/**
 * Detects a prototype that carries a few-shot window head: the head scans the window
 * (pipeline/fewshot) and its probability is the score. The encoder only embeds the kept
 * boxes' context crops, so a detection can later be confirmed or rejected into the prototype
 * like any other. At most `max` boxes, best first.
 */
export async function detectWithHead(img: HeadImage, win: PixelWindow, q: PreparedQuery, enc: ClipEncoder, opts: { threshold: number; max: number; signal?: AbortSignal }): Promise<RawDetection[]> {
  const head = q.head!;
  const found = (await scanWindowHead(img, win, head, { ...(opts.signal ? { signal: opts.signal } : {}), minScore: opts.threshold })).slice(0, opts.max);
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

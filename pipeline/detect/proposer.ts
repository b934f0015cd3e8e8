import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { EncoderOptions } from '../models/encoder.js';
import type { RgbImage } from '../raster/raster.js';
import type { PassAreas } from './model-tiles.js';
import { DEFAULT_OBJECTNESS_DIR, ObjectnessModel } from './objectness.js';
import { boxIou, proposeObjects, type Proposal } from './proposals.js';
import type { PixelWindow } from '../raster/georef.js';

/** A proposal with the objectness the fused proposer assigns (1 = surely an object). */
export interface ScoredProposal extends Proposal {
  objectness: number;
}

/** Options of one {@link Proposer.propose} call. */
export interface ProposeOptions {
  /** Most the model may enlarge the pixels for its finest pass (default 2; 1 skips passes finer than the image). */
  maxUpsample?: number;
  /** Image pixels whose boxes (by centre) the caller keeps; the rest of the chunk is context only. */
  core?: PixelWindow;
  /** Parts of the chunk where the caller keeps boxes (by centre); each model pass runs only in its parts (objectness.ts). */
  areas?: PassAreas;
  /**
   * Add saliency blobs the model did not propose (default true). They serve classes the model
   * never saw; a caller whose queries all name known classes may skip them (see detect-window.ts).
   */
  blobs?: boolean;
  /** Run every model pass with this weights file, one of {@link Proposer.variants} (default: each pass's own). */
  weights?: string;
}

/** Class-agnostic proposals for one chunk of an image (see detect-window.ts). */
export interface Proposer {
  readonly kind: 'saliency' | 'objectness';
  /** Alternative weights files {@link ProposeOptions.weights} may name (none for saliency). */
  readonly variants: string[];
  propose(rgb: RgbImage, origin: { x: number; y: number }, scale: number, gsdM: number | null, signal?: AbortSignal, opts?: ProposeOptions): Promise<ScoredProposal[]>;
  close(): Promise<void>;
}

/**
 * Objectness given to background-subtraction blobs that the trained model did not propose.
 * They stay in the pool — the model never saw classes nobody has defined yet, and a
 * prototype for such a class must still find them — but a known-class query ranks them
 * below the model's own boxes.
 */
export const SALIENCY_ONLY_OBJECTNESS = 0.15;

/** Saliency blobs only (no model): every blob counts as an object. */
export const saliencyProposer: Proposer = {
  kind: 'saliency',
  variants: [],
  async propose(rgb, origin, scale, gsdM) {
    return (await proposeObjects(rgb, origin, scale, gsdM)).map((p) => ({ ...p, objectness: 1 }));
  },
  async close() {},
};

/**
 * The trained objectness model's boxes (scored by their centre heatmap) plus saliency blobs
 * that overlap none of them (IoU < 0.3), scored {@link SALIENCY_ONLY_OBJECTNESS}.
 */
export function objectnessProposer(model: ObjectnessModel): Proposer {
  return {
    kind: 'objectness',
    variants: model.alternateWeights,
    async propose(rgb, origin, scale, gsdM, signal, opts = {}) {
      const { blobs: withBlobs = true, ...modelOpts } = opts;
      const learned = await model.propose(rgb, origin, scale, gsdM, { ...(signal ? { signal } : {}), ...modelOpts });
      const blobs = withBlobs ? await proposeObjects(rgb, origin, scale, gsdM) : [];
      const extra = blobs.filter((b) => !learned.some((l) => boxIou(l, b) >= 0.3));
      return [...learned.map((p) => ({ ...p, objectness: p.objectness ?? p.contrast })), ...extra.map((p) => ({ ...p, objectness: SALIENCY_ONLY_OBJECTNESS }))];
    },
    close: () => model.close(),
  };
}

/**
 * The proposer to use: the shipped (or `dir`) objectness model when present, else saliency.
 * `kind: 'saliency'` (config `detect.proposals`, `GEOSCOUT_PROPOSALS`) forces the model-free path.
 */
export async function openProposer(dir: string = DEFAULT_OBJECTNESS_DIR, opts: EncoderOptions & { kind?: 'objectness' | 'saliency' } = {}): Promise<Proposer> {
  if (opts.kind === 'saliency' || !existsSync(path.join(dir, 'objectness.json'))) return saliencyProposer;
  return objectnessProposer(await ObjectnessModel.open(dir, opts));
}

/**
 * Remembers a proposer's boxes for the pixels they came from (an LRU keyed by a hash of the
 * RGB bytes, origin, scale, GSD and options), up to `maxBoxes` boxes in all. Proposals do not
 * depend on the query, and analysts ask about the same places again and again: a second
 * search or detection over the same tiles skips the objectness model. Keyed by the pixels,
 * not by an image id, so a replaced file can never be answered from the cache.
 */
export function cachingProposer(inner: Proposer, maxBoxes = 400_000): Proposer {
  const cache = new Map<string, ScoredProposal[]>();
  let boxes = 0;
  return {
    kind: inner.kind,
    variants: inner.variants,
    async propose(rgb, origin, scale, gsdM, signal, opts = {}) {
      const key = createHash('sha1').update(rgb.data).update(`|${rgb.width}x${rgb.height}|${origin.x},${origin.y}|${scale}|${gsdM}|${JSON.stringify([opts.maxUpsample, opts.core, opts.areas, opts.blobs, opts.weights])}`).digest('hex');
      const hit = cache.get(key);
      if (hit) {
        cache.delete(key);
        cache.set(key, hit);
        return hit.map((p) => ({ ...p }));
      }
      const props = await inner.propose(rgb, origin, scale, gsdM, signal, opts);
      cache.set(key, props.map((p) => ({ ...p })));
      boxes += props.length;
      for (const [k, v] of cache) {
        if (boxes <= maxBoxes) break;
        cache.delete(k);
        boxes -= v.length;
      }
      return props;
    },
    async close() {
      cache.clear();
      boxes = 0;
      await inner.close();
    },
  };
}

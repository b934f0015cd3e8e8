import { encodeCropsCached } from '../detect/crop-cache.js';
import { cropAround } from '../detect/detect-window.js';
import { saliencyProposer, type Proposer } from '../detect/proposer.js';
import { exemplarSimilarity, type Exemplars } from '../detect/exemplars.js';
import { dot, rows } from '../detect/vectors.js';
import { sizePriorFactor } from '../detect/vocabulary.js';
import type { Store } from '../index/store.js';
import type { ClipEncoder } from '../models/encoder.js';
import type { Stretch } from '../raster/stretch.js';
import { forEachImage, type TileHit } from './tile-search.js';
import { clipBoxTo } from '../raster/georef.js';

/** Weight of the object score against the tile/patch score in the final ranking. */
const OBJECT_WEIGHT = 0.6;

/** Cosine taken off a proposal per unit of doubt (1 − objectness). */
const OBJECTNESS_PENALTY = 0.4;

/** Cosine taken off a proposal per unit of size doubt (1 − the size prior of vocabulary.ts). */
const SIZE_PENALTY = 0.4;

/** Options of {@link objectRerank}. */
export interface ObjectRerankOptions {
  /** Proposals (default: saliency blobs). */
  proposer?: Proposer;
  /** A prototype's examples: a proposal is compared with the nearest one instead of the query vector. */
  exemplars?: Exemplars;
  /** Longest side in metres of what the query names: a box outside it is doubted (a 66 m box is no vehicle). */
  sizeRangeM?: [number, number];
}

/**
 * Object-level rerank: inside each candidate tile, class-agnostic proposals (the same ones
 * detect_in_region uses) are cropped with context, encoded, and compared with the query.
 * The best proposal becomes the hit's `best_box` (an object box, not a patch cell) and its
 * similarity is mixed into the score. Both sides of the comparison are then object-centred
 * crops, which is what a query by example chip is; a tile whose global vector is dominated
 * by background no longer hides the object it holds. Costs one batched encoding of the
 * candidates' proposals (a few hundred crops for 20 candidates). With a prototype's
 * `exemplars`, a proposal is compared with its nearest example, in look and in metres,
 * instead of with the query vector, as detect_in_region does (a class with several looks
 * is not one direction: see exemplars.ts).
 */
export async function objectRerank(store: Store, enc: ClipEncoder, q: Float32Array, hits: TileHit[], signal?: AbortSignal, opts: ObjectRerankOptions = {}): Promise<void> {
  const { proposer = saliencyProposer, exemplars, sizeRangeM } = opts;
  await forEachImage(store, hits, signal, async (rec, raster, list) => {
    const gsd = rec.gsd_m ?? 0.5;
    const margin = Math.round(96 / gsd);
    for (const h of list) {
      const w = h.window;
      const area = { x: Math.max(0, w.x - margin), y: Math.max(0, w.y - margin), width: 0, height: 0 };
      area.width = Math.min(rec.width, w.x + w.width + margin) - area.x;
      area.height = Math.min(rec.height, w.y + w.height + margin) - area.y;
      const rgb = await raster.readRgb(area, { stretch: rec.stretch as Stretch, ...(signal ? { signal } : {}) });
      // The proposer's enlarged pass stays (about half its time): without it the ship box rate
      // fell from 0.81 to 0.70 and image→tile P@10 from 1.00 to 0.86 (bench:search-quality).
      const props = (await proposer.propose(rgb, area, 1, rec.gsd_m, signal, { core: w })).filter((p) => {
        const cx = p.x + p.width / 2, cy = p.y + p.height / 2;
        return cx >= w.x && cx < w.x + w.width && cy >= w.y && cy < w.y + w.height;
      });
      if (!props.length) {
        // No proposal: the tile competes as one box the proposer doubts (objectness 0), so
        // an empty stretch of road or water does not outrank tiles holding objects merely
        // because it skipped the rerank.
        h.score -= OBJECT_WEIGHT * OBJECTNESS_PENALTY;
        continue;
      }
      const embeds = await encodeCropsCached(enc, props.map((p) => cropAround(rgb, area, p, gsd)), signal);
      // Similarity to the query, lowered for boxes the proposer doubts are whole objects and
      // for boxes of the wrong size for what the query names.
      const lengthM = (i: number) => (rec.gsd_m == null ? null : Math.max(props[i]!.width, props[i]!.height) * rec.gsd_m);
      const like = (v: Float32Array, i: number) => (exemplars ? exemplarSimilarity(exemplars, v, lengthM(i)) : dot(v, q));
      const sizeDoubt = (i: number) => {
        const m = lengthM(i);
        return sizeRangeM && m !== null ? 1 - sizePriorFactor(m, sizeRangeM) : 0;
      };
      const sims = rows(embeds, enc.dim).map((v, i) => like(v, i) - OBJECTNESS_PENALTY * (1 - props[i]!.objectness) - SIZE_PENALTY * sizeDoubt(i));
      let bi = 0;
      for (let i = 1; i < sims.length; i++) if (sims[i]! > sims[bi]!) bi = i;
      const p = props[bi]!;
      const box = clipBoxTo({ x: Math.round(p.x), y: Math.round(p.y), width: Math.round(p.width), height: Math.round(p.height) }, w);
      const ll = raster.georef?.pixelToLonLat(box.x + box.width / 2, box.y + box.height / 2);
      h.best_box = { ...box, lon: ll ? Math.round(ll[0] * 1e7) / 1e7 : null, lat: ll ? Math.round(ll[1] * 1e7) / 1e7 : null };
      h.object_score = sims[bi]!;
      h.score = (1 - OBJECT_WEIGHT) * h.score + OBJECT_WEIGHT * sims[bi]!;
    }
  });
}


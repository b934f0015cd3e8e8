import { encodeCropsCached } from '../detect/crop-cache.js';
import { cropAround } from '../detect/detect-window.js';
import { saliencyProposer, type Proposer, type ScoredProposal } from '../detect/proposer.js';
import { exemplarSimilarity, type Exemplars } from '../detect/exemplars.js';
import { dot, rows } from '../detect/vectors.js';
import { sizePriorFactor } from '../detect/vocabulary.js';
import type { Store } from '../index/store.js';
import type { ClipEncoder } from '../models/encoder.js';
import type { Stretch } from '../raster/stretch.js';
import { forEachImage, type TileHit } from './tile-search.js';
import { clipBoxTo, containsPoint, padWindow, windowBounds, type PixelWindow } from '../raster/georef.js';

/** Weight of the object score against the tile/patch score in the final ranking. */
const OBJECT_WEIGHT = 0.6;

/** Cosine taken off a proposal per unit of doubt (1 − objectness). */
const OBJECTNESS_PENALTY = 0.4;

/** Cosine taken off a proposal per unit of size doubt (1 − the size prior of vocabulary.ts). */
const SIZE_PENALTY = 0.4;

/**
 * Proposals per tile whose crops are encoded: those the priors (objectness, size) doubt least.
 * Only a tile's best box counts, and a proposal the priors put below a dozen others rarely
 * wins on look: a vehicle tile in a parking lot held 38 proposals on average, and encoding them
 * all was 7.7 of a 14 s search.
 */
const CROPS_PER_TILE = 12;

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
 * by background no longer hides the object it holds. Nearby candidates of one image are read
 * and proposed together ({@link readGroups}); at most {@link CROPS_PER_TILE} crops per tile are
 * encoded. With a prototype's
 * `exemplars`, a proposal is compared with its nearest example, in look and in metres,
 * instead of with the query vector, as detect_in_region does (a class with several looks
 * is not one direction: see exemplars.ts).
 */
export async function objectRerank(store: Store, enc: ClipEncoder, q: Float32Array, hits: TileHit[], signal?: AbortSignal, opts: ObjectRerankOptions = {}): Promise<void> {
  const { proposer = saliencyProposer, exemplars, sizeRangeM } = opts;
  await forEachImage(store, hits, signal, async (rec, raster, list) => {
    const gsd = rec.gsd_m ?? 0.5;
    const margin = Math.round(96 / gsd);
    // Saliency blobs serve classes the model never saw: a text query naming a known class
    // (it has a size range) does without them, as detect_in_region does.
    const blobs = !!exemplars || !sizeRangeM;
    const lengthM = (p: ScoredProposal) => (rec.gsd_m == null ? null : Math.max(p.width, p.height) * rec.gsd_m);
    const sizeDoubt = (p: ScoredProposal) => {
      const m = lengthM(p);
      return sizeRangeM && m !== null ? 1 - sizePriorFactor(m, sizeRangeM) : 0;
    };
    // What the priors take off a proposal's similarity: doubt that the box is one whole
    // object, and doubt about its size for what the query names.
    const doubt = (p: ScoredProposal) => OBJECTNESS_PENALTY * (1 - p.objectness) + SIZE_PENALTY * sizeDoubt(p);
    for (const group of readGroups(list, margin, rec.width, rec.height)) {
      const rgb = await raster.readRgb(group.area, { stretch: rec.stretch as Stretch, ...(signal ? { signal } : {}) });
      // The proposer's enlarged pass stays (about half its time): without it the ship box rate
      // fell from 0.81 to 0.70 and image→tile P@10 from 1.00 to 0.86 (bench:search-quality).
      // One call for the group's tiles: each model pass runs once over the bounds of their
      // windows (plus the largest box's reach), not once per tile. Proposing only inside the
      // windows (the gate's `areas`) was as fast but cut the context at their edges: ship box
      // rate 0.78 against 0.84.
      const all = await proposer.propose(rgb, group.area, 1, rec.gsd_m, signal, { core: windowBounds(group.hits.map((h) => h.window)), blobs });
      for (const h of group.hits) {
        const w = h.window;
        const { inTile, props } = tileCandidates(all, w, sizeDoubt, doubt);
        if (!props.length) {
          // No candidate: the tile competes as one box the proposer doubts (objectness 0), so
          // an empty stretch of road or water does not outrank tiles holding objects merely
          // because it skipped the rerank; if it held only boxes of the wrong size, its size is
          // doubted too.
          h.score -= OBJECT_WEIGHT * (OBJECTNESS_PENALTY + (inTile.length ? SIZE_PENALTY : 0));
          continue;
        }
        const embeds = await encodeCropsCached(enc, props.map(({ p }) => cropAround(rgb, group.area, p, gsd)), signal);
        const like = (v: Float32Array, p: ScoredProposal) => (exemplars ? exemplarSimilarity(exemplars, v, lengthM(p)) : dot(v, q));
        const sims = rows(embeds, enc.dim).map((v, i) => like(v, props[i]!.p) - props[i]!.doubt);
        let bi = 0;
        for (let i = 1; i < sims.length; i++) if (sims[i]! > sims[bi]!) bi = i;
        const p = props[bi]!.p;
        const box = clipBoxTo({ x: Math.round(p.x), y: Math.round(p.y), width: Math.round(p.width), height: Math.round(p.height) }, w);
        const ll = raster.georef?.pixelToLonLat(box.x + box.width / 2, box.y + box.height / 2);
        h.best_box = { ...box, lon: ll ? Math.round(ll[0] * 1e7) / 1e7 : null, lat: ll ? Math.round(ll[1] * 1e7) / 1e7 : null };
        h.object_score = sims[bi]!;
        h.score = (1 - OBJECT_WEIGHT) * h.score + OBJECT_WEIGHT * sims[bi]!;
      }
    }
  });
}

/**
 * The proposals centred in a tile, and those worth encoding: not ruled out by the size the
 * query names (a 51 m "car"; detect_in_region drops them too), the {@link CROPS_PER_TILE}
 * the priors doubt least.
 */
function tileCandidates(all: ScoredProposal[], w: PixelWindow, sizeDoubt: (p: ScoredProposal) => number, doubt: (p: ScoredProposal) => number): { inTile: ScoredProposal[]; props: { p: ScoredProposal; doubt: number }[] } {
  const inTile = all.filter((p) => containsPoint(w, p.x + p.width / 2, p.y + p.height / 2));
  const props = inTile
    .filter((p) => sizeDoubt(p) < 1)
    .map((p) => ({ p, doubt: doubt(p) }))
    .sort((a, b) => a.doubt - b.doubt)
    .slice(0, CROPS_PER_TILE);
  return { inTile, props };
}

/** Most pixels one group reads at once: (4096 px)², 50 MB of RGB. */
const GROUP_MAX_PIXELS = 4096 * 4096;

/**
 * The hits of one image in groups read and proposed together: each hit's window plus `margin`
 * of context, and two groups merged whenever the window holding both is no larger than the
 * two apart. The rerank's tiles overlap (levels 0 and 1 of one place, neighbours sharing
 * edges): on the demo scene their union was 0.38–0.70 of their sum.
 */
export function readGroups(hits: TileHit[], margin: number, W: number, H: number): { area: PixelWindow; hits: TileHit[] }[] {
  const size = (w: PixelWindow) => w.width * w.height;
  const groups = hits.map((h) => ({ area: padWindow(h.window, margin, W, H), hits: [h] }));
  for (let merged = true; merged; ) {
    merged = false;
    for (let i = 0; i < groups.length && !merged; i++) {
      for (let j = i + 1; j < groups.length && !merged; j++) {
        const area = windowBounds([groups[i]!.area, groups[j]!.area]);
        if (size(area) > Math.min(GROUP_MAX_PIXELS, size(groups[i]!.area) + size(groups[j]!.area))) continue;
        groups[i] = { area, hits: [...groups[i]!.hits, ...groups[j]!.hits] };
        groups.splice(j, 1);
        merged = true;
      }
    }
  }
  return groups;
}

import { exampleImage } from '../synth/exemplars.js';
import { openCatalogImage } from '../catalog/open-image.js';
import { cropAround, squareAround } from '../detect/detect-window.js';
import { boxIou } from '../detect/proposals.js';
import type { Proposer } from '../detect/proposer.js';
import { dot, meanOf, normalize } from '../detect/vectors.js';
import type { Store } from '../index/store.js';
import type { ClipEncoder } from '../models/encoder.js';
import type { Stretch } from '../raster/stretch.js';
import type { StoredExample } from './examples.js';
import type { PixelWindow } from '../raster/georef.js';

/** Examples whose surroundings are searched (the first ones given). */
const MAX_EXAMPLES = 8;
/** Proposals kept per example's surroundings (the most object-like first). */
const PER_EXAMPLE = 24;
/** Side of the window around an example: this many times its long side, within [MIN, MAX] px. */
const WINDOW_FACTOR = 6;
const WINDOW_MIN_PX = 512;
const WINDOW_MAX_PX = 1024;
/** Proposals less object-like than this are background the tile sample already covers. */
const MIN_OBJECTNESS = 0.2;

/**
 * Hard negatives for a prototype's probe: the objects the detection proposer finds around
 * each example (ships, cars, buildings next to the turbine, aircraft), minus anything
 * overlapping an example, embedded exactly as detect_in_region embeds its proposals.
 *
 * Why: the probe is applied to proposal crops, but the stored background sample is whole
 * tiles. A probe fitted only against tiles learns "an object-centred crop" rather than
 * "this kind of object", and then fires on every proposal (a 5-shot wind-turbine
 * prototype had 26 false positives per km² in bench:detect-quality). Objects from the
 * examples' own scenes are the distractors an analyst's region will hold. A proposal as
 * close to the examples' mean as the least typical example is taken for an unlabelled
 * positive (the next turbine of a wind farm) and left out.
 */
export async function surroundingNegatives(store: Store, enc: ClipEncoder, proposer: Proposer, positives: StoredExample[], signal?: AbortSignal): Promise<number[][]> {
  const located = positives.filter((p): p is StoredExample & { image_id: string; box: NonNullable<StoredExample['box']> } => !!p.image_id && !!p.box).slice(0, MAX_EXAMPLES);
  const out: number[][] = [];
  for (const ex of located) {
    signal?.throwIfAborted();
    const rec = await exampleImage(store, ex.image_id, signal);
    const gsd = rec.gsd_m ?? 0.5;
    const side = Math.max(WINDOW_MIN_PX, Math.min(WINDOW_MAX_PX, WINDOW_FACTOR * Math.max(ex.box.width, ex.box.height)));
    const area = squareAround(ex.box, side, rec.width, rec.height);
    const raster = await openCatalogImage(rec, signal);
    try {
      const rgb = await raster.readRgb(area, { stretch: rec.stretch as Stretch, ...(signal ? { signal } : {}) });
      const examplesHere = positives.flatMap((p) => (p.image_id === ex.image_id && p.box ? [p.box] : []));
      const props = (await proposer.propose(rgb, area, 1, rec.gsd_m, signal))
        .filter((p) => p.objectness >= MIN_OBJECTNESS && examplesHere.every((b) => boxIou(p, b) < 0.1 && !centreInside(p, b) && !centreInside(b, p)))
        .sort((a, b) => b.objectness - a.objectness)
        .slice(0, PER_EXAMPLE);
      if (!props.length) continue;
      const { embeds } = await enc.encodeImages(props.map((p) => cropAround(rgb, area, p, gsd)), { patches: false, ...(signal ? { signal } : {}) });
      for (let i = 0; i < props.length; i++) out.push(Array.from(embeds.subarray(i * enc.dim, (i + 1) * enc.dim)));
    } finally {
      await raster.close();
    }
  }
  const mean = normalize(meanOf(positives.map((p) => p.vector)));
  const typical = Math.min(...positives.map((p) => dot(normalize(Float32Array.from(p.vector)), mean)));
  return out.filter((v) => dot(normalize(Float32Array.from(v)), mean) < typical);
}

type Box = PixelWindow;

function centreInside(a: Box, b: Box): boolean {
  const cx = a.x + a.width / 2, cy = a.y + a.height / 2;
  return cx >= b.x && cx <= b.x + b.width && cy >= b.y && cy <= b.y + b.height;
}

import { logRangeFalloff } from './size-falloff.js';
import { dot } from './vectors.js';

/**
 * A prototype's examples as detection sees them: unit embedding vectors and, where the
 * example has a box in a georeferenced image, its long side in metres.
 */
export interface Exemplars {
  vectors: Float32Array[];
  /** Long side of each example's box in metres; null when unknown (an image file). */
  longSidesM: (number | null)[];
}

/**
 * Width of the similarity kernel, in cosine: a crop 0.1 below its nearest example keeps
 * e^-1 of its score. Chosen on tuning scenes 43001–43012 with examples from 42005–42009
 * (bench:detect-quality's scenes and examples are different); see {@link exemplarFactor}.
 */
export const EXEMPLAR_TAU = 0.1;
/** Sizes within this factor of an example's are all alike to the size term. */
export const SIZE_TOLERANCE = 2;
/** Beyond the tolerance, the size term falls as a Gaussian in log size with this σ. */
export const SIZE_SIGMA = 0.35;

/**
 * How much a crop looks like, and is sized like, one of the examples: the best over the
 * examples of exp((cos − 1) / τ) × size term.
 *
 * Why, next to the probe: the probe and the fused vector are one direction in embedding
 * space, and a class the encoder never learned is not one direction. geoscout-mini embeds
 * offshore and onshore wind turbines as two tight clusters (cosine 0.95–1.0 to a same-setting
 * example, 0.0–0.35 across settings) while ships sit between them; a linear probe fitted on
 * four onshore and one offshore example scored ships above most turbines (5-shot AP50
 * 0.04 on 12 held-out scenes). Scoring each crop against its nearest example keeps every
 * mode of the class. The size term uses what an example box says in metres (GSD-aware):
 * a 6 m boat's 48 m crop is mostly open water, like a 150 m offshore turbine's crop
 * (cosine 0.999), and only size tells them apart.
 */
export function exemplarFactor(ex: Exemplars, v: Float32Array, longSideM: number | null): number {
  let best = 0;
  for (let k = 0; k < ex.vectors.length; k++) {
    const sim = Math.exp((dot(ex.vectors[k]!, v) - 1) / EXEMPLAR_TAU);
    const size = sizeTerm(longSideM, ex.longSidesM[k] ?? null);
    best = Math.max(best, sim * size);
  }
  return best;
}

/** 1 within {@link SIZE_TOLERANCE}× of the example's size, then a log-Gaussian fall-off. */
export function sizeTerm(a: number | null, b: number | null): number {
  if (a == null || b == null || a <= 0 || b <= 0) return 1;
  return logRangeFalloff(a, b / SIZE_TOLERANCE, b * SIZE_TOLERANCE, SIZE_SIGMA);
}

/**
 * {@link exemplarFactor} on the cosine scale: 1 + τ·ln(factor), i.e. the best over the
 * examples of cos + τ·ln(size term). Equals the plain cosine to the nearest example when
 * sizes agree, so it mixes with cosine scores (search's object rerank) like a cosine does.
 */
export function exemplarSimilarity(ex: Exemplars, v: Float32Array, longSideM: number | null): number {
  return 1 + EXEMPLAR_TAU * Math.log(Math.max(exemplarFactor(ex, v, longSideM), 1e-300));
}

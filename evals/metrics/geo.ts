/** Counting and geolocation errors. */
import { haversineM } from '../../pipeline/raster/georef.js';

export { haversineM };

/** Absolute and relative counting error; relative divides by max(truth, 1) so a zero truth stays finite. */
export function countError(predicted: number, truth: number): { abs: number; rel: number } {
  const abs = Math.abs(predicted - truth);
  return { abs, rel: abs / Math.max(truth, 1) };
}

/** Distance in metres from a predicted lon/lat to the nearest truth point (Infinity when there is none). */
export function geolocationErrorM(predicted: [number, number], truth: [number, number][]): number {
  let best = Infinity;
  for (const t of truth) best = Math.min(best, haversineM(predicted, t));
  return best;
}

/** Median of a list (NaN for an empty one). */
export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

import type { Rgb } from './palette.js';

/** Colour of an object at local metres (u forward from centre, v right); false = not covered. */
export type Painter = (u: number, v: number, out: number[]) => boolean;

/** Writes colour × shade into `out` and returns true (for terse painters). */
export function put(out: number[], c: Rgb, shade = 1): true {
  out[0] = c[0] * shade;
  out[1] = c[1] * shade;
  out[2] = c[2] * shade;
  return true;
}

/** Picks a palette entry from a seed. */
export function pickBy<T>(seed: number, salt: number, items: readonly T[]): T {
  const h = Math.imul(seed ^ Math.imul(salt, 0x9e3779b1), 0x85ebca6b) >>> 0;
  return items[(h >>> 8) % items.length]!;
}

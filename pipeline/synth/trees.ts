import { hashInts } from './random.js';

/** Sun and shadow for tree shading, in metres on the ground. */
export interface TreeLight {
  /** Unit vector towards the sun (x, y image axes). */
  sunX: number;
  sunY: number;
  /** Shadow displacement per metre of tree height. */
  shX: number;
  shY: number;
}

/**
 * Single trees on a jittered grid: one candidate per `cellM` square, kept with probability
 * `density`. Returns 0 where there is no tree, a crown brightness in (0, 2) on a crown (lit
 * on the sun side), or -1 in a tree's shadow. Crowns stay inside their cell, so a pixel
 * only tests its own cell and the cell its shadow would come from.
 */
export function treeAt(mx: number, my: number, cellM: number, density: number, seed: number, light: TreeLight): number {
  if (density <= 0) return 0;
  if (crownHit(mx, my, cellM, density, seed)) {
    return 0.8 + 0.35 * ((hit.dx * light.sunX + hit.dy * light.sunY) / hit.r);
  }
  // Tree height is about 2.5 crown radii + 2 m; test the cell a shadow of average height comes from.
  const h = cellM * 0.75 + 2;
  return crownHit(mx - light.shX * h, my - light.shY * h, cellM, density, seed) ? -1 : 0;
}

/** Offset from the crown centre and radius of the last hit (no allocation per pixel). */
const hit = { dx: 0, dy: 0, r: 1 };

function crownHit(mx: number, my: number, cellM: number, density: number, seed: number): boolean {
  const ci = Math.floor(mx / cellM), cj = Math.floor(my / cellM);
  const h = hashInts(ci, cj, seed);
  if ((h & 1023) / 1024 >= density) return false;
  const cx = (ci + 0.3 + 0.4 * (((h >>> 10) & 255) / 255)) * cellM;
  const cy = (cj + 0.3 + 0.4 * (((h >>> 18) & 255) / 255)) * cellM;
  const r = cellM * (0.2 + 0.1 * ((h >>> 26) / 63));
  const dx = mx - cx, dy = my - cy;
  if (dx * dx + dy * dy > r * r) return false;
  hit.dx = dx;
  hit.dy = dy;
  hit.r = r;
  return true;
}

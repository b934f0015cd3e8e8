import { boxCorners, forwardOf, type OBox, type Vec } from './geometry.js';
import type { PlanContext } from './plan-context.js';
import { Rng } from './random.js';

const STEP_M = 10;

/**
 * Straight roads across the land: each is a line through a random land point, cut where
 * it would cross water or a reserved zone (airfield, town, lot, tank farm), so roads end
 * at coasts and zone edges. Runs shorter than 80 m are dropped.
 */
export function layoutRoads(ctx: PlanContext, seed: number): void {
  const rng = Rng.forStage(seed, 'roads');
  const sizeKm = (Math.max(ctx.width, ctx.height) * ctx.gsd) / 1000;
  const count = Math.min(16, Math.max(2, Math.round(1 + sizeKm * 1.2)));
  // Lines that come out empty (all water or zones) do not count: retry a few times.
  for (let placed = 0, tries = 0; placed < count && tries < count * 6; tries++) {
    const anchor = landPoint(ctx, rng);
    if (!anchor) return;
    placed += addRoadLine(ctx, rng, anchor, rng.range(0, 180), rng.range(7, 10)) > 0 ? 1 : 0;
  }
}

function landPoint(ctx: PlanContext, rng: Rng): Vec | null {
  for (let i = 0; i < 200; i++) {
    const p: Vec = [rng.range(0, ctx.width), rng.range(0, ctx.height)];
    if (ctx.land.at(p[0], p[1]) > 30) return p;
  }
  return null;
}

/** Adds the land runs of one line as road features; returns how many. */
function addRoadLine(ctx: PlanContext, rng: Rng, anchor: Vec, heading: number, widthM: number): number {
  const [fx, fy] = forwardOf(heading);
  // Parameter range that covers the scene plus a margin, so roads run off the edges.
  const reach = Math.hypot(ctx.width, ctx.height) + ctx.px(100);
  const step = ctx.px(STEP_M);
  const w = ctx.px(widthM);
  let runStart: number | null = null;
  let added = 0;
  const flush = (end: number) => {
    if (runStart !== null && (end - runStart) * ctx.gsd >= 80) {
      added++;
      const mid = (runStart + end) / 2;
      const box: OBox = { cx: anchor[0] + fx * mid, cy: anchor[1] + fy * mid, length: end - runStart, width: w, headingDeg: heading };
      ctx.addFeature('road', box, rng.seed());
    }
    runStart = null;
  };
  for (let t = -reach; t <= reach; t += step) {
    const x = anchor[0] + fx * t;
    const y = anchor[1] + fy * t;
    const outside = x < -ctx.px(60) || y < -ctx.px(60) || x > ctx.width + ctx.px(60) || y > ctx.height + ctx.px(60);
    const seg: OBox = { cx: x, cy: y, length: step, width: w + ctx.px(6), headingDeg: heading };
    const ok = !outside && ctx.land.at(x, y) > 15 && !ctx.blocked(boxCorners(seg), { allow: ['road'] });
    if (ok && runStart === null) runStart = t - step / 2;
    if (!ok) flush(t - step / 2);
  }
  flush(reach);
  return added;
}

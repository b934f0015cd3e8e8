import { boxCorners, type OBox, type Vec } from './geometry.js';
import type { PlanContext } from './plan-context.js';
import { Rng } from './random.js';
import { turbineGeometry } from './turbine-geometry.js';

/**
 * Wind farms: rows of turbines, all facing one wind direction, spaced 4–6 rotor
 * diameters apart, on open land or offshore. Count grows with area.
 */
export function layoutWindFarms(ctx: PlanContext, seed: number): void {
  const rng = Rng.forStage(seed, 'wind');
  const windDeg = rng.range(0, 360);
  const farms = Math.max(1, Math.round(ctx.areaKm2 / 25));
  for (let f = 0; f < farms; f++) {
    const size = ctx.sizeOf('wind_turbine', rng);
    const offshore = rng.chance(0.4);
    const spacing = ctx.px(size.lengthM * rng.range(4, 6));
    const rowHeading = windDeg + 90 + rng.range(-20, 20);
    const count = ctx.areaKm2 < 3 ? 1 : rng.int(2, 6);
    for (let tries = 0; tries < 60; tries++) {
      const start: Vec = [rng.range(0.05, 0.95) * ctx.width, rng.range(0.05, 0.95) * ctx.height];
      const placed = placeRow(ctx, rng, start, rowHeading, spacing, count, windDeg, size.lengthM, offshore);
      if (placed > 0) break;
    }
  }
}

function placeRow(ctx: PlanContext, rng: Rng, start: Vec, rowHeading: number, spacing: number, count: number, windDeg: number, diaM: number, offshore: boolean): number {
  const a = (rowHeading * Math.PI) / 180;
  let placed = 0;
  for (let i = 0; i < count; i++) {
    const cx = start[0] + Math.sin(a) * spacing * i;
    const cy = start[1] - Math.cos(a) * spacing * i;
    if (tryTurbine(ctx, rng, cx, cy, windDeg, diaM, offshore ? { maxLandM: -30 } : { minLandM: 15 })) placed++;
  }
  return placed;
}

/** Places one turbine at (cx, cy) pixels if the rotor's clearance square is free. */
export function tryTurbine(ctx: PlanContext, rng: Rng, cx: number, cy: number, windDeg: number, diaM: number, land: { minLandM?: number; maxLandM?: number }): boolean {
  const heading = windDeg + rng.range(-4, 4);
  const clearance: OBox = { cx, cy, length: ctx.px(diaM + 10), width: ctx.px(diaM + 10), headingDeg: heading };
  if (!ctx.fits(clearance, { allow: [], ...land })) return false;
  const seed = rng.seed();
  const geo = turbineGeometry(seed, diaM, ctx.light.offNadirDeg);
  const hubM = diaM * 0.72 + 12;
  const box: OBox = { cx, cy, length: ctx.px(2 * geo.halfAlongM), width: ctx.px(2 * geo.halfAcrossM), headingDeg: heading };
  // The tower and rotor shadows land far from the box: include them in the paint area.
  const [sx, sy] = ctx.light.shadowPerM;
  const r = ctx.px(diaM / 2) + (Math.hypot(sx, sy) * diaM) / 2;
  const shadowEnd: Vec = [cx + sx * hubM, cy + sy * hubM];
  const paint = boxCorners({ cx: shadowEnd[0], cy: shadowEnd[1], length: 2 * r, width: 2 * r, headingDeg: 0 });
  ctx.place('wind_turbine', box, hubM, ctx.land.at(cx, cy) < 0 ? 'water' : 'land', seed, { paintPoints: paint, hint: 'wind farm' });
  // Keep other objects off the whole rotor disc, not just the visible blades.
  ctx.reserve(boxCorners(clearance));
  return true;
}

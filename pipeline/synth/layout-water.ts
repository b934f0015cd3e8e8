import type { ObjectType } from './catalog.js';
import { boxCorners, fromLocal, type OBox, type Vec } from './geometry.js';
import type { PlanContext } from './plan-context.js';
import { Rng } from './random.js';

/** Kelvin wake half-angle. */
const KELVIN = (19.47 * Math.PI) / 180;
const OPEN_WATER_TYPES: ObjectType[] = ['container_ship', 'leisure', 'tanker', 'fishing', 'tug', 'warship', 'barge'];
const OPEN_WEIGHTS = { leisure: 26, fishing: 20, tug: 8, barge: 8, container_ship: 13, tanker: 11, warship: 6 } as const;
const HARBOUR_WEIGHTS = { tug: 18, fishing: 22, barge: 14, container_ship: 14, tanker: 10, warship: 8, leisure: 14 } as const;

/**
 * Water: piers from the coast with ships moored alongside, and ships in open water, some
 * under way with a wake. Counts grow with the water area.
 */
export function layoutWater(ctx: PlanContext, seed: number, waterKm2: number): void {
  const rng = Rng.forStage(seed, 'water');
  if (waterKm2 < 0.02) return;
  const piers = Math.max(1, Math.round(waterKm2 / 12));
  for (let i = 0; i < piers; i++) addPier(ctx, rng);
  const ships = Math.min(150, Math.max(3, Math.round(waterKm2 * 6)));
  for (let k = 0; k < ships; k++) {
    const type = k < OPEN_WATER_TYPES.length ? OPEN_WATER_TYPES[k]! : rng.weighted(OPEN_WEIGHTS);
    addOpenWaterShip(ctx, rng, type);
  }
}

function addPier(ctx: PlanContext, rng: Rng): void {
  for (let i = 0; i < 300; i++) {
    const x = rng.range(0.1, 0.9) * ctx.width;
    const y = rng.range(0.1, 0.9) * ctx.height;
    const l = ctx.land.at(x, y);
    if (l < 4 || l > 30) continue;
    // Seaward direction: down the land field's gradient.
    const e = ctx.px(5);
    const gx = ctx.land.at(x + e, y) - ctx.land.at(x - e, y);
    const gy = ctx.land.at(x, y + e) - ctx.land.at(x, y - e);
    const heading = (Math.atan2(-gx, gy) * 180) / Math.PI;
    const lenM = rng.range(150, 360);
    const widM = rng.range(22, 40);
    const [cx, cy] = fromLocal({ cx: x, cy: y, length: 0, width: 0, headingDeg: heading }, ctx.px(lenM / 2 - 15), 0);
    const pier: OBox = { cx, cy, length: ctx.px(lenM), width: ctx.px(widM), headingDeg: heading };
    const tip = fromLocal(pier, pier.length / 2, 0);
    if (ctx.land.at(tip[0], tip[1]) > -25 || !ctx.inScene([[cx, cy], tip], ctx.px(40))) continue;
    const clear = boxCorners({ ...pier, width: pier.width + ctx.px(120) });
    if (ctx.blocked(clear, { allow: [] })) continue;
    ctx.addFeature('pier', pier, rng.seed());
    mooredShips(ctx, rng, pier);
    return;
  }
}

/** Ships berthed along both sides of a pier, bow or stern to the sea. */
function mooredShips(ctx: PlanContext, rng: Rng, pier: OBox): void {
  for (const side of [-1, 1]) {
    let u = pier.length / 2 - ctx.px(5);
    for (let k = 0; k < 8 && u > -pier.length / 2; k++) {
      const type = rng.weighted(HARBOUR_WEIGHTS);
      const size = ctx.sizeOf(type, rng);
      const len = ctx.px(size.lengthM);
      const v = side * (pier.width / 2 + ctx.px(2.5 + size.widthM / 2));
      const [cx, cy] = fromLocal(pier, u - len / 2, v);
      const box: OBox = { cx, cy, length: len, width: ctx.px(size.widthM), headingDeg: pier.headingDeg + (rng.chance(0.5) ? 0 : 180) };
      if (ctx.fits(box, { allow: [], maxLandM: -3, padM: 2 })) {
        ctx.place(type, box, size.heightM, 'harbour', rng.seed(), { moving: false, hint: 'moored' });
        u -= len + ctx.px(rng.range(6, 25));
      } else {
        u -= ctx.px(20);
      }
    }
  }
}

function addOpenWaterShip(ctx: PlanContext, rng: Rng, type: ObjectType): void {
  const size = ctx.sizeOf(type, rng);
  const moving = rng.chance(type === 'barge' ? 0.35 : 0.65);
  const wakeM = moving ? Math.min(1400, size.lengthM * rng.range(3, 6)) : 0;
  for (let i = 0; i < 60; i++) {
    const x = rng.range(0, ctx.width);
    const y = rng.range(0, ctx.height);
    if (ctx.land.at(x, y) > -20 - size.lengthM / 4) continue;
    const box: OBox = { cx: x, cy: y, length: ctx.px(size.lengthM), width: ctx.px(size.widthM), headingDeg: rng.range(0, 360) };
    if (!ctx.fits(box, { allow: [], maxLandM: -10, padM: 15 })) continue;
    if (!moving) {
      ctx.place(type, box, size.heightM, 'water', rng.seed(), { moving: false, hint: 'anchored' });
      return;
    }
    const wake = wakePolygon(ctx, box, wakeM);
    if (!wakeOnWater(ctx, box, wake) || ctx.blocked(wake, { allow: [] })) continue;
    ctx.place(type, box, size.heightM, 'water', rng.seed(), { moving: true, wakeM, paintPoints: wake, hint: 'under way' });
    ctx.reserve(wake);
    return;
  }
}

/** The wake triangle: apex at the bow, arms at the Kelvin angle, `wakeM` long. */
export function wakePolygon(ctx: PlanContext, ship: OBox, wakeM: number): Vec[] {
  const back = ctx.px(wakeM);
  const half = back * Math.tan(KELVIN);
  return [fromLocal(ship, ship.length / 2, 0), fromLocal(ship, ship.length / 2 - back, half), fromLocal(ship, ship.length / 2 - back, -half)];
}

function wakeOnWater(ctx: PlanContext, ship: OBox, wake: Vec[]): boolean {
  const [apex, left, right] = wake as [Vec, Vec, Vec];
  for (let t = 0.1; t <= 1.0001; t += 0.1) {
    for (const end of [left, right, [(left[0] + right[0]) / 2, (left[1] + right[1]) / 2] as Vec]) {
      const x = apex[0] + (end[0] - apex[0]) * t;
      const y = apex[1] + (end[1] - apex[1]) * t;
      if (ctx.land.at(x, y) > -4) return false;
    }
  }
  return ship.length > 0;
}

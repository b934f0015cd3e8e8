import type { ObjectType } from './catalog.js';
import { boxCorners, fromLocal, type OBox } from './geometry.js';
import type { PlanContext } from './plan-context.js';
import { Rng } from './random.js';

const STALL_W = 2.6;
const STALL_D = 5;
const AISLE = 6.5;

/** Standalone parking lots near towns (or anywhere on land), count scaled with area. */
export function layoutParkingLots(ctx: PlanContext, seed: number): void {
  const rng = Rng.forStage(seed, 'parking');
  const count = Math.max(1, Math.round(ctx.areaKm2 / 8));
  for (let n = 0; n < count; n++) {
    const lenM = rng.range(60, 140);
    const widM = rng.range(38, 80);
    for (let i = 0; i < 80; i++) {
      const box = ctx.randomBox(rng, lenM, widM, 0.08, 180);
      if (!ctx.inScene(boxCorners(box)) || ctx.blocked(boxCorners({ ...box, length: box.length + ctx.px(20), width: box.width + ctx.px(20) }), { allow: [] })) continue;
      if (!ctx.landOk(box, { minLandM: 10 }, 20)) continue;
      ctx.addZone(box);
      layoutParkingLot(ctx, rng, box, true);
      break;
    }
  }
}

/**
 * A parking lot: rows of 2.6 × 5 m stalls facing aisles, a share of them taken by cars
 * parked nose-in, and a band of long bays for buses and trucks when the lot is deep enough.
 */
export function layoutParkingLot(ctx: PlanContext, rng: Rng, lot: OBox, inZone: boolean): void {
  const depthM = lot.width * ctx.gsd;
  const lengthM = lot.length * ctx.gsd;
  const busBand = depthM > 45 && rng.chance(0.7) ? 17 : 0;
  // params: stall width, stall depth, aisle, bus band depth (metres) for the painter.
  ctx.addFeature('parking', lot, rng.seed(), [STALL_W, STALL_D, AISLE, busBand]);
  const occupancy = rng.range(0.35, 0.9);
  const rowPitch = 2 * STALL_D + AISLE;
  const usable = depthM - busBand - 2;
  const stalls = Math.floor((lengthM - 4) / STALL_W);
  for (let pair = 0; (pair + 1) * rowPitch <= usable + 0.01; pair++) {
    // Each pair: stall row facing down, aisle, stall row facing up.
    const top = -depthM / 2 + 1 + pair * rowPitch;
    for (const [rowV, nose] of [[top + STALL_D / 2, -1], [top + STALL_D + AISLE + STALL_D / 2, 1]] as const) {
      for (let s = 0; s < stalls; s++) {
        if (!rng.chance(occupancy)) continue;
        const u = -lengthM / 2 + 2 + (s + 0.5) * STALL_W;
        parkVehicle(ctx, rng, lot, 'car', u + rng.range(-0.2, 0.2), rowV + rng.range(-0.3, 0.3), nose, inZone);
      }
    }
  }
  if (busBand > 0) {
    const v = depthM / 2 - 1 - busBand / 2;
    for (let u = -lengthM / 2 + 4; u < lengthM / 2 - 4; u += 4.5) {
      if (!rng.chance(0.5)) continue;
      parkVehicle(ctx, rng, lot, rng.chance(0.5) ? 'bus' : 'truck', u, v, 1, inZone);
    }
  }
}

/** Places a vehicle at lot-local metres (u, v), heading across the row (`nose` = ±1). */
function parkVehicle(ctx: PlanContext, rng: Rng, lot: OBox, type: ObjectType, uM: number, vM: number, nose: number, inZone: boolean): void {
  const size = ctx.sizeOf(type, rng);
  const [cx, cy] = fromLocal(lot, ctx.px(uM), ctx.px(vM));
  const heading = lot.headingDeg + (nose > 0 ? 90 : -90) + rng.range(-3, 3);
  const box: OBox = { cx, cy, length: ctx.px(size.lengthM), width: ctx.px(size.widthM), headingDeg: heading };
  if (ctx.fits(box, { allow: ['parking', 'urban_ground'], inZone, padM: 0.15 })) {
    ctx.place(type, box, size.heightM, 'parking', rng.seed(), { hint: 'parked' });
  }
}

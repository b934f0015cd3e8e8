import type { ObjectType } from './catalog.js';
import { fromLocal, type OBox } from './geometry.js';
import type { PlanContext } from './plan-context.js';
import type { Feature } from './plan-types.js';
import { Rng } from './random.js';

/**
 * Traffic on roads and town streets: vehicles in the right-hand lane of each direction,
 * gaps drawn at random so some stretches are busy and others empty.
 */
export function layoutTraffic(ctx: PlanContext, seed: number): void {
  const rng = Rng.forStage(seed, 'traffic');
  for (const f of ctx.features) {
    if (f.kind !== 'road' && f.kind !== 'street') continue;
    const perKm = f.kind === 'road' ? rng.range(6, 22) : rng.range(2, 10);
    for (const dir of [1, -1]) laneTraffic(ctx, rng, f, dir, perKm);
  }
}

function laneTraffic(ctx: PlanContext, rng: Rng, road: Feature, dir: number, perKm: number): void {
  const laneV = dir * Math.min(road.box.width / 4, ctx.px(1.9));
  const meanGap = ctx.px(1000 / perKm);
  for (let u = -road.box.length / 2 + rng.range(0, meanGap); u < road.box.length / 2; u += -Math.log(1 - rng.next()) * meanGap + ctx.px(8)) {
    const type: ObjectType = road.kind === 'street' ? (rng.chance(0.96) ? 'car' : 'bus') : rng.weighted({ car: 84, truck: 11, bus: 5 });
    const size = ctx.sizeOf(type, rng);
    const [cx, cy] = fromLocal(road.box, u, laneV);
    if (cx < 0 || cy < 0 || cx > ctx.width || cy > ctx.height) continue;
    const box: OBox = { cx, cy, length: ctx.px(size.lengthM), width: ctx.px(size.widthM), headingDeg: road.box.headingDeg + (dir > 0 ? 0 : 180) + rng.range(-1.5, 1.5) };
    if (ctx.fits(box, { allow: ['road', 'street', 'urban_ground', 'parking'], inZone: true, padM: 1.5 })) {
      ctx.place(type, box, size.heightM, 'road', rng.seed(), { moving: true, hint: 'driving' });
    }
  }
}

/** Aircraft types that turn up on roads: emergency landings, museum moves, transport. */
const ROAD_AIRCRAFT: ObjectType[] = ['light', 'business_jet', 'fighter', 'light', 'helicopter'];

/** Places one aircraft on a road, out of context. Returns false when no road has room. */
export function placeAircraftOnRoad(ctx: PlanContext, rng: Rng): boolean {
  // Prefer open roads; town streets when the scene has none.
  const open = ctx.features.filter((f) => f.kind === 'road');
  const roads = open.length > 0 ? open : ctx.features.filter((f) => f.kind === 'street');
  if (roads.length === 0) return false;
  for (let i = 0; i < 200; i++) {
    const road = rng.pick(roads);
    const type = rng.pick(ROAD_AIRCRAFT);
    const size = ctx.sizeOf(type, rng);
    const [cx, cy] = fromLocal(road.box, rng.range(-0.45, 0.45) * road.box.length, 0);
    const box: OBox = { cx, cy, length: ctx.px(size.lengthM), width: ctx.px(size.widthM), headingDeg: road.box.headingDeg + (rng.chance(0.5) ? 0 : 180) };
    if (ctx.fits(box, { allow: ['road', 'street', 'urban_ground'], inZone: road.kind === 'street', minLandM: 1, padM: 4 })) {
      ctx.place(type, box, size.heightM, 'road', rng.seed(), { outOfContext: true, hint: 'road' });
      return true;
    }
  }
  return false;
}

/** Ships found on land: stranded, in a dry dock, or on a transport trailer. */
const LAND_SHIPS: ObjectType[] = ['fishing', 'leisure', 'tug', 'barge', 'fishing'];

/** Places one ship well inland, out of context. Returns false when no land has room. */
export function placeShipOnLand(ctx: PlanContext, rng: Rng): boolean {
  for (let i = 0; i < 300; i++) {
    const type = rng.pick(LAND_SHIPS);
    const size = ctx.sizeOf(type, rng);
    const box: OBox = { cx: rng.range(0, ctx.width), cy: rng.range(0, ctx.height), length: ctx.px(size.lengthM), width: ctx.px(size.widthM), headingDeg: rng.range(0, 360) };
    if (ctx.land.at(box.cx, box.cy) < 40) continue;
    if (ctx.fits(box, { allow: [], minLandM: 25, padM: 6 })) {
      ctx.place(type, box, size.heightM, 'land', rng.seed(), { outOfContext: true, moving: false, hint: rng.pick(['stranded', 'dry dock', 'trailer']) });
      return true;
    }
  }
  return false;
}

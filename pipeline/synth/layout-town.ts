import type { ObjectType } from './catalog.js';
import { boxCorners, fromLocal, type OBox } from './geometry.js';
import { layoutParkingLot } from './layout-parking.js';
import type { PlanContext } from './plan-context.js';
import { Rng } from './random.js';

const STREET_M = 8;

/**
 * Lays out towns: a rotated street grid over a reserved zone, each block paved or green
 * and filled with houses, apartment blocks or warehouses (or a parking lot). The number
 * of towns grows with the scene area.
 */
export function layoutTowns(ctx: PlanContext, seed: number): void {
  const rng = Rng.forStage(seed, 'towns');
  const count = Math.max(1, Math.round(ctx.areaKm2 / 14));
  const maxM = Math.min(ctx.width, ctx.height) * ctx.gsd * 0.45;
  for (let t = 0; t < count; t++) {
    const sx = Math.min(maxM, rng.range(220, 700));
    const sy = Math.min(maxM, rng.range(200, 600));
    // Shrink until a town fits between what is already there (small scenes are crowded).
    for (const f of [1, 0.75, 0.55, 0.4, 0.3]) {
      if (sx * f < 100 || sy * f < 100) break;
      const zone = findZone(ctx, rng, sx * f, sy * f);
      if (zone) {
        buildTown(ctx, rng, zone);
        break;
      }
    }
  }
}

function findZone(ctx: PlanContext, rng: Rng, sxM: number, syM: number): OBox | null {
  for (let i = 0; i < 60; i++) {
    const box = ctx.randomBox(rng, sxM, syM, 0.08, 90);
    if (ctx.blocked(boxCorners(box), { allow: [] })) continue;
    if (ctx.landOk(box, { minLandM: i < 45 ? 15 : -20 }, 40)) return box;
  }
  return null;
}

function buildTown(ctx: PlanContext, rng: Rng, zone: OBox): void {
  ctx.addZone(zone);
  const blockU = ctx.px(rng.range(70, 120));
  const blockV = ctx.px(rng.range(55, 95));
  const street = ctx.px(STREET_M);
  const nu = Math.max(1, Math.round(zone.length / (blockU + street)));
  const nv = Math.max(1, Math.round(zone.width / (blockV + street)));
  const pitchU = zone.length / nu;
  const pitchV = zone.width / nv;
  // Streets on every grid line, including the outer frame.
  for (let i = 0; i <= nu; i++) {
    const [cx, cy] = fromLocal(zone, -zone.length / 2 + i * pitchU, 0);
    ctx.addFeature('street', { cx, cy, length: zone.width + street, width: street, headingDeg: zone.headingDeg + 90 }, rng.seed());
  }
  for (let j = 0; j <= nv; j++) {
    const [cx, cy] = fromLocal(zone, 0, -zone.width / 2 + j * pitchV);
    ctx.addFeature('street', { cx, cy, length: zone.length + street, width: street, headingDeg: zone.headingDeg }, rng.seed());
  }
  for (let i = 0; i < nu; i++) {
    for (let j = 0; j < nv; j++) {
      const [cx, cy] = fromLocal(zone, -zone.length / 2 + (i + 0.5) * pitchU, -zone.width / 2 + (j + 0.5) * pitchV);
      const block: OBox = { cx, cy, length: pitchU - street, width: pitchV - street, headingDeg: zone.headingDeg };
      fillBlock(ctx, rng, block);
    }
  }
}

function fillBlock(ctx: PlanContext, rng: Rng, block: OBox): void {
  const kind = rng.weighted({ houses: 46, apartments: 20, warehouses: 14, park: 10, parking: 10 });
  if (kind === 'parking') {
    layoutParkingLot(ctx, rng, { ...block, length: block.length - ctx.px(4), width: block.width - ctx.px(4) }, true);
    return;
  }
  // params[0]: ground kind for the painter: 0 paved yards, 1 park, 2 gardens.
  ctx.addFeature('urban_ground', block, rng.seed(), [kind === 'park' ? 1 : kind === 'houses' ? 2 : 0]);
  if (kind === 'houses') fillHouses(ctx, rng, block);
  else if (kind === 'apartments') fillSlabs(ctx, rng, block, 'apartment_block');
  else if (kind === 'warehouses') fillSlabs(ctx, rng, block, 'warehouse');
}

/** Two rows of houses along the block's long sides, one per lot, set back from the street. */
function fillHouses(ctx: PlanContext, rng: Rng, block: OBox): void {
  const lot = ctx.px(rng.range(13, 20));
  const n = Math.floor(block.length / lot);
  for (const side of [-1, 1]) {
    for (let k = 0; k < n; k++) {
      if (rng.chance(0.08)) continue;
      const size = ctx.sizeOf('house', rng);
      const len = Math.min(ctx.px(size.lengthM), lot - ctx.px(3));
      const wid = Math.min(ctx.px(size.widthM), block.width / 2 - ctx.px(6));
      if (wid < ctx.px(6)) continue;
      const u = -block.length / 2 + (k + 0.5) * lot + ctx.px(rng.range(-1, 1));
      const v = side * (block.width / 2 - ctx.px(rng.range(4, 7)) - wid / 2);
      tryBuilding(ctx, rng, 'house', block, u, v, len, wid, size.heightM);
    }
  }
}

/** One to three parallel slabs (apartments) or one or two big sheds (warehouses). */
function fillSlabs(ctx: PlanContext, rng: Rng, block: OBox, type: ObjectType): void {
  const size = ctx.sizeOf(type, rng);
  const len = Math.min(ctx.px(size.lengthM), block.length - ctx.px(12));
  const maxRows = type === 'warehouse' ? 2 : 3;
  const wid = Math.min(ctx.px(size.widthM), (block.width - ctx.px(12)) / 1.2);
  const rows = Math.max(1, Math.min(maxRows, Math.floor((block.width - ctx.px(10)) / (wid + ctx.px(12)))));
  if (len < ctx.px(type === 'warehouse' ? 35 : 25) || wid < ctx.px(10)) {
    fillHouses(ctx, rng, block);
    return;
  }
  const pitch = block.width / rows;
  for (let r = 0; r < rows; r++) {
    const v = -block.width / 2 + (r + 0.5) * pitch;
    const h = ctx.sizeOf(type, rng).heightM;
    tryBuilding(ctx, rng, type, block, ctx.px(rng.range(-2, 2)), v, len, Math.min(wid, pitch - ctx.px(10)), h);
  }
}

function tryBuilding(ctx: PlanContext, rng: Rng, type: ObjectType, block: OBox, u: number, v: number, len: number, wid: number, heightM: number): void {
  const [cx, cy] = fromLocal(block, u, v);
  const box: OBox = { cx, cy, length: len, width: wid, headingDeg: block.headingDeg + (rng.chance(0.5) ? 0 : 180) };
  if (ctx.fits(box, { allow: ['urban_ground'], inZone: true, padM: 1 })) ctx.place(type, box, heightM, 'urban', rng.seed(), { hint: 'town' });
}

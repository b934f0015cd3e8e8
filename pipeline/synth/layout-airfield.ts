import type { ObjectType } from './catalog.js';
import { boxCorners, fromLocal, type OBox } from './geometry.js';
import type { PlanContext } from './plan-context.js';
import { Rng } from './random.js';

/** Aircraft types in the order stands are first filled, so small airfields still show variety. */
const STAND_TYPES: ObjectType[] = ['narrow_body', 'wide_body', 'business_jet', 'light', 'military_transport', 'fighter', 'helicopter'];
const STAND_WEIGHTS = { narrow_body: 40, wide_body: 14, business_jet: 14, light: 10, military_transport: 6, fighter: 8, helicopter: 8 } as const;

interface AirfieldFrame {
  /** Runway centreline frame (pixels). */
  runway: OBox;
  side: 1 | -1;
  taxiOffsetM: number;
  apron: OBox;
  apronDepthM: number;
}

/**
 * Lays out one airfield: runway (45 m wide, 1.5–3 km, clipped by the scene edge), a
 * parallel taxiway with connectors, an apron with aircraft on stands, a terminal and
 * hangars. Needs roughly 700 m of scene in each direction; returns false when skipped.
 */
export function layoutAirfield(ctx: PlanContext, seed: number): boolean {
  const sizeM = Math.min(ctx.width, ctx.height) * ctx.gsd;
  if (sizeM < 700) return false;
  const rng = Rng.forStage(seed, 'airfield');
  const frame = chooseFrame(ctx, rng, sizeM);
  if (!frame) return false;
  addGround(ctx, frame, rng);
  fillStands(ctx, frame, rng);
  addRunwayAircraft(ctx, frame, rng);
  addBuildings(ctx, frame, rng);
  return true;
}

function chooseFrame(ctx: PlanContext, rng: Rng, sizeM: number): AirfieldFrame | null {
  const runwayM = rng.range(1500, 3000);
  const taxiOffsetM = rng.range(140, 180);
  const apronDepthM = rng.range(105, 150);
  const apronLenM = Math.min(800, Math.max(240, sizeM * rng.range(0.3, 0.42)));
  let best: AirfieldFrame | null = null;
  let bestScore = -Infinity;
  for (let i = 0; i < 60; i++) {
    const heading = rng.range(0, 180);
    const side: 1 | -1 = rng.chance(0.5) ? 1 : -1;
    const m = ctx.px(apronLenM / 2 + 60);
    const apronC = { cx: rng.range(m, ctx.width - m), cy: rng.range(m, ctx.height - m), length: 0, width: 0, headingDeg: heading };
    const vA = ctx.px(taxiOffsetM + 11.5 + apronDepthM / 2);
    const slack = Math.max(0, runwayM - apronLenM) / 2 - 150;
    const [rx, ry] = fromLocal(apronC, ctx.px(rng.range(-slack, slack)), -side * vA);
    const runway: OBox = { cx: rx, cy: ry, length: ctx.px(runwayM), width: ctx.px(45), headingDeg: heading };
    const apron: OBox = { ...apronC, length: ctx.px(apronLenM), width: ctx.px(apronDepthM) };
    const zone = zoneOf(ctx, { runway, side, taxiOffsetM, apron, apronDepthM });
    if (!ctx.inScene(boxCorners(apron), ctx.px(20)) || ctx.blocked(boxCorners(zone), { allow: [] })) continue;
    const score = landScore(ctx, zone);
    if (score > bestScore) {
      bestScore = score;
      best = { runway, side, taxiOffsetM, apron, apronDepthM };
    }
  }
  return best;
}

/** The reserved area: runway to the far side of the terminal, full runway length. */
function zoneOf(ctx: PlanContext, f: AirfieldFrame): OBox {
  const near = -f.side * ctx.px(70);
  const far = f.side * ctx.px(f.taxiOffsetM + 11.5 + f.apronDepthM + 80);
  const [cx, cy] = fromLocal(f.runway, 0, (near + far) / 2);
  return { cx, cy, length: f.runway.length + ctx.px(120), width: Math.abs(far - near), headingDeg: f.runway.headingDeg };
}

/** Fraction of the zone's in-scene samples that are land before any forcing. */
function landScore(ctx: PlanContext, zone: OBox): number {
  let land = 0, n = 0;
  for (let i = 0; i <= 16; i++) {
    for (let j = 0; j <= 4; j++) {
      const [x, y] = fromLocal(zone, (i / 16 - 0.5) * zone.length, (j / 4 - 0.5) * zone.width);
      if (x < 0 || y < 0 || x > ctx.width || y > ctx.height) continue;
      n++;
      if (ctx.land.base(x, y) > 0) land++;
    }
  }
  return n === 0 ? -1 : land / n + n / 1000;
}

function addGround(ctx: PlanContext, f: AirfieldFrame, rng: Rng): void {
  const zone = zoneOf(ctx, f);
  ctx.addZone(zone);
  ctx.addFeature('grass', zone, rng.seed());
  const rw = f.runway;
  const tOff = f.side * ctx.px(f.taxiOffsetM);
  const [tx, ty] = fromLocal(rw, 0, tOff);
  ctx.addFeature('taxiway', { cx: tx, cy: ty, length: rw.length - ctx.px(60), width: ctx.px(23), headingDeg: rw.headingDeg }, rng.seed());
  // Connectors at both ends and about every 600 m between.
  const n = Math.max(1, Math.round((rw.length * ctx.gsd) / 600));
  for (let i = 0; i <= n; i++) {
    const u = (i / n - 0.5) * (rw.length - ctx.px(60));
    const [cx, cy] = fromLocal(rw, u, tOff / 2);
    ctx.addFeature('taxiway', { cx, cy, length: Math.abs(tOff), width: ctx.px(23), headingDeg: rw.headingDeg + 90 }, rng.seed());
  }
  ctx.addFeature('apron', f.apron, rng.seed());
  ctx.addFeature('runway', rw, rng.seed());
}

function fillStands(ctx: PlanContext, f: AirfieldFrame, rng: Rng): void {
  const a = f.apron;
  const noseHeading = a.headingDeg + (f.side === 1 ? 90 : -90);
  let u = -a.length / 2 + ctx.px(8);
  for (let k = 0; k < 400; k++) {
    const type = k < STAND_TYPES.length ? STAND_TYPES[k]! : rng.weighted(STAND_WEIGHTS);
    const size = ctx.sizeOf(type, rng);
    if (size.lengthM > f.apronDepthM - 12) continue;
    const standW = ctx.px(size.widthM + rng.range(7, 14));
    if (u + standW > a.length / 2 - ctx.px(6)) {
      if (k > STAND_TYPES.length + 6) break;
      continue;
    }
    // Nose towards the terminal: the box centre sits a little off the far apron edge.
    const v = f.side * (a.width / 2 - ctx.px(6 + size.lengthM / 2 + rng.range(0, 4)));
    const [cx, cy] = fromLocal(a, u + standW / 2, v);
    const box: OBox = { cx, cy, length: ctx.px(size.lengthM), width: ctx.px(size.widthM), headingDeg: noseHeading + rng.range(-3, 3) };
    if (ctx.fits(box, { allow: ['apron', 'taxiway'], inZone: true, padM: 2 })) {
      ctx.place(type, box, size.heightM, 'apron', rng.seed(), { hint: 'stand' });
    }
    u += standW;
  }
}

function addRunwayAircraft(ctx: PlanContext, f: AirfieldFrame, rng: Rng): void {
  if (!rng.chance(0.85)) return;
  const type = rng.pick<ObjectType>(['narrow_body', 'business_jet', 'light', 'fighter', 'military_transport', 'wide_body']);
  const size = ctx.sizeOf(type, rng);
  const heading = f.runway.headingDeg + (rng.chance(0.5) ? 0 : 180);
  for (let i = 0; i < 30; i++) {
    const [cx, cy] = fromLocal(f.runway, rng.range(-0.5, 0.5) * f.runway.length, 0);
    const box: OBox = { cx, cy, length: ctx.px(size.lengthM), width: ctx.px(size.widthM), headingDeg: heading };
    if (ctx.fits(box, { allow: ['runway', 'taxiway'], inZone: true, padM: 5 })) {
      ctx.place(type, box, size.heightM, 'runway', rng.seed(), { moving: rng.chance(0.5), hint: 'runway' });
      return;
    }
  }
}

function addBuildings(ctx: PlanContext, f: AirfieldFrame, rng: Rng): void {
  const a = f.apron;
  const behind = f.side * (a.width / 2);
  const term = ctx.sizeOf('terminal', rng);
  const termLen = Math.min(term.lengthM, (a.length * ctx.gsd) * 0.6);
  const [tx, ty] = fromLocal(a, ctx.px(rng.range(-0.15, 0.15) * a.length * ctx.gsd), behind + f.side * ctx.px(12 + term.widthM / 2));
  const tBox: OBox = { cx: tx, cy: ty, length: ctx.px(termLen), width: ctx.px(term.widthM), headingDeg: a.headingDeg };
  if (ctx.fits(tBox, { allow: [], inZone: true, padM: 3 })) ctx.place('terminal', tBox, term.heightM, 'apron', rng.seed(), { hint: 'terminal' });
  // Hangars: off the apron ends, opening onto it.
  for (const end of [-1, 1]) {
    const h = ctx.sizeOf('hangar', rng);
    const [hx, hy] = fromLocal(a, end * (a.length / 2 + ctx.px(10 + h.widthM / 2)), f.side * ctx.px(h.lengthM / 2 - 10));
    const hBox: OBox = { cx: hx, cy: hy, length: ctx.px(h.lengthM), width: ctx.px(h.widthM), headingDeg: a.headingDeg + 90 };
    if (ctx.fits(hBox, { allow: [], inZone: true, padM: 3 })) ctx.place('hangar', hBox, h.heightM, 'apron', rng.seed(), { hint: 'hangar' });
  }
}

import type { Canvas } from './canvas.js';
import { boxCorners } from './geometry.js';
import { ARID, MATERIALS as M, TEMPERATE, type Rgb } from './palette.js';
import { texBilinear, treeLight, trees } from './paint-ground.js';
import { treeAt, type TreeLight } from './trees.js';
import type { Feature, FeatureKind, ScenePlan } from './plan-types.js';
import { hash01 } from './random.js';

/** Paint order: later kinds cover earlier ones where they cross. */
const Z: Record<FeatureKind, number> = { grass: -1, urban_ground: 0, tank_pad: 0, pier: 1, parking: 2, street: 3, road: 4, apron: 5, taxiway: 6, runway: 7 };

/** Paints the ground features touching the tile, lowest first. */
export function paintFeatures(plan: ScenePlan, c: Canvas, features: Feature[]): void {
  const sorted = [...features].sort((a, b) => Z[a.kind] - Z[b.kind] || a.id - b.id);
  for (const f of sorted) paintFeature(plan, c, f);
}

function paintFeature(plan: ScenePlan, c: Canvas, f: Feature): void {
  const tex = plan.texture;
  const halfL = (f.box.length * plan.gsdM) / 2;
  const halfW = (f.box.width * plan.gsdM) / 2;
  const grain = (u: number, v: number) => tex.data[(Math.floor(u * 2) & tex.mask) + (Math.floor(v * 2) & tex.mask) * tex.size]!;
  const paint = (idx: number, col: Rgb, shade: number) => c.set(idx, col[0] * shade, col[1] * shade, col[2] * shade);
  const p = f.params ?? [];
  const tl = treeLight(plan);
  c.forEachLocal(boxCorners(f.box), f.box, (idx, u, v) => {
    const t = grain(u, v);
    const av = Math.abs(v);
    switch (f.kind) {
      case 'runway': {
        paint(idx, M.asphalt, 1 + t * 0.06);
        runwayMarks(c, idx, u, v, halfL, halfW, t);
        break;
      }
      case 'taxiway':
        paint(idx, M.asphaltLight, 1 + t * 0.05);
        c.blend(idx, M.yellow[0], M.yellow[1], M.yellow[2], c.line(v, 0.15) * 0.9);
        c.blend(idx, M.yellow[0], M.yellow[1], M.yellow[2], c.line(av - (halfW - 1), 0.15) * 0.7);
        break;
      case 'apron': {
        // Concrete slabs 7.5 m square with dark joints and oil stains at stands.
        paint(idx, M.concrete, (1 + t * 0.04) * (0.96 + 0.06 * hash01(Math.floor(u / 7.5), Math.floor(v / 7.5), f.seed)));
        const ju = Math.abs(((u % 7.5) + 7.5) % 7.5 - 3.75) - 3.75, jv = Math.abs(((v % 7.5) + 7.5) % 7.5 - 3.75) - 3.75;
        c.blend(idx, 110, 110, 106, Math.max(c.line(ju, 0.12), c.line(jv, 0.12)) * 0.6);
        if (t > 0.35) c.scaleBy(idx, 1 - (t - 0.35) * 0.5);
        break;
      }
      case 'road':
        paint(idx, M.asphalt, 1.05 + t * 0.05);
        if (((u % 12) + 12) % 12 < 4.5) c.blend(idx, M.marking[0], M.marking[1], M.marking[2], c.line(v, 0.08) * 0.9);
        c.blend(idx, M.marking[0], M.marking[1], M.marking[2], c.line(av - (halfW - 0.5), 0.1) * 0.8);
        break;
      case 'street':
        if (av > halfW - 1.6) paint(idx, M.sidewalk, 1 + t * 0.05);
        else paint(idx, M.asphaltLight, 1 + t * 0.06);
        break;
      case 'grass': {
        // Mown airfield grass (gravel in dry climates) with mowing stripes.
        const base: Rgb = plan.climate === 'arid' ? [186, 170, 138] : [104, 118, 72];
        const stripe = plan.climate === 'arid' ? 0 : (((Math.floor(u / 12) % 2) + 2) % 2) * 0.04;
        const patch = texBilinear(tex, u * 0.3 + 7, v * 0.3 + 3);
        paint(idx, base, 0.95 + stripe + t * 0.06 + patch * 0.18);
        break;
      }
      case 'parking':
        parking(c, idx, u, v, halfL, halfW, p, t);
        break;
      case 'urban_ground':
        urbanGround(c, idx, c.worldXOf(idx) * plan.gsdM, c.worldYOf(idx) * plan.gsdM, u, v, halfL, halfW, p[0] ?? 0, t, plan, tl);
        break;
      case 'pier':
        paint(idx, M.concrete, (av > halfW - 1 ? 0.7 : 1) * (1 + t * 0.05));
        if (av > halfW - 1.5 && av < halfW - 0.5 && ((u % 15) + 15) % 15 < 0.8) paint(idx, [40, 40, 40], 1);
        break;
      case 'tank_pad':
        tankPad(c, idx, u, v, p, t);
        break;
    }
  });
}

function runwayMarks(c: Canvas, idx: number, u: number, v: number, halfL: number, halfW: number, t: number): void {
  const W = M.marking;
  const av = Math.abs(v);
  const fromEnd = halfL - Math.abs(u);
  let a = c.line(av - (halfW - 1.2), 0.45);
  if (fromEnd > 6 && fromEnd < 36 && av > 3 && av < halfW - 3) {
    // Threshold "piano keys": 1.8 m stripes with 1.8 m gaps.
    a = Math.max(a, c.line(((av - 3) % 3.6) - 0.9, 0.9));
  } else if (fromEnd > 400 && fromEnd < 460 && av > 7 && av < 16) {
    a = 1; // aiming point blocks
  } else if (fromEnd > 60 && ((u % 50) + 50) % 50 < 30) {
    a = Math.max(a, c.line(v, 0.45)); // centreline dashes
  }
  if (fromEnd > 100 && fromEnd < 800 && av < 14) {
    // Rubber from touchdowns darkens the centre of both ends.
    c.scaleBy(idx, 1 - 0.35 * (1 - av / 14) * (0.6 + 0.4 * t) * Math.min(1, (fromEnd - 100) / 100));
  }
  c.blend(idx, W[0], W[1], W[2], a * 0.92);
}

function parking(c: Canvas, idx: number, u: number, v: number, halfL: number, halfW: number, p: number[], t: number): void {
  const [stallW = 2.6, stallD = 5, aisle = 6.5, bus = 0] = p;
  c.set(idx, M.asphaltLight[0] * (1 + t * 0.05), M.asphaltLight[1] * (1 + t * 0.05), M.asphaltLight[2] * (1 + t * 0.05));
  const dv = v + halfW - 1;
  const pitch = 2 * stallD + aisle;
  const inPair = ((dv % pitch) + pitch) % pitch;
  const inStall = inPair < stallD || (inPair > stallD + aisle && inPair < pitch);
  const inBus = bus > 0 && v > halfW - 1 - bus;
  const rows = Math.floor((2 * halfW - 2 - bus) / pitch);
  if (inStall && !inBus && dv > 0 && dv < rows * pitch) {
    const du = u + halfL - 2;
    const d = ((du % stallW) + stallW) % stallW;
    c.blend(idx, 210, 210, 205, c.line(Math.min(d, stallW - d), 0.07) * 0.9);
  }
}

const scratchRgb: [number, number, number] = [0, 0, 0];

/** Block ground: 0 = paved yards, 1 = park, 2 = house gardens. Kerbside band paved; trees on green parts. */
function urbanGround(c: Canvas, idx: number, x: number, y: number, u: number, v: number, halfL: number, halfW: number, kind: number, t: number, plan: ScenePlan, tl: TreeLight): void {
  const arid = plan.climate === 'arid';
  const tex = plan.texture;
  const t2 = tex.data[(Math.floor(u * 0.35 + 50) & tex.mask) + (Math.floor(v * 0.35 + 20) & tex.mask) * tex.size]!;
  const edge = Math.min(halfL - Math.abs(u), halfW - Math.abs(v));
  const green: Rgb = arid ? [150, 146, 108] : [84, 108, 58];
  const paved: Rgb = arid ? [200, 190, 168] : [140, 138, 130];
  const isGreen = edge > 2.5 && (kind === 1 || kind === 2 || (kind === 0 && t2 > 0.15));
  const col = isGreen ? green : paved;
  const out = scratchRgb;
  out[0] = col[0] * (1 + t * 0.08);
  out[1] = col[1] * (1 + t * 0.08);
  out[2] = col[2] * (1 + t * 0.08);
  if (isGreen) {
    const density = (kind === 1 ? 0.55 : kind === 2 ? 0.3 : 0.15) * (arid ? 0.5 : 1);
    trees(arid ? ARID : TEMPERATE, treeAt(x, y, 7, density, plan.options.seed + 5, tl), out);
  }
  c.set(idx, out[0], out[1], out[2]);
}

function tankPad(c: Canvas, idx: number, u: number, v: number, p: number[], t: number): void {
  const [pitch = 40, cols = 2, rows = 1] = p;
  c.set(idx, M.gravel[0] * (1 + t * 0.07), M.gravel[1] * (1 + t * 0.07), M.gravel[2] * (1 + t * 0.07));
  // Earth bunds on the cell boundaries of the tank grid.
  const du = u + (cols * pitch) / 2, dv = v + (rows * pitch) / 2;
  const eu = Math.abs(((du % pitch) + pitch) % pitch - pitch / 2) - pitch / 2;
  const ev = Math.abs(((dv % pitch) + pitch) % pitch - pitch / 2) - pitch / 2;
  const inGrid = du > -2 && dv > -2 && du < cols * pitch + 2 && dv < rows * pitch + 2;
  if (inGrid) c.blend(idx, 176, 164, 136, Math.max(c.line(eu, 1.6), c.line(ev, 1.6)));
}

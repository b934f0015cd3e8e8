import type { Canvas } from './canvas.js';
import { fbm, sinCycles, type NoiseTexture } from './noise.js';
import { ARID, TEMPERATE, type GroundPalette, type Rgb } from './palette.js';
import type { ScenePlan } from './plan-types.js';
import { hash01, hashInts } from './random.js';
import { treeAt, type TreeLight } from './trees.js';

/** Coarse grid step in level pixels: expensive fields are evaluated here and interpolated. */
const STEP = 8;
const PARCEL_U = 170;
const PARCEL_V = 230;

interface Fields {
  nx: number;
  gx0: number;
  gy0: number;
  land: Float32Array;
  veg: Float32Array;
  farm: Float32Array;
}

/** Evaluates the land field and the vegetation and farm masks on the coarse grid of a tile. */
function coarseFields(plan: ScenePlan, c: Canvas): Fields {
  const { scale, x, y, width, height } = c.req;
  const gx0 = Math.floor(x / STEP), gy0 = Math.floor(y / STEP);
  const nx = Math.floor((x + width) / STEP) + 2 - gx0;
  const ny = Math.floor((y + height) / STEP) + 2 - gy0;
  const land = new Float32Array(nx * ny), veg = new Float32Array(nx * ny), farm = new Float32Array(nx * ny);
  const field = plan.land.zonesNear(c.worldRect(STEP * scale));
  const seed = plan.options.seed;
  const g = plan.gsdM;
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const wx = (gx0 + i) * STEP * scale, wy = (gy0 + j) * STEP * scale;
      const k = j * nx + i;
      land[k] = field.at(wx, wy);
      veg[k] = fbm(wx * g, wy * g, 420, 4, hashInts(seed, 11));
      farm[k] = fbm(wx * g, wy * g, 1400, 3, hashInts(seed, 12));
    }
  }
  return { nx, gx0, gy0, land, veg, farm };
}

function smoothstep(a: number, b: number, t: number): number {
  const x = Math.min(1, Math.max(0, (t - a) / (b - a)));
  return x * x * (3 - 2 * x);
}

/** Bilinear texture sample at texel coordinates (wrapping). */
export function texBilinear(t: NoiseTexture, x: number, y: number): number {
  const ix = Math.floor(x), iy = Math.floor(y);
  const fx = x - ix, fy = y - iy;
  const m = t.mask, s = t.size, d = t.data;
  const x0 = ix & m, x1 = (ix + 1) & m, y0 = (iy & m) * s, y1 = ((iy + 1) & m) * s;
  const top = d[y0 + x0]! + (d[y0 + x1]! - d[y0 + x0]!) * fx;
  return top + (d[y1 + x0]! + (d[y1 + x1]! - d[y1 + x0]!) * fx - top) * fy;
}

/**
 * Paints water and land for every pixel of the tile: sea shaded by depth with wave
 * trains, beaches, farmland parcels with furrows and field margins, and natural ground
 * mixing grass, dry ground, soil and woodland.
 */
export function paintGround(plan: ScenePlan, c: Canvas): void {
  const pal: GroundPalette = plan.climate === 'arid' ? ARID : TEMPERATE;
  const f = coarseFields(plan, c);
  const { scale, x, y, width: w, height: h } = c.req;
  const g = plan.gsdM;
  const tex = plan.texture;
  const seed = plan.options.seed;
  const detail = scale <= 1 ? 1 : 1 / Math.sqrt(scale);
  const windA = hash01(seed, 3, 5) * Math.PI * 2;
  const cw = Math.cos(windA), sw = Math.sin(windA);
  const cw2 = Math.cos(windA + 0.7), sw2 = Math.sin(windA + 0.7);
  const parcelA = hash01(seed, 4, 6) * Math.PI;
  const ca = Math.cos(parcelA), sa = Math.sin(parcelA);
  const tl = treeLight(plan);
  const treeSeed = hashInts(seed, 21);
  const rowL = new Float32Array(f.nx), rowV = new Float32Array(f.nx), rowF = new Float32Array(f.nx);
  const out: [number, number, number] = [0, 0, 0];
  for (let j = 0; j < h; j++) {
    const gy = (y + j + 0.5) / STEP - f.gy0;
    const r0 = Math.floor(gy), t = gy - r0;
    for (let k = 0; k < f.nx; k++) {
      const a = r0 * f.nx + k, b = a + f.nx;
      rowL[k] = f.land[a]! + (f.land[b]! - f.land[a]!) * t;
      rowV[k] = f.veg[a]! + (f.veg[b]! - f.veg[a]!) * t;
      rowF[k] = f.farm[a]! + (f.farm[b]! - f.farm[a]!) * t;
    }
    const my = (y + j + 0.5) * scale * g;
    for (let i = 0; i < w; i++) {
      const gx = (x + i + 0.5) / STEP - f.gx0;
      const k0 = Math.floor(gx), s = gx - k0;
      const l = rowL[k0]! + (rowL[k0 + 1]! - rowL[k0]!) * s;
      const mx = (x + i + 0.5) * scale * g;
      const t1 = tex.data[(Math.floor(mx * 2) & tex.mask) + (Math.floor(my * 2) & tex.mask) * tex.size]!;
      if (l < 0) {
        water(pal, l, mx, my, t1, detail, cw, sw, cw2, sw2, tex, out);
      } else {
        const veg = rowV[k0]! + (rowV[k0 + 1]! - rowV[k0]!) * s;
        const farm = rowF[k0]! + (rowF[k0 + 1]! - rowF[k0]!) * s;
        if (l < pal.beachM) beach(pal, l, t1, out);
        else if (farm > pal.farmThreshold) {
          const edge = parcels(pal, mx * ca + my * sa, -mx * sa + my * ca, seed, t1, detail, out);
          if (edge < 4 && parcelMemo.hedge) trees(pal, treeAt(mx, my, 5, 0.75, treeSeed, tl), out);
          // Soil moisture and crop vigour vary inside a parcel and across the landscape.
          const t2 = texBilinear(tex, mx * 0.4 + 37, my * 0.4 + 91);
          const k = 1 + t2 * 0.16 + veg * 0.1;
          out[0] *= k;
          out[1] *= k;
          out[2] *= k;
        }
        else {
          const v = natural(pal, veg, mx, my, t1, tex, out);
          const density = (0.02 + 0.93 * smoothstep(0.18, 0.38, v)) * (plan.climate === 'arid' ? 0.3 : 1);
          let tree = treeAt(mx, my, v > 0.25 ? 6 : 9, density, treeSeed, tl);
          // Woodland: a second, offset layer of crowns closes the canopy.
          if (tree === 0 && density > 0.5) tree = treeAt(mx + 3, my + 3, 6, density, treeSeed + 1, tl);
          trees(pal, tree, out);
        }
        // Blend the last metres of land into the beach so the coast is not a hard cut.
        if (l >= pal.beachM && l < pal.beachM + 4) mix(out, pal.sand, 1 - (l - pal.beachM) / 4);
      }
      c.set(j * w + i, out[0], out[1], out[2]);
    }
  }
}

function water(pal: GroundPalette, l: number, mx: number, my: number, t1: number, detail: number, cw: number, sw: number, cw2: number, sw2: number, tex: NoiseTexture, out: [number, number, number]): void {
  const depth = smoothstep(0, 70, -l);
  const warp = texBilinear(tex, mx * 0.25 + 31, my * 0.25 + 77);
  const a = sinCycles((mx * cw + my * sw) / 9 + warp * 1.6);
  const b = sinCycles((mx * cw2 + my * sw2) / 5.3 + warp * 2.3);
  const wave = (a * 0.6 + b * 0.4 + t1 * 0.5) * (2.2 + 2.2 * depth) * detail;
  for (let ch = 0; ch < 3; ch++) out[ch] = pal.shallow[ch]! + (pal.deep[ch]! - pal.shallow[ch]!) * depth + wave;
  // Surf: a bright fringe on the first metres of water.
  if (l > -3) mix(out, [200, 210, 205], (1 + l / 3) * 0.5 * (0.6 + 0.4 * t1));
}

function beach(pal: GroundPalette, l: number, t1: number, out: [number, number, number]): void {
  const wet = smoothstep(0, 2.5, l);
  for (let ch = 0; ch < 3; ch++) out[ch] = (pal.wetSand[ch]! + (pal.sand[ch]! - pal.wetSand[ch]!) * wet) * (1 + t1 * 0.05);
}

/** Per-parcel values, memoised: neighbouring pixels almost always share a parcel. */
const parcelMemo = { pal: null as GroundPalette | null, ci: NaN, ri: NaN, seed: NaN, off: 0, hsh: 0, bright: 0, hedge: false, split: 1, crop: [0, 0, 0] as Rgb, crop2: [0, 0, 0] as Rgb };

/** Paints a farm parcel pixel; returns the distance in metres to the parcel's edge. */
function parcels(pal: GroundPalette, pu: number, pv: number, seed: number, t1: number, detail: number, out: [number, number, number]): number {
  const ci = Math.floor(pu / PARCEL_U);
  const m = parcelMemo;
  if (ci !== m.ci || m.seed !== seed || m.pal !== pal) {
    m.ci = ci;
    m.seed = seed;
    m.pal = pal;
    m.off = hash01(ci, 0, seed) * PARCEL_V;
    m.ri = NaN;
  }
  const ri = Math.floor((pv + m.off) / PARCEL_V);
  if (ri !== m.ri) {
    m.ri = ri;
    m.hsh = hash01(ci, ri, seed + 1);
    m.crop = pal.crops[Math.floor(m.hsh * pal.crops.length)]!;
    m.bright = 0.92 + 0.16 * hash01(ri, ci, seed + 2);
    m.hedge = hash01(ci + ri, 9, seed) < 0.5;
    m.split = hash01(ri, ci, seed + 3);
    m.crop2 = pal.crops[Math.floor(hash01(ri, ci, seed + 4) * pal.crops.length)]!;
  }
  const du = pu - ci * PARCEL_U, dv = pv + m.off - ri * PARCEL_V;
  let edge = Math.min(du, PARCEL_U - du, dv, PARCEL_V - dv);
  let crop = m.crop;
  // Half the parcels are split in two fields with different crops.
  if (m.split < 0.5) {
    const at = (0.3 + m.split * 0.8) * PARCEL_U;
    edge = Math.min(edge, Math.abs(du - at));
    if (du > at) crop = m.crop2;
  }
  const furrow = sinCycles((m.hsh > 0.5 ? pu : pv) / 3.2) * 5 * detail;
  for (let ch = 0; ch < 3; ch++) out[ch] = crop[ch]! * m.bright * (1 + t1 * 0.06) + furrow;
  // Field margins: tracks (light) or hedgerows (dark) along parcel edges.
  if (edge < 2.5) mix(out, m.hedge ? pal.forest : pal.dry, 0.8 * (1 - edge / 2.5) + (m.hedge ? t1 * 0.2 : 0));
  return edge;
}

/** Natural ground: dry ground, soil and grass by vegetation; returns the local vegetation value. */
function natural(pal: GroundPalette, veg: number, mx: number, my: number, t1: number, tex: NoiseTexture, out: [number, number, number]): number {
  const t2 = texBilinear(tex, mx * 0.4 + 37, my * 0.4 + 91);
  const v = veg + t2 * 0.25;
  const base: Rgb = v > 0.1 ? pal.grass : pal.dry;
  const other: Rgb = v > 0.1 ? pal.dry : pal.soil;
  const m = v > 0.1 ? smoothstep(0.1, 0.35, v) : smoothstep(-0.35, 0.1, v);
  // Woodland floor is darker than open grass.
  const floor = v > 0.2 ? 1 - Math.min(0.4, (v - 0.2) * 2) : 1;
  for (let ch = 0; ch < 3; ch++) out[ch] = (other[ch]! + (base[ch]! - other[ch]!) * m) * (1 + t1 * 0.14 + t2 * 0.1) * floor;
  return v;
}

/** Applies a {@link treeAt} result: crown colour or shadow. */
export function trees(pal: GroundPalette, t: number, out: [number, number, number]): void {
  if (t === 0) return;
  if (t < 0) {
    out[0] *= 0.5;
    out[1] *= 0.52;
    out[2] *= 0.6;
    return;
  }
  for (let ch = 0; ch < 3; ch++) out[ch] = pal.forest[ch]! * t;
}

/** Tree lighting from the plan's sun, in metres on the ground. */
export function treeLight(plan: ScenePlan): TreeLight {
  const az = (plan.light.sunAzimuthDeg * Math.PI) / 180;
  return { sunX: Math.sin(az), sunY: -Math.cos(az), shX: plan.light.shadowPerM[0] * plan.gsdM, shY: plan.light.shadowPerM[1] * plan.gsdM };
}

function mix(out: [number, number, number], c: Rgb, a: number): void {
  if (a <= 0) return;
  const k = a > 1 ? 1 : a;
  for (let ch = 0; ch < 3; ch++) out[ch] = out[ch]! + (c[ch]! - out[ch]!) * k;
}

/** What the ground painter draws at a full-resolution pixel, ignoring features: for picking background chips. */
export function groundKindAt(plan: ScenePlan, px: number, py: number): 'water' | 'beach' | 'farmland' | 'land' {
  const pal = plan.climate === 'arid' ? ARID : TEMPERATE;
  const l = plan.land.at(px, py);
  if (l < 0) return 'water';
  if (l < pal.beachM) return 'beach';
  const g = plan.gsdM;
  return fbm(px * g, py * g, 1400, 3, hashInts(plan.options.seed, 12)) > pal.farmThreshold ? 'farmland' : 'land';
}

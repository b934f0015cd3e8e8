import type { ObjectType } from './catalog.js';
import type { Rgb } from './palette.js';
import { pickBy, put, type Painter } from './painter.js';
import { hashInts } from './random.js';

const CAR_COLOURS: Rgb[] = [[235, 235, 232], [30, 32, 36], [150, 152, 156], [110, 112, 116], [160, 30, 30], [40, 60, 120], [200, 200, 196], [90, 60, 40], [30, 80, 60]];

/** Cars, trucks and buses: rounded boxes with windscreens, cabs and roof units. */
export function vehiclePainter(type: ObjectType, L: number, W: number, seed: number): Painter {
  const colour = pickBy(seed, 1, CAR_COLOURS);
  const hl = L / 2, hw = W / 2;
  if (type === 'car') {
    return (u, v, out) => {
      const au = Math.abs(u), av = Math.abs(v);
      if (au > hl || av > hw) return false;
      const cu = au - (hl - 0.45), cv = av - (hw - 0.45);
      if (cu > 0 && cv > 0 && cu * cu + cv * cv > 0.2) return false; // rounded corners
      if ((u > hl * 0.12 && u < hl * 0.5) || (u < -hl * 0.42 && u > -hl * 0.7)) return av < hw - 0.15 ? put(out, [28, 32, 38]) : put(out, colour, 0.8);
      return put(out, colour, 0.9 + 0.1 * (1 - av / hw));
    };
  }
  const trailer: Rgb = pickBy(seed, 2, [[225, 225, 220], [180, 180, 176], [60, 90, 140], [150, 40, 36]] as Rgb[]);
  return (u, v, out) => {
    if (Math.abs(u) > hl || Math.abs(v) > hw) return false;
    if (type === 'bus') {
      if (Math.abs(u) < 1.2 && Math.abs(v) < hw - 0.5) return put(out, [170, 172, 176]); // roof air conditioning
      return put(out, colour, 0.95);
    }
    if (u > hl - 2.4) return put(out, colour, u > hl - 0.6 ? 0.6 : 1); // cab
    if (u > hl - 3) return false; // gap between cab and trailer
    return put(out, trailer, 0.95 + 0.05 * Math.sin(u * 3));
  };
}

/**
 * Storage tanks seen from above. Fixed roofs are cones, lit on the sun side; floating
 * roofs sit down inside the shell, which throws a crescent of shadow across them.
 */
export function tankPainter(type: ObjectType, D: number, heightM: number, sunLocal: [number, number], tanElev: number): Painter {
  const r = D / 2;
  const inner = r - 0.9;
  const depth = heightM * 0.45;
  const reach = depth / Math.max(0.15, tanElev);
  return (u, v, out) => {
    const d = Math.hypot(u, v);
    if (d > r) return false;
    if (d > inner) return put(out, [205, 205, 200]);
    if (type === 'fixed_roof_tank') {
      const lit = (u * sunLocal[0] + v * sunLocal[1]) / r;
      if (d < 0.8) return put(out, [150, 150, 146]);
      return put(out, [226, 226, 222], 0.9 + 0.1 * lit);
    }
    // Ray from the roof towards the sun: if it leaves the shell before clearing its rim, shaded.
    const su = u + sunLocal[0] * reach, sv = v + sunLocal[1] * reach;
    const shaded = Math.hypot(su, sv) > inner;
    if (Math.abs(d - inner * 0.92) < 0.35) return put(out, [110, 110, 106], shaded ? 0.5 : 1); // seal
    return put(out, [150, 150, 144], shaded ? 0.45 : 1);
  };
}

const HOUSE_ROOFS: Rgb[] = [[150, 78, 58], [96, 98, 104], [128, 96, 78], [170, 100, 70], [80, 82, 88]];
const FLAT_ROOFS: Rgb[] = [[170, 170, 166], [150, 150, 148], [190, 186, 178], [125, 127, 130]];

/** Building roofs: gabled houses (sun-side slope lit), flat roofs with plant, sheds with ribs, vaulted hangars. */
export function buildingPainter(type: ObjectType, L: number, W: number, seed: number, sunLocal: [number, number], arid: boolean): Painter {
  const hl = L / 2, hw = W / 2;
  const litSide = sunLocal[1] >= 0 ? 1 : -1;
  if (type === 'house' && !arid) {
    const roof = pickBy(seed, 1, HOUSE_ROOFS);
    return (u, v, out) => {
      if (Math.abs(u) > hl || Math.abs(v) > hw) return false;
      const lit = Math.sign(v) === litSide;
      if (Math.abs(v) < 0.15) return put(out, roof, 1.15);
      return put(out, roof, lit ? 1.12 : 0.78);
    };
  }
  const roof = type === 'house' ? pickBy(seed, 1, [[214, 206, 190], [200, 196, 186], [226, 222, 212]] as Rgb[]) : pickBy(seed, 2, FLAT_ROOFS);
  return (u, v, out) => {
    const au = Math.abs(u), av = Math.abs(v);
    if (au > hl || av > hw) return false;
    if (type === 'hangar') {
      // Barrel vault across the width: brightness follows the roof's tilt towards the sun.
      const slope = v / hw;
      return put(out, [176, 180, 178], 0.85 + 0.25 * slope * litSide * (1 - 0.3 * slope * slope));
    }
    if (au > hl - 0.6 || av > hw - 0.6) return put(out, roof, 0.72); // parapet
    if (type === 'warehouse' || type === 'terminal') {
      const rib = Math.sin(v * Math.PI) * 0.03;
      if (((u % 12) + 12) % 12 < 1.6 && av < hw - 4) return put(out, [120, 140, 150]); // skylights
      return put(out, roof, 1.05 + rib);
    }
    // Rooftop plant: a few boxes on a coarse grid.
    const cu = Math.floor((u + hl) / 4), cv = Math.floor((v + hw) / 4);
    const h = hashInts(cu, cv, seed);
    if (h % 11 === 0 && ((u + hl) % 4) < 2.2 && ((v + hw) % 4) < 2.2) return put(out, [200, 200, 198]);
    return put(out, roof);
  };
}

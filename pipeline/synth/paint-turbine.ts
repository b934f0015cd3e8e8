import type { LocalLight } from './paint-objects.js';
import { put, type Painter } from './painter.js';
import type { PlannedObject } from './plan-types.js';
import { turbineGeometry, type TurbineGeometry } from './turbine-geometry.js';

/** Distance from p to the blade axis A (from the origin) if p projects onto it, else Infinity; t in 0..1 along. */
function bladeHit(pu: number, pv: number, au: number, av: number, g: TurbineGeometry): boolean {
  const len2 = au * au + av * av;
  if (len2 < 1e-6) return false;
  const t = (pu * au + pv * av) / len2;
  if (t < 0.04 || t > 1) return false;
  const du = pu - t * au, dv = pv - t * av;
  const half = (3.6 * (1 - t) + 0.9 * t) / 2;
  return du * du + dv * dv <= half * half && g.radiusM > 0;
}

/** The turbine from above: nacelle, hub and three foreshortened blades. */
export function turbinePainter(o: PlannedObject, offNadirDeg: number): Painter {
  const g = turbineGeometry(o.seed, diameterOf(o), offNadirDeg);
  return (u, v, out) => {
    if (u > -7 && u < 3 && Math.abs(v) < 1.9) return put(out, [232, 232, 228], u < -6 ? 0.8 : 1);
    if (Math.hypot(u - 3.5, v) < 1.6) return put(out, [215, 215, 210]);
    for (const a of g.blades) {
      if (bladeHit(u - 3.5, v, g.k * g.radiusM * Math.sin(a), g.radiusM * Math.cos(a), g)) return put(out, [226, 226, 222]);
    }
    return false;
  };
}

/**
 * The turbine's shadow: a long tower shadow and, at its end, the rotor projected by the
 * sun (three blades fully visible on the ground, which is how analysts find turbines).
 */
export function turbineShadow(o: PlannedObject, light: LocalLight, offNadirDeg: number): (u: number, v: number) => boolean {
  const g = turbineGeometry(o.seed, diameterOf(o), offNadirDeg);
  const H = o.heightM;
  const [su, sv] = light.shadow;
  const hu = su * H, hv = sv * H;
  const len2 = hu * hu + hv * hv;
  return (u, v) => {
    const t = Math.max(0, Math.min(1, (u * hu + v * hv) / len2));
    const du = u - hu * t, dv = v - hv * t;
    if (du * du + dv * dv < (2.4 - 0.8 * t) ** 2) return true;
    const pu = u - hu, pv = v - hv;
    if (pu > -7 && pu < 3 && Math.abs(pv) < 1.9) return true;
    for (const a of g.blades) {
      const z = g.radiusM * Math.sin(a);
      if (bladeHit(pu - 3.5, pv, su * z, g.radiusM * Math.cos(a) + sv * z, g)) return true;
    }
    return false;
  };
}

/** Rotor diameter from the hub height the planner stored (hub = 0.72 D + 12). */
export function diameterOf(o: PlannedObject): number {
  return (o.heightM - 12) / 0.72;
}

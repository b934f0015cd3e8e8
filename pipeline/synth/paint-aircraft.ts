import type { ObjectType } from './catalog.js';
import type { Rgb } from './palette.js';
import { pickBy, put, type Painter } from './painter.js';

/** Plan-form parameters as fractions of length (L) and span (S). */
interface Planform {
  fw: number; // fuselage width / L
  nose: number; // nose taper length / L
  wingLE: number; // root leading edge, distance from nose / L
  root: number;
  tip: number; // chords / L
  sweep: number; // leading-edge sweep, degrees
  tailLE: number;
  tailSpan: number; // / S
  tailRoot: number;
  tailTip: number;
  tailSweep: number;
  engines: { vf: number; sf: number; len: number; dia: number }[]; // vf: fraction of half span (or metres outside fuselage when rear)
  rearEngines?: boolean;
  highWing?: boolean;
}

const PLANFORMS: Partial<Record<ObjectType, Planform>> = {
  narrow_body: { fw: 0.105, nose: 0.09, wingLE: 0.39, root: 0.19, tip: 0.045, sweep: 27, tailLE: 0.84, tailSpan: 0.36, tailRoot: 0.11, tailTip: 0.04, tailSweep: 32, engines: [{ vf: 0.33, sf: 0.33, len: 0.11, dia: 0.055 }] },
  wide_body: { fw: 0.088, nose: 0.08, wingLE: 0.37, root: 0.19, tip: 0.04, sweep: 32, tailLE: 0.85, tailSpan: 0.33, tailRoot: 0.1, tailTip: 0.035, tailSweep: 35, engines: [{ vf: 0.33, sf: 0.33, len: 0.085, dia: 0.045 }] },
  business_jet: { fw: 0.085, nose: 0.12, wingLE: 0.44, root: 0.16, tip: 0.055, sweep: 28, tailLE: 0.88, tailSpan: 0.34, tailRoot: 0.08, tailTip: 0.045, tailSweep: 30, engines: [{ vf: 0.35, sf: 0.68, len: 0.14, dia: 0.05 }], rearEngines: true },
  light: { fw: 0.13, nose: 0.1, wingLE: 0.28, root: 0.17, tip: 0.14, sweep: 0, tailLE: 0.86, tailSpan: 0.32, tailRoot: 0.12, tailTip: 0.09, tailSweep: 6, engines: [], highWing: true },
  military_transport: { fw: 0.14, nose: 0.08, wingLE: 0.37, root: 0.16, tip: 0.09, sweep: 3, tailLE: 0.8, tailSpan: 0.4, tailRoot: 0.13, tailTip: 0.06, tailSweep: 10, engines: [{ vf: 0.26, sf: 0.3, len: 0.16, dia: 0.05 }, { vf: 0.5, sf: 0.31, len: 0.15, dia: 0.045 }], highWing: true },
  fighter: { fw: 0.1, nose: 0.22, wingLE: 0.42, root: 0.36, tip: 0.06, sweep: 42, tailLE: 0.82, tailSpan: 0.55, tailRoot: 0.15, tailTip: 0.05, tailSweep: 40, engines: [] },
};

const LIVERY: Rgb[] = [[180, 40, 40], [30, 60, 140], [40, 40, 48], [20, 110, 90], [200, 120, 30], [120, 30, 90]];

/** Top-down silhouette painter for an aircraft of `type` with the object's length and span. */
export function aircraftPainter(type: ObjectType, L: number, S: number, seed: number): Painter {
  if (type === 'helicopter') return helicopterPainter(L, S, seed);
  const p = PLANFORMS[type] ?? PLANFORMS.narrow_body!;
  const military = type === 'military_transport' || type === 'fighter';
  const body: Rgb = military ? pickBy(seed, 1, [[116, 122, 124], [98, 104, 90], [132, 136, 140]] as Rgb[]) : [238, 238, 236];
  const wing: Rgb = military ? [body[0] * 0.92, body[1] * 0.92, body[2] * 0.92] : [200, 202, 206];
  const livery = pickBy(seed, 2, LIVERY);
  const fw = p.fw * L, hwMax = fw / 2;
  const tanS = Math.tan((p.sweep * Math.PI) / 180), tanT = Math.tan((p.tailSweep * Math.PI) / 180);
  const four = type === 'wide_body' && pickBy(seed, 3, [0, 1, 1]) === 0;
  const engines = four ? [{ vf: 0.3, sf: 0.3, len: 0.08, dia: 0.04 }, { vf: 0.56, sf: 0.34, len: 0.075, dia: 0.038 }] : p.engines;
  const fuselage = (s: number, v: number): number => {
    // Half-width at distance s from the nose: rounded nose, tapering tail cone.
    let hw = hwMax;
    if (s < p.nose * L) hw = hwMax * Math.sqrt(Math.max(0, s / (p.nose * L)));
    else if (s > 0.78 * L) hw = hwMax * (1 - 0.65 * ((s - 0.78 * L) / (0.22 * L)));
    return Math.abs(v) <= hw ? hw : 0;
  };
  const surface = (s: number, av: number, le: number, root: number, tip: number, span: number, tan: number): boolean => {
    if (av > span / 2) return false;
    const f = av / (span / 2);
    const lead = le + av * tan;
    return s >= lead && s <= lead + root + (tip - root) * f;
  };
  /** Shade of an engine nacelle at (s, |v|), or 0 when none is there. */
  const engineAt = (s: number, av: number): number => {
    for (const e of engines) {
      const len = e.len * L;
      const ev = p.rearEngines ? hwMax + e.dia * L * 0.6 : e.vf * (S / 2);
      // Wing engines hang under the leading edge, protruding forward about two thirds of their length.
      const sc = p.rearEngines ? e.sf * L + len / 2 : p.wingLE * L + ev * tanS - len * 0.15;
      const a = (s - sc) / (len / 2), b = (av - ev) / ((e.dia * L) / 2);
      if (a * a * a * a + b * b <= 1) return a < -0.8 ? 0.5 : 0.95;
    }
    return 0;
  };
  return (u, v, out) => {
    const s = L / 2 - u;
    const av = Math.abs(v);
    if (s < 0 || s > L) return false;
    const hw = fuselage(s, v);
    const onWing = surface(s, av, p.wingLE * L, p.root * L, p.tip * L, S, tanS);
    if (p.highWing && onWing) return put(out, wing, 0.98);
    if (hw > 0) {
      if (s > 0.03 * L && s < 0.055 * L && av < hw * 0.7 && !military) return put(out, [50, 58, 70]);
      if (s > 0.8 * L && av < Math.max(0.25, hw * 0.18)) return put(out, military ? body : livery, 0.85);
      const round = Math.sqrt(Math.max(0, 1 - (v / hw) ** 2));
      return put(out, body, 0.8 + 0.2 * round);
    }
    if (p.highWing) {
      const e = engineAt(s, av);
      if (e) return put(out, [150, 152, 156], e);
      if (onWing) return put(out, wing, 1 - 0.06 * (av / (S / 2)));
    } else {
      if (onWing) return put(out, wing, 1 - 0.06 * (av / (S / 2)));
      const e = engineAt(s, av);
      if (e) return put(out, [150, 152, 156], e);
    }
    if (surface(s, av, p.tailLE * L, p.tailRoot * L, p.tailTip * L, p.tailSpan * S, tanT)) return put(out, wing, 0.97);
    if (type === 'fighter' && s > 0.25 * L && s < p.wingLE * L && av < hwMax + (s - 0.25 * L) * 0.35) return put(out, body, 0.93);
    return false;
  };
}

function helicopterPainter(L: number, D: number, seed: number): Painter {
  const body: Rgb = pickBy(seed, 1, [[72, 80, 64], [60, 62, 66], [220, 220, 216], [170, 40, 36]] as Rgb[]);
  const R = D / 2;
  const hub = R; // distance from the front of the box: the rotor tip reaches the front edge
  const fl = L * 0.72;
  const noseS = hub - fl * 0.3;
  const phase = ((seed % 90) * Math.PI) / 180;
  return (u, v, out) => {
    const s = L / 2 - u;
    const av = Math.abs(v);
    // Parked rotor: four blades 0.55 m wide.
    const ds = s - hub;
    const r = Math.hypot(ds, v);
    if (r <= R && r > 0.6) {
      for (let k = 0; k < 4; k++) {
        const a = phase + (k * Math.PI) / 2;
        const along = ds * Math.cos(a) + v * Math.sin(a);
        const across = -ds * Math.sin(a) + v * Math.cos(a);
        if (along > 0 && Math.abs(across) < 0.3) return put(out, [40, 42, 44]);
      }
    }
    if (r <= 0.7) return put(out, [30, 30, 30]);
    const t = (s - noseS) / fl;
    if (t >= 0 && t <= 0.55) {
      const hw = L * 0.075 * Math.sqrt(Math.min(1, t / 0.2)) * (t > 0.4 ? 1 - (t - 0.4) * 3 : 1);
      if (av <= hw) return put(out, body, t < 0.12 ? 0.45 : 0.85 + 0.15 * Math.sqrt(Math.max(0, 1 - (v / hw) ** 2)));
    }
    if (t > 0.55 && t <= 1 && av < 0.45) return put(out, body, 0.9);
    if (t > 0.9 && t <= 1.0 && v > 0.45 && v < 1.8 && Math.abs(t - 0.96) < 0.02) return put(out, [40, 42, 44]);
    if (t > 0.82 && t < 0.9 && av < 1.6) return put(out, body, 0.8);
    return false;
  };
}

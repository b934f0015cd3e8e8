import type { Canvas } from './canvas.js';
import { fromLocal, type Vec } from './geometry.js';
import { MATERIALS } from './palette.js';
import type { PlannedObject, ScenePlan } from './plan-types.js';

const TAN_KELVIN = Math.tan((19.47 * Math.PI) / 180);

/**
 * A moving ship's wake: bow waves along the hull, the two Kelvin arms at 19.5° from the
 * bow, faint transverse waves between them, and a turbulent foam trail behind the stern
 * fading over several ship lengths.
 */
export function paintWake(plan: ScenePlan, c: Canvas, o: PlannedObject): void {
  const L = o.lengthM, B = o.widthM, Lw = o.wakeM ?? 0;
  const g = plan.gsdM;
  const box = { cx: o.cx, cy: o.cy, length: L / g, width: B / g, headingDeg: o.headingDeg };
  const back = Lw / g;
  const poly: Vec[] = [fromLocal(box, box.length / 2 + 2, 0), fromLocal(box, box.length / 2 - back, back * TAN_KELVIN + 4), fromLocal(box, box.length / 2 - back, -back * TAN_KELVIN - 4)];
  const tex = plan.texture;
  const F = MATERIALS.foam;
  const lambda = Math.max(6, L * 0.28);
  c.forEachLocal(poly, box, (idx, u, v) => {
    const d = L / 2 - u;
    if (d < 0) return;
    const av = Math.abs(v);
    const t = tex.data[(Math.floor(u * 1.3) & tex.mask) + (Math.floor(v * 1.3) & tex.mask) * tex.size]!;
    let foam = 0;
    const arm = d * TAN_KELVIN;
    const aw = 0.7 + d * 0.012;
    const da = Math.abs(av - arm);
    if (da < aw * 3) foam += Math.exp(-((da / aw) ** 2)) * Math.exp(-d / (Lw * 0.45)) * (0.45 + 0.35 * Math.sin((d / lambda) * 6.2832) + 0.3 * t);
    const ds = d - L;
    if (ds > -L * 0.15) {
      const tw = B * 0.42 + Math.max(0, ds) * 0.035;
      if (av < tw) foam += (1 - (av / tw) ** 2) * Math.exp(-Math.max(0, ds) / (Lw * 0.3)) * (0.55 + 0.7 * t);
    }
    if (av < arm && d > L) foam += 0.12 * Math.exp(-d / (Lw * 0.35)) * Math.max(0, Math.sin((d / lambda) * 6.2832));
    if (d < L * 0.6 && av > B * 0.4 && av < B / 2 + 1.5 + d * 0.05) foam += 0.7 * (1 - d / (L * 0.6));
    if (foam > 0) c.blend(idx, F[0], F[1], F[2], Math.min(0.92, foam));
  });
}

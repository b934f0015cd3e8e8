import type { Canvas, Frame } from './canvas.js';
import { forwardOf, sweptBox } from './geometry.js';
import { aircraftPainter } from './paint-aircraft.js';
import { shipPainter } from './paint-ships.js';
import { buildingPainter, tankPainter, vehiclePainter } from './paint-structures.js';
import { turbinePainter, turbineShadow } from './paint-turbine.js';
import { paintWake } from './paint-wake.js';
import type { Painter } from './painter.js';
import type { PlannedObject, ScenePlan } from './plan-types.js';

/** Sun direction and shadow offset expressed in an object's local metres. */
export interface LocalLight {
  /** Unit vector towards the sun (u, v). */
  sun: [number, number];
  /** Shadow displacement per metre of height (u, v), metres. */
  shadow: [number, number];
  tanElev: number;
}

/** Expresses the scene light in the frame of a heading. */
export function localLight(plan: ScenePlan, headingDeg: number): LocalLight {
  const [fx, fy] = forwardOf(headingDeg);
  const az = (plan.light.sunAzimuthDeg * Math.PI) / 180;
  const sx = Math.sin(az), sy = -Math.cos(az);
  const [px, py] = plan.light.shadowPerM;
  const g = plan.gsdM;
  return {
    sun: [sx * fx + sy * fy, -sx * fy + sy * fx],
    shadow: [(px * fx + py * fy) * g, (-px * fy + py * fx) * g],
    tanElev: Math.tan((plan.light.sunElevationDeg * Math.PI) / 180),
  };
}

/** The painter for an object's body. */
export function painterFor(plan: ScenePlan, o: PlannedObject): Painter {
  const light = localLight(plan, o.headingDeg);
  switch (o.class) {
    case 'aircraft':
      return aircraftPainter(o.type, o.lengthM, o.widthM, o.seed);
    case 'ship':
      return shipPainter(o.type, o.lengthM, o.widthM, o.seed);
    case 'vehicle':
      return vehiclePainter(o.type, o.lengthM, o.widthM, o.seed);
    case 'storage_tank':
      return tankPainter(o.type, o.lengthM, o.heightM, light.sun, light.tanElev);
    case 'wind_turbine':
      return turbinePainter(o, plan.light.offNadirDeg);
    case 'building':
      return buildingPainter(o.type, o.lengthM, o.widthM, o.seed, light.sun, plan.climate === 'arid');
  }
}

/**
 * Paints wakes, then marks shadows, then paints bodies, for the objects touching the tile.
 * Prisms (buildings, tanks) cast their footprint swept along the shadow vector; flat-lying
 * objects cast their silhouette displaced by their height.
 */
export function paintObjects(plan: ScenePlan, c: Canvas, objects: PlannedObject[]): void {
  for (const o of objects) if (o.wakeM) paintWake(plan, c, o);
  const scratch = [0, 0, 0];
  const [spx, spy] = plan.light.shadowPerM;
  objects.forEach((o, k) => {
    const frame: Frame = { cx: o.cx, cy: o.cy, headingDeg: o.headingDeg };
    const mark = (idx: number) => {
      c.shadow[idx] = 1;
      c.shadowOwner[idx] = k + 1;
    };
    if (o.class === 'wind_turbine') {
      const inShadow = turbineShadow(o, localLight(plan, o.headingDeg), plan.light.offNadirDeg);
      c.forEachLocal(o.renderPoly, frame, (idx, u, v) => inShadow(u, v) && mark(idx));
      return;
    }
    const box = { cx: o.cx, cy: o.cy, length: o.lengthM / plan.gsdM, width: o.widthM / plan.gsdM, headingDeg: o.headingDeg };
    const poly = sweptBox(box, spx * o.heightM, spy * o.heightM);
    const [su, sv] = localLight(plan, o.headingDeg).shadow;
    const h = o.heightM;
    if (o.class === 'building') {
      c.forEachLocal(poly, frame, mark);
    } else if (o.class === 'storage_tank') {
      const r = o.lengthM / 2;
      c.forEachLocal(poly, frame, (idx, u, v) => {
        // Capsule: the circle swept along the shadow vector.
        const t = Math.max(0, Math.min(1, (u * su + v * sv) / (h * (su * su + sv * sv))));
        if (Math.hypot(u - su * h * t, v - sv * h * t) <= r) mark(idx);
      });
    } else {
      const painter = painterFor(plan, o);
      c.forEachLocal(poly, frame, (idx, u, v) => painter(u - su * h, v - sv * h, scratch) && mark(idx));
    }
  });
  objects.forEach((o, k) => {
    const painter = painterFor(plan, o);
    const out = [0, 0, 0];
    c.forEachLocal(o.polygon, { cx: o.cx, cy: o.cy, headingDeg: o.headingDeg }, (idx, u, v) => {
      if (!painter(u, v, out)) return;
      c.set(idx, out[0]!, out[1]!, out[2]!);
      c.owner[idx] = k + 1;
    });
  });
}

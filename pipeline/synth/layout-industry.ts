import type { ObjectType } from './catalog.js';
import { boxCorners, fromLocal, type OBox } from './geometry.js';
import type { PlanContext } from './plan-context.js';
import { Rng } from './random.js';

/**
 * Tank farms: a gravel pad with a grid of storage tanks of similar size, each cell ringed
 * by an earth bund, sometimes with a warehouse beside it. Count grows with area.
 */
export function layoutTankFarms(ctx: PlanContext, seed: number): void {
  const rng = Rng.forStage(seed, 'tanks');
  const count = Math.max(1, Math.round(ctx.areaKm2 / 20));
  for (let n = 0; n < count; n++) {
    const type: ObjectType = rng.chance(0.5) ? 'floating_roof_tank' : 'fixed_roof_tank';
    const base = ctx.sizeOf(type, rng);
    const small = ctx.areaKm2 < 2;
    const diaM = small ? Math.min(base.lengthM, 38) : base.lengthM;
    const cols = rng.int(small ? 2 : 2, small ? 3 : 4);
    const rows = rng.int(1, small ? 2 : 3);
    const pitchM = diaM + Math.max(10, diaM * 0.45);
    const box: OBox | null = findPad(ctx, rng, cols * pitchM + 16, rows * pitchM + 16);
    if (!box) continue;
    ctx.addZone({ ...box, length: box.length + ctx.px(10), width: box.width + ctx.px(10) });
    ctx.addFeature('tank_pad', box, rng.seed(), [pitchM, cols, rows]);
    for (let i = 0; i < cols; i++) {
      for (let j = 0; j < rows; j++) {
        const d = ctx.px(diaM * rng.range(0.9, 1));
        const [cx, cy] = fromLocal(box, ctx.px((i - (cols - 1) / 2) * pitchM), ctx.px((j - (rows - 1) / 2) * pitchM));
        const tank: OBox = { cx, cy, length: d, width: d, headingDeg: 0 };
        const h = Math.min(22, Math.max(9, diaM * rng.range(0.35, 0.5)));
        if (ctx.fits(tank, { allow: ['tank_pad'], inZone: true })) ctx.place(type, tank, h, 'land', rng.seed(), { hint: 'tank farm' });
      }
    }
  }
}

function findPad(ctx: PlanContext, rng: Rng, lenM: number, widM: number): OBox | null {
  for (let i = 0; i < 100; i++) {
    const box = ctx.randomBox(rng, lenM, widM, 0.05, 180);
    const poly = boxCorners({ ...box, length: box.length + ctx.px(30), width: box.width + ctx.px(30) });
    if (!ctx.inScene(boxCorners(box)) || ctx.blocked(poly, { allow: [] })) continue;
    if (ctx.landOk(box, { minLandM: i < 70 ? 10 : -10 }, 20)) return box;
  }
  return null;
}

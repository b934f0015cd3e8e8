import { OBJECT_CLASSES, TYPES, type ObjectClass, type ObjectType, type SceneContext } from './catalog.js';
import type { OBox } from './geometry.js';
import type { PlaceRule, PlanContext } from './plan-context.js';
import { Rng } from './random.js';
import { tryTurbine } from './layout-turbines.js';

/**
 * Guarantees one object of every class in scenes large enough to hold them, for when the
 * regular layouts came up empty (no room for a tank farm, no water for ships, ...):
 * places a small representative anywhere it fits, with relaxed rules.
 */
export function ensureEveryClass(ctx: PlanContext, seed: number): void {
  const rng = Rng.forStage(seed, 'ensure');
  for (const cls of OBJECT_CLASSES) {
    if (ctx.objects.some((o) => o.class === cls)) continue;
    rescue(ctx, rng, cls);
  }
}

function rescue(ctx: PlanContext, rng: Rng, cls: ObjectClass): void {
  const land: PlaceRule = { allow: [], minLandM: 8, padM: 3 };
  switch (cls) {
    case 'aircraft':
      anywhere(ctx, rng, 'light', land, 'land', 'grass strip');
      return;
    case 'ship':
      if (!anywhere(ctx, rng, 'leisure', { allow: [], maxLandM: -3, padM: 5 }, 'water', 'anchored')) anywhere(ctx, rng, 'fishing', land, 'land', 'stranded', true);
      return;
    case 'vehicle':
      if (!anywhere(ctx, rng, 'car', { allow: ['road', 'street', 'parking', 'urban_ground'], inZone: true, minLandM: 0, padM: 1 }, 'road', 'driving')) {
        anywhere(ctx, rng, 'car', land, 'land', 'parked');
      }
      return;
    case 'storage_tank':
      anywhere(ctx, rng, 'fixed_roof_tank', land, 'land', 'lone tank');
      return;
    case 'building':
      anywhere(ctx, rng, 'house', land, 'land', 'lone');
      return;
    case 'wind_turbine':
      for (let i = 0; i < 400; i++) {
        const dia = rng.range(70, 100);
        const where = rng.chance(0.5) ? { minLandM: 8 } : { maxLandM: -15 };
        if (tryTurbine(ctx, rng, rng.range(0, ctx.width), rng.range(0, ctx.height), rng.range(0, 360), dia, where)) return;
      }
  }
}

function anywhere(ctx: PlanContext, rng: Rng, type: ObjectType, rule: PlaceRule, context: SceneContext, hint: string, outOfContext = false): boolean {
  for (let i = 0; i < 600; i++) {
    const size = ctx.sizeOf(type, rng);
    if (type === 'fixed_roof_tank') size.widthM = size.lengthM = Math.min(size.lengthM, 20);
    const box: OBox = { cx: rng.range(0, ctx.width), cy: rng.range(0, ctx.height), length: ctx.px(size.lengthM), width: ctx.px(size.widthM), headingDeg: rng.range(0, 360) };
    if (ctx.fits(box, rule)) {
      const movable = TYPES[type].class === 'vehicle' || TYPES[type].class === 'ship';
      ctx.place(type, box, size.heightM, context, rng.seed(), { outOfContext, hint, ...(movable ? { moving: context === 'road' } : {}) });
      return true;
    }
  }
  return false;
}

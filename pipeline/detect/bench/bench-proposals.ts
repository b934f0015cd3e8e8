/**
 * Proposal recall benchmark: saliency proposals (proposals.ts), the trained objectness
 * model (objectness.ts) and their union, on the held-out synthetic scenes 41001–41003
 * (2048², 0.5 m; the objectness model trained on seeds ≥ 50000).
 *
 *   npm run bench:proposals            (env SEEDS=41001,41002 SIZE=2048 to change;
 *                                       MAX_UPSAMPLE=1 skips the 0.25 m/px pass)
 *
 * Prints recall at IoU ≥ 0.5 per class (wind_turbine: the class held out of the encoder;
 * the objectness model learns it since 1.2.0),
 * out-of-context recall, proposals per km², and milliseconds per megapixel.
 */
import { planScene } from '../../synth/scene-plan.js';
import { renderTile } from '../../synth/render-tile.js';
import type { SceneObject } from '../../synth/plan-types.js';
import { ObjectnessModel } from '../objectness.js';
import { boxIou, proposeObjects } from '../proposals.js';
import type { PixelBox } from '../refine-box.js';

const SEEDS = (process.env.SEEDS ?? '41001,41002,41003').split(',').map(Number);
const SIZE = Number(process.env.SIZE ?? 2048);
const GSD = 0.5;
const MAX_UPSAMPLE = Number(process.env.MAX_UPSAMPLE ?? 2);
const CLASSES = ['aircraft', 'ship', 'vehicle', 'storage_tank', 'building', 'wind_turbine'];
type Method = 'saliency' | 'objectness' | 'union';
const METHODS: Method[] = ['saliency', 'objectness', 'union'];

const hits = new Map<string, number>();
const totals = new Map<string, number>();
const counts: Record<Method, number> = { saliency: 0, objectness: 0, union: 0 };
const ms: Record<Method, number> = { saliency: 0, objectness: 0, union: 0 };
const model = await ObjectnessModel.open();
try {
  for (const seed of SEEDS) {
    const plan = planScene({ seed, width: SIZE, height: SIZE, gsdM: GSD });
    const data = renderTile(plan, { scale: 1, x: 0, y: 0, width: SIZE, height: SIZE }) as Uint8Array;
    const rgb = { data, width: SIZE, height: SIZE };
    let t = performance.now();
    const sal = await proposeObjects(rgb, { x: 0, y: 0 }, 1, GSD);
    ms.saliency += performance.now() - t;
    t = performance.now();
    const obj = await model.propose(rgb, { x: 0, y: 0 }, 1, GSD, { maxUpsample: MAX_UPSAMPLE });
    ms.objectness += performance.now() - t;
    const union = [...sal, ...obj.filter((o) => !sal.some((s) => boxIou(s, o) > 0.7))];
    const sets: Record<Method, PixelBox[]> = { saliency: sal, objectness: obj, union };
    for (const m of METHODS) counts[m] += sets[m].length;
    for (const o of plan.objects) score(o, sets);
    console.error(`seed ${seed}: ${plan.objects.length} objects, saliency ${sal.length}, objectness ${obj.length}`);
  }
} finally {
  await model.close();
}
ms.union = ms.saliency + ms.objectness;

const km2 = (SEEDS.length * SIZE * SIZE * GSD * GSD) / 1e6;
const mpx = (SEEDS.length * SIZE * SIZE) / 1e6;
const rows = [...CLASSES, 'out_of_context'];
console.log(`\nProposal recall at IoU ≥ 0.5 — seeds ${SEEDS.join(', ')}, ${SIZE}² at ${GSD} m (${km2.toFixed(2)} km²), objectness maxUpsample ${MAX_UPSAMPLE}\n`);
console.log(`| ${'class'.padEnd(15)} | ${'n'.padStart(5)} | ${METHODS.map((m) => m.padStart(10)).join(' | ')} |`);
console.log(`|${'-'.repeat(17)}|${'-'.repeat(7)}|${METHODS.map(() => '-'.repeat(12)).join('|')}|`);
for (const c of rows) {
  const n = totals.get(c) ?? 0;
  console.log(`| ${c.padEnd(15)} | ${String(n).padStart(5)} | ${METHODS.map((m) => (n ? ((hits.get(`${m}/${c}`) ?? 0) / n).toFixed(2) : '–').padStart(10)).join(' | ')} |`);
}
console.log(`| ${'proposals/km²'.padEnd(15)} | ${''.padStart(5)} | ${METHODS.map((m) => (counts[m] / km2).toFixed(0).padStart(10)).join(' | ')} |`);
console.log(`| ${'ms per Mpx'.padEnd(15)} | ${''.padStart(5)} | ${METHODS.map((m) => (ms[m] / mpx).toFixed(0).padStart(10)).join(' | ')} |`);

function score(o: SceneObject, sets: Record<Method, PixelBox[]>): void {
  const gt = { x: o.bbox[0], y: o.bbox[1], width: o.bbox[2], height: o.bbox[3] };
  const keys = [o.class, ...(o.outOfContext ? ['out_of_context'] : [])];
  for (const k of keys) totals.set(k, (totals.get(k) ?? 0) + 1);
  for (const m of METHODS) {
    if (!sets[m].some((p) => boxIou(p, gt) >= 0.5)) continue;
    for (const k of keys) hits.set(`${m}/${k}`, (hits.get(`${m}/${k}`) ?? 0) + 1);
  }
}

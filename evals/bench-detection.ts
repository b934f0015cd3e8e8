/**
 * `npm run bench:detection` (part of `npm run bench:evals`): open-vocabulary detection
 * quality of detect_in_region on held-out synthetic scenes (seeds 41001…, as
 * bench:search-quality) against the generator's boxes, per class: AP50 and COCO AP
 * (101-point, IoU .50:.95), AP_small (< 32² px), recall at 1 and 10 false positives per
 * km², and the count at the tool's default threshold vs the truth. All figures come
 * from evals/metrics. Env: BENCH_SCENES (default 2), BENCH_SIZE (default 2048).
 */
import path from 'node:path';
import { loadConfig } from '../core/config.js';
import { makeTempDir } from '../core/testing/temp-dir.js';
import { addImages } from '../pipeline/catalog/catalog.js';
import { ingestImage } from '../pipeline/ingest/ingest-image.js';
import { Store } from '../pipeline/index/store.js';
import { generateScene, type GeneratedScene } from '../pipeline/synth/generate-scene.js';
import { createToolContext } from '../tools/context.js';
import { TOOLS } from '../tools/registry.js';
import type { XYWH } from './metrics/boxes.js';
import { cocoSummary, recallAtFpPerKm2, type Detection, type GroundTruthBox } from './metrics/detection.js';
import { countError } from './metrics/geo.js';
import type { AnyTool } from './oracle.js';

const N = Number(process.env.BENCH_SCENES ?? 2);
const SIZE = Number(process.env.BENCH_SIZE ?? 2048);
const CLASSES = [
  { cls: 'aircraft', text: 'an aircraft' },
  { cls: 'ship', text: 'a ship' },
  { cls: 'vehicle', text: 'a vehicle' },
  { cls: 'storage_tank', text: 'a storage tank' },
] as const;

/** detect_in_region from the registry, or from its module while it is not registered yet. */
async function detectTool(): Promise<AnyTool | undefined> {
  const reg = TOOLS.find((t) => t.name === 'detect_in_region');
  if (reg) return reg;
  const spec = '../tools/detect-in-region.js';
  const mod = (await import(/* @vite-ignore */ spec).catch(() => null)) as { detectInRegionTool?: AnyTool } | null;
  return mod?.detectInRegionTool;
}

async function main() {
  const tool = await detectTool();
  if (!tool) {
    console.log('detect_in_region is not available: no detection table.');
    return;
  }
  const tmp = await makeTempDir('geoscout-bench-detect-');
  const config = loadConfig({ cwd: tmp.dir, env: { GEOSCOUT_DATA_DIR: path.join(tmp.dir, 'state'), GEOSCOUT_LOG_LEVEL: 'warn' } });
  const store = await Store.open(config.dbUri);
  const ctx = createToolContext(config, async () => store);
  try {
    const enc = await ctx.encoder();
    const scenes: { scene: GeneratedScene; imageId: string }[] = [];
    for (let i = 1; i <= N; i++) {
      const scene = await generateScene(path.join(tmp.dir, 'scenes'), `s${i}`, { seed: 41000 + i, width: SIZE, height: SIZE, gsdM: 0.5 });
      const rec = (await addImages(store, [scene.tiffPath])).added[0]!;
      await ingestImage(store, enc, rec);
      scenes.push({ scene, imageId: rec.image_id });
    }
    const areaKm2 = scenes.reduce((a, s) => a + (s.scene.width * s.scene.gsdM * s.scene.height * s.scene.gsdM) / 1e6, 0);
    console.log(`\nDetection quality, detect_in_region with ${enc.modelVersion}, ${N} held-out scenes (seeds 41001–${41000 + N}, ${SIZE}² at 0.5 m, ${areaKm2.toFixed(2)} km²)`);
    console.log('class          truth  AP50   AP     AP_small  R@1FP/km²  R@10FP/km²  count@0.5 (abs err)   s/scene');
    for (const { cls, text } of CLASSES) {
      const dets: Detection[] = [], gts: GroundTruthBox[] = [];
      let counted = 0, seconds = 0;
      for (const s of scenes) {
        for (const o of s.scene.objects.filter((x) => x.class === cls)) gts.push({ bbox: o.bbox as XYWH, image: s.imageId });
        const t0 = Date.now();
        const out = (await tool.handler(tool.inputSchema.parse({ image_id: s.imageId, queries: [{ text }], threshold: 0, max_detections: 2000 }), ctx)) as { features: { properties: { score: number; pixel_box: { x: number; y: number; width: number; height: number } } }[] };
        seconds += (Date.now() - t0) / 1000;
        for (const f of out.features) {
          const b = f.properties.pixel_box;
          dets.push({ bbox: [b.x, b.y, b.width, b.height], score: f.properties.score, image: s.imageId });
          if (f.properties.score >= 0.5) counted++;
        }
      }
      const c = cocoSummary(dets, gts, { maxDetsPerImage: 2000 });
      const r1 = recallAtFpPerKm2(dets, gts, areaKm2, 1), r10 = recallAtFpPerKm2(dets, gts, areaKm2, 10);
      const err = countError(counted, gts.length);
      const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');
      console.log(`${cls.padEnd(15)}${String(gts.length).padEnd(7)}${f(c.ap50).padEnd(7)}${f(c.ap).padEnd(7)}${f(c.apSmall).padEnd(10)}${f(r1).padEnd(11)}${f(r10).padEnd(12)}${`${counted} (${err.abs}, ${(err.rel * 100).toFixed(0)} %)`.padEnd(22)}${(seconds / N).toFixed(1)}`);
    }
  } finally {
    await ctx.close();
    await store.close();
    await tmp.cleanup();
  }
}

await main();

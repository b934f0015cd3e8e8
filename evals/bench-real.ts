/**
 * `npm run bench:real`: how geoscout does on real overhead imagery with real labels
 * (`data/real/` of the shared data folder: KIT AIS cars, NEON tree crowns; attributions in
 * evals/real/real-data.ts). Each image is resampled to the scene GSD (BENCH_REAL_GSD, default
 * 0.3 m, a WorldView-3-class satellite) and catalogued as a georeferenced GeoTIFF, as a user's
 * scene would be; the example images are ingested (stored tiles: the prototypes' background
 * sample) and so are the evaluation images (search). Per class it prints:
 * - proposal recall at IoU 0.5 and proposals per km² of the active proposer;
 * - zero-shot text AP50 ("car", "tree") through detect_in_region, FP/km² at the default threshold;
 * - AP50 of a prototype bootstrapped from 80 synthetic exemplars (no real example; cars only:
 *   the generator draws no trees), BENCH_REAL_SYNTHETIC exemplars (0 skips);
 * - k-shot prototype AP50 (k = 5, 10, 20 boxes from the example images, evaluated on the others;
 *   BENCH_REAL_DRAWS draws of the k boxes, default 3) through add_prototype + detect_in_region,
 *   recall and FP/km² at the prototype's own threshold;
 * - search_tiles P@10 (a hit is relevant when its tile holds a labelled object's centre).
 * - the time from 5 examples to detections over a 4096² mosaic of the real car images.
 * Env: GEOSCOUT_REAL_DATA (default ../shared/data/real), BENCH_REAL_EXAMPLES, BENCH_REAL_GSD, BENCH_REAL_CLASSES
 * (car,tree), BENCH_REAL_SHOTS (5,10,20), BENCH_REAL_MAX_EVAL (evaluation images per class,
 * default 12), BENCH_REAL_MOSAIC (mosaic side, default 4096; 0 skips).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../core/config.js';
import { makeTempDir } from '../core/testing/temp-dir.js';
import { addImages, type ImageRecord } from '../pipeline/catalog/catalog.js';
import { openCatalogImage } from '../pipeline/catalog/open-image.js';
import { ingestImage } from '../pipeline/ingest/ingest-image.js';
import { Store } from '../pipeline/index/store.js';
import { prototypeDefaultThreshold } from '../pipeline/prototypes/prototypes.js';
import type { Stretch } from '../pipeline/raster/stretch.js';
import type { ObjectClass } from '../pipeline/synth/catalog.js';
import { DEFAULT_SYNTHETIC_COUNT } from '../pipeline/synth/exemplars.js';
import { addPrototypeInput, addPrototypeTool } from '../tools/add-prototype.js';
import { createToolContext } from '../tools/context.js';
import { classHead, classOfQuery } from '../pipeline/fewshot/class-heads.js';
import { CLASS_HEAD_THRESHOLD } from '../pipeline/detect/route-queries.js';
import { DEFAULT_THRESHOLD, detectInRegionInput, detectInRegionTool } from '../tools/detect-in-region.js';
import { searchTilesInput, searchTilesTool } from '../tools/search-tiles.js';
import type { ToolContext } from '../tools/tool.js';
import { iou } from './metrics/boxes.js';
import { averagePrecision101, matchDetections, type Detection, type GroundTruthBox } from './metrics/detection.js';
import { DEFAULT_EXAMPLE_NAMES, DEFAULT_MAX_EVAL, loadKitCars, loadNeonTrees, realSplit, writeRealMosaic, writeRealScene, type RealClass, type RealScene } from './real/real-data.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = process.env.GEOSCOUT_REAL_DATA ?? path.resolve(here, '../../shared/data/real');
const GSD = Number(process.env.BENCH_REAL_GSD ?? 0.3);
const SHOTS = (process.env.BENCH_REAL_SHOTS ?? '5,10,20').split(',').map(Number).filter((n) => n > 0);
const MAX_EVAL = Number(process.env.BENCH_REAL_MAX_EVAL ?? DEFAULT_MAX_EVAL);
/** Side of the real mosaic the 5-shot timing runs on (0: skip). */
/** Example draws per k. */
const DRAWS = Number(process.env.BENCH_REAL_DRAWS ?? 3);
const MOSAIC = Number(process.env.BENCH_REAL_MOSAIC ?? 4096);
/** Synthetic exemplars for the row without real examples (0: skip). */
const SYNTHETIC_COUNT = Number(process.env.BENCH_REAL_SYNTHETIC ?? DEFAULT_SYNTHETIC_COUNT);
/** The generator's class for each benchmark class it can draw (it draws no trees). */
const SYNTHETIC_CLASS: Record<string, ObjectClass> = { car: 'vehicle' };
/** Env BENCH_REAL_EXAMPLES: comma-separated image names the examples come from (default real-data.ts DEFAULT_EXAMPLE_NAMES). */
const EXAMPLE_NAMES = process.env.BENCH_REAL_EXAMPLES ? process.env.BENCH_REAL_EXAMPLES.split(',').filter(Boolean) : DEFAULT_EXAMPLE_NAMES;

interface Catalogued extends RealScene { rec: ImageRecord }

async function main() {
  if (!existsSync(ROOT)) {
    console.log(`bench:real: no real data at ${ROOT} (set GEOSCOUT_REAL_DATA to a folder laid out like shared/data/real); nothing measured.`);
    return;
  }
  const tmp = await makeTempDir('geoscout-bench-real-');
  const config = loadConfig({ cwd: tmp.dir, env: { GEOSCOUT_DATA_DIR: path.join(tmp.dir, 'state') } });
  const store = await Store.open(config.dbUri);
  const ctx = createToolContext(config, async () => store);
  try {
    const enc = await ctx.encoder();
    const proposer = await ctx.proposer!();
    console.log(`\nReal imagery, ${enc.modelVersion}, proposer ${proposer.kind}, scenes resampled to ${GSD} m; data ${ROOT}`);
    const wanted = (process.env.BENCH_REAL_CLASSES ?? 'car,tree').split(',');
    const classes: RealClass[] = [];
    if (wanted.includes('car')) classes.push(await loadKitCars(ROOT));
    if (wanted.includes('tree')) classes.push(await loadNeonTrees(ROOT));
    for (const cls of classes) await benchClass(cls, store, ctx, tmp.dir);
  } finally {
    await ctx.close();
    await store.close();
    await tmp.cleanup();
  }
}

async function benchClass(cls: RealClass, store: Store, ctx: ToolContext, tmpDir: string): Promise<void> {
  const dir = path.join(tmpDir, cls.name);
  await mkdir(dir, { recursive: true });
  const { examples, evaluation } = realSplit(cls, EXAMPLE_NAMES, MAX_EVAL);
  const nEx = examples.length;
  const chosen = [...examples, ...evaluation];
  const scenes: Catalogued[] = [];
  for (const [i, img] of chosen.entries()) {
    const s = await writeRealScene(img, dir, GSD, i);
    const rec = (await addImages(store, [s.tiffPath])).added[0];
    if (!rec) throw new Error(`bench:real: ${s.tiffPath} was not catalogued`);
    scenes.push({ ...s, rec });
  }
  const enc = await ctx.encoder();
  let t = Date.now();
  for (const s of scenes) await ingestImage(store, enc, s.rec);
  const ingestS = (Date.now() - t) / 1000;
  const exampleScenes = scenes.slice(0, nEx), evalScenes = scenes.slice(nEx);
  const km2 = evalScenes.reduce((a, s) => a + s.width * s.height * GSD * GSD, 0) / 1e6;
  const gts = evalScenes.flatMap((s) => s.boxes.map((b): GroundTruthBox => ({ bbox: b, image: s.rec.image_id })));
  const ignored = evalScenes.flatMap((s) => s.ignore.map((b): GroundTruthBox => ({ bbox: b, image: s.rec.image_id })));
  console.log(`\n${cls.name} (${cls.attribution})`);
  console.log(`  ${evalScenes.length} evaluation images, ${gts.length} objects, ${km2.toFixed(3)} km² (${(gts.length / km2).toFixed(0)} objects/km²); examples from ${exampleScenes.map((s) => s.name).join(', ')}; ingest ${ingestS.toFixed(0)} s`);

  t = Date.now();
  const prop = await proposalRecall(evalScenes, ctx);
  console.log(`  proposals: recall@IoU0.5 ${fmt(prop.recall)} with ${(prop.count / km2).toFixed(0)} proposals/km² (${(prop.count / Math.max(1, gts.length)).toFixed(1)} per object); best-IoU median ${fmt(prop.medianIou)} (${((Date.now() - t) / 1000).toFixed(0)} s)`);

  console.log('  query                 AP50   recall@thr  FP/km²@thr   P@10(search)   time');
  const measure = async (query: { text: string } | { prototype: string }, thr: number) => {
    const t0 = Date.now();
    const all = withIgnored(await detect(evalScenes, ctx, query), gts, ignored);
    const at = atThreshold(all, gts, thr);
    // Every box returned at the 0.01 floor, as a class-specific proposal set: its recall and density.
    const floor = atThreshold(all, gts, 0);
    return { all, ap: averagePrecision101(all, gts, { maxDetsPerImage: Infinity }), recall: at.recall, fpKm2: at.fp / km2, thr, p10: await searchP10(evalScenes, ctx, query), seconds: (Date.now() - t0) / 1000, recallAll: floor.recall, boxesKm2: all.length / km2 };
  };
  const row = async (label: string, query: { text: string } | { prototype: string }, thr: number) => {
    const r = await measure(query, thr);
    console.log(`  ${label.padEnd(20)}  ${fmt(r.ap)}   ${fmt(r.recall)}        ${r.fpKm2.toFixed(0).padStart(6)}      ${fmt(r.p10)}         ${r.seconds.toFixed(0)} s`);
    return r;
  };
  // A class with a shipped class head is answered by it on imagery the encoder does not know
  // (detect/route-queries.ts): the threshold a call without one gets is then CLASS_HEAD_THRESHOLD.
  const headClass = classOfQuery(cls.name);
  const head = headClass ? classHead(headClass) : null;
  const text = await row(`"${cls.name}" zero-shot`, { text: cls.name }, head ? CLASS_HEAD_THRESHOLD : DEFAULT_THRESHOLD);
  if (head) console.log(`      text answered by the shipped ${headClass} class head (threshold ${text.thr.toFixed(2)}) where the encoder does not know the image; all boxes: recall ${fmt(text.recallAll)} with ${text.boxesKm2.toFixed(0)}/km²`);
  // No real example: exemplars the generator draws, fitted into a window head (synth/exemplars.ts).
  const synthClass = SYNTHETIC_CLASS[cls.name];
  if (synthClass && SYNTHETIC_COUNT > 0) {
    const name = `${cls.name}-synthetic`, t0 = Date.now();
    const out = await addPrototypeTool.handler(addPrototypeInput.parse({ name, synthetic: { class: synthClass, count: SYNTHETIC_COUNT }, mode: 'create' }), ctx);
    const fitS = (Date.now() - t0) / 1000;
    const res = await row(`${SYNTHETIC_COUNT} synthetic ${synthClass}`, { prototype: name }, prototypeDefaultThreshold(out.prototype));
    console.log(`      0 real examples: ${out.prototype.window_head?.used ? 'window head' : 'encoder'} at threshold ${res.thr.toFixed(2)}; all boxes: recall ${fmt(res.recallAll)} with ${res.boxesKm2.toFixed(0)}/km²; add_prototype ${fitS.toFixed(0)} s (renders the exemplar scenes the first time)`);
    const curve = [0.3, 0.5, 0.7, 0.9].map((thr) => { const a = atThreshold(res.all, gts, thr); return `${thr.toFixed(1)}: recall ${fmt(a.recall)}, ${(a.fp / km2).toFixed(0)} FP/km²`; });
    console.log(`      by threshold: ${curve.join('; ')}`);
  }
  // k examples drawn DRAWS times (which k cars an analyst boxes matters at 5 shots): mean and range.
  for (const k of SHOTS) {
    const aps: number[] = [], rows: string[] = [];
    for (let r = 0; r < DRAWS; r++) {
      const name = `${cls.name}-${k}shot-${r}`;
      const t0 = Date.now();
      const out = await addPrototypeTool.handler(addPrototypeInput.parse({ name, examples: exampleBoxes(exampleScenes, 7 + r).slice(0, k), mode: 'create' }), ctx);
      const fitS = (Date.now() - t0) / 1000;
      const res = await measure({ prototype: name }, prototypeDefaultThreshold(out.prototype));
      aps.push(res.ap);
      const h = out.prototype.window_head;
      const used = h ? `${h.used ? 'window head' : `encoder${h.check?.proposals ? ` on ${h.check.proposals} proposals` : ''}`} (check MRR head ${fmt(h.check?.window_head_mrr ?? NaN)} / encoder ${fmt(h.check?.encoder_mrr ?? NaN)}, boxed ${fmt(h.check?.window_head_found ?? NaN)} / ${fmt(h.check?.encoder_found ?? NaN)}; head fit ${h.seconds.toFixed(1)} s, lengths ${h.lengths_m.join('/')} m)` : 'encoder (no window head)';
      rows.push(`      draw ${r + 1}: ${used}: AP50 ${fmt(res.ap)}, recall ${fmt(res.recall)} and ${res.fpKm2.toFixed(0)} FP/km² at threshold ${res.thr.toFixed(2)}, all boxes: recall ${fmt(res.recallAll)} with ${res.boxesKm2.toFixed(0)}/km²; P@10 ${fmt(res.p10)}; add_prototype ${fitS.toFixed(0)} s, detect ${res.seconds.toFixed(0)} s`);
    }
    const mean = aps.reduce((a, c) => a + c, 0) / aps.length;
    console.log(`  ${`${k}-shot prototype`.padEnd(20)}  ${fmt(mean)}   (AP50 mean of ${DRAWS} draws, range ${fmt(Math.min(...aps))}–${fmt(Math.max(...aps))})`);
    for (const line of rows) console.log(line);
  }
  if (cls.name === 'car' && MOSAIC > 0) await timeOnMosaic(cls, store, ctx, dir, exampleBoxes(exampleScenes, 7));
}

/**
 * "5 examples given" to "detections from the fitted head" on a MOSAIC² scene tiled from the
 * class's real images: add_prototype (embedding, probe, window head) then detect_in_region
 * over the whole scene at the default threshold.
 */
async function timeOnMosaic(cls: RealClass, store: Store, ctx: ToolContext, dir: string, pool: ReturnType<typeof exampleBoxes>): Promise<void> {
  const file = await writeRealMosaic(cls.images, dir, GSD, MOSAIC, 999);
  const rec = (await addImages(store, [file])).added[0]!;
  const t0 = Date.now();
  const added = await addPrototypeTool.handler(addPrototypeInput.parse({ name: `${cls.name}-timing`, examples: pool.slice(0, 5), mode: 'create' }), ctx);
  const h = added.prototype.window_head;
  const t1 = Date.now();
  const out = await detectInRegionTool.handler(detectInRegionInput.parse({ image_id: rec.image_id, queries: [{ prototype: `${cls.name}-timing` }], max_detections: 2000 }), ctx);
  const t2 = Date.now();
  console.log(`  5 examples → detections on a ${MOSAIC}² real mosaic (${((MOSAIC * GSD) ** 2 / 1e6).toFixed(1)} km²): add_prototype ${((t1 - t0) / 1000).toFixed(1)} s + detect_in_region ${((t2 - t1) / 1000).toFixed(1)} s = ${((t2 - t0) / 1000).toFixed(1)} s, ${out.features.length} detections at the default threshold (${h?.used ? `window head, ${h.threshold.toFixed(2)}` : 'encoder'})`);
  const low = await detectInRegionTool.handler(detectInRegionInput.parse({ image_id: rec.image_id, queries: [{ prototype: `${cls.name}-timing` }], threshold: 0.5, max_detections: 2000 }), ctx);
  console.log(`    at threshold 0.5: ${low.features.length} detections (${((Date.now() - t2) / 1000).toFixed(1)} s)`);
}

/** k examples spread over the example images: every image's boxes in a fixed shuffled order, interleaved. */
function exampleBoxes(scenes: Catalogued[], seed: number) {
  const per = scenes.map((s) => shuffled(s.boxes.filter((b) => b[2] >= 2 && b[3] >= 2), seed).map((b) => ({ image_id: s.rec.image_id, ...intBox(b, s.width, s.height) })));
  const out = [];
  for (let i = 0; per.some((p) => i < p.length); i++) for (const p of per) if (i < p.length) out.push(p[i]!);
  return out;
}

async function proposalRecall(scenes: Catalogued[], ctx: ToolContext): Promise<{ recall: number; count: number; medianIou: number }> {
  const proposer = await ctx.proposer!();
  let hit = 0, n = 0, count = 0;
  const best: number[] = [];
  for (const s of scenes) {
    const raster = await openCatalogImage(s.rec);
    try {
      const area = { x: 0, y: 0, width: s.width, height: s.height };
      const rgb = await raster.readRgb(area, { stretch: s.rec.stretch as Stretch });
      const props = await proposer.propose(rgb, area, 1, s.gsdM);
      count += props.length;
      for (const g of s.boxes) {
        const b = Math.max(0, ...props.map((p) => iou([p.x, p.y, p.width, p.height], g)));
        best.push(b);
        n++;
        if (b >= 0.5) hit++;
      }
    } finally {
      await raster.close();
    }
  }
  best.sort((a, b) => a - b);
  return { recall: n ? hit / n : NaN, count, medianIou: best[Math.floor(best.length / 2)] ?? NaN };
}

async function detect(scenes: Catalogued[], ctx: ToolContext, query: { text: string } | { prototype: string }): Promise<Detection[]> {
  const dets: Detection[] = [];
  for (const s of scenes) {
    const out = await detectInRegionTool.handler(detectInRegionInput.parse({ image_id: s.rec.image_id, queries: [query], threshold: 0.01, max_detections: 2000 }), ctx);
    for (const f of out.features) dets.push({ bbox: [f.properties.pixel_box.x, f.properties.pixel_box.y, f.properties.pixel_box.width, f.properties.pixel_box.height], score: f.properties.score, image: s.rec.image_id });
  }
  return dets;
}

/** Drops detections that match an ignored box (a truck for "car") and no real one. */
function withIgnored(dets: Detection[], gts: GroundTruthBox[], ignored: GroundTruthBox[]): Detection[] {
  if (!ignored.length) return dets;
  return dets.filter((d) => {
    const on = (g: GroundTruthBox) => g.image === d.image && iou(g.bbox, d.bbox) >= 0.5;
    return gts.some(on) || !ignored.some(on);
  });
}

async function searchP10(scenes: Catalogued[], ctx: ToolContext, query: { text: string } | { prototype: string }): Promise<number> {
  const out = await searchTilesTool.handler(searchTilesInput.parse({ ...query, image_ids: scenes.map((s) => s.rec.image_id), limit: 10 }), ctx);
  if (!out.hits.length) return 0;
  const byId = new Map(scenes.map((s) => [s.rec.image_id, s]));
  const rel = out.hits.filter((h) => (byId.get(h.image_id)?.boxes ?? []).some((b) => {
    const cx = b[0] + b[2] / 2, cy = b[1] + b[3] / 2;
    return cx >= h.window.x && cx < h.window.x + h.window.width && cy >= h.window.y && cy < h.window.y + h.window.height;
  }));
  return rel.length / 10;
}

function atThreshold(dets: Detection[], gts: GroundTruthBox[], threshold: number): { recall: number; fp: number } {
  const m = matchDetections(dets.filter((d) => d.score >= threshold), gts, { maxDetsPerImage: Infinity });
  const tp = m.scored.filter((s) => s.tp).length;
  return { recall: m.numGt ? tp / m.numGt : NaN, fp: m.scored.length - tp };
}

function shuffled<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function intBox(b: [number, number, number, number], W: number, H: number) {
  const x = Math.max(0, Math.round(b[0])), y = Math.max(0, Math.round(b[1]));
  return { x, y, width: Math.max(1, Math.min(W - x, Math.round(b[0] + b[2]) - x)), height: Math.max(1, Math.min(H - y, Math.round(b[1] + b[3]) - y)) };
}

const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : ' n/a');

await main();

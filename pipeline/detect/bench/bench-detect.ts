/**
 * `npm run bench:detect`: seconds for detect_in_region over an 8192 × 8192 region at
 * 0.5 m (of the 20,000² bench scene shared with bench:raster/bench:ingest), three text
 * queries, split into read / proposals / encoding / scoring, peak RSS; once exhaustive
 * (every pixel) and once gated by the scene's stored tile embeddings (the default), at the
 * scene's corner and again in its sparsest 8192² window. The scene is ingested once into a
 * store cached beside it. Baseline in the same run: dense
 * sliding-window scoring (a 48 m crop every 24 m, the obvious proposal-free way), its
 * encoding time measured on a sample and extrapolated to the region.
 * Env: BENCH_REGION (8192), BENCH_DIR (scene and store cache).
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../core/config.js';
import { addImages, listImages } from '../../catalog/catalog.js';
import { ingestImage } from '../../ingest/ingest-image.js';
import { Store } from '../../index/store.js';
import { ModelRegistry } from '../../models/registry.js';
import { generateScene } from '../../synth/generate-scene.js';
import { DEFAULT_THRESHOLD } from '../../../tools/detect-in-region.js';
import { detectInRegion } from '../detect-region.js';
import { clearCropCache } from '../crop-cache.js';
import { prepareQueries } from '../scorer.js';
import { tileGate } from '../tile-gate.js';
import type { PixelWindow } from '../../raster/georef.js';
import { openProposer } from '../proposer.js';
import { boxIou } from '../proposals.js';

const REGION = Number(process.env.BENCH_REGION ?? 8192);
const dir = process.env.BENCH_DIR ?? path.join(os.tmpdir(), 'geoscout-bench');

async function main() {
  const tif = path.join(dir, 'scene-20000-seed7.tif');
  if (!existsSync(tif)) await generateScene(dir, 'scene-20000-seed7', { seed: 7, width: 20000, height: 20000 });
  const config = loadConfig({ cwd: dir, env: { GEOSCOUT_DATA_DIR: path.join(dir, 'bench-detect-state') } });
  const store = await Store.open(config.dbUri);
  const enc = await new ModelRegistry(config.dataDir).openEncoder(undefined, ModelRegistry.encoderOptions(config.models));
  const proposer = await openProposer();
  try {
    const rec = (await addImages(store, [tif])).added[0] ?? (await listImages(store, {})).find((r) => r.uri === tif)!;
    const ti = Date.now();
    const ing = await ingestImage(store, enc, rec);
    if (ing.written) process.stderr.write(`ingested ${ing.written} tiles in ${((Date.now() - ti) / 1000).toFixed(0)} s (cached for later runs)\n`);
    const queries = [{ text: 'aircraft' }, { text: 'ship' }, { text: 'vehicle' }];
    const runOnce = async (window: PixelWindow, exhaustive: boolean) => {
      // Each run starts without cached crop embeddings: a second run must not reuse the first's.
      clearCropCache();
      const timings = { read: 0, proposals: 0, encode: 0, score: 0 };
      const t0 = Date.now();
      const out = await detectInRegion(store, enc, { imageId: rec.image_id, window }, queries, {
        threshold: DEFAULT_THRESHOLD, proposer, maxDetections: 2000, timings, exhaustive,
        onProgress: (d, t) => process.stderr.write(`\r${((100 * d) / t).toFixed(0)}% `),
      });
      process.stderr.write('\n');
      return { out, timings, secs: (Date.now() - t0) / 1000 };
    };
    const compare = async (window: PixelWindow) => {
      const full = await runOnce(window, true);
      const gated = await runOnce(window, false);
      return { full, gated };
    };
    const { full, gated } = await compare({ x: 0, y: 0, width: REGION, height: REGION });
    const { out, timings, secs } = gated;
    // Baseline: dense windows, 48 m crops every 24 m, encoding measured on 256 crops.
    const side = Math.round(48 / (rec.gsd_m ?? 0.5));
    const windows = Math.ceil(REGION / (side / 2)) ** 2;
    const sample = Array.from({ length: 256 }, () => ({ data: new Uint8Array(side * side * 3).fill(128), width: side, height: side }));
    const tb = Date.now();
    await enc.encodeImages(sample);
    const denseSecs = ((Date.now() - tb) / 1000) * (windows / sample.length);
    const rss = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;
    const pct = (ms: number) => `${((100 * ms) / 1000 / secs).toFixed(0)}%`;
    console.log(`\ndetect_in_region, ${REGION}² region at ${rec.gsd_m} m (${((REGION * REGION * (rec.gsd_m ?? 0.5) ** 2) / 1e6).toFixed(1)} km²), 3 text queries, ${enc.modelVersion}, ${proposer.kind} proposals, ${os.cpus().length} cores`);
    type Run = Awaited<ReturnType<typeof runOnce>>;
    const line = (name: string, r: Run) => `${name}: ${r.secs.toFixed(1)} s (read ${(r.timings.read / 1000).toFixed(1)}, proposals ${(r.timings.proposals / 1000).toFixed(1)}, encoding ${(r.timings.encode / 1000).toFixed(1)}, scoring ${(r.timings.score / 1000).toFixed(1)}); ${JSON.stringify(r.out.counts)}`;
    const report = (where: string, r: { full: Run; gated: Run }) => {
      console.log(`${where}:`);
      console.log('  ' + line('exhaustive', r.full));
      console.log('  ' + line(`gated (${(100 * r.gated.out.searched.coverage).toFixed(0)} % searched, ${r.gated.out.searched.tiles.kept} of ${r.gated.out.searched.tiles.total} tiles + ${r.gated.out.searched.tiles.sampled} sampled)`, r.gated) + ` → ${(r.full.secs / r.gated.secs).toFixed(1)}× faster`);
      // The gated run's model tiles shrink to its parts, so a box can move by a pixel or two: match by IoU.
      const kept = r.full.out.features.filter((f) => r.gated.out.features.some((g) => g.properties.query === f.properties.query && boxIou(g.properties.pixel_box, f.properties.pixel_box) >= 0.5)).length;
      console.log(`  gated keeps ${kept} of the exhaustive run's ${r.full.out.features.length} detections (same query, IoU ≥ 0.5)`);
    };
    report(`window 0,0 ${REGION}²`, { full, gated });
    // The same queries where the scene is sparsest: of nine ${REGION}² windows, the one whose stored
    // tiles match least (an archive is mostly such places: sea, fields, desert).
    const prepared = await prepareQueries(enc, queries.map((q) => ({ label: q.text, text: q.text })));
    const step = (rec.width - REGION) / 2;
    let sparse: { win: PixelWindow; coverage: number } | null = null;
    for (const i of [0, 1, 2]) for (const j of [0, 1, 2]) {
      const win = { x: Math.round(i * step), y: Math.round(j * step), width: REGION, height: REGION };
      const g = await tileGate(store, enc, rec.image_id, win, prepared);
      if (g && (!sparse || g.coverage < sparse.coverage)) sparse = { win, coverage: g.coverage };
    }
    if (sparse) report(`sparsest window ${sparse.win.x},${sparse.win.y} ${REGION}² (of nine)`, await compare(sparse.win));
    console.log(`gated total ${secs.toFixed(1)} s (${((REGION * REGION) / 1e6 / secs).toFixed(1)} Mpx/s); read ${(timings.read / 1000).toFixed(1)} s (${pct(timings.read)}), proposals ${(timings.proposals / 1000).toFixed(1)} s (${pct(timings.proposals)}), encoding ${(timings.encode / 1000).toFixed(1)} s (${pct(timings.encode)}), scoring ${(timings.score / 1000).toFixed(1)} s (${pct(timings.score)})`);
    console.log(`detections: ${JSON.stringify(out.counts)}; peak RSS ${rss.toFixed(0)} MB`);
    console.log(`baseline dense sliding window (${windows} crops of ${side}px): encoding alone ≈ ${denseSecs.toFixed(0)} s → proposals are ${(denseSecs / secs).toFixed(1)}× faster end to end`);
  } finally {
    await enc.close();
    await proposer.close();
    await store.close();
  }
}

await main();

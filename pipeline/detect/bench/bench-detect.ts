/**
 * `npm run bench:detect`: seconds for detect_in_region over an 8192 × 8192 region at
 * 0.5 m (of the 20,000² bench scene shared with bench:raster/bench:ingest), three text
 * queries, split into read / proposals / encoding / scoring, peak RSS. Baseline in the same
 * run: dense sliding-window scoring (a 48 m crop every 24 m, the obvious proposal-free way),
 * its encoding time measured on a sample and extrapolated to the region.
 * Env: BENCH_REGION (8192), BENCH_DIR (scene cache).
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../core/config.js';
import { makeTempDir } from '../../../core/testing/temp-dir.js';
import { addImages } from '../../catalog/catalog.js';
import { Store } from '../../index/store.js';
import { ModelRegistry } from '../../models/registry.js';
import { generateScene } from '../../synth/generate-scene.js';
import { DEFAULT_THRESHOLD } from '../../../tools/detect-in-region.js';
import { detectInRegion } from '../detect-region.js';
import { openProposer } from '../proposer.js';

const REGION = Number(process.env.BENCH_REGION ?? 8192);
const dir = process.env.BENCH_DIR ?? path.join(os.tmpdir(), 'geoscout-bench');

async function main() {
  const tif = path.join(dir, 'scene-20000-seed7.tif');
  if (!existsSync(tif)) await generateScene(dir, 'scene-20000-seed7', { seed: 7, width: 20000, height: 20000 });
  const tmp = await makeTempDir('geoscout-bench-detect-');
  const config = loadConfig({ cwd: tmp.dir, env: { GEOSCOUT_DATA_DIR: path.join(tmp.dir, 'state') } });
  const store = await Store.open(config.dbUri);
  const enc = await new ModelRegistry(config.dataDir).openEncoder(undefined, ModelRegistry.encoderOptions(config.models));
  const proposer = await openProposer();
  try {
    const rec = (await addImages(store, [tif])).added[0]!;
    const timings = { read: 0, proposals: 0, encode: 0, score: 0 };
    const t0 = Date.now();
    const out = await detectInRegion(store, enc, { imageId: rec.image_id, window: { x: 0, y: 0, width: REGION, height: REGION } }, [{ text: 'aircraft' }, { text: 'ship' }, { text: 'vehicle' }], {
      threshold: DEFAULT_THRESHOLD,
      proposer,
      maxDetections: 2000,
      timings,
      onProgress: (d, t) => process.stderr.write(`\r${((100 * d) / t).toFixed(0)}% `),
    });
    const secs = (Date.now() - t0) / 1000;
    process.stderr.write('\n');
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
    console.log(`total ${secs.toFixed(1)} s (${((REGION * REGION) / 1e6 / secs).toFixed(1)} Mpx/s); read ${(timings.read / 1000).toFixed(1)} s (${pct(timings.read)}), proposals ${(timings.proposals / 1000).toFixed(1)} s (${pct(timings.proposals)}), encoding ${(timings.encode / 1000).toFixed(1)} s (${pct(timings.encode)}), scoring ${(timings.score / 1000).toFixed(1)} s (${pct(timings.score)})`);
    console.log(`detections: ${JSON.stringify(out.counts)}; peak RSS ${rss.toFixed(0)} MB`);
    console.log(`baseline dense sliding window (${windows} crops of ${side}px): encoding alone ≈ ${denseSecs.toFixed(0)} s → proposals are ${(denseSecs / secs).toFixed(1)}× faster end to end`);
  } finally {
    await enc.close();
    await proposer.close();
    await store.close();
    await tmp.cleanup();
  }
}

await main();

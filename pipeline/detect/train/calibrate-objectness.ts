/**
 * Fits the per-pass calibration of an objectness model (manifest `passes[].calibration`):
 * on tuning scenes (seeds 43001…, used by neither training ≥ 50000 nor the benchmarks
 * 41000–42999), every raw heatmap peak of each pass is marked hit or miss (IoU ≥ 0.5 with a
 * generated object of a trained class); quantile bins of peaks give precision, made
 * non-decreasing by pool-adjacent-violators, and written as [peak, precision] knots.
 *
 *   node --import tsx pipeline/detect/train/calibrate-objectness.ts [--model-dir DIR] [--scenes 8] [--size 2048]
 *
 * Scene GSDs cycle through 0.5, 0.5, 0.3, 0.8 m so every pass sees enlarged and shrunk input.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { makeTempDir } from '../../../core/testing/temp-dir.js';
import { openRaster } from '../../raster/raster.js';
import { generateScene } from '../../synth/generate-scene.js';
import { DEFAULT_OBJECTNESS_DIR, ObjectnessModel } from '../objectness.js';
import { boxIou } from '../proposals.js';

const { values } = parseArgs({ options: { 'model-dir': { type: 'string' }, scenes: { type: 'string', default: '8' }, size: { type: 'string', default: '2048' } } });
const dir = values['model-dir'] ?? DEFAULT_OBJECTNESS_DIR;
const nScenes = Number(values.scenes), size = Number(values.size);
const GSDS = [0.5, 0.5, 0.3, 0.8];
/** At most this many bins, and at least 8 peaks per bin (fewer bins for the rare large-object passes). */
const BINS = 12;
const MIN_PER_BIN = 8;

const manifestPath = path.join(dir, 'objectness.json');
const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
const trained = new Set<string>(manifest.classes_trained);
const model = await ObjectnessModel.open(dir, { threads: 2 });
const tmp = await makeTempDir('geoscout-calibrate-');
const peaks = new Map<number, { heat: number; hit: boolean }[]>();
try {
  for (let i = 0; i < nScenes; i++) {
    const seed = 43001 + i, gsd = GSDS[i % GSDS.length]!;
    const scene = await generateScene(tmp.dir, `cal${seed}`, { seed, width: size, height: size, gsdM: gsd });
    const raster = await openRaster(scene.tiffPath);
    try {
      const rgb = await raster.readRgb({ x: 0, y: 0, width: size, height: size });
      const truth = scene.objects.filter((o) => trained.has(o.class)).map((o) => ({ x: o.bbox[0], y: o.bbox[1], width: o.bbox[2], height: o.bbox[3] }));
      const props = await model.propose(rgb, { x: 0, y: 0 }, 1, gsd, { raw: true });
      for (const p of props) {
        const list = peaks.get(p.scaleM!) ?? [];
        list.push({ heat: p.objectness!, hit: truth.some((t) => boxIou(t, p) >= 0.5) });
        peaks.set(p.scaleM!, list);
      }
      console.error(`scene ${seed} (${gsd} m): ${props.length} proposals`);
    } finally {
      await raster.close();
    }
  }
} finally {
  await model.close();
  await tmp.cleanup();
}

for (const pass of manifest.passes as { mpp: number; calibration?: [number, number][] }[]) {
  const list = (peaks.get(pass.mpp) ?? []).sort((a, b) => a.heat - b.heat);
  if (list.length < 3 * MIN_PER_BIN) {
    delete pass.calibration;
    console.error(`pass ${pass.mpp} m/px: ${list.length} peaks, too few to calibrate (left raw)`);
    continue;
  }
  pass.calibration = fitKnots(list);
  console.error(`pass ${pass.mpp} m/px: ${list.length} peaks → ${JSON.stringify(pass.calibration)}`);
}
manifest.calibration = { seeds: [43001, 43000 + nScenes], size, gsd_m: Array.from({ length: nScenes }, (_, i) => GSDS[i % GSDS.length]), method: 'quantile bins, pool-adjacent-violators', fitted_at: new Date().toISOString().slice(0, 10) };
await writeFile(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
console.error(`wrote ${manifestPath}`);

/** Quantile bins → (mean peak, precision), made non-decreasing (PAV), rounded knots. */
function fitKnots(list: { heat: number; hit: boolean }[]): [number, number][] {
  const bins = Math.min(BINS, Math.floor(list.length / MIN_PER_BIN));
  const blocks: { heat: number; p: number; n: number }[] = [];
  for (let b = 0; b < bins; b++) {
    const part = list.slice(Math.floor((b * list.length) / bins), Math.floor(((b + 1) * list.length) / bins));
    blocks.push({ heat: part.reduce((s, x) => s + x.heat, 0) / part.length, p: part.filter((x) => x.hit).length / part.length, n: part.length });
  }
  for (let i = 1; i < blocks.length; ) {
    if (blocks[i]!.p >= blocks[i - 1]!.p) {
      i++;
      continue;
    }
    const a = blocks[i - 1]!, b = blocks[i]!, n = a.n + b.n;
    blocks.splice(i - 1, 2, { heat: (a.heat * a.n + b.heat * b.n) / n, p: (a.p * a.n + b.p * b.n) / n, n });
    i = Math.max(1, i - 1);
  }
  return blocks.map((b) => [Math.round(b.heat * 1000) / 1000, Math.round(b.p * 1000) / 1000]);
}

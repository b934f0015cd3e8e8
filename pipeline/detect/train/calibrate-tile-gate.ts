/**
 * Calibrates the stored-tile gate of detection (tile-gate.ts, CALIBRATED_TILE_GATE) for the
 * default encoder on tuning scenes (seeds 43001–43008 at 0.5 m, never the benchmarks'
 * 41001–41012): the scenes are generated and ingested into a temporary store, then for each
 * class query and each margin it prints the share of tiles that pass and the share of the
 * class's objects whose centre lies in a passing tile (in context and out of context apart).
 * Pick the largest margin that keeps every object. Env: CAL_SCENES (8), CAL_SIZE (2048).
 * Run: node --import tsx pipeline/detect/train/calibrate-tile-gate.ts
 */
import path from 'node:path';
import { loadConfig } from '../../../core/config.js';
import { makeTempDir } from '../../../core/testing/temp-dir.js';
import { addImages } from '../../catalog/catalog.js';
import { ingestImage } from '../../ingest/ingest-image.js';
import { openTilesTable, vectorValues } from '../../index/tiles-table.js';
import { Store } from '../../index/store.js';
import { ModelRegistry } from '../../models/registry.js';
import { generateScene, type SceneObject } from '../../synth/generate-scene.js';
import { backgroundPromptVectors, prepareQueries } from '../scorer.js';
import { CALIBRATED_TILE_GATE, tileScorer } from '../tile-gate.js';

const SCENES = Number(process.env.CAL_SCENES ?? 8);
const SIZE = Number(process.env.CAL_SIZE ?? 2048);
const CLASSES = ['ship', 'aircraft', 'vehicle'] as const;
const MARGINS = [-0.5, -0.4, -0.35, -0.3, -0.25, -0.2, -0.15];

interface Tile { image: string; level: number; x: number; y: number; size: number; v: ArrayLike<number> }

async function main() {
  const tmp = await makeTempDir('geoscout-cal-gate-');
  const config = loadConfig({ cwd: tmp.dir, env: { GEOSCOUT_DATA_DIR: path.join(tmp.dir, 'state') } });
  const store = await Store.open(config.dbUri);
  const enc = await new ModelRegistry(config.dataDir).openEncoder(undefined, ModelRegistry.encoderOptions(config.models));
  try {
    const cosine = CALIBRATED_TILE_GATE[enc.manifest.id]?.cosine ?? 0.45;
    const objects: { image: string; o: SceneObject }[] = [];
    for (let i = 1; i <= SCENES; i++) {
      const s = await generateScene(path.join(tmp.dir, 'scenes'), `t${i}`, { seed: 43000 + i, width: SIZE, height: SIZE, gsdM: 0.5 });
      const rec = (await addImages(store, [s.tiffPath])).added[0]!;
      await ingestImage(store, enc, rec);
      objects.push(...s.objects.map((o) => ({ image: rec.image_id, o })));
      process.stderr.write(`scene ${i}/${SCENES} ingested\n`);
    }
    const { table } = await openTilesTable(store, enc.manifest);
    const tiles = ((await table.query().select(['image_id', 'level', 'x', 'y', 'size', 'vector']).toArray()) as { image_id: string; level: number; x: number; y: number; size: number; vector: unknown }[])
      .map((r): Tile => ({ image: r.image_id, level: r.level, x: r.x, y: r.y, size: r.size, v: vectorValues(r.vector)! }));
    const bg = await backgroundPromptVectors(enc);
    const prepared = await prepareQueries(enc, CLASSES.map((c) => ({ label: c, text: c })));
    console.log(`${tiles.length} tiles, ${SCENES} scenes of ${SIZE}² at 0.5 m; tile cosine ≥ ${cosine}`);
    for (const [k, cls] of CLASSES.entries()) {
      const score = tileScorer({ queryVector: prepared[k]!.queryVector, text: cls }, bg);
      const s = tiles.map((t) => score(t.v));
      const mine = objects.filter(({ o }) => o.class === cls);
      // Tiles holding each object's centre.
      const holders = mine.map(({ image, o }) => tiles.flatMap((t, i) => (t.image === image && o.cx >= t.x && o.cx < t.x + t.size && o.cy >= t.y && o.cy < t.y + t.size ? [i] : [])));
      for (const m of [-Infinity, ...MARGINS]) {
        const pass = s.map(([c, lead]) => c >= cosine && lead >= m);
        const found = (ooc: boolean) => mine.filter((x, j) => x.o.outOfContext === ooc && holders[j]!.some((i) => pass[i])).length + '/' + mine.filter((x) => x.o.outOfContext === ooc).length;
        // Level 0 alone, for the objects the small-object passes find (≤ 50 m: the 0.5 m/px pass's largest box).
        const l0 = tiles.map((t, i) => t.level === 0 && pass[i]);
        const small = mine.map((x, j) => [x, j] as const).filter(([x]) => x.o.lengthM <= 50);
        const l0found = small.filter(([, j]) => holders[j]!.some((i) => l0[i])).length;
        const l0share = l0.filter(Boolean).length / tiles.filter((t) => t.level === 0).length;
        console.log(`${cls.padEnd(8)} margin ${String(m).padEnd(9)} tiles ${((100 * pass.filter(Boolean).length) / tiles.length).toFixed(1).padStart(5)} %  objects ${found(false)}  out of context ${found(true)}  | level 0: ${(100 * l0share).toFixed(1).padStart(5)} %  objects ≤ 50 m ${l0found}/${small.length}`);
      }
    }
  } finally {
    await enc.close();
    await store.close();
    await tmp.cleanup();
  }
}

await main();

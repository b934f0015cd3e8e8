/**
 * Builds the default encoder's domain bank (detect/encoder-domain.ts): the stored tile
 * vectors of tuning scenes (seeds 43001…, never a benchmark's) at 0.3–2 m, near-duplicates
 * dropped, written to `models/<model>/domain-bank.json` with the threshold given. Then it
 * prints the statistic for held-out scenes (seeds 46001…) and, when `../shared/data` is
 * beside the project, for the real images there: the threshold belongs between the two.
 *
 * Run: node --import tsx evals/real/fit-encoder-domain.ts [--threshold 0.985]
 */
import { readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../core/config.js';
import { makeTempDir } from '../../core/testing/temp-dir.js';
import { loadKitCars, loadNeonTrees, realSplit, writeRealScene } from './real-data.js';
import { addImages } from '../../pipeline/catalog/catalog.js';
import { ingestImage } from '../../pipeline/ingest/ingest-image.js';
import { openTilesTable, vectorValues } from '../../pipeline/index/tiles-table.js';
import { Store, sqlString } from '../../pipeline/index/store.js';
import type { ClipEncoder } from '../../pipeline/models/encoder.js';
import { ModelRegistry } from '../../pipeline/models/registry.js';
import { generateScene } from '../../pipeline/synth/generate-scene.js';
import { dot, normalize } from '../../pipeline/detect/vectors.js';
import { DOMAIN_BANK_FILE, domainStatistic, encodeBankVectors, type DomainBankFile } from '../../pipeline/detect/encoder-domain.js';

const GSDS = [0.3, 0.5, 1, 2, 0.5, 0.3, 1, 0.5, 0.7, 1.5];
const SIZE = 1536;
/** A tile this close to one already kept adds nothing (open water, bare fields). */
const DUPLICATE_COSINE = 0.995;
const SHARED_REAL = path.resolve(import.meta.dirname, '../../../shared/data');

async function main(): Promise<void> {
  const arg = process.argv.indexOf('--threshold');
  const threshold = arg > 0 ? Number(process.argv[arg + 1]) : 0.985;
  const tmp = await makeTempDir('geoscout-domain-');
  const config = loadConfig({ cwd: tmp.dir, env: { GEOSCOUT_DATA_DIR: path.join(tmp.dir, 'state') } });
  const store = await Store.open(config.dbUri);
  const enc = await new ModelRegistry(config.dataDir).openEncoder(undefined, ModelRegistry.encoderOptions(config.models));
  try {
    const tilesOf = async (file: string) => imageTiles(store, enc, file);
    const all: Float32Array[] = [];
    for (const [i, gsdM] of GSDS.entries()) {
      const s = await generateScene(path.join(tmp.dir, 'scenes'), `d${i}`, { seed: 43001 + i, width: SIZE, height: SIZE, gsdM });
      all.push(...(await tilesOf(s.tiffPath)));
    }
    const kept = dedupe(all);
    const bank: DomainBankFile = {
      model_version: enc.modelVersion, statistic: 'median-nearest-cosine', threshold, dim: enc.dim, count: kept.length, vectors: encodeBankVectors(kept),
      source: `tile vectors of ${GSDS.length} generated scenes (seeds 43001–${43000 + GSDS.length}, ${SIZE}², ${GSDS.join('/')} m), near-duplicates (cosine ≥ ${DUPLICATE_COSINE}) dropped; evals/real/fit-encoder-domain.ts`,
    };
    await writeFile(path.join(enc.dir, DOMAIN_BANK_FILE), JSON.stringify(bank) + '\n');
    process.stderr.write(`bank: ${kept.length} of ${all.length} tiles, threshold ${threshold}\n`);
    const loaded = { modelVersion: enc.modelVersion, threshold, dim: enc.dim, vectors: Float32Array.from(kept.flatMap((v) => Array.from(v))) };
    const report = (what: string, tiles: Float32Array[]) => process.stderr.write(`${what.padEnd(48)} ${String(tiles.length).padStart(4)} tiles  statistic ${domainStatistic(loaded, tiles).toFixed(3)}\n`);
    for (const [i, gsdM] of [0.3, 0.5, 0.5, 1, 2].entries()) {
      const s = await generateScene(path.join(tmp.dir, 'held'), `h${i}`, { seed: 46001 + i, width: 1024, height: 1024, gsdM });
      report(`held-out scene ${46001 + i} at ${gsdM} m`, await tilesOf(s.tiffPath));
    }
    for (const [what, file] of await realImages(tmp.dir)) report(what, await tilesOf(file));
  } finally {
    await enc.close();
    await store.close();
    await tmp.cleanup();
  }
}

async function imageTiles(store: Store, enc: ClipEncoder, file: string): Promise<Float32Array[]> {
  const rec = (await addImages(store, [file])).added[0]!;
  await ingestImage(store, enc, rec);
  const { table } = await openTilesTable(store, enc.manifest);
  return (await table.query().where(`image_id = ${sqlString(rec.image_id)}`).select(['vector']).toArray()).map((r) => vectorValues(r.vector)!);
}

/** Keeps a vector unless one kept already is within {@link DUPLICATE_COSINE}. */
function dedupe(vectors: Float32Array[]): Float32Array[] {
  const kept: Float32Array[] = [];
  for (const v of vectors.map(normalize)) {
    if (!kept.some((k) => dot(k, v) >= DUPLICATE_COSINE)) kept.push(v);
  }
  return kept;
}

/** Real images of ../shared/data (when present) written as the benchmarks see them. */
async function realImages(dir: string): Promise<[string, string][]> {
  const real = path.join(SHARED_REAL, 'real');
  if (!existsSync(real)) {
    process.stderr.write(`${SHARED_REAL} is absent: no real images to compare.\n`);
    return [];
  }
  const out: [string, string][] = [];
  for (const [i, img] of realSplit(await loadKitCars(real)).evaluation.slice(0, 6).entries()) out.push([`KIT ${img.name} at 0.3 m`, (await writeRealScene(img, dir, 0.3, i)).tiffPath]);
  for (const [i, img] of (await loadNeonTrees(real)).images.entries()) out.push([`NEON ${img.name.slice(0, 24)} at 0.3 m`, (await writeRealScene(img, dir, 0.3, 20 + i)).tiffPath]);
  for (const f of ['pan1.tif', 'ms1.tif', 'sample_geotiff.tif']) if (existsSync(path.join(SHARED_REAL, 'spacenet', f))) out.push([`SpaceNet ${f}`, path.join(SHARED_REAL, 'spacenet', f)]);
  const naip = path.join(real, 'naip-timeseries');
  for (const f of (await readdir(naip)).filter((f) => f.endsWith('.tif')).slice(0, 3)) out.push([`NAIP ${f.slice(0, 30)}`, path.join(naip, f)]);
  return out;
}

await main();

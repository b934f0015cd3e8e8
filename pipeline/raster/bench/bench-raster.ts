/**
 * `npm run bench:raster`: random 1024² window reads from a 20,000 × 20,000 generated
 * scene with the sharp/libvips reader (default) vs geotiff.js (plain and with a
 * decoder Pool) vs `gdal_translate -srcwin` when GDAL is installed, plus peak RSS of
 * one window read in a fresh process per reader. All figures come from this one run.
 *
 * Env: BENCH_SIZE (default 20000), BENCH_READS (default 40), BENCH_DIR (scene cache).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromFile, Pool } from 'geotiff';
import { generateScene } from '../../synth/generate-scene.js';
import { openRaster } from '../raster.js';

const SIZE = Number(process.env.BENCH_SIZE ?? 20000);
const READS = Number(process.env.BENCH_READS ?? 40);
const WIN = 1024;
const dir = process.env.BENCH_DIR ?? path.join(os.tmpdir(), 'geoscout-bench');
const here = path.dirname(fileURLToPath(import.meta.url));

async function main() {
  mkdirSync(dir, { recursive: true });
  const name = `scene-${SIZE}-seed7`;
  const tif = path.join(dir, `${name}.tif`);
  if (!existsSync(tif)) {
    const t0 = Date.now();
    process.stderr.write(`generating ${SIZE}×${SIZE} scene in ${dir} (cached for later runs)…\n`);
    await generateScene(dir, name, { seed: 7, width: SIZE, height: SIZE });
    process.stderr.write(`generated in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  const windows = randomWindows(READS, SIZE, 12345);
  const mb = (WIN * WIN * 3) / 1e6;
  const rows: { name: string; secs: number[] }[] = [];

  const sharpR = await openRaster(tif, { reader: 'sharp' });
  rows.push({ name: 'sharp/libvips (chosen)', secs: await timeEach(windows, (w) => sharpR.readWindow(w)) });
  await sharpR.close();

  const gtR = await openRaster(tif, { reader: 'geotiff' });
  rows.push({ name: 'geotiff.js', secs: await timeEach(windows, (w) => gtR.readWindow(w)) });
  await gtR.close();

  const pool = new Pool(os.cpus().length);
  const tiff = await fromFile(tif);
  const image = await tiff.getImage(0);
  rows.push({
    name: `geotiff.js + Pool(${os.cpus().length})`,
    secs: await timeEach(windows, (w) => image.readRasters({ window: [w.x, w.y, w.x + w.width, w.y + w.height], interleave: true, pool })),
  });
  pool.destroy();

  if (spawnSync('sh', ['-c', 'command -v gdal_translate']).status === 0) {
    const out = path.join(dir, 'gdal-window.tif');
    rows.push({
      name: 'gdal_translate -srcwin (process per read)',
      secs: await timeEach(windows, async (w) => {
        execFileSync('gdal_translate', ['-q', '-srcwin', String(w.x), String(w.y), String(w.width), String(w.height), tif, out]);
      }),
    });
  } else rows.push({ name: 'gdal_translate: not installed (apt install gdal-bin)', secs: [] });

  const base = median(rows[0]!.secs);
  console.log(`\nRandom ${WIN}×${WIN} RGB window reads from a ${SIZE}×${SIZE} tiled deflate GeoTIFF (${READS} reads each, ${mb.toFixed(2)} MB per window)`);
  console.log(pad('reader', 44) + pad('reads/s', 10) + pad('MB/s', 10) + pad('median ms', 11) + pad('p90 ms', 9) + 'median vs sharp');
  for (const r of rows) {
    if (!r.secs.length) { console.log(r.name); continue; }
    const total = r.secs.reduce((a, b) => a + b, 0);
    const m = median(r.secs);
    console.log(pad(r.name, 44) + pad((r.secs.length / total).toFixed(1), 10) + pad(((r.secs.length * mb) / total).toFixed(1), 10) + pad((m * 1000).toFixed(1), 11) + pad((quantile(r.secs, 0.9) * 1000).toFixed(1), 9) + `${(m / base).toFixed(2)}×`);
  }

  console.log(`\nRSS of this bench process after ${READS * rows.length} window reads: ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB (no growth per read: windows are not cached)`);
  console.log(`\nPeak RSS of one ${WIN}×${WIN} window read in a fresh process (target ≤ ~300 MB)`);
  for (const reader of ['none', 'sharp', 'geotiff']) {
    const res = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, 'read-one-window.ts'), tif, reader], { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(res.stderr);
    const r = JSON.parse(res.stdout) as { maxRssMb: number; rssAfterMb: number };
    console.log(pad(reader === 'none' ? 'baseline (imports only, no read)' : reader, 44) + `peak ${r.maxRssMb.toFixed(0)} MB`);
  }
}

function randomWindows(n: number, size: number, seed: number) {
  let s = seed;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  return Array.from({ length: n }, () => ({ x: Math.floor(rnd() * (size - WIN)), y: Math.floor(rnd() * (size - WIN)), width: WIN, height: WIN }));
}

async function timeEach<T>(items: T[], fn: (t: T) => Promise<unknown>): Promise<number[]> {
  await fn(items[0]!); // warm-up: module init, file cache
  const out: number[] = [];
  for (const it of items) {
    const t0 = process.hrtime.bigint();
    await fn(it);
    out.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return out;
}

const median = (a: number[]) => quantile(a, 0.5);
function quantile(a: number[], q: number) {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}
const pad = (s: string, n: number) => s.padEnd(n);

await main();

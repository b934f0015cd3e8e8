/**
 * `npm run bench:tiles`: web map tiles from a 20,000 × 20,000 generated scene (0.5 m, UTM),
 * as a user browsing it would ask for them: every zoom from the whole-scene view down to
 * full resolution, random tiles inside the footprint. Prints tiles/s and p50/p95 latency per
 * 256² tile, cold (nothing cached) and warm (the PNG cache), with 1 and 4 requests in flight,
 * beside a baseline measured in the same run: the same window read and PNG-encoded without
 * reprojection (what get_tile_image costs for it).
 *
 * Env: BENCH_SIZE (default 20000), BENCH_TILES (per zoom, default 12), BENCH_DIR (scene cache).
 */
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { addImages } from '../../../pipeline/catalog/catalog.js';
import { openCatalogImage } from '../../../pipeline/catalog/open-image.js';
import { Store } from '../../../pipeline/index/store.js';
import { generateScene } from '../../../pipeline/synth/generate-scene.js';
import type { Stretch } from '../../../pipeline/raster/stretch.js';
import { makeTempDir } from '../../../core/testing/temp-dir.js';
import { MapTileRenderer } from '../map-tiles.js';
import { controlGrid, lonLatToTile } from '../web-mercator.js';

const SIZE = Number(process.env.BENCH_SIZE ?? 20000);
const PER_ZOOM = Number(process.env.BENCH_TILES ?? 12);
const dir = process.env.BENCH_DIR ?? path.join(os.tmpdir(), 'geoscout-bench');

interface Tile { z: number; x: number; y: number }

async function main() {
  mkdirSync(dir, { recursive: true });
  const name = `scene-${SIZE}-seed7`;
  const tif = path.join(dir, `${name}.tif`);
  if (!existsSync(tif)) {
    process.stderr.write(`generating ${SIZE}×${SIZE} scene in ${dir} (cached for later runs)…\n`);
    await generateScene(dir, name, { seed: 7, width: SIZE, height: SIZE });
  }
  const tmp = await makeTempDir('geoscout-bench-tiles-');
  const store = await Store.open(path.join(tmp.dir, 'db'));
  const rec = (await addImages(store, [tif])).added[0]!;
  const tiles = sampleTiles(rec, 12345);
  console.log(`\nMap tiles (256², PNG) from a ${SIZE}×${SIZE} GeoTIFF at ${rec.gsd_m?.toFixed(2)} m (${rec.crs}), ${tiles.length} tiles over zooms ${tiles[0]!.z}–${tiles.at(-1)!.z}, ${os.cpus().length} cores`);
  console.log(pad('run', 46) + pad('tiles/s', 10) + pad('p50 ms', 9) + pad('p95 ms', 9) + 'p50 vs baseline');

  const base = await baseline(rec, tiles);
  const ms = (s: number) => (s * 1000).toFixed(s < 0.01 ? 2 : 0);
  const row = (label: string, secs: number[], wall: number) => console.log(pad(label, 46) + pad((secs.length / wall).toFixed(1), 10) + pad(ms(q(secs, 0.5)), 9) + pad(ms(q(secs, 0.95)), 9) + `${(q(secs, 0.5) / q(base.secs, 0.5)).toFixed(3)}×`);
  row('baseline: window read + PNG, no reprojection', base.secs, base.wall);
  for (const inFlight of [1, 4]) {
    const r = new MapTileRenderer(async () => store, { cacheBytes: 0 });
    const cold = await run(r, rec.image_id, tiles, inFlight);
    row(`map tiles, cold, ${inFlight} in flight`, cold.secs, cold.wall);
    await r.close();
  }
  const warmR = new MapTileRenderer(async () => store);
  await run(warmR, rec.image_id, tiles, 4);
  const warm = await run(warmR, rec.image_id, tiles, 4);
  row('map tiles, warm (PNG cache), 4 in flight', warm.secs, warm.wall);
  await warmR.close();
  const perZoom = new Map<number, number[]>();
  const r = new MapTileRenderer(async () => store, { cacheBytes: 0 });
  for (const t of tiles) {
    const t0 = performance.now();
    await r.render(rec.image_id, t.z, t.x, t.y);
    perZoom.set(t.z, [...(perZoom.get(t.z) ?? []), (performance.now() - t0) / 1000]);
  }
  await r.close();
  console.log(`cold p50 ms per zoom: ${[...perZoom].map(([z, s]) => `z${z} ${(q(s, 0.5) * 1000).toFixed(0)}`).join(', ')}`);
  await store.close();
  await tmp.cleanup();
}

/** PER_ZOOM random tiles inside the scene at every zoom from the whole-scene view to ~1 tile px per image px. */
function sampleTiles(rec: { min_lon: number | null; min_lat: number | null; max_lon: number | null; max_lat: number | null; gsd_m: number | null }, seed: number): Tile[] {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const out: Tile[] = [];
  const lat = (rec.min_lat! + rec.max_lat!) / 2;
  // Zoom where one tile pixel is one image pixel: 156543 m/px at z0, scaled by cos(lat).
  const zFull = Math.round(Math.log2((156543 * Math.cos((lat * Math.PI) / 180)) / rec.gsd_m!));
  const zWhole = Math.max(0, zFull - Math.ceil(Math.log2(SIZE / 256)));
  for (let z = zWhole; z <= zFull; z++) {
    for (let i = 0; i < PER_ZOOM; i++) {
      const lon = rec.min_lon! + (0.1 + 0.8 * rand()) * (rec.max_lon! - rec.min_lon!);
      const la = rec.min_lat! + (0.1 + 0.8 * rand()) * (rec.max_lat! - rec.min_lat!);
      out.push({ z, ...lonLatToTile(lon, la, z) });
    }
  }
  return out;
}

async function run(r: MapTileRenderer, imageId: string, tiles: Tile[], inFlight: number): Promise<{ secs: number[]; wall: number }> {
  const secs: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < tiles.length) {
      const t = tiles[next++]!;
      const s = performance.now();
      await r.render(imageId, t.z, t.x, t.y);
      secs.push((performance.now() - s) / 1000);
    }
  }));
  return { secs, wall: (performance.now() - t0) / 1000 };
}

/** The same windows read at the same output size and PNG-encoded, one at a time, without reprojection. */
async function baseline(rec: Parameters<typeof openCatalogImage>[0] & { stretch: unknown }, tiles: Tile[]): Promise<{ secs: number[]; wall: number }> {
  const raster = await openCatalogImage(rec);
  const secs: number[] = [];
  const t0 = performance.now();
  for (const t of tiles) {
    const s = performance.now();
    const g = controlGrid(t.z, t.x, t.y, 1, (lon, lat) => raster.georef!.lonLatToPixel(lon, lat));
    const xs = [g[0]!, g[2]!, g[4]!, g[6]!], ys = [g[1]!, g[3]!, g[5]!, g[7]!];
    const x0 = Math.max(0, Math.floor(Math.min(...xs))), y0 = Math.max(0, Math.floor(Math.min(...ys)));
    const x1 = Math.min(SIZE, Math.ceil(Math.max(...xs))), y1 = Math.min(SIZE, Math.ceil(Math.max(...ys)));
    if (x1 > x0 && y1 > y0) {
      const rgb = await raster.readRgb({ x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, { outWidth: 256, outHeight: 256, stretch: rec.stretch as Stretch });
      await sharp(rgb.data, { raw: { width: 256, height: 256, channels: 3 } }).png({ compressionLevel: 6 }).toBuffer();
    }
    secs.push((performance.now() - s) / 1000);
  }
  const wall = (performance.now() - t0) / 1000;
  await raster.close();
  return { secs, wall };
}

const q = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]!; };
const pad = (s: string, n: number) => s.padEnd(n);

main().catch((err) => { console.error(err); process.exit(1); });

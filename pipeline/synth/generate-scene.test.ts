import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGeoscoutError } from '../../core/errors.js';
import { readSidecar } from '../catalog/sidecar.js';
import { bboxOf } from '../raster/georef.js';
import { OBJECT_CLASSES, TYPE_NAMES } from './catalog.js';
import { BACKGROUND_CAPTIONS, type BackgroundKind } from './captions.js';
import { generateChipPairs, generateScene, planScene, type GeneratedScene } from './generate-scene.js';
import { convexOverlap, insideBox, type Vec } from './geometry.js';
import { planGeoref } from './outputs.js';

const run = promisify(execFile);
const hasGdal = await run('gdalinfo', ['--version']).then(
  () => true,
  () => false,
);

let dir: string;
let scene: GeneratedScene;
const OPTS = { seed: 7, width: 2048, height: 2048 };

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'geoscout-synth-'));
  scene = await generateScene(dir, 'scene-a', OPTS);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** RGB bytes of a window of the full-resolution image. */
async function windowBytes(file: string, left: number, top: number, size: number): Promise<Buffer> {
  return sharp(file).extract({ left, top, width: size, height: size }).raw().toBuffer();
}

describe('generateScene', () => {
  it('is deterministic: the same seed gives the same objects and the same pixels', async () => {
    const again = await generateScene(dir, 'scene-b', OPTS);
    expect(again.objects).toEqual(scene.objects);
    for (const [x, y] of [[0, 0], [1000, 700], [1800, 1800]] as const) {
      expect((await windowBytes(again.tiffPath, x, y, 200)).equals(await windowBytes(scene.tiffPath, x, y, 200))).toBe(true);
    }
  });

  it('returns resolved options that plan the same scene again', () => {
    expect(planScene(scene.options).objects.map((o) => o.id + o.cx)).toEqual(scene.objects.map((o) => o.id + o.cx));
  });

  it('gives a different scene for a different seed', () => {
    const other = planScene({ ...OPTS, seed: 8 });
    expect(other.objects.map((o) => [o.type, o.cx, o.cy])).not.toEqual(scene.objects.map((o) => [o.type, o.cx, o.cy]));
  });

  it('puts every class, and ships on land and aircraft on roads, into a 2048² scene', () => {
    for (const cls of OBJECT_CLASSES) expect(scene.objects.some((o) => o.class === cls), cls).toBe(true);
    const odd = scene.objects.filter((o) => o.outOfContext);
    expect(odd.some((o) => o.class === 'ship' && o.context === 'land')).toBe(true);
    expect(odd.some((o) => o.class === 'aircraft' && o.context === 'road')).toBe(true);
    for (const o of odd) expect(o.caption).toMatch(/out of context/);
  });

  it('sizes objects in pixels from metres and the GSD (a narrow-body is ~75 px long at 0.5 m)', () => {
    const side = (a: number[], b: number[]) => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!);
    for (const o of scene.objects) {
      const [fl, fr, , bl] = o.polygon;
      expect(side(fl!, bl!)).toBeCloseTo(o.lengthM / 0.5, 0);
      expect(side(fl!, fr!)).toBeCloseTo(o.widthM / 0.5, 0);
    }
    const nb = scene.objects.filter((o) => o.type === 'narrow_body');
    expect(nb.length).toBeGreaterThan(0);
    for (const o of nb) {
      expect(o.lengthM / 0.5).toBeGreaterThan(72);
      expect(o.lengthM / 0.5).toBeLessThan(81);
    }
    for (const o of scene.objects.filter((x) => x.type === 'car')) expect(o.lengthM / 0.5).toBeLessThan(10.5);
  });

  it('keeps objects apart and in their context: ships on water, aircraft on the airfield', () => {
    const plan = planScene(OPTS);
    const objs = scene.objects;
    for (let i = 0; i < objs.length; i++) {
      for (let j = i + 1; j < objs.length; j++) {
        const a = objs[i]!.bbox, b = objs[j]!.bbox;
        if (a[0] > b[0] + b[2] || b[0] > a[0] + a[2] || a[1] > b[1] + b[3] || b[1] > a[1] + a[3]) continue;
        expect(convexOverlap(objs[i]!.polygon as Vec[], objs[j]!.polygon as Vec[]), `${objs[i]!.id} × ${objs[j]!.id}`).toBe(false);
      }
    }
    for (const o of objs.filter((x) => x.class === 'ship')) {
      const corners = o.polygon.map(([x, y]) => plan.land.at(x, y));
      if (o.outOfContext) expect(Math.min(...corners), o.id).toBeGreaterThan(0);
      else expect(Math.max(...corners), o.id).toBeLessThan(0);
    }
    for (const o of objs.filter((x) => x.class === 'aircraft' && !x.outOfContext)) {
      const host = o.context === 'runway' ? 'runway' : 'apron';
      expect(plan.features.some((f) => f.kind === host && insideBox(f.box, o.cx, o.cy)), o.id).toBe(true);
    }
  });

  it('writes a GeoTIFF that sharp and GDAL read with the right size, CRS, bands and overviews', async () => {
    const meta = await sharp(scene.tiffPath).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([2048, 2048, 3]);
    if (!hasGdal) return;
    const { stdout } = await run('gdalinfo', ['-json', scene.tiffPath]);
    const info = JSON.parse(stdout) as { size: number[]; bands: { overviews?: unknown[] }[]; coordinateSystem: { wkt: string }; metadata: Record<string, Record<string, string>> };
    expect(info.size).toEqual([2048, 2048]);
    expect(info.bands).toHaveLength(3);
    expect(info.bands[0]!.overviews!.length).toBeGreaterThanOrEqual(2);
    expect(info.coordinateSystem.wkt).toContain(`ID["EPSG",${scene.epsg}]`);
    expect(info.metadata['']!.SENSOR).toBe('SYNTH-1');
  });

  it('writes a valid sidecar, GeoJSON inside the footprint and one COCO annotation per object', async () => {
    const side = await readSidecar(scene.tiffPath);
    expect(side!.data.sensor).toBe('SYNTH-1');
    expect(side!.data.gsd_m).toBe(0.5);
    expect(side!.data.synthetic).toEqual({ seed: 7, generator: 'geoscout-synth/1' });
    const [x0, y0, x1, y1] = bboxOf(planGeoref(planScene(OPTS)).footprint({ x: 0, y: 0, width: 2048, height: 2048 }));
    const gj = JSON.parse(await readFile(scene.geojsonPath, 'utf8')) as { features: { geometry: { coordinates: number[][][] }; properties: { id: string } }[] };
    expect(gj.features.map((f) => f.properties.id)).toEqual(scene.objects.map((o) => o.id));
    for (const f of gj.features) {
      for (const [lon, lat] of f.geometry.coordinates[0]!) {
        expect(lon! >= x0 - 1e-9 && lon! <= x1 + 1e-9 && lat! >= y0 - 1e-9 && lat! <= y1 + 1e-9).toBe(true);
      }
    }
    const coco = JSON.parse(await readFile(scene.cocoPath, 'utf8')) as { images: { width: number }[]; categories: { name: string }[]; annotations: { bbox: number[] }[] };
    expect(coco.images[0]!.width).toBe(2048);
    expect(coco.categories.map((c) => c.name)).toEqual(TYPE_NAMES);
    expect(coco.annotations.map((a) => a.bbox)).toEqual(scene.objects.map((o) => o.bbox));
  });

  it('writes 12-bit values in 16-bit samples when asked', async () => {
    const s = await generateScene(dir, 'deep', { seed: 3, width: 512, height: 512, bits: 16 });
    const { data, info } = await sharp(s.tiffPath).toColourspace('rgb16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
    const px = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
    expect(info.width).toBe(512);
    const max = px.reduce((m, v) => Math.max(m, v), 0);
    expect(max).toBeLessThanOrEqual(4095);
    expect(max).toBeGreaterThan(255);
  });

  it('stops with CANCELLED when aborted and leaves no partial TIFF', async () => {
    const ac = new AbortController();
    const err = await generateScene(dir, 'cancelled', { seed: 1, width: 4096, height: 4096 }, { signal: ac.signal, onProgress: () => ac.abort() }).catch((e: unknown) => e);
    expect(isGeoscoutError(err, 'CANCELLED')).toBe(true);
    expect(existsSync(path.join(dir, 'cancelled.tif'))).toBe(false);
  });

  it('rejects bad options with INVALID_INPUT', async () => {
    const err = await generateScene(dir, 'bad', { seed: 1, width: 0, height: 10 }).catch((e: unknown) => e);
    expect(isGeoscoutError(err, 'INVALID_INPUT')).toBe(true);
  });
});

describe('generateChipPairs', () => {
  it('keeps every out-of-context object when a training plan asks for many, past the per-type cap', async () => {
    const plan = planScene({ seed: 12, width: 2048, height: 2048, outOfContextPerClass: 5 });
    const odd = plan.objects.filter((o) => o.outOfContext);
    expect(odd.filter((o) => o.class === 'ship' && o.context === 'land').length).toBe(5);
    expect(odd.filter((o) => o.class === 'aircraft' && o.context === 'road').length).toBeGreaterThanOrEqual(3);
    expect(planScene({ seed: 12, width: 2048, height: 2048 }).objects.filter((o) => o.outOfContext)).toHaveLength(2);
    const res = await generateChipPairs(plan, path.join(dir, 'pairs-odd'), { chipSize: 64, backgroundChips: 0, maxPerType: 1 });
    const lines = (await readFile(res.jsonlPath, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { out_of_context: boolean });
    expect(lines.filter((l) => l.out_of_context)).toHaveLength(odd.length);
    expect(() => planScene({ seed: 12, width: 256, height: 256, outOfContextPerClass: 1.5 })).toThrow(/whole number/);
  });

  it('chips hard negatives around out-of-context objects when asked: every neighbour past the cap, and the empty setting', async () => {
    const plan = planScene({ seed: 12, width: 2048, height: 2048, outOfContextPerClass: 5 });
    const odd = plan.objects.filter((o) => o.outOfContext);
    const r = 80 / plan.gsdM;
    const near = plan.objects.filter((o) => !o.outOfContext && odd.some((x) => Math.hypot(o.cx - x.cx, o.cy - x.cy) <= r));
    expect(near.length).toBeGreaterThan(2);
    type Line = { image: string; caption: string; class: string; type: string; object_id?: string; hard_negative_for?: string };
    const read = async (p: string) => (await readFile(p, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Line);
    const plain = await read((await generateChipPairs(plan, path.join(dir, 'pairs-near0'), { chipSize: 64, backgroundChips: 0, maxPerType: 1 })).jsonlPath);
    const res = await generateChipPairs(plan, path.join(dir, 'pairs-near'), { chipSize: 64, backgroundChips: 0, maxPerType: 1, nearOutOfContextM: 80 });
    const lines = await read(res.jsonlPath);
    const ids = new Set(lines.map((l) => l.object_id));
    expect(near.filter((o) => !ids.has(o.id))).toEqual([]);
    // Without the option the cap leaves most neighbours out: the option is what adds them.
    expect(near.filter((o) => plain.some((l) => l.object_id === o.id)).length).toBeLessThan(near.length);
    const settings = lines.filter((l) => l.image.includes('-setting-'));
    expect(settings.length).toBeGreaterThanOrEqual(odd.length / 2);
    // Tagged, so a training mix can take an out-of-context class's rows with their negatives.
    expect(lines.filter((l) => l.hard_negative_for).length).toBe(near.length + settings.length);
    expect(settings.every((l) => l.hard_negative_for === 'ship' || l.hard_negative_for === 'aircraft')).toBe(true);
    for (const s of settings) {
      expect(s.class).toBe('background');
      expect(['road', 'street', 'land', 'farmland']).toContain(s.type);
      expect(BACKGROUND_CAPTIONS[s.type as BackgroundKind]).toContain(s.caption);
      const stats = await sharp(path.join(dir, 'pairs-near', s.image)).stats();
      expect(stats.channels[0]!.stdev).toBeGreaterThan(0);
    }
    await expect(generateChipPairs(plan, path.join(dir, 'pairs-bad'), { chipSize: 64, nearOutOfContextM: -5 })).rejects.toThrow(/between 0 and 10000/);
  });

  it('writes a PNG per object plus background chips, with varied captions', async () => {
    const plan = planScene({ seed: 11, width: 1536, height: 1536 });
    const out = path.join(dir, 'pairs');
    const res = await generateChipPairs(plan, out, { chipSize: 128, backgroundChips: 6, maxPerType: 3 });
    const lines = (await readFile(res.jsonlPath, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { image: string; caption: string; class: string });
    expect(lines).toHaveLength(res.count);
    expect(lines.filter((l) => l.class === 'background').length).toBeGreaterThanOrEqual(3);
    expect(new Set(lines.map((l) => l.caption.split(' ')[0])).size).toBeGreaterThan(2);
    const meta = await sharp(path.join(out, lines[0]!.image)).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([128, 128, 'png']);
    const again = await generateChipPairs(plan, path.join(dir, 'pairs2'), { chipSize: 128, backgroundChips: 6, maxPerType: 3 });
    expect(await readFile(again.jsonlPath, 'utf8')).toBe(await readFile(res.jsonlPath, 'utf8'));
  });
});

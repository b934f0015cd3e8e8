import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../core/testing/temp-dir.js';
import { Store } from '../index/store.js';
import { writePatternTiff } from '../raster/testing.js';
import { addImages, getImage, listImages } from './catalog.js';
import { openCatalogImage } from './open-image.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let store: Store;
const geo = (originX: number, epsg = 32631) => ({ epsg, originX, originY: 5750000, pixelSizeX: 0.5, pixelSizeY: 0.5 });

beforeAll(async () => {
  tmp = await makeTempDir();
  store = await Store.open(path.join(tmp.dir, 'db'));
});
afterAll(async () => {
  await store.close();
  await store.close(); // idempotent
  await tmp.cleanup();
});

describe('images catalog', () => {
  it('adds a scene with sidecar metadata, footprint and stable id; re-adding is a no-op', async () => {
    const file = path.join(tmp.dir, 'rotterdam.tif');
    await writePatternTiff(file, { width: 800, height: 600, bands: 3, georef: geo(600000) });
    await writeFile(path.join(tmp.dir, 'rotterdam.meta.json'), JSON.stringify({ acquired_at: '2024-06-03T10:30:00Z', sensor: 'WV3', off_nadir_deg: 12.5, sun_elevation_deg: 55 }));
    const first = await addImages(store, [file]);
    expect(first.failed).toEqual([]);
    expect(first.added).toHaveLength(1);
    const rec = first.added[0]!;
    expect(rec).toMatchObject({ width: 800, height: 600, crs: 'EPSG:32631', sensor: 'WV3', acquired_at: '2024-06-03T10:30:00.000Z', gsd_m: 0.5, off_nadir_deg: 12.5, status: 'ready' });
    expect(rec.metadata.sources).toMatchObject({ sensor: 'sidecar', gsd_m: 'geotransform' });
    expect(rec.image_id).toMatch(/^img_[0-9a-f]{16}$/);
    // The centre pixel is 600200 E, 5749850 N in UTM 31N; gdaltransform gives 4.456050 E, 51.890398 N.
    expect(rec.center_lon!).toBeCloseTo(4.45605, 5);
    expect(rec.center_lat!).toBeCloseTo(51.890398, 5);
    expect(rec.footprint!.coordinates[0]).toHaveLength(17);

    const again = await addImages(store, [file]);
    expect(again.added).toHaveLength(0);
    expect(again.skipped).toEqual([{ uri: file, image_id: rec.image_id, reason: 'already in the catalog' }]);
    const copy = path.join(tmp.dir, 'copy-of-rotterdam.tif');
    await copyFile(file, copy);
    expect((await addImages(store, [copy])).skipped[0]?.reason).toContain('same content');
    expect((await getImage(store, rec.image_id)).uri).toBe(file);
  });

  it('reads metadata from TIFF tags when there is no sidecar', async () => {
    const file = path.join(tmp.dir, 'tagged.tif');
    await writePatternTiff(file, {
      width: 256, height: 256, bands: 1, bitsPerSample: 16, georef: geo(610000),
      metadata: { ACQUISITION_DATETIME: '2023-01-15T08:00:00Z', SENSOR: 'PNEO3', SUN_ELEVATION_DEG: '31.5' },
    });
    const { added } = await addImages(store, [file]);
    expect(added[0]).toMatchObject({ sensor: 'PNEO3', acquired_at: '2023-01-15T08:00:00.000Z', sun_elevation_deg: 31.5, dtype: 'uint16' });
    expect(added[0]!.metadata.sources.acquired_at).toBe('tiff');
  });

  it('imports STAC Items, whose properties win over the file', async () => {
    const dir = path.join(tmp.dir, 'stac');
    await mkdir(dir);
    await writePatternTiff(path.join(dir, 'scene.tif'), { width: 300, height: 300, bands: 3, georef: geo(620000), metadata: { SENSOR: 'from-tag' } });
    const item = {
      type: 'Feature', stac_version: '1.0.0', id: 'item-42', geometry: null,
      properties: { datetime: '2022-08-01T09:15:00Z', platform: 'skysat-c12', gsd: 0.55, 'view:off_nadir': 20.1, 'view:sun_elevation': 60.2, 'view:sun_azimuth': 140 },
      assets: { visual: { href: './scene.tif', type: 'image/tiff; application=geotiff', roles: ['visual'] }, thumbnail: { href: 'thumb.png', type: 'image/png' } },
    };
    await writeFile(path.join(dir, 'item.json'), JSON.stringify(item));
    const { added, failed } = await addImages(store, [path.join(dir, 'item.json')]);
    expect(failed).toEqual([]);
    expect(added[0]).toMatchObject({ sensor: 'skysat-c12', gsd_m: 0.55, off_nadir_deg: 20.1, sun_azimuth_deg: 140, title: 'item-42', uri: path.join(dir, 'scene.tif') });
    expect(added[0]!.metadata).toMatchObject({ stac_item: 'item-42', sources: { sensor: 'stac' } });
  });

  it('an ItemCollection with a malformed feature and an out-of-range value adds its good items and reports each bad one', async () => {
    const dir = path.join(tmp.dir, 'stac-mixed');
    await mkdir(dir);
    await writePatternTiff(path.join(dir, 'a.tif'), { width: 200, height: 200, bands: 3, georef: geo(640000) });
    await writePatternTiff(path.join(dir, 'b.tif'), { width: 210, height: 200, bands: 3, georef: geo(641000) });
    const item = (id: string, href: string, props: Record<string, unknown> = {}) => ({ type: 'Feature', stac_version: '1.0.0', id, geometry: null, properties: { datetime: '2022-08-01T09:15:00Z', ...props }, assets: { data: { href, type: 'image/tiff', roles: ['data'] } } });
    const fc = { type: 'FeatureCollection', features: [item('good', './a.tif', { gsd: 0.5 }), { type: 'Feature', id: 'broken' }, item('negative-gsd', './b.tif', { gsd: -3, 'view:off_nadir': 120 })] };
    await writeFile(path.join(dir, 'items.json'), JSON.stringify(fc));
    const { added, failed } = await addImages(store, [path.join(dir, 'items.json')]);
    expect(added.map((a) => a.title)).toEqual(['good']);
    expect(failed.map((f) => f.uri.replace(/.*#/, ''))).toEqual(['broken', 'negative-gsd']);
    expect(failed[0]!.error.message).toMatch(/item 1 is not a STAC Item/);
    expect(failed[1]!.error.message).toMatch(/gsd -3: Too small.*view:off_nadir 120: Too big/);
  });

  it('refuses rows no tool could use: a scene off the globe, a geocentric CRS; nothing is stored for them', async () => {
    const dir = path.join(tmp.dir, 'unusable');
    await mkdir(dir);
    const offGlobe = path.join(dir, 'lat100.tif');
    await writePatternTiff(offGlobe, { width: 64, height: 64, bands: 3, georef: { epsg: 4326, originX: 10, originY: 100.5, pixelSizeX: 0.001, pixelSizeY: 0.001 } });
    const geocent = path.join(dir, 'geocent.tif');
    await writePatternTiff(geocent, { width: 64, height: 64, bands: 3, georef: geo(650000) });
    await writeFile(path.join(dir, 'geocent.meta.json'), JSON.stringify({ crs: '+proj=geocent +datum=WGS84 +units=m' }));
    const { added, failed } = await addImages(store, [offGlobe, geocent]);
    expect(added).toEqual([]);
    expect(failed.map((f) => [path.basename(f.uri), f.error.code])).toEqual([['lat100.tif', 'INVALID_INPUT'], ['geocent.tif', 'UNSUPPORTED']]);
    expect(failed[0]!.error.message).toMatch(/latitude 100\.\d+.*off the globe/);
    expect(failed[1]!.error.message).toMatch(/geocentric CRS/);
  });

  it('a file replaced at the same path is not read under the old id', async () => {
    const file = path.join(tmp.dir, 'replaced.tif');
    await writePatternTiff(file, { width: 96, height: 96, bands: 3, georef: geo(660000) });
    const rec = (await addImages(store, [file])).added[0]!;
    await (await openCatalogImage(rec)).close();
    await writePatternTiff(file, { width: 96, height: 96, bands: 3, georef: geo(661000) });
    const err = await openCatalogImage(rec).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CONFLICT' });
    expect((err as Error).message).toMatch(new RegExp(`changed since it was catalogued as ${rec.image_id}.*geoscout images add`));
  });

  it('reports bad files and keeps going; nothing stored is lost', async () => {
    const good = path.join(tmp.dir, 'good.tif');
    await writePatternTiff(good, { width: 128, height: 128, bands: 3, georef: geo(630000) });
    const bad = path.join(tmp.dir, 'bad.tif');
    await writeFile(bad, 'not a tiff');
    const before = (await listImages(store)).length;
    const res = await addImages(store, [bad, path.join(tmp.dir, 'missing.tif'), good]);
    expect(res.failed.map((f) => f.error.code)).toEqual(['CORRUPT_DATA', 'NOT_FOUND']);
    expect(res.failed[0]!.error.message).toContain(bad);
    expect(res.added).toHaveLength(1);
    expect(await listImages(store)).toHaveLength(before + 1);
  });

  it('refuses paths outside the allowed roots', async () => {
    const outside = path.join(tmp.dir, 'good.tif');
    const res = await addImages(store, [outside], { allowedRoots: [path.join(tmp.dir, 'stac')] });
    expect(res.failed[0]?.error.code).toBe('PERMISSION_DENIED');
  });

  it('flags ungeoreferenced TIFFs as pixel-only and keeps them out of area queries', async () => {
    const file = path.join(tmp.dir, 'plain.tif');
    await writePatternTiff(file, { width: 64, height: 64, bands: 3 });
    const { added } = await addImages(store, [file]);
    expect(added[0]).toMatchObject({ status: 'pixel-only', footprint: null, crs: null });
    const all = await listImages(store, { bbox: [-180, -90, 180, 90] });
    expect(all.map((r) => r.image_id)).not.toContain(added[0]!.image_id);
  });

  it('a changed file at a catalogued path gets a new id; the old row is marked stale and hidden', async () => {
    const file = path.join(tmp.dir, 'changing.tif');
    await writePatternTiff(file, { width: 96, height: 96, bands: 3, georef: geo(640000) });
    const v1 = (await addImages(store, [file])).added[0]!;
    await writePatternTiff(file, { width: 96, height: 96, bands: 3, georef: geo(640000) }, (x, y) => (x + y) % 7);
    const v2 = (await addImages(store, [file])).added[0]!;
    expect(v2.image_id).not.toBe(v1.image_id);
    const visible = (await listImages(store)).map((r) => r.image_id);
    expect(visible).toContain(v2.image_id);
    expect(visible).not.toContain(v1.image_id);
    const all = await listImages(store, { includeStale: true });
    expect(all.find((r) => r.image_id === v1.image_id)?.status).toBe('stale');
  });

  it('a sidecar CRS rescues a file with user-defined GeoKeys, for the catalog and every later reader', async () => {
    const dir = path.join(tmp.dir, 'userdef');
    await mkdir(dir);
    const file = path.join(dir, 'odd.tif');
    await writePatternTiff(file, { width: 64, height: 64, bands: 3, georef: { ...geo(650000), epsg: 32767 } });
    expect((await addImages(store, [file])).failed[0]?.error.code).toBe('UNSUPPORTED');
    await writeFile(path.join(dir, 'odd.meta.json'), JSON.stringify({ crs: 'EPSG:32631' }));
    const rec = (await addImages(store, [file])).added[0]!;
    expect(rec).toMatchObject({ crs: 'EPSG:32631', status: 'ready' });
    const r = await openCatalogImage(rec);
    expect(r.georef!.pixelToLonLat(32, 32)[0]).toBeCloseTo(rec.center_lon!, 9);
    await r.close();
  });

  it('lists with bbox, time and sensor filters', async () => {
    const all = await listImages(store);
    const rotterdam = all.find((r) => r.sensor === 'WV3')!;
    const hits = await listImages(store, { bbox: [4.455, 51.889, 4.457, 51.891] });
    expect(hits.map((r) => r.image_id)).toContain(rotterdam.image_id);
    expect(hits.some((r) => r.sensor === 'skysat-c12')).toBe(false); // 20 km east
    expect((await listImages(store, { bbox: [10, 10, 11, 11] })).length).toBe(0);
    const june = await listImages(store, { from: new Date('2024-06-01'), to: new Date('2024-06-30') });
    expect(june.map((r) => r.sensor)).toEqual(['WV3']);
    const bySensor = await listImages(store, { sensors: ['PNEO3', "o'brien"] });
    expect(bySensor.map((r) => r.sensor)).toEqual(['PNEO3']);
    await expect(listImages(store, { bbox: [5, 50, 4, 51] })).rejects.toThrow(/crosses the antimeridian.*split it/);
  });
});

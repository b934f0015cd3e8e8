import { statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../core/testing/temp-dir.js';
import { Store } from '../index/store.js';
import { openCatalogImage } from '../catalog/open-image.js';
import { exampleImage, isSyntheticImageId, pickSyntheticExemplars, syntheticGsd } from './exemplars.js';
import { planScene } from './scene-plan.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let store: Store;
beforeAll(async () => {
  tmp = await makeTempDir('geoscout-exemplars-');
  store = await Store.open(path.join(tmp.dir, 'lancedb'));
});
afterAll(async () => {
  await store.close();
  await tmp.cleanup();
});

describe('synthetic exemplars', () => {
  it('picks whole objects of the class, spread over several scenes, the same every time', () => {
    const ex = pickSyntheticExemplars('vehicle', 12);
    expect(ex).toHaveLength(12);
    expect(pickSyntheticExemplars('vehicle', 12)).toEqual(ex);
    expect(new Set(ex.map((e) => e.image_id)).size).toBeGreaterThanOrEqual(3);
    for (const e of ex) {
      expect(isSyntheticImageId(e.image_id)).toBe(true);
      expect(syntheticGsd(e.image_id)).toBe(0.3);
      // Each box is a planned vehicle of its scene.
      const [, , seed] = /^synthetic-(\w+)-(\d+)-/.exec(e.image_id)!;
      const plan = planScene({ seed: Number(seed), width: 2048, height: 2048, gsdM: 0.3 });
      expect(plan.objects.some((o) => o.class === 'vehicle' && Math.round(o.bbox[0]) === e.box.x && Math.round(o.bbox[1]) === e.box.y)).toBe(true);
    }
    expect(isSyntheticImageId('img_f8b874cd46972c04')).toBe(false);
    // Only ids the picker can give: no other seed, GSD or class gets rendered on request.
    for (const id of ['synthetic-vehicle-123-30', 'synthetic-vehicle-70000-50', 'synthetic-tree-70000-30', 'synthetic-vehicle-70064-30']) expect(isSyntheticImageId(id)).toBe(false);
    expect(syntheticGsd('img_f8b874cd46972c04')).toBeNull();
  });

  it('renders an exemplar scene once, into the cache beside the store, and reads the object there', async () => {
    const [e] = pickSyntheticExemplars('aircraft', 5);
    const rec = await exampleImage(store, e!.image_id);
    expect(rec).toMatchObject({ image_id: e!.image_id, width: 2048, height: 2048, gsd_m: 0.5 });
    expect(path.dirname(rec.uri)).toBe(path.join(tmp.dir, 'synthetic-exemplars'));
    const mtime = statSync(rec.uri).mtimeMs;
    expect((await exampleImage(store, e!.image_id)).uri).toBe(rec.uri);
    expect(statSync(rec.uri).mtimeMs).toBe(mtime);
    // The box holds an aircraft: brighter and more varied than the apron around it.
    const r = await openCatalogImage(rec);
    try {
      const px = (await r.readRgb(e!.box)).data;
      const mean = px.reduce((a, v) => a + v, 0) / px.length;
      const sd = Math.sqrt(px.reduce((a, v) => a + (v - mean) ** 2, 0) / px.length);
      expect(sd).toBeGreaterThan(15);
    } finally {
      await r.close();
    }
  });

  it('says what to do for a class the generator does not draw, and for an uncatalogued image', async () => {
    expect(() => pickSyntheticExemplars('tree' as never, 5)).toThrow(/draws aircraft, ship, vehicle/);
    await expect(exampleImage(store, 'img_0000000000000000')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(exampleImage(store, 'synthetic-vehicle-123-30')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

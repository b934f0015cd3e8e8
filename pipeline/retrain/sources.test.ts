import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../core/testing/temp-dir.js';
import { Store } from '../index/store.js';
import { decide, type CompareJson } from './gate.js';
import { buildDatasetManifest } from './manifest.js';
import { classKey, cocoExamples, detectionExamples, pairExamples, prototypeExamples } from './sources.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeAll(async () => {
  tmp = await makeTempDir();
  await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 90, g: 120, b: 60 } } }).png().toFile(path.join(tmp.dir, 'scene.png'));
});
afterAll(async () => tmp.cleanup());

describe('retraining sources', () => {
  it('reads COCO boxes and figure pairs into captioned chips with a held-out split', async () => {
    const coco = path.join(tmp.dir, 'labels.json');
    await writeFile(coco, JSON.stringify({
      images: [{ id: 1, file_name: 'scene.png', width: 300, height: 200 }],
      categories: [{ id: 7, name: 'Solar farm' }],
      annotations: [0, 1, 2, 3].map((i) => ({ id: i, image_id: 1, category_id: 7, bbox: [10 + 60 * i, 20, 40, 30] })),
    }));
    const pairs = path.join(tmp.dir, 'pairs.jsonl');
    await writeFile(pairs, [JSON.stringify({ image: 'scene.png', caption: 'Figure 3: a tank farm at the port' }), 'not json', JSON.stringify({ image: 'scene.png' }), ''].join('\n'));
    const ex = [...(await cocoExamples(coco)), ...(await pairExamples(pairs))];
    expect(ex.map((e) => e.class)).toEqual(['solar_farm', 'solar_farm', 'solar_farm', 'solar_farm', '']);
    expect(ex[0]!.captions[0]).toBe('a satellite image of a solar farm');
    const store = await Store.open(path.join(tmp.dir, 'db'));
    try {
      // No prototypes/detections tables yet: nothing, not an error.
      expect(await prototypeExamples(store)).toEqual([]);
      expect(await detectionExamples(store)).toEqual([]);
      const m = await buildDatasetManifest(store, path.join(tmp.dir, 'data'), ex, { heldoutFraction: 0.25 });
      expect(m.counts).toMatchObject({ train: 4, heldout: 1, byClass: { solar_farm: 4, unlabelled: 1 } });
      expect(m.targetClasses).toEqual(['solar_farm']);
      const again = await buildDatasetManifest(store, path.join(tmp.dir, 'data2'), ex, { heldoutFraction: 0.25 });
      expect(again.sha256).toBe(m.sha256); // same sources, same data lineage
      await expect(buildDatasetManifest(store, path.join(tmp.dir, 'data3'), [], {})).rejects.toThrow(/No training examples/);
    } finally {
      await store.close();
    }
    await expect(cocoExamples(pairs)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(classKey(' Wind Turbine ')).toBe('wind_turbine');
  });

  it('registers only when nothing measured got worse, and says why', () => {
    const scores = (ap: Record<string, number>) => ({ AP: ap, mAP: 0 });
    const cmp = (cand: Record<string, number>): CompareJson => ({ sets: { benchmark: { rows: 10, parent: scores({ ship: 80, wind_turbine: 2 }), candidate: scores(cand) } } });
    const good = decide(cmp({ ship: 79, wind_turbine: 40 }), ['wind_turbine'], 2);
    expect(good.registered).toBe(true);
    expect(good.reasons.join('\n')).toMatch(/benchmark AP wind_turbine: 2.0 → 40.0/);
    const bad = decide(cmp({ ship: 70, wind_turbine: 60 }), ['wind_turbine'], 2);
    expect(bad.registered).toBe(false);
    expect(bad.reasons.join('\n')).toMatch(/classes not in the new data 70.0 vs current 80.0 \(-10.0\): worse by more than 2/);
  });
});

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../core/testing/temp-dir.js';
import { Store } from '../index/store.js';
import { decide, type CompareJson } from './gate.js';
import { buildDatasetManifest } from './manifest.js';
import { prototypesTable } from '../prototypes/tables.js';
import { classKey, cocoExamples, detectionExamples, pairExamples, parseBoxes, prototypeExamples } from './sources.js';

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

  it('reads prototype examples as add_prototype stores them (a nested box) and as older flat rows', () => {
    const stored = [
      { kind: 'box', image_id: 'img_a', box: { x: 10, y: 20, width: 30, height: 40 }, vector: [0.1, 0.2] },
      { kind: 'detection', image_id: 'img_b', detection_id: 'det_1', box: { x: 1, y: 2, width: 3, height: 4 }, vector: [0.3] },
      { kind: 'file', source: '/chips/a.png', vector: [0.5] },
      { kind: 'tile', tile_id: 't', image_id: 'img_c', vector: [0.5] },
      { image_id: 'img_d', x: 5, y: 6, width: 7, height: 8 },
    ];
    expect(parseBoxes(JSON.stringify(stored))).toEqual([
      { image_id: 'img_a', x: 10, y: 20, width: 30, height: 40 },
      { image_id: 'img_b', x: 1, y: 2, width: 3, height: 4 },
      { image_id: 'img_d', x: 5, y: 6, width: 7, height: 8 },
    ]);
  });

  it('leaves synthetic exemplars out of a prototype\'s training examples', async () => {
    const store = await Store.open(path.join(tmp.dir, 'db-synthetic'));
    try {
      const examples = [
        { kind: 'box', image_id: 'synthetic-vehicle-70000-30', box: { x: 10, y: 20, width: 15, height: 7 }, vector: [1, 0] },
        { kind: 'box', image_id: 'img_a', box: { x: 1, y: 2, width: 30, height: 40 }, vector: [0, 1] },
      ];
      const row = { id: 'm@1/car@v1', name: 'car', version: 1, description: null, model_version: 'm@1', text_vector: null, visual_vector: [1, 0], fused_vector: [1, 0], examples: JSON.stringify(examples), negatives: '[]', probe: null, threshold: null, self_check: null, created_at: new Date().toISOString() };
      await store.upsert(await prototypesTable(store), 'id', [row]);
      expect((await prototypeExamples(store)).map((e) => e.from)).toEqual([{ kind: 'catalog', image_id: 'img_a', x: 1, y: 2, width: 30, height: 40 }]);
    } finally {
      await store.close();
    }
  });

  it('COCO file_name and figure-pair image paths obey the allowed roots', async () => {
    const inside = path.join(tmp.dir, 'allowed');
    await mkdir(inside, { recursive: true });
    const coco = path.join(inside, 'labels.json');
    const cocoOf = (file_name: string) => JSON.stringify({ images: [{ id: 1, file_name }], categories: [{ id: 1, name: 'x' }], annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [1, 1, 5, 5] }] });
    for (const escape of ['../scene.png', path.join(tmp.dir, 'scene.png'), '/etc/passwd']) {
      await writeFile(coco, cocoOf(escape));
      await expect(cocoExamples(coco, undefined, [inside])).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    }
    await writeFile(path.join(inside, 'ok.png'), 'x');
    await writeFile(coco, cocoOf('ok.png'));
    expect(await cocoExamples(coco, undefined, [inside])).toHaveLength(1);
    const pairs = path.join(inside, 'pairs.jsonl');
    await writeFile(pairs, JSON.stringify({ image: '../scene.png', caption: 'a tank' }));
    await expect(pairExamples(pairs, [inside])).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await expect(cocoExamples(path.join(tmp.dir, 'labels.json'), undefined, [inside])).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
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

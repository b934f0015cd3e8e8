import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLASS_HEAD_THRESHOLD } from '../pipeline/detect/route-queries.js';
import type { ImageRecord } from '../pipeline/catalog/catalog.js';
import { detectInRegion } from '../pipeline/detect/detect-region.js';
import { boxIou } from '../pipeline/detect/proposals.js';
import { makeSceneFixture, type SceneFixture } from './testing/scene-fixture.js';
import type { Store } from '../pipeline/index/store.js';
import { detectionRows } from '../pipeline/detect/detections-table.js';
import type { GeneratedScene } from '../pipeline/synth/generate-scene.js';
import { addPrototypeInput, addPrototypeTool } from './add-prototype.js';
import { DEFAULT_THRESHOLD, detectInRegionInput, detectInRegionOutput, detectInRegionTool } from './detect-in-region.js';
import { listPrototypesInput, listPrototypesTool } from './list-prototypes.js';
import { getTileImageInput, getTileImageTool } from './get-tile-image.js';
import { searchTilesInput, searchTilesTool } from './search-tiles.js';

let fx: SceneFixture;
let store: Store;
let image: ImageRecord;
let scene: GeneratedScene;
let ctx: SceneFixture['context'];
const detect = async (input: Record<string, unknown>) => detectInRegionOutput.parse(await detectInRegionTool.handler(detectInRegionInput.parse(input), ctx));
const addProto = (input: Record<string, unknown>) => addPrototypeTool.handler(addPrototypeInput.parse(input), ctx);
const gtBox = (o: GeneratedScene['objects'][number]) => ({ x: o.bbox[0], y: o.bbox[1], width: o.bbox[2], height: o.bbox[3] });

beforeAll(async () => {
  fx = await makeSceneFixture({ seed: 11, size: 1536 });
  ({ store, image, scene, context: ctx } = fx);
});
afterAll(async () => fx.close());

describe('detect_in_region', () => {
  it('finds aircraft by text: boxes on real aircraft, WGS84 polygons, citations, counts, stored detections', async () => {
    const aircraft = scene.objects.filter((o) => o.class === 'aircraft');
    expect(aircraft.length).toBeGreaterThan(2);
    const out = await detect({ image_id: image.image_id, queries: [{ text: 'aircraft' }], threshold: DEFAULT_THRESHOLD });
    const found = aircraft.filter((o) => out.features.some((f) => boxIou(f.properties.pixel_box, gtBox(o)) >= 0.5));
    expect(found.length / aircraft.length).toBeGreaterThanOrEqual(0.5);
    // The encoder knows the generator's world: its text vector answers, not the class head.
    expect(out.searched.class_heads).toBeUndefined();
    expect(out.counts.aircraft).toBe(out.features.length);
    const f = out.features[0]!;
    expect(f.geometry!.coordinates[0]!.length).toBe(5);
    expect(f.properties).toMatchObject({ image_id: image.image_id, acquired_at: '2024-06-03T10:30:00.000Z', model_version: (await ctx.encoder()).modelVersion });
    expect(f.properties.model_version).toMatch(/^geoscout-mini@\d+\.\d+\.\d+$/);
    expect(Math.abs(f.properties.lon! - image.center_lon!)).toBeLessThan(0.05);
    expect((await detectionRows(store, [f.properties.detection_id]))[0]).toMatchObject({ query: 'aircraft', feedback: null });
    // The detection renders with its box drawn around it.
    const img = await getTileImageTool.handler(getTileImageInput.parse({ detection_id: f.properties.detection_id, max_size: 256 }), ctx);
    const b = f.properties.pixel_box;
    expect(img.window.x).toBeLessThanOrEqual(b.x);
    expect(img.window.x + img.window.width).toBeGreaterThanOrEqual(b.x + b.width);
    const px = await sharp(Buffer.from(img.base64, 'base64')).raw().toBuffer({ resolveWithObject: true });
    const yellow = countYellow(px.data, px.info.channels);
    expect(yellow).toBeGreaterThan(20);
    // Same call again: same ids, no duplicate rows.
    const again = await detect({ image_id: image.image_id, queries: [{ text: 'aircraft' }], threshold: DEFAULT_THRESHOLD });
    expect(again.features.map((x) => x.properties.detection_id)).toEqual(out.features.map((x) => x.properties.detection_id));
  });

  it('looks first where the stored tiles match: the same aircraft as the exhaustive search, over part of the image', async () => {
    const gated = await detect({ image_id: image.image_id, queries: [{ text: 'aircraft' }], threshold: DEFAULT_THRESHOLD });
    const full = await detect({ image_id: image.image_id, queries: [{ text: 'aircraft' }], threshold: DEFAULT_THRESHOLD, exhaustive: true });
    expect(gated.searched.mode).toBe('gated');
    expect(gated.searched.tiles.kept).toBeGreaterThan(0);
    expect(gated.searched.tiles.kept).toBeLessThan(gated.searched.tiles.total);
    expect(gated.searched.coverage).toBeLessThan(0.9);
    expect(full.searched).toMatchObject({ mode: 'exhaustive', coverage: 1 });
    const aircraft = scene.objects.filter((o) => o.class === 'aircraft');
    const hits = (o: typeof gated) => aircraft.filter((a) => o.features.some((f) => boxIou(f.properties.pixel_box, gtBox(a)) >= 0.5)).length;
    expect(hits(gated)).toBe(hits(full));
  });

  it('finds the aircraft on a road by the plain "aircraft"', async () => {
    // This scene also strands a tug on land; the proposer only offers pieces of it (IoU 0.31).
    const onRoad = scene.objects.filter((o) => o.outOfContext && o.class === 'aircraft');
    expect(onRoad).toHaveLength(1);
    const out = await detect({ image_id: image.image_id, queries: [{ text: 'aircraft' }] });
    // Measured: 0.91 with IoU 0.63; before the phrasings' family share and size prior, no box.
    expect(out.features.some((f) => boxIou(f.properties.pixel_box, gtBox(onRoad[0]!)) >= 0.5)).toBe(true);
  });

  it('a WGS84 bbox selects the image and window; a polygon keeps only detections inside it', async () => {
    const [minLon, minLat, maxLon, maxLat] = [image.min_lon!, image.min_lat!, image.max_lon!, image.max_lat!];
    const west: [number, number, number, number] = [minLon, minLat, (minLon + maxLon) / 2, maxLat];
    const out = await detect({ bbox: west, queries: [{ text: 'vehicle' }, { text: 'ship' }], threshold: DEFAULT_THRESHOLD });
    expect(out.images).toEqual([image.image_id]);
    expect(out.pixels).toBeLessThan(image.width * image.height * 0.6);
    for (const f of out.features) expect(f.properties.lon!).toBeLessThanOrEqual(west[2] + 1e-3);
    expect(Object.keys(out.counts).sort()).toEqual(['ship', 'vehicle']);
    // Triangle: the west edge and the middle of the east edge.
    const tri: [number, number][] = [[minLon, minLat], [maxLon, (minLat + maxLat) / 2], [minLon, maxLat], [minLon, minLat]];
    const inTri = await detect({ polygon: { type: 'Polygon', coordinates: [tri] }, queries: [{ text: 'vehicle' }], threshold: DEFAULT_THRESHOLD });
    for (const f of inTri.features) {
      const { lon, lat } = f.properties as { lon: number; lat: number };
      const half = ((maxLat - minLat) / 2) * (1 - (lon - minLon) / (maxLon - minLon));
      expect(Math.abs(lat - (minLat + maxLat) / 2)).toBeLessThanOrEqual(half + 1e-4);
    }
  });

  it('bad input gets errors that say what to change', async () => {
    await expect(detect({ image_id: image.image_id, window: { x: 1500, y: 0, width: 100, height: 100 }, queries: [{ text: 'ship' }] })).rejects.toThrow(/outside image/);
    await expect(detect({ bbox: [100, 10, 101, 11], queries: [{ text: 'ship' }] })).rejects.toThrow(/No catalogued image covers/);
    await expect(detect({ image_id: image.image_id, queries: [{ text: '  ' }] })).rejects.toThrow(/query is empty/);
    await expect(detect({ image_id: image.image_id, queries: [{ prototype: 'nope' }] })).rejects.toThrow(/Unknown prototype "nope".*add_prototype/);
    await expect(detectInRegion(store, await ctx.encoder(), { imageId: image.image_id }, [{ text: 'ship' }], { threshold: 0.5, maxDetections: 10, maxRegionPixels: 1e6 })).rejects.toThrow(/limit per call/);
  });
});

describe('prototypes', () => {
  it('create from boxes, extend with confirmed/rejected detections (new version, feedback stored), use in detection and search', async () => {
    const tanks = scene.objects.filter((o) => o.class === 'storage_tank' || o.class === 'aircraft').slice(0, 3);
    const v1 = await addProto({ name: 'parked thing', description: 'large object seen from above', examples: tanks.map((o) => ({ image_id: image.image_id, ...intBox(o) })), mode: 'create' });
    expect(v1.prototype).toMatchObject({ name: 'parked thing', version: 1, positives: 3, negatives: 0, has_probe: false });
    expect(v1.prototype.self_check!.n).toBe(3);
    await expect(addProto({ name: 'parked thing', examples: [], mode: 'create' })).rejects.toThrow(/exists/);

    const dets = await detect({ image_id: image.image_id, queries: [{ prototype: 'parked thing' }], threshold: 0, max_detections: 10 });
    expect(dets.counts['prototype:parked thing']).toBeGreaterThan(0);
    // A prototype has no calibrated tile threshold yet (its vector is made of crops): every pixel is searched.
    expect(dets.searched.mode).toBe('exhaustive');
    const [good, bad] = [dets.features[0]!.properties.detection_id, dets.features[dets.features.length - 1]!.properties.detection_id];
    const v2 = await addProto({ name: 'parked thing', examples: [{ detection_id: good }], negatives: [{ detection_id: bad }] });
    expect(v2.prototype).toMatchObject({ version: 2, positives: 4, negatives: 1 });
    const rows = await detectionRows(store, [good, bad]);
    expect(rows.find((r) => r.detection_id === good)).toMatchObject({ feedback: 'confirmed', prototype: 'parked thing' });
    expect(rows.find((r) => r.detection_id === bad)).toMatchObject({ feedback: 'rejected' });

    const listed = await listPrototypesTool.handler(listPrototypesInput.parse({}), ctx);
    expect(listed.prototypes.map((p) => `${p.name}@${p.version}`)).toEqual(['parked thing@2']);
    const hits = await searchTilesTool.handler(searchTilesInput.parse({ prototype: 'parked thing', limit: 3 }), ctx);
    expect(hits.hits.length).toBe(3);
  });

  it('five positives fit a probe; bad examples get clear errors', async () => {
    const cars = scene.objects.filter((o) => o.class === 'vehicle').slice(0, 6);
    const p = await addProto({ name: 'car', examples: cars.map((o) => ({ image_id: image.image_id, ...intBox(o) })) });
    expect(p.prototype.has_probe).toBe(true);
    expect(p.prototype.self_check!.auc).toBeGreaterThan(0.6);
    // The probe also learned from the other objects the proposer finds around the cars.
    expect(p.prototype.probe_negatives).toMatchObject({ given: 0, surrounding: expect.any(Number) });
    expect(p.prototype.probe_negatives!.surrounding).toBeGreaterThan(0);
    // Without a threshold detection keeps what passes the prototype's checked one; a call's own overrides it.
    const thr = p.prototype.window_head!.check!.threshold!;
    expect(thr).toBeGreaterThanOrEqual(0.02);
    // Around the example cars only: the prototype's check already takes most of this test's time.
    const x0 = Math.max(0, Math.min(...cars.map((o) => o.bbox[0])) - 200), y0 = Math.max(0, Math.min(...cars.map((o) => o.bbox[1])) - 200);
    const window = { x: Math.floor(x0), y: Math.floor(y0), width: Math.min(512, image.width - Math.floor(x0)), height: Math.min(512, image.height - Math.floor(y0)) };
    const byDefault = await detect({ image_id: image.image_id, window, queries: [{ prototype: 'car' }], max_detections: 500 });
    expect(byDefault.features.length).toBeGreaterThan(0);
    expect(Math.min(...byDefault.features.map((f) => f.properties.score))).toBeGreaterThanOrEqual(thr);
    const low = await detect({ image_id: image.image_id, window, queries: [{ prototype: 'car' }], threshold: 0.01, max_detections: 500 });
    expect(low.features.some((f) => f.properties.score < thr)).toBe(true);
    await expect(addProto({ name: 'empty' })).rejects.toThrow(/needs at least one example/);
    const tileId = `${image.image_id}/${(await ctx.encoder()).modelVersion}/L0/0_0_128`;
    await expect(addProto({ name: 'x', examples: [{ tile_id: tileId, box: { x: 200, y: 10, width: 10, height: 10 } }] })).rejects.toThrow(/outside tile/);
    await expect(addProto({ name: 'x', examples: [{ tile_id: 'garbage' }] })).rejects.toThrow(/not a tile id/);
    await expect(addProto({ name: 'x', examples: [{ detection_id: 'det_missing' }] })).rejects.toThrow(/No stored detection/);
    // The prototype's five-fold detector check over two proposal weights: 100–130 s on 2 slow cores.
  }, 300_000);

  it('bootstraps from synthetic exemplars: no real example, the window head detects this scene\'s vehicles', async () => {
    const p = await addProto({ name: 'rendered vehicle', synthetic: { class: 'vehicle', count: 12 } });
    expect(p.prototype).toMatchObject({ positives: 12, negatives: 0, has_probe: true });
    // Unchecked (held-out synthetic exemplars would judge the generator's world): the head scores
    // the objectness proposals, as the shipped vehicle class head does (real-trained weights, threshold 0.3).
    expect(p.prototype.window_head).toMatchObject({ used: true, examples: 12, check: { n: 0, threshold: CLASS_HEAD_THRESHOLD, head_proposals: 'model-real.onnx' } });
    const vehicles = scene.objects.filter((o) => o.class === 'vehicle');
    const xs = vehicles.map((o) => o.bbox[0]), ys = vehicles.map((o) => o.bbox[1]);
    const x0 = Math.max(0, Math.floor(Math.min(...xs)) - 32), y0 = Math.max(0, Math.floor(Math.min(...ys)) - 32);
    const window = { x: x0, y: y0, width: Math.min(768, image.width - x0), height: Math.min(768, image.height - y0) };
    const inside = vehicles.filter((o) => o.bbox[0] >= x0 && o.bbox[1] >= y0 && o.bbox[0] + o.bbox[2] <= x0 + window.width && o.bbox[1] + o.bbox[3] <= y0 + window.height);
    expect(inside.length).toBeGreaterThan(5);
    const recallAt = async (threshold?: number) => {
      const out = await detect({ image_id: image.image_id, window, queries: [{ prototype: 'rendered vehicle' }], max_detections: 500, ...(threshold != null ? { threshold } : {}) });
      const found = inside.filter((o) => out.features.some((f) => boxIou(f.properties.pixel_box, gtBox(o)) >= 0.5));
      return { recall: found.length / inside.length, n: out.features.length, min: Math.min(...out.features.map((f) => f.properties.score)) };
    };
    const low = await recallAt(0.05), byDefault = await recallAt();
    // Measured: 0.83 of the window's vehicles at 0.05 and at the default (7 boxes).
    expect(low.recall).toBeGreaterThanOrEqual(0.5);
    expect(byDefault.min).toBeGreaterThanOrEqual(CLASS_HEAD_THRESHOLD);
    expect(byDefault.recall).toBeGreaterThan(0);
  }, 300_000);
});

function intBox(o: GeneratedScene['objects'][number]) {
  const x = Math.max(0, Math.floor(o.bbox[0])), y = Math.max(0, Math.floor(o.bbox[1]));
  return { x, y, width: Math.max(1, Math.ceil(o.bbox[2])), height: Math.max(1, Math.ceil(o.bbox[3])) };
}

/** Pixels of the box colour (#ffeb3b) in an RGB(A) buffer. */
function countYellow(data: Buffer, ch: number): number {
  let n = 0;
  for (let i = 0; i < data.length; i += ch) if (data[i]! > 230 && data[i + 1]! > 210 && data[i + 2]! < 90) n++;
  return n;
}

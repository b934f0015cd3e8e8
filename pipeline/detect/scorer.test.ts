import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClipEncoder } from '../models/encoder.js';
import { readModelDir } from '../models/model-dir.js';
import { SHIPPED_MODELS_DIR } from '../models/registry.js';
import { synthChips } from '../models/testing.js';
import type { RgbImage } from '../raster/raster.js';
import { CONTEXT_TEMPLATES, logitScaleOf, prepareQueries, scoreCrop } from './scorer.js';
import { dot, rows } from './vectors.js';
import { BACKGROUND_PROMPTS } from './vocabulary.js';

const unit = (i: number, d = 16) => Float32Array.from({ length: d }, (_, k) => (k === i ? 1 : 0));

describe('scoring with the shipped encoder', () => {
  it('a plain "ship" query finds ships out of the water through its unusual-context phrasings, and cars stay cars', async () => {
    const dir = path.join(SHIPPED_MODELS_DIR, 'geoscout-mini');
    const enc = await ClipEncoder.open(dir, await readModelDir(dir));
    try {
      const [ship, prototype] = await prepareQueries(enc, [{ label: 'ship', text: 'ship' }, { label: 'p', vector: unit(0, enc.dim) }]);
      expect(ship!.variants).toHaveLength(CONTEXT_TEMPLATES.length);
      expect(prototype!.variants).toBeUndefined();
      // Seeds ≥ 20000 were never used to train the shipped model.
      const stranded = [20001, 20002, 20003, 20004, 20005, 20006].flatMap((s) => synthChips(s, (o) => o.class === 'ship' && o.outOfContext, 2)).slice(0, 6);
      const cars = synthChips(20001, (o) => o.class === 'vehicle' && o.context === 'road', 6);
      expect(stranded.length).toBeGreaterThanOrEqual(4);
      const vecs = async (cs: { chip: RgbImage }[]) => rows((await enc.encodeImages(cs.map((c) => c.chip))).embeds, enc.dim);
      const ls = logitScaleOf(enc);
      const plain = { ...ship!, variants: [] };
      const onLand = await vecs(stranded);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      // Measured on these 6 chips: plain 0.05, with the phrasings 0.21 (means); cars ≤ 0.005.
      expect(mean(onLand.map((v) => scoreCrop(ship!, v, ls)))).toBeGreaterThan(mean(onLand.map((v) => scoreCrop(plain, v, ls))) + 0.1);
      for (const v of await vecs(cars)) expect(scoreCrop(ship!, v, ls)).toBeLessThan(0.05);

      // "a boat on land": to this encoder "a boat" alone sits nearer aircraft than ships;
      // with the canonical "a ship on land" added, stranded boats outscore parked aircraft
      // (means measured: 0.43 against 0.08).
      const [boat] = await prepareQueries(enc, [{ label: 'b', text: 'a boat on land' }]);
      const aircraft = await vecs(synthChips(20001, (o) => o.class === 'aircraft' && !o.outOfContext, 6));
      const boatOnLand = mean(onLand.map((v) => scoreCrop(boat!, v, ls))), boatOnAircraft = mean(aircraft.map((v) => scoreCrop(boat!, v, ls)));
      expect(boatOnLand).toBeGreaterThan(boatOnAircraft);
    } finally {
      await enc.close();
    }
  });

  it('a phrasing does not compete with the empty setting it names, and a text query carries its class size', async () => {
    const dir = path.join(SHIPPED_MODELS_DIR, 'geoscout-mini');
    const enc = await ClipEncoder.open(dir, await readModelDir(dir));
    try {
      const [aircraft, turbine, prototype] = await prepareQueries(enc, [{ label: 'a', text: 'aircraft' }, { label: 't', text: 'a wind turbine' }, { label: 'p', text: 'aircraft', vector: unit(0, enc.dim) }]);
      const road = await enc.encodeTexts([BACKGROUND_PROMPTS.find((b) => b.includes('road'))!]);
      const has = (cs: Float32Array[]) => cs.some((c) => dot(c, road) > 0.999);
      // The plain query still competes with an empty road; "… on a public road" does not.
      expect(has(aircraft!.competitors)).toBe(true);
      expect(CONTEXT_TEMPLATES.map((t, k) => [t.includes('road'), has(aircraft!.variants![k]!.rest)])).toEqual(CONTEXT_TEMPLATES.map((t) => [t.includes('road'), !t.includes('road')]));
      expect(aircraft!.sizeRangeM).toEqual([11, 80]);
      expect(turbine!.sizeRangeM).toBeUndefined();
      // A prototype's examples carry its size.
      expect(prototype!.sizeRangeM).toBeUndefined();
    } finally {
      await enc.close();
    }
  });
});

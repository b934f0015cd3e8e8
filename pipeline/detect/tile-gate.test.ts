import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClipEncoder } from '../models/encoder.js';
import { readModelDir } from '../models/model-dir.js';
import { SHIPPED_MODELS_DIR } from '../models/registry.js';
import { backgroundPromptVectors, calibrateTextScore, prepareQueries, rawTextScore } from './scorer.js';
import { CALIBRATED_TILE_GATE, tileScorer } from './tile-gate.js';
import { BACKGROUND_PROMPTS } from './vocabulary.js';

describe('the stored-tile gate', () => {
  it('tells open water from a ship: the lead over the nearest empty scene, except the setting the query names', async () => {
    const dir = path.join(SHIPPED_MODELS_DIR, 'geoscout-mini');
    const enc = await ClipEncoder.open(dir, await readModelDir(dir));
    try {
      const bg = await backgroundPromptVectors(enc);
      const water = bg[BACKGROUND_PROMPTS.findIndex((b) => b.includes('water'))]!;
      const road = bg[BACKGROUND_PROMPTS.findIndex((b) => b.includes('road'))]!;
      const [ship, onRoad] = await prepareQueries(enc, [{ label: 'ship', text: 'ship' }, { label: 'r', text: 'an aircraft on a road' }]);
      const gate = CALIBRATED_TILE_GATE['geoscout-mini']!;
      // A tile that looks exactly like the empty-water prompt leads nothing: the margin drops it.
      expect(tileScorer({ queryVector: ship!.queryVector, text: 'ship' }, bg)(water)[1]).toBeLessThan(gate.margin);
      // A ship-like tile (the query itself) leads every empty scene.
      expect(tileScorer({ queryVector: ship!.queryVector, text: 'ship' }, bg)(ship!.queryVector)[1]).toBeGreaterThan(0);
      // "an aircraft on a road" does not compete with the empty road: an empty-road tile's lead
      // is over the other settings only, so it is larger than a plain query's would be.
      const named = tileScorer({ queryVector: onRoad!.queryVector, text: 'an aircraft on a road' }, bg)(road)[1];
      const unnamed = tileScorer({ queryVector: onRoad!.queryVector }, bg)(road)[1];
      expect(named).toBeGreaterThan(unnamed);
      expect(unnamed).toBeLessThanOrEqual(0);
    } finally {
      await enc.close();
    }
  });

  it('the raw score floor is the exact inverse of the text calibration', () => {
    for (const t of [0.01, 0.05, 0.3, 0.6, 0.9]) expect(calibrateTextScore(rawTextScore(t))).toBeCloseTo(t, 9);
    // The default threshold 0.6 is a raw score of about 0.15 (detect-region.ts).
    expect(rawTextScore(0.6)).toBeGreaterThan(0.13);
    expect(rawTextScore(0.6)).toBeLessThan(0.17);
  });
});

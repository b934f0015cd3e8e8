import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../core/testing/temp-dir.js';
import { OBJECT_CLASSES } from '../synth/catalog.js';
import { classHead, classOfQuery } from './class-heads.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeAll(async () => {
  tmp = await makeTempDir('geoscout-class-heads-');
});
afterAll(async () => tmp.cleanup());

describe('class heads', () => {
  it('a query uses a class head only when its words name exactly one class', () => {
    expect(classOfQuery('aircraft')).toBe('aircraft');
    expect(classOfQuery('Parked airplanes on the apron')).toBe('aircraft');
    expect(classOfQuery('cars in the car park')).toBe('vehicle');
    expect(classOfQuery('a truck')).toBe('vehicle');
    expect(classOfQuery('container ship')).toBe('ship');
    expect(classOfQuery('wind turbines')).toBe('wind_turbine');
    expect(classOfQuery('oil storage tanks')).toBe('storage_tank');
    // Two classes, or none: the encoder answers as before.
    expect(classOfQuery('ships and aircraft')).toBeNull();
    expect(classOfQuery('tree crowns')).toBeNull();
    expect(classOfQuery('a tank')).toBeNull();
  });

  it('every class ships a window head with its manifest entry', () => {
    for (const cls of OBJECT_CLASSES) {
      const shipped = classHead(cls);
      expect(shipped, cls).not.toBeNull();
      expect(shipped!.head.kind).toBe('acf-window');
      expect(shipped!.head.mlp).toBeUndefined();
      expect(shipped!.head.threshold).toBeGreaterThan(0.3);
      expect(shipped!.head.fitted.examples).toBeGreaterThanOrEqual(16);
    }
  });

  it('a folder without heads gives none; a broken manifest says how to rebuild it', async () => {
    expect(classHead('ship', path.join(tmp.dir, 'absent'))).toBeNull();
    const dir = path.join(tmp.dir, 'broken');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'heads.json'), JSON.stringify({ id: 'geoscout-heads', version: '1', recipe: 'x', classes: { ship: { file: '../../etc/passwd', exemplars: 1, threshold: 0.5 } } }));
    expect(() => classHead('ship', dir)).toThrow(/fit:class-heads/);
    await writeFile(path.join(dir, 'heads.json'), JSON.stringify({ id: 'geoscout-heads', version: '1', recipe: 'x', classes: { ship: { file: 'ship.json', exemplars: 1, threshold: 0.5 } } }));
    await writeFile(path.join(dir, 'ship.json'), JSON.stringify({ kind: 'something-else' }));
    expect(() => classHead('ship', dir)).toThrow(/not a window head/);
  });
});

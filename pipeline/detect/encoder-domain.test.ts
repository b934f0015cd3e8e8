import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../core/testing/temp-dir.js';
import type { ClipEncoder } from '../models/encoder.js';
import { ModelRegistry } from '../models/registry.js';
import { DOMAIN_BANK_FILE, domainBank, domainStatistic, encodeBankVectors } from './encoder-domain.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let enc: ClipEncoder;
beforeAll(async () => {
  tmp = await makeTempDir('geoscout-domain-');
  enc = await new ModelRegistry(path.join(tmp.dir, 'state')).openEncoder();
});
afterAll(async () => {
  await enc.close();
  await tmp.cleanup();
});

describe('encoder domain bank', () => {
  it('the shipped encoder carries a bank of its training world, and its own tiles sit on it', () => {
    const bank = domainBank(enc)!;
    expect(bank.modelVersion).toBe(enc.modelVersion);
    expect(bank.vectors.length % enc.dim).toBe(0);
    const first = bank.vectors.slice(0, enc.dim), other = Float32Array.from(first, (_, i) => (i % 2 ? 1 : -1));
    expect(domainStatistic(bank, [first, first, first])).toBeGreaterThan(0.999);
    // A vector unlike any bank tile scores below the threshold.
    expect(domainStatistic(bank, [other])).toBeLessThan(bank.threshold);
  });

  it('a bank of another model is refused with what to do', async () => {
    const dir = path.join(tmp.dir, 'model');
    await mkdir(dir, { recursive: true });
    const v = new Float32Array(enc.dim).fill(1);
    await writeFile(path.join(dir, DOMAIN_BANK_FILE), JSON.stringify({ model_version: 'other@1.0.0', statistic: 'median-nearest-cosine', threshold: 0.9, dim: enc.dim, count: 1, vectors: encodeBankVectors([v]), source: 'test' }));
    const other = { dir, dim: enc.dim, modelVersion: enc.modelVersion } as ClipEncoder;
    expect(() => domainBank(other)).toThrow(/not a domain bank of geoscout-mini.*Rebuild it/);
  });
});

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TEXT_MODEL_DIR, SentenceEncoder } from './sentence-encoder.js';

describe('SentenceEncoder (shipped all-MiniLM-L6-v2 int8)', () => {
  it('matches the PyTorch fp32 vectors recorded by convert.py (cosine ≥ 0.99) and ranks paraphrases first', async () => {
    const parity = JSON.parse(await readFile(path.join(DEFAULT_TEXT_MODEL_DIR, 'parity.json'), 'utf8')) as { sentences: string[]; vectors: number[][] };
    const enc = await SentenceEncoder.open();
    try {
      expect(enc.dim).toBe(384);
      const v = await enc.encode(parity.sentences);
      parity.vectors.forEach((ref, i) => {
        const cos = ref.reduce((s, x, j) => s + x * v[i * 384 + j]!, 0);
        expect(cos).toBeGreaterThan(0.99);
      });
      const [q, a, b] = [0, 1, 2].map((i) => v.subarray(i * 384, (i + 1) * 384));
      const dot = (x: Float32Array, y: Float32Array) => x.reduce((s, xi, j) => s + xi * y[j]!, 0);
      expect(dot(q!, a!)).toBeGreaterThan(dot(q!, b!) + 0.3);
    } finally {
      await enc.close();
      await enc.close();
    }
  });
});

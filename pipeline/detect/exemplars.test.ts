import { describe, expect, it } from 'vitest';
import { EXEMPLAR_TAU, exemplarFactor, exemplarSimilarity, sizeTerm } from './exemplars.js';
import { normalize } from './vectors.js';

const unit = (...v: number[]) => normalize(Float32Array.from(v));

describe('exemplarFactor', () => {
  // Two modes of one class (onshore and offshore turbines) and a third thing between them.
  const onshore = unit(1, 0, 0), offshore = unit(0, 1, 0), between = unit(1, 1, 0.2);
  const ex = { vectors: [onshore, onshore, onshore, offshore], longSidesM: [100, 110, 90, 120] };

  it('scores a crop by its nearest example, so a minority mode is not averaged away', () => {
    const nearOffshore = unit(0.05, 1, 0);
    expect(exemplarFactor(ex, nearOffshore, 100)).toBeGreaterThan(0.95);
    // The mean of the examples is nearer `between` than either mode is: a centroid would rank it first.
    const mean = normalize(Float32Array.from([3, 1, 0]));
    expect(mean.reduce((s, v, i) => s + v * between[i]!, 0)).toBeGreaterThan(mean.reduce((s, v, i) => s + v * nearOffshore[i]!, 0));
    expect(exemplarFactor(ex, between, 100)).toBeLessThan(0.1);
  });

  it('falls with the cosine gap at the documented rate', () => {
    const v = unit(Math.cos(0.3), Math.sin(0.3), 0);
    const cos = Math.cos(0.3);
    expect(exemplarFactor({ vectors: [onshore], longSidesM: [null] }, v, null)).toBeCloseTo(Math.exp((cos - 1) / EXEMPLAR_TAU), 6);
  });

  it('keeps an identical-looking crop of another size low (a 6 m boat against a 120 m turbine)', () => {
    expect(exemplarFactor(ex, offshore, 6)).toBeLessThan(0.01);
    expect(exemplarFactor(ex, offshore, 200)).toBeGreaterThan(0.99);
  });
});

describe('sizeTerm', () => {
  it('is 1 within twice or half the example size and when a size is unknown', () => {
    expect(sizeTerm(50, 100)).toBe(1);
    expect(sizeTerm(200, 100)).toBe(1);
    expect(sizeTerm(null, 100)).toBe(1);
    expect(sizeTerm(40, null)).toBe(1);
  });
  it('falls off beyond it, the same way for larger and smaller', () => {
    expect(sizeTerm(25, 100)).toBeLessThan(0.2);
    expect(sizeTerm(400, 100)).toBeCloseTo(sizeTerm(25, 100), 10);
    expect(sizeTerm(30, 100)).toBeGreaterThan(sizeTerm(25, 100));
  });
});

describe('exemplarSimilarity', () => {
  const ex = { vectors: [unit(1, 0, 0), unit(0, 1, 0)], longSidesM: [100, 120] };

  it('is the cosine to the nearest example (search rerank), less for a size mismatch', () => {
    const v = unit(0.2, 1, 0);
    const cosOffshore = v[1]!;
    expect(exemplarSimilarity(ex, v, 120)).toBeCloseTo(cosOffshore, 6);
    // 8× the example's size: 2× is tolerated, the remaining 4× costs τ·ln(4)²/(2σ²) of cosine.
    expect(exemplarSimilarity(ex, v, 960)).toBeCloseTo(cosOffshore - (EXEMPLAR_TAU * Math.log(4) ** 2) / (2 * 0.35 ** 2), 6);
    expect(exemplarSimilarity(ex, v, null)).toBeCloseTo(cosOffshore, 6);
  });
});

import { describe, expect, it } from 'vitest';
import { synonymEntries, VOCABULARY_PROMPTS, VOCABULARY_WORDS } from './scorer.js';

const unit = (i: number, d = 16) => Float32Array.from({ length: d }, (_, k) => (k === i ? 1 : 0));
const vocab = VOCABULARY_PROMPTS.map((_, i) => unit(i));
const idx = (prompt: string) => VOCABULARY_PROMPTS.indexOf(prompt);

describe('synonymEntries', () => {
  it('takes the entries a compound query names, whatever the text vectors say', () => {
    // The query vector sits on "an aircraft" (as geoscout-mini's does for "a boat on land"):
    // the noun still decides that "a ship" is the query and "an aircraft" a competitor.
    expect([...synonymEntries('a boat on land', unit(idx('an aircraft')), vocab)]).toEqual([idx('a ship')]);
    expect([...synonymEntries('An aircraft on a road', unit(idx('a car')), vocab)]).toEqual([idx('an aircraft')]);
    expect([...synonymEntries('vehicles', unit(15), vocab)].sort()).toEqual([idx('a car'), idx('a truck')]);
    expect([...synonymEntries('storage tanks', unit(15), vocab)]).toEqual([idx('a storage tank')]);
  });

  it('falls back to text cosine when the query names no entry', () => {
    const nearCar = unit(idx('a car')).map((v, k) => (k === 15 ? 0.3 : v));
    expect([...synonymEntries('a sedan', nearCar, vocab)]).toEqual([idx('a car')]);
    expect(synonymEntries('a wind turbine', unit(15), vocab).size).toBe(0);
    expect(synonymEntries(undefined, unit(idx('a pier')), vocab)).toEqual(new Set([idx('a pier')]));
  });

  it('has one word list per vocabulary prompt', () => {
    expect(VOCABULARY_WORDS).toHaveLength(VOCABULARY_PROMPTS.length);
  });
});

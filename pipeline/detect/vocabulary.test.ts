import { describe, expect, it } from 'vitest';
import { BACKGROUND_PROMPTS, BACKGROUND_WORDS, canonicalPhrasings, querySizeRange, settingEntries, sizePriorFactor, synonymEntries, VOCABULARY_PROMPTS, VOCABULARY_SIZES_M, VOCABULARY_WORDS } from './vocabulary.js';

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
    expect([...synonymEntries('a bus', unit(15), vocab)]).toEqual([idx('a truck')]);
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

describe('canonicalPhrasings', () => {
  it("adds the vocabulary entry's own word for an unambiguous synonym, fixing the article", () => {
    expect(canonicalPhrasings('a boat on land')).toEqual(['a boat on land', 'a ship on land']);
    expect(canonicalPhrasings('an airliner')).toEqual(['an airliner', 'an aircraft']);
    expect(canonicalPhrasings('a jet near boats')).toEqual(['a jet near boats', 'an aircraft near ships']);
    expect(canonicalPhrasings('a bus')).toEqual(['a bus', 'a truck']);
  });

  it('leaves canonical words, words shared by several entries and unknown nouns alone', () => {
    for (const p of ['a ship', 'an aircraft on a road', 'a vehicle', 'a storage tank', 'a hangar', 'a wind turbine']) expect(canonicalPhrasings(p)).toEqual([p]);
  });
});

describe('settingEntries', () => {
  const bgIdx = (p: string) => BACKGROUND_PROMPTS.findIndex((b) => b.startsWith(p));
  it('drops the empty setting a query places its object in, and nothing for a plain query', () => {
    expect([...settingEntries('an aircraft on a road')]).toEqual([bgIdx('An empty road')]);
    expect([...settingEntries('a boat on land')]).toEqual([bgIdx('Open land')]);
    expect(settingEntries('a ship').size).toBe(0);
    // "out of the water" negates water: open water keeps competing.
    expect(settingEntries('a vessel out of the water').size).toBe(0);
    expect(BACKGROUND_WORDS).toHaveLength(BACKGROUND_PROMPTS.length);
  });
});

describe('querySizeRange and sizePriorFactor', () => {
  it('spans the sizes of the entries a query names, and has none for a class without one', () => {
    expect(querySizeRange('aircraft')).toEqual([11, 80]);
    expect(querySizeRange('vehicles')).toEqual([4.5, 16.5]);
    expect(querySizeRange('an aircraft carrier')).toEqual([5, 400]);
    expect(querySizeRange('a wind turbine')).toBeNull();
    expect(querySizeRange('a pier')).toBeNull();
    expect(VOCABULARY_SIZES_M).toHaveLength(VOCABULARY_PROMPTS.length);
  });

  it('keeps boxes inside the range and fades those a car-to-aircraft ratio away', () => {
    const aircraft = querySizeRange('aircraft')!;
    expect(sizePriorFactor(30, aircraft)).toBe(1);
    expect(sizePriorFactor(9, aircraft)).toBeGreaterThan(0.7);
    expect(sizePriorFactor(5, aircraft)).toBeLessThan(0.05);
    expect(sizePriorFactor(200, aircraft)).toBeLessThan(0.01);
  });
});

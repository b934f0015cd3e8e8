import { logRangeFalloff } from './size-falloff.js';
import { dot } from './vectors.js';

/**
 * Background prompts: what most of any scene is. They compete with the query so a vague
 * query does not fire on water, fields or tarmac (open-vocabulary calibration).
 */
export const BACKGROUND_PROMPTS = [
  'Open water with small waves.', 'Farmland.', 'Open land with sparse vegetation.', 'A coastline with a beach.',
  'An empty road through open country.', 'An empty stretch of runway.', 'Trees and shrubs seen from above.', 'A paved apron, empty.',
];

/**
 * Words naming the setting of each background prompt (same order as
 * {@link BACKGROUND_PROMPTS}). A query that places its object in that setting ("an
 * aircraft on a road", "a boat on land") describes the setting as part of itself, so the
 * empty setting is not its competitor: otherwise a light aircraft on a road loses to "an
 * empty road" (to a small encoder the crop is mostly road) and is never found. Open water
 * keeps competing whatever the words: "out of the water" names water to negate it.
 */
export const BACKGROUND_WORDS: string[][] = [
  [], ['farmland', 'field', 'farm'], ['land', 'ground', 'vegetation'], ['coastline', 'beach', 'coast', 'shore'],
  ['road', 'street', 'highway', 'motorway'], ['runway', 'airstrip'], ['tree', 'forest', 'wood', 'shrub'], ['apron'],
];

/**
 * A small general vocabulary of things found in overhead scenes. Each entry competes with
 * the query unless the query names it (see {@link VOCABULARY_WORDS}), so "aircraft" is not
 * confused with "ship" while "airliner" still counts as aircraft.
 */
export const VOCABULARY_PROMPTS = [
  'an aircraft', 'a ship', 'a car', 'a truck', 'a building', 'a house', 'a storage tank', 'a warehouse', 'a pier', 'a parking lot',
];

/**
 * Words that name each vocabulary entry (same order as {@link VOCABULARY_PROMPTS}). Matched
 * on the query's words: a small text encoder's cosine is a poor synonym test for compound
 * queries ("a boat on land" sits closer to "an aircraft" than to "a ship" in geoscout-mini's
 * text space), while the analyst's noun says plainly which entry is the query itself.
 */
export const VOCABULARY_WORDS: string[][] = [
  ['aircraft', 'airplane', 'aeroplane', 'plane', 'jet', 'airliner', 'helicopter', 'fighter', 'bomber', 'airlifter'],
  ['ship', 'boat', 'vessel', 'tanker', 'tug', 'barge', 'ferry', 'yacht', 'frigate', 'destroyer', 'warship', 'carrier', 'trawler', 'freighter'],
  ['car', 'vehicle', 'automobile', 'van', 'suv', 'jeep'],
  ['truck', 'lorry', 'bus', 'vehicle', 'trailer'],
  ['building', 'house', 'warehouse', 'hangar', 'shed', 'factory'],
  ['house', 'home', 'building', 'cottage'],
  ['tank', 'silo', 'storage'],
  ['warehouse', 'building', 'depot', 'hangar'],
  ['pier', 'jetty', 'wharf', 'quay', 'dock'],
  ['parking', 'carpark'],
];

/**
 * Longest side in metres of what each vocabulary entry names (same order as
 * {@link VOCABULARY_PROMPTS}), from DOMAIN.md's public figures: a Cessna's 11 m span to an
 * A380's 80 m; a 5 m speed boat to a 400 m container ship; a 4.5 m car to a 5.5 m van; a
 * van to a 16.5 m articulated truck; houses 10–20 m to 200 m warehouses; tanks 10–100 m
 * across; hangars from 40 m. Null: no typical size (a pier, a parking lot).
 */
export const VOCABULARY_SIZES_M: ([number, number] | null)[] = [
  [11, 80], [5, 400], [4.5, 5.5], [5.5, 16.5], [10, 200], [10, 20], [10, 100], [40, 200], null, null,
];

/**
 * The size range, in metres, of what a text query names: the span of the ranges of the
 * vocabulary entries it names ("vehicles" → car and truck, 4.5–16.5 m), or null when it
 * names none or one without a typical size.
 */
export function querySizeRange(text: string | undefined): [number, number] | null {
  const ranges = [...namedEntries(text, VOCABULARY_WORDS)].map((i) => VOCABULARY_SIZES_M[i]!);
  if (!ranges.length || ranges.some((r) => r === null)) return null;
  return [Math.min(...ranges.map((r) => r![0])), Math.max(...ranges.map((r) => r![1]))];
}

/**
 * How far outside the size range a box's longest side may stray before it stops counting,
 * as the σ of a Gaussian in log size: a factor 1.5 costs e⁻¹. Proposals are rarely exact (a
 * wing in shadow, a wake, a rotated object's axis-aligned box is up to 1.4× its length), so
 * the prior is soft.
 */
const SIZE_PRIOR_SIGMA = Math.log(1.5) / Math.SQRT2;

/**
 * Prior weight of a box whose longest side is `lengthM` metres for a class of `range`:
 * 1 inside the range, exp(−(ln r / ln 1.5)²) at a ratio r outside it.
 * A 5 m car scores 0.02 for "aircraft" (11 m and up), a 9 m light aircraft 0.78.
 */
export function sizePriorFactor(lengthM: number, range: [number, number]): number {
  return logRangeFalloff(lengthM, range[0], range[1], SIZE_PRIOR_SIGMA);
}

/** Fallback synonym test when the query names no vocabulary entry: text cosine above this. */
const SYNONYM_COSINE = 0.8;

/**
 * Indexes of the vocabulary entries that are the query itself and must not compete with it:
 * those whose words the query contains (singular or plural), else those whose text vector
 * is within {@link SYNONYM_COSINE} of the query's.
 */
export function synonymEntries(text: string | undefined, queryVector: Float32Array, vocab: Float32Array[]): Set<number> {
  const named = namedEntries(text, VOCABULARY_WORDS);
  if (named.size) return named;
  return new Set(vocab.flatMap((v, i) => (dot(v, queryVector) >= SYNONYM_COSINE ? [i] : [])));
}

/** Indexes of the background prompts whose setting the query names ({@link BACKGROUND_WORDS}). */
export function settingEntries(text: string | undefined): Set<number> {
  return namedEntries(text, BACKGROUND_WORDS);
}

/** Indexes of the word lists that share a word (singular or plural) with the text. */
function namedEntries(text: string | undefined, lists: string[][]): Set<number> {
  const words = wordsOf(text);
  return new Set(lists.flatMap((ws, i) => (ws.some((w) => words.has(w)) ? [i] : [])));
}

/** The text's lower-case words, each also without a final plural "s" ("ships" → ship; "bus" stays too). */
function wordsOf(text: string | undefined): Set<string> {
  return new Set((text ?? '').toLowerCase().match(/[a-z]+/g)?.flatMap((w) => [w, w.replace(/(?<=[^s])s$/, '')]) ?? []);
}

/**
 * The phrase, plus the phrase with each synonym of one vocabulary entry replaced by the
 * entry's own word ("a boat on land" → also "a ship on land"); the query's vector is the
 * mean of both. A small encoder knows a noun only as well as its captions used it: to
 * geoscout-mini "a boat" sits nearer aircraft than ships, so a stranded boat lost to
 * aircraft on an apron. Words shared by several entries ("vehicle", "building") and
 * phrases that already use the entry's word are left as they are.
 */
export function canonicalPhrasings(phrase: string): string[] {
  const words = wordsOf(phrase);
  let swapped = phrase;
  for (const [i, entry] of VOCABULARY_WORDS.entries()) {
    const canonical = entry[0]!;
    if (words.has(canonical)) continue;
    for (const w of entry.slice(1)) {
      if (!words.has(w) || VOCABULARY_WORDS.some((ws, j) => j !== i && ws.includes(w))) continue;
      swapped = swapped.replace(new RegExp(`\\b${w}(s?)\\b`, 'gi'), `${canonical}$1`);
    }
  }
  if (swapped === phrase) return [phrase];
  // "a aircraft" → "an aircraft" (and back) after a swap.
  return [phrase, swapped.replace(/\b(a|an) (\w)/gi, (_, _a: string, c: string) => `${/[aeiou]/i.test(c) ? 'an' : 'a'} ${c}`)];
}

/** "ship" → "a ship"; phrases with an article or a plural are kept. */
export function withArticle(t: string): string {
  return /^(a|an|the)\s/i.test(t) || /s$/i.test(t) ? t : `${/^[aeiou]/i.test(t) ? 'an' : 'a'} ${t}`;
}

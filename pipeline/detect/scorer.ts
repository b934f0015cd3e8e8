import type { WindowHead } from '../fewshot/window-head.js';
import type { ClipEncoder } from '../models/encoder.js';
import type { Exemplars } from './exemplars.js';
import { add, dot, meanOf, normalize, rows } from './vectors.js';
import { BACKGROUND_PROMPTS, canonicalPhrasings, querySizeRange, settingEntries, synonymEntries, VOCABULARY_PROMPTS, withArticle } from './vocabulary.js';

/** One thing to detect: a text, a prototype vector, or both (already fused by the caller). */
export interface DetectQuery {
  /** What results are labelled with: the text or `prototype:<name>`. */
  label: string;
  text?: string;
  /** A unit vector in the encoder's space (a prototype's fused vector). */
  vector?: Float32Array;
  /** Per-query score threshold; overrides the call's. */
  threshold?: number;
  /** Per-query default threshold the call's overrides (a prototype's, from its held-out check). */
  defaultThreshold?: number;
  /** Linear probe of a prototype: score = sigmoid(w·x + b), used instead of the softmax when set. */
  probe?: { w: number[]; b: number };
  /** A prototype's few-shot window head: detections come from it instead of proposals + crop scores. */
  head?: WindowHead;
  /** A prototype's examples: the score is also weighted by the nearest one (exemplars.ts). */
  exemplars?: Exemplars;
  /** Proposal weights a prototype's check chose for every objectness pass (choose-detector.ts). */
  proposalWeights?: string;
  /** With a head: detections are the objectness proposals it agrees with (head-proposals.ts), proposed with these weights when the proposer has them. */
  headProposals?: { weights?: string };
}

/**
 * Whether a query is a prototype's (it carries the prototype's fused vector) rather than
 * plain text: prototypes are scored without the text calibration and get their own default
 * threshold.
 */
export function isPrototypeQuery(q: DetectQuery): boolean {
  return q.vector !== undefined;
}

/** Prompt templates averaged per text query (prompt ensembling, as in CLIP). */
const TEMPLATES = ['{}', 'Overhead view of {}.', 'Satellite chip showing {}.'];

/**
 * Unusual-context phrasings asked alongside a text query. The shipped encoder learned
 * out-of-context objects from captions of this form ("a fishing vessel stranded on dry
 * land, out of context"): to it a boat on a field is first of all a field, and the plain
 * "ship" loses to the background prompts there (AP and recall in README, detection).
 * A phrasing says only *whether* the crop is an object in that setting, see
 * {@link QueryPhrasing}; the plain vocabulary says *which* object it is.
 */
export const CONTEXT_TEMPLATES = ['{} on a public road, out of context', '{} stranded on dry land, out of context', '{} on a transport trailer on land, out of context'];

/**
 * One unusual-context phrasing of a query, scored as the share of its family (the phrasing
 * of the query and of every other vocabulary entry) against the rest (background prompts,
 * the query and the vocabulary in plain words). Why the family and not the query's own
 * phrasing: to a small encoder every "X on a public road" is alike (an aircraft on a road
 * scores 0.13 as "an aircraft on …", 0.13 as "a ship on …", 0.12 as "a truck on …"), so
 * the own phrasing could never pass a threshold, while the family's share is high for
 * anything out of its setting and low for a car among cars. The rest leaves out the empty
 * setting the phrasing names, as for a query that names its setting: an aircraft on a road
 * otherwise loses to "an empty road". Measured on 41001–41012 (README, detection).
 */
export interface QueryPhrasing {
  family: Float32Array[];
  rest: Float32Array[];
}

/** A query prepared for scoring crops: its vector and the competitor vectors it is calibrated against. */
export interface PreparedQuery extends DetectQuery {
  queryVector: Float32Array;
  competitors: Float32Array[];
  /** Unusual-context phrasings of a text query ({@link CONTEXT_TEMPLATES}); the crop takes the best. */
  variants?: QueryPhrasing[];
  /** The vocabulary entries the query is not, in plain words: with the phrasings, which object the crop is. */
  objectCompetitors?: Float32Array[];
  /** Longest side in metres of what a text query names ({@link querySizeRange}); boxes outside it are down-weighted. */
  sizeRangeM?: [number, number];
}

/**
 * Unit vectors of the background prompts ({@link BACKGROUND_PROMPTS}), encoded once per open
 * encoder: every detection call and the stored-tile gate (tile-gate.ts) compete with them.
 * A failed encoding is not kept, so the next call tries again.
 */
export function backgroundPromptVectors(enc: ClipEncoder): Promise<Float32Array[]> {
  let p = backgroundCache.get(enc);
  if (!p) {
    p = enc.encodeTexts(BACKGROUND_PROMPTS).then((flat) => rows(flat, enc.dim));
    p.catch(() => backgroundCache.delete(enc));
    backgroundCache.set(enc, p);
  }
  return p;
}
const backgroundCache = new WeakMap<ClipEncoder, Promise<Float32Array[]>>();

/** Encodes each query's text (prompt-ensembled), fuses it with a given vector, and picks its competitors. */
export async function prepareQueries(enc: ClipEncoder, queries: DetectQuery[], signal?: AbortSignal): Promise<PreparedQuery[]> {
  const d = enc.dim;
  const bg = await backgroundPromptVectors(enc);
  const vocab = rows(await enc.encodeTexts(VOCABULARY_PROMPTS, { signal }), d);
  // Per context template, every vocabulary entry in that phrasing (rows in VOCABULARY_PROMPTS
  // order); only plain text queries get phrasings, so prototype-only calls skip the encoding.
  const phrased = queries.some((q) => q.text && !q.vector);
  const vocabInContext = phrased ? await Promise.all(CONTEXT_TEMPLATES.map(async (tpl) => rows(await enc.encodeTexts(VOCABULARY_PROMPTS.map((p) => tpl.replace('{}', p)), { signal }), d))) : [];
  const out: PreparedQuery[] = [];
  const encodeMean = async (texts: string[]) => normalize(meanOf(rows(await enc.encodeTexts(texts, { signal }), d)));
  for (const q of queries) {
    let qv: Float32Array | null = null;
    const phrases = q.text ? canonicalPhrasings(withArticle(q.text.trim())) : [];
    const fill = (tpl: string) => phrases.map((p) => tpl.replace('{}', p));
    if (phrases.length) qv = await encodeMean(TEMPLATES.flatMap(fill));
    if (q.vector) qv = qv ? normalize(add(qv, q.vector)) : q.vector;
    if (!qv) throw new Error(`query ${q.label} has neither text nor vector`);
    const same = synonymEntries(q.text, qv, vocab);
    const setting = settingEntries(q.text);
    const others = (vs: Float32Array[]) => vs.filter((_, i) => !same.has(i));
    const competitors = [...bg.filter((_, i) => !setting.has(i)), ...others(vocab)];
    if (!phrases.length || q.vector) {
      out.push({ ...q, queryVector: qv, competitors });
      continue;
    }
    const plain = qv;
    const variants = await Promise.all(CONTEXT_TEMPLATES.map(async (tpl, k) => {
      const phrasingSetting = new Set([...setting, ...settingEntries(tpl)]);
      return { family: [await encodeMean(fill(tpl)), ...others(vocabInContext[k]!)], rest: [...bg.filter((_, i) => !phrasingSetting.has(i)), plain, ...others(vocab)] };
    }));
    // Prototypes carry their own size evidence (their examples' boxes, exemplars.ts).
    const sizeRangeM = querySizeRange(q.text);
    out.push({ ...q, queryVector: qv, competitors, variants, objectCompetitors: others(vocab), ...(sizeRangeM ? { sizeRangeM } : {}) });
  }
  return out;
}

/**
 * Score of one crop vector for a query, in [0, 1]: the softmax probability of the query
 * among itself and its competitors at `logitScale`, or the probe's sigmoid. With
 * unusual-context phrasings, the best of that and, per phrasing, the chance the crop is an
 * object out of that setting (the family's share at `contextLogitScale`) times the chance
 * it is the query's object (the query among the other vocabulary entries at `logitScale`).
 */
export function scoreCrop(q: PreparedQuery, v: Float32Array, logitScale: number, contextLogitScale = logitScale): number {
  if (q.probe) return sigmoid(q.probe.w.reduce((s, w, i) => s + w * v[i]!, q.probe.b));
  let best = softmaxOwn(q.queryVector, q.competitors, v, logitScale);
  if (!q.variants?.length) return best;
  const isObject = softmaxOwn(q.queryVector, q.objectCompetitors ?? [], v, logitScale);
  for (const p of q.variants) best = Math.max(best, isObject * familyShare(p, v, contextLogitScale));
  return best;
}

/** Softmax probability of `own` among itself and `competitors` for crop vector `v`. */
function softmaxOwn(own: Float32Array, competitors: Float32Array[], v: Float32Array, logitScale: number): number {
  const o = logitScale * dot(own, v);
  let z = 1;
  for (const c of competitors) z += Math.exp(logitScale * dot(c, v) - o);
  return 1 / z;
}

/** Softmax mass of a phrasing's family against its rest for crop vector `v`. */
function familyShare(p: QueryPhrasing, v: Float32Array, logitScale: number): number {
  const logits = [...p.family, ...p.rest].map((c) => logitScale * dot(c, v));
  const m = Math.max(...logits);
  let fam = 0, all = 0;
  logits.forEach((l, i) => {
    const e = Math.exp(l - m);
    all += e;
    if (i < p.family.length) fam += e;
  });
  return fam / all;
}

/** The model's logit scale (CLIP temperature); 100 is CLIP's cap and a safe default. */
export function logitScaleOf(enc: ClipEncoder): number {
  return enc.manifest.logit_scale ?? 100;
}

/**
 * Share of the model's logit scale that detection's softmax uses (temperature scaling,
 * Guo et al. 2017). The learned scale is fitted for contrastive retrieval within a batch of
 * 128 captions; over ~20 prompts it saturates, so a crop a little nearer "a ship" than
 * anything else scores ~1 whatever the margin, and the product with objectness ranks badly.
 * Measured for geoscout-mini on proposal dumps of 28 held-out scenes in three sets (41001–
 * 41012, 43001–43004, 45001–45012), AP50 at factor 1 → 0.25 alone: ship 0.75 → 0.79,
 * 0.69 → 0.75, 0.67 → 0.73; with box voting too 0.83 / 0.77 / 0.77, aircraft +0.00 to
 * +0.02, vehicle +0.02 to +0.04. The plateau spans 0.2–0.3; 0.1 and 0.5 are worse. Another
 * model may want another factor.
 */
export const DETECTION_SCALE_FACTOR = 0.25;

/**
 * Share of the model's logit scale for the unusual-context phrasings' family share
 * ({@link QueryPhrasing}). Measured on 41001–41012, 43001–43004 and 45001–45012: at 0.5
 * ship AP50 0.85 / 0.79 / 0.79 and out-of-context aircraft found 7/12, 3/4, 7/12; at 1,
 * 9/12, 3/4, 7/12 but ship 0.83 / 0.78 / 0.79 (the family then claims onshore turbines).
 */
export const CONTEXT_SCALE_FACTOR = 0.5;

/** The logit scales detection scores at (see {@link DETECTION_SCALE_FACTOR}, {@link CONTEXT_SCALE_FACTOR}). */
export function detectionLogitScales(enc: ClipEncoder): { plain: number; context: number } {
  return { plain: logitScaleOf(enc) * DETECTION_SCALE_FACTOR, context: logitScaleOf(enc) * CONTEXT_SCALE_FACTOR };
}

/**
 * Platt scaling of a text query's raw detection score (softmax × objectness) to the chance
 * that the box is a correct detection: sigmoid(a·logit(raw) + b). Fitted on the kept
 * detections (after NMS and box voting) of ship, aircraft and vehicle on tuning scenes
 * 43001–43004 (1,911 boxes, 937 correct at IoU 0.5): a 4.75, b 8.66. Monotone, so ranking
 * and AP are unchanged; it gives thresholds their meaning back (the soft softmax tops out
 * near 0.35 raw). Reliability on those boxes: predicted 0.19 / 0.40 / 0.62 / 0.84 / 0.94,
 * observed 0.22 / 0.34 / 0.58 / 0.77 / 0.96. Pooled over classes: ships are a little
 * over-predicted (mean 0.08 predicted, 0.05 observed), vehicles a little under.
 */
export const TEXT_CALIBRATION = { a: 4.75, b: 8.66 } as const;

/** {@link TEXT_CALIBRATION} applied to a raw score in [0, 1]. */
export function calibrateTextScore(raw: number): number {
  const p = Math.min(1 - 1e-12, Math.max(1e-12, raw));
  return sigmoid(TEXT_CALIBRATION.a * Math.log(p / (1 - p)) + TEXT_CALIBRATION.b);
}

/** The raw score whose calibrated text score is `calibrated` (the inverse of {@link calibrateTextScore}). */
export function rawTextScore(calibrated: number): number {
  const c = Math.min(1 - 1e-12, Math.max(1e-12, calibrated));
  return sigmoid((Math.log(c / (1 - c)) - TEXT_CALIBRATION.b) / TEXT_CALIBRATION.a);
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

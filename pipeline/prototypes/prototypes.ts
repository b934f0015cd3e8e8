import { GeoscoutError } from '../../core/errors.js';
import { PROTOTYPE_DEFAULT_THRESHOLD } from '../detect/detect-region.js';
import { prepareQueries, type DetectQuery } from '../detect/scorer.js';
import { meanOf, normalize } from '../detect/vectors.js';
import type { Proposer } from '../detect/proposer.js';
import type { Store } from '../index/store.js';
import { sqlString } from '../index/store.js';
import { openTilesTable, tilesTableName, vectorValues } from '../index/tiles-table.js';
import type { ClipEncoder } from '../models/encoder.js';
import { resolveExamples, type StoredExample } from './examples.js';
import { MIN_HEAD_EXAMPLES } from '../fewshot/fit-head.js';
import { fitPrototypeHead, located, withCatalogueBackground, withExampleImages } from '../fewshot/prototype-head.js';
import { isWindowHead } from '../fewshot/window-head.js';
import { chooseDetector, type DetectorChoice } from './choose-detector.js';
import { exemplarsOf, fuse } from './prototype-vectors.js';
import { surroundingNegatives } from './hard-negatives.js';
import { fitProbe, looSelfCheck, type Probe } from './probe.js';
import type { ExampleRef, PrototypeSummary, SelfCheck } from './schemas.js';
import { setFeedback } from '../detect/detections-table.js';
import { prototypeRows, prototypesTable, type PrototypeRow } from './tables.js';
import type { ObjectClass } from '../synth/catalog.js';
import { isSyntheticImageId, pickSyntheticExemplars, syntheticClass } from '../synth/exemplars.js';
import { CLASS_HEAD_THRESHOLD, classProposalWeights, headProposalsOf } from '../detect/route-queries.js';

/** Input of {@link addPrototype}. */
export interface AddPrototypeInput {
  name: string;
  description?: string;
  examples?: ExampleRef[];
  negatives?: ExampleRef[];
  /** Extend the current version (default) or require the name to be new. */
  mode?: 'create' | 'extend';
  /** Add this many exemplars of a class the generator draws (synth/exemplars.ts). */
  synthetic?: { class: ObjectClass; count?: number };
}

/** Minimum positives for a linear probe (below it the fused vector alone scores). */
export const PROBE_MIN_POSITIVES = 5;

/**
 * Creates or extends a named prototype and stores a new version. Vectors: the visual
 * vector is the mean of the positive examples' embeddings; the text vector is the
 * description, prompt-ensembled as in detection; fused = normalise(visual + α·text) with
 * α = 2 / (2 + positives): the text leads while there are one or two examples and fades as
 * examples accumulate (a description nobody trained the model on should not outvote five
 * chips). With ≥ 5 positives a logistic probe is fitted against the negatives, the objects
 * the proposer finds around the examples (when a proposer is given; see
 * {@link surroundingNegatives}) and a background sample of the model's stored tiles. In
 * detection a crop's score is also weighted by its nearest example, in look and in metres
 * ({@link prototypeQuery}, detect/exemplars.ts). Confirmed/rejected detections used as
 * examples are marked as such in `detections`.
 */
export async function addPrototype(store: Store, enc: ClipEncoder, input: AddPrototypeInput, roots: string[], signal?: AbortSignal, proposer?: Proposer): Promise<PrototypeSummary> {
  const name = input.name.trim();
  if (!/^[\w][\w .-]{0,63}$/.test(name)) throw new GeoscoutError('INVALID_INPUT', `Prototype name "${input.name}" is not valid: use 1–64 letters, digits, spaces, dots, dashes or underscores.`);
  const current = (await prototypeRows(store, { name, modelVersion: enc.modelVersion }))[0] ?? null;
  if (input.mode === 'create' && current) throw new GeoscoutError('CONFLICT', `Prototype "${name}" exists (version ${current.version}). Extend it (mode "extend") or choose another name.`);
  const newPos = await resolveExamples([...(input.examples ?? []), ...syntheticRefs(input.synthetic, current)], enc, store, roots, signal);
  const newNeg = await resolveExamples(input.negatives ?? [], enc, store, roots, signal);
  const positives = [...(current ? (JSON.parse(current.examples) as StoredExample[]) : []), ...newPos];
  const negatives = [...(current ? (JSON.parse(current.negatives) as StoredExample[]) : []), ...newNeg];
  const description = input.description?.trim() || current?.description || null;
  if (positives.length === 0 && !description) {
    throw new GeoscoutError('INVALID_INPUT', `Prototype "${name}" needs at least one example (a tile id with a box, an image window, a detection id or an image file) or a description.`);
  }
  const text = description ? (await prepareQueries(enc, [{ label: name, text: description }], signal))[0]!.queryVector : null;
  const visual = positives.length ? normalize(meanOf(positives.map((p) => p.vector))) : null;
  const fused = fuse(visual, text, positives.length);
  const background = await backgroundVectors(store, enc, 256);
  const withProbe = positives.length >= PROBE_MIN_POSITIVES;
  // Objects around the examples, only for the probe (derived again at every version, not stored).
  const hard = withProbe && proposer ? await surroundingNegatives(store, enc, proposer, positives, signal) : [];
  const negVectors = [...negatives.map((n) => n.vector), ...hard, ...background];
  const probe: Probe | null = withProbe ? fitProbe(positives.map((p) => p.vector), negVectors) : null;
  // The window head learns the examples' look from pixels, so it holds where the encoder was
  // never trained (real imagery: bench:real); refitted from all examples at every version.
  // A cross-check on held-out examples picks the detector detect_in_region uses (choose-detector.ts).
  const fitted = withProbe && located(positives).length >= MIN_HEAD_EXAMPLES
    ? await withExampleImages(store, [...positives, ...negatives], signal, async (images) => {
      // Synthetic exemplars' scenes are the generator's world: such a head also learns the
      // catalogued imagery's background, and stays linear (fit-head.ts FitOptions).
      const real = positives.filter((p) => !p.image_id || !isSyntheticImageId(p.image_id));
      const bootstrapped = real.length < positives.length;
      const head = bootstrapped
        ? await withCatalogueBackground(store, signal, (background) => fitPrototypeHead(positives, negatives, images, signal, { background }))
        : await fitPrototypeHead(positives, negatives, images, signal);
      if (!head) return null;
      // Held out, synthetic exemplars would judge the detectors on the generator's world: the
      // check uses the user's own examples, and without five of them the head detects (its
      // pixel features are what transfers from synthetic to real imagery; synth/exemplars.ts).
      const choice = !bootstrapped || located(real).length >= MIN_HEAD_EXAMPLES
        ? await chooseDetector(store, enc, proposer, real, negVectors, text, images, signal)
        : syntheticChoice(positives);
      return { head, choice };
    })
    : null;
  const selfCheck = positives.length >= 2 ? looSelfCheck(positives.map((p) => p.vector), negVectors, (pos) => fuse(normalize(meanOf(pos)), text, pos.length), probe ? (pos) => fitProbe(pos, negVectors) : null) : null;
  const version = (current?.version ?? 0) + 1;
  const row: PrototypeRow = {
    id: `${enc.modelVersion}/${name}@v${version}`,
    name,
    version,
    description,
    model_version: enc.modelVersion,
    text_vector: text ? Array.from(text) : null,
    visual_vector: visual ? Array.from(visual) : null,
    fused_vector: Array.from(fused),
    examples: JSON.stringify(positives),
    negatives: JSON.stringify(negatives),
    probe: probe ? JSON.stringify({ ...probe, ...(fitted ? { head: fitted.head, detector: fitted.choice } : {}) }) : null,
    // Detection scores are probe × nearest-example likeness × objectness (exemplars.ts): the
    // call's threshold applies, as for text queries (a fixed 0.5 cut most true turbines).
    threshold: null,
    self_check: selfCheck ? JSON.stringify(selfCheck) : null,
    created_at: new Date().toISOString(),
  };
  // Keyed by model, name and version: when another process added this version first, this
  // call's examples would be lost silently; say so instead.
  const { inserted } = await store.upsert(await prototypesTable(store), 'id', [row as unknown as Record<string, unknown>]);
  if (!inserted) throw new GeoscoutError('CONFLICT', `Prototype "${name}" version ${version} was added by another process at the same time; call add_prototype again to extend that version.`);
  const confirmed = newPos.flatMap((p) => (p.detection_id ? [p.detection_id] : []));
  const rejected = newNeg.flatMap((p) => (p.detection_id ? [p.detection_id] : []));
  await setFeedback(store, confirmed, 'confirmed', name);
  await setFeedback(store, rejected, 'rejected', name);
  return { ...summarize(row), ...(probe ? { probe_negatives: { given: negatives.length, surrounding: hard.length, background: background.length } } : {}) };
}

/** Current versions of every prototype for a model version (or all models). */
export async function listPrototypes(store: Store, modelVersion?: string): Promise<PrototypeSummary[]> {
  const rows = await prototypeRows(store, modelVersion ? { modelVersion } : {});
  const seen = new Set<string>();
  return rows.filter((r) => (seen.has(`${r.name}|${r.model_version}`) ? false : (seen.add(`${r.name}|${r.model_version}`), true))).map(summarize);
}

/**
 * The current version of a prototype for the encoder's model version, as a detection/search
 * query. `withExemplars` (detection) adds the examples' vectors and sizes in metres, which
 * costs a catalogue look-up per example image; search uses the fused vector only.
 */
export async function prototypeQuery(store: Store, name: string, modelVersion: string, opts: { withExemplars?: boolean } = {}): Promise<DetectQuery & { vector: Float32Array }> {
  const row = (await prototypeRows(store, { name, modelVersion }))[0];
  if (!row) {
    const other = (await prototypeRows(store, { name }))[0];
    const hint = other ? ` It exists for ${other.model_version}; re-create it with this model (examples are re-embedded).` : ' list_prototypes shows the defined ones; add_prototype defines a new one.';
    throw new GeoscoutError('NOT_FOUND', `Unknown prototype "${name}" for model ${modelVersion}.${hint}`);
  }
  const stored = row.probe ? (JSON.parse(row.probe) as Probe & { head?: unknown; detector?: DetectorChoice }) : undefined;
  const probe = stored ? { w: stored.w, b: stored.b } : undefined;
  const head = stored && isWindowHead(stored.head) && stored.detector?.detector === 'window-head' ? stored.head : undefined;
  const proposalWeights = stored?.detector?.detector === 'encoder' ? stored.detector.proposals : undefined;
  const headProposals = head && stored?.detector?.head_proposals ? headProposalsOf(stored.detector.head_proposals) : undefined;
  const defaultThreshold = stored?.detector?.threshold;
  const exemplars = opts.withExemplars ? await exemplarsOf(store, JSON.parse(row.examples) as StoredExample[]) : null;
  return {
    label: `prototype:${row.name}`,
    vector: Float32Array.from(row.fused_vector),
    ...(probe ? { probe } : {}),
    ...(head ? { head } : {}),
    ...(headProposals ? { headProposals } : {}),
    ...(proposalWeights ? { proposalWeights } : {}),
    ...(defaultThreshold !== undefined ? { defaultThreshold } : {}),
    ...(exemplars ? { exemplars } : {}),
    ...(row.threshold != null ? { threshold: row.threshold } : {}),
  };
}

/**
 * The threshold detect_in_region applies to a prototype when the call gives none, in the
 * order detect-region.ts applies them: its fixed one (unless a window head detects), else its
 * check's, else its window head's own when used, else the tool default.
 */
export function prototypeDefaultThreshold(p: PrototypeSummary): number {
  const h = p.window_head;
  return (h?.used ? null : p.threshold) ?? h?.check?.threshold ?? (h?.used ? h.threshold : null) ?? PROTOTYPE_DEFAULT_THRESHOLD;
}

function summarize(r: PrototypeRow): PrototypeSummary {
  return {
    name: r.name,
    version: r.version,
    description: r.description,
    model_version: r.model_version,
    positives: (JSON.parse(r.examples) as unknown[]).length,
    negatives: (JSON.parse(r.negatives) as unknown[]).length,
    has_probe: r.probe != null,
    window_head: headSummary(r.probe),
    threshold: r.threshold,
    self_check: r.self_check ? (JSON.parse(r.self_check) as SelfCheck) : null,
    created_at: r.created_at,
  };
}

function headSummary(probe: string | null): PrototypeSummary['window_head'] {
  const { head, detector } = probe ? (JSON.parse(probe) as { head?: unknown; detector?: DetectorChoice }) : {};
  if (!isWindowHead(head)) return null;
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return {
    examples: head.fitted.examples, lengths_m: head.lengthsM.map(r2), train_auc: head.fitted.train_auc, seconds: head.fitted.seconds, threshold: head.threshold,
    used: detector?.detector === 'window-head', check: detector ? { window_head_mrr: r2(detector.mrr.window_head), encoder_mrr: r2(detector.mrr.encoder), window_head_found: r2(detector.found.window_head), encoder_found: r2(detector.found.encoder), n: detector.n, proposals: detector.proposals ?? null, threshold: detector.threshold ?? null, head_proposals: detector.head_proposals ?? null } : null,
  };
}


/**
 * A background sample: stored tile vectors of this model version, spread over the table.
 * Most tiles hold none of a rare target, so they stand in for "anything else".
 */
async function backgroundVectors(store: Store, enc: ClipEncoder, n: number): Promise<number[][]> {
  const name = tilesTableName(enc.manifest.id);
  if (!(await store.tableNames()).includes(name)) return [];
  const { table: t } = await openTilesTable(store, enc.manifest);
  const rows = await t.query().where(`model_version = ${sqlString(enc.modelVersion)}`).select(['vector']).limit(n * 8).toArray();
  const step = Math.max(1, Math.floor(rows.length / n));
  const out: number[][] = [];
  for (let i = 0; i < rows.length && out.length < n; i += step) out.push(Array.from(vectorValues(rows[i]!.vector)!));
  return out;
}

/**
 * The detector choice of a prototype whose examples are (almost) all synthetic: the window
 * head, unchecked, scoring the objectness proposals as a shipped class head does
 * (detect/route-queries.ts: its weights and threshold).
 */
function syntheticChoice(positives: StoredExample[]): DetectorChoice {
  const cls = positives.map((p) => (p.image_id ? syntheticClass(p.image_id) : null)).find(Boolean);
  return {
    detector: 'window-head', mrr: { window_head: 0, encoder: 0 }, found: { window_head: 0, encoder: 0 }, n: 0,
    head_proposals: cls ? classProposalWeights(cls) : 'default', threshold: CLASS_HEAD_THRESHOLD,
  };
}

/** Example refs for the synthetic exemplars asked for, minus those the current version already holds. */
function syntheticRefs(synthetic: AddPrototypeInput['synthetic'], current: PrototypeRow | null): ExampleRef[] {
  if (!synthetic) return [];
  const key = (e: { image_id?: string; box?: { x: number; y: number } }) => (e.box ? `${e.image_id}|${e.box.x},${e.box.y}` : '');
  const have = new Set((current ? (JSON.parse(current.examples) as StoredExample[]) : []).map(key));
  return pickSyntheticExemplars(synthetic.class, synthetic.count)
    .filter((e) => !have.has(key(e)))
    .map((e) => ({ image_id: e.image_id, ...e.box }));
}

import { classHead, classOfQuery } from '../fewshot/class-heads.js';
import type { ObjectClass } from '../synth/catalog.js';
import type { Store } from '../index/store.js';
import type { ClipEncoder } from '../models/encoder.js';
import { encoderKnows } from './encoder-domain.js';
import { isPrototypeQuery, type PreparedQuery } from './scorer.js';

/**
 * Default threshold of a class head's detections (head score × objectness, head-proposals.ts):
 * the best F1 for the vehicle head on 12 KIT images bench:real does not evaluate (recall 0.79,
 * precision 0.76 at 0.3; 0.74 / 0.79 at 0.4; scratch/head-obj.ts with SPLIT=training).
 */
export const CLASS_HEAD_THRESHOLD = 0.3;

/**
 * Objectness weights a class head's proposals come from, where measured better than each
 * pass's own: the real-trained weights on every pass box cars better (KIT, AP50 0.78 against
 * 0.73 on the training images, 0.81 against 0.71 on bench:real's). Other classes are
 * unmeasured on real imagery and keep each pass's own.
 */
const CLASS_PROPOSAL_WEIGHTS: Partial<Record<ObjectClass, string>> = { vehicle: 'model-real.onnx' };

/** The proposal weights a head of this class scores proposals from ("default": each pass's own). */
export function classProposalWeights(cls: ObjectClass): string {
  return CLASS_PROPOSAL_WEIGHTS[cls] ?? 'default';
}

/** A text query a class head answered on one image, for the call's report. */
export interface ClassHeadUse {
  query: string;
  class: string;
  image_id: string;
  /** The encoder-domain statistic of the image (encoder-domain.ts). */
  domain_score: number;
}

/**
 * Who answers each query on one image. Text queries naming a class with a shipped class
 * head (fewshot/class-heads.ts) go to that head when the encoder does not know the image
 * (encoder-domain.ts), which scores the objectness proposals (head-proposals.ts); every other
 * query stays as it was. The threshold is the call's, else {@link CLASS_HEAD_THRESHOLD}.
 */
export async function routeQueries(store: Store, enc: ClipEncoder, imageId: string, scored: PreparedQuery[], headed: PreparedQuery[], threshold: number | undefined): Promise<{ scored: PreparedQuery[]; headed: PreparedQuery[]; uses: ClassHeadUse[] }> {
  const candidates = scored.map((q) => {
    const cls = !isPrototypeQuery(q) && q.text ? classOfQuery(q.text) : null;
    const shipped = cls ? classHead(cls) : null;
    return shipped ? { cls: cls!, head: shipped.head } : null;
  });
  if (!candidates.some(Boolean)) return { scored, headed, uses: [] };
  const verdict = await encoderKnows(store, enc, imageId);
  if (verdict.known) return { scored, headed, uses: [] };
  const out = { scored: [] as PreparedQuery[], headed: [...headed], uses: [] as ClassHeadUse[] };
  scored.forEach((q, i) => {
    const c = candidates[i];
    if (!c) return void out.scored.push(q);
    out.headed.push({ ...q, head: c.head, headProposals: headProposalsOf(classProposalWeights(c.cls)), threshold: threshold ?? CLASS_HEAD_THRESHOLD });
    out.uses.push({ query: q.label, class: c.cls, image_id: imageId, domain_score: Math.round(verdict.score! * 1000) / 1000 });
  });
  return out;
}

/** A query's {@link PreparedQuery.headProposals} for stored weights ("default": each pass's own). */
export function headProposalsOf(weights: string): { weights?: string } {
  return weights === 'default' ? {} : { weights };
}

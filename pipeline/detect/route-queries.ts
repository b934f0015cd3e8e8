import { classHead, classOfQuery } from '../fewshot/class-heads.js';
import type { Store } from '../index/store.js';
import type { ClipEncoder } from '../models/encoder.js';
import { encoderKnows } from './encoder-domain.js';
import { isPrototypeQuery, type PreparedQuery } from './scorer.js';

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
 * (encoder-domain.ts); every other query stays as it was. A class head's threshold is the
 * call's, else its own.
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
    out.headed.push({ ...q, head: c.head, threshold: threshold ?? c.head.threshold });
    out.uses.push({ query: q.label, class: c.cls, image_id: imageId, domain_score: Math.round(verdict.score! * 1000) / 1000 });
  });
  return out;
}

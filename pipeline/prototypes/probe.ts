import { dot } from '../detect/vectors.js';

/** A linear probe over embeddings: score = sigmoid(w·x + b). */
export interface Probe {
  w: number[];
  b: number;
}

import type { SelfCheck } from './schemas.js';

/**
 * Class-balanced, L2-regularised logistic regression by full-batch gradient descent.
 * Written here rather than pulled in: a few dozen 128–512-d vectors, a closed problem,
 * and no maintained JS package fits it without a heavy runtime.
 */
export function fitProbe(pos: ArrayLike<number>[], neg: ArrayLike<number>[], opts: { iters?: number; lr?: number; l2?: number } = {}): Probe {
  const d = pos[0]!.length;
  const w = new Float64Array(d);
  let b = 0;
  const iters = opts.iters ?? 300, lr = opts.lr ?? 2, l2 = opts.l2 ?? 1e-3;
  const wp = 0.5 / pos.length, wn = neg.length ? 0.5 / neg.length : 0;
  for (let it = 0; it < iters; it++) {
    const gw = new Float64Array(d);
    let gb = 0;
    const step = (x: ArrayLike<number>, y: number, weight: number) => {
      let z = b;
      for (let i = 0; i < d; i++) z += w[i]! * x[i]!;
      const g = (1 / (1 + Math.exp(-z)) - y) * weight;
      for (let i = 0; i < d; i++) gw[i]! += g * x[i]!;
      gb += g;
    };
    for (const x of pos) step(x, 1, wp);
    for (const x of neg) step(x, 0, wn);
    for (let i = 0; i < d; i++) w[i]! -= lr * (gw[i]! + l2 * w[i]!);
    b -= lr * gb;
  }
  return { w: Array.from(w), b };
}

/** Applies a probe. */
export function probeScore(p: Probe, x: ArrayLike<number>): number {
  let z = p.b;
  for (let i = 0; i < p.w.length; i++) z += p.w[i]! * x[i]!;
  return 1 / (1 + Math.exp(-z));
}

/**
 * Leave-one-out: rebuild the prototype (and probe) without each positive in turn and
 * score it against the negatives. Tells the analyst whether the examples agree with each
 * other before the prototype is used on the archive.
 */
export function looSelfCheck(
  pos: ArrayLike<number>[],
  neg: ArrayLike<number>[],
  build: (pos: ArrayLike<number>[]) => Float32Array,
  buildProbe: ((pos: ArrayLike<number>[]) => Probe) | null,
): SelfCheck | null {
  if (pos.length < 2 || neg.length === 0) return null;
  let auc = 0, top1 = 0, pauc = 0;
  for (let k = 0; k < pos.length; k++) {
    const rest = pos.filter((_, i) => i !== k);
    const v = build(rest);
    const s = dot(v, pos[k]!);
    const negs = neg.map((n) => dot(v, n));
    auc += negs.filter((x) => x < s).length / negs.length;
    if (negs.every((x) => x < s)) top1++;
    if (buildProbe) {
      const p = buildProbe(rest);
      const ps = probeScore(p, pos[k]!);
      pauc += neg.filter((n) => probeScore(p, n) < ps).length / neg.length;
    }
  }
  const n = pos.length;
  return { n, auc: auc / n, top1: top1 / n, probe_auc: buildProbe ? pauc / n : null };
}

import { CHANNELS } from './channels.js';

/**
 * Canonical long side of an object in the head's frame, pixels. 32 rather than 20: bench:real
 * cars (20-shot AP50 0.38 → 0.41 linear) and the synthetic wind turbines, whose thin blades
 * a 20-pixel frame blurs away (5-shot AP50 0.25 → 0.67 on 4 scenes), both gain; the scan costs ~2.5× more.
 */
export const TARGET_PX = 32;
/** Window side in cells (8 × 4 px = 32 px: the object's long side, with context across it). */
export const WINDOW_CELLS = 8;

/**
 * A few-shot window head: a linear classifier over aggregated channel features of a window
 * around an object resampled to {@link TARGET_PX}, plus a ridge regression of the box size,
 * fitted on a prototype's located examples (fit-head.ts) and applied densely (scan-head.ts).
 * Stored as JSON inside the prototype's `probe` column, so older stores need no migration.
 */
export interface WindowHead {
  kind: 'acf-window';
  version: 1;
  /** Object long sides, metres (pixels when the examples' GSD is unknown), one scan level each. */
  lengthsM: number[];
  /** Classifier on raw window features (standardisation folded in): logit = w·x + b. */
  w: number[];
  b: number;
  /** Box size: log(width), log(height) in canonical pixels = regW[k]·x + regB[k]. */
  regW: [number[], number[]];
  regB: [number, number];
  /** Second stage: rescores the linear head's peaks (absent: the linear score stands). */
  mlp?: Mlp;
  /** Default score threshold (probability) for detect_in_region. */
  threshold: number;
  /** What it was fitted on. */
  fitted: { positives: number; negatives: number; hard_negatives: number; examples: number; seconds: number; train_auc: number };
}

/** Whether a stored probe JSON is a window head. */
export function isWindowHead(v: unknown): v is WindowHead {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'acf-window';
}

/** Feature dimension of a window. */
export const FEATURE_DIM = CHANNELS * WINDOW_CELLS * WINDOW_CELLS;

/** Per-dimension mean and standard deviation. */
export function standardiser(xs: Float32Array[]): { mean: Float64Array; std: Float64Array } {
  const d = xs[0]!.length;
  const mean = new Float64Array(d), std = new Float64Array(d);
  for (const x of xs) for (let i = 0; i < d; i++) mean[i]! += x[i]! / xs.length;
  for (const x of xs) for (let i = 0; i < d; i++) std[i]! += (x[i]! - mean[i]!) ** 2 / xs.length;
  for (let i = 0; i < d; i++) std[i] = Math.sqrt(std[i]!) + 1e-6;
  return { mean, std };
}

/**
 * Class-balanced L2-regularised logistic regression on standardised features (Adam, full
 * batch); returns weights on raw features with the standardisation folded in.
 * Written here for the same reason as probe.ts: a small closed problem, no JS package fits.
 */
export function fitLogistic(pos: Float32Array[], neg: Float32Array[], opts: { l2?: number; iters?: number } = {}): { w: Float32Array; b: number } {
  const all = [...pos, ...neg];
  const { mean, std } = standardiser(all);
  const d = mean.length;
  const z = all.map((x) => Float32Array.from(x, (v, i) => (v - mean[i]!) / std[i]!));
  const y = all.map((_, i) => (i < pos.length ? 1 : 0));
  const wt = all.map((_, i) => (i < pos.length ? 0.5 / pos.length : 0.5 / neg.length));
  const w = new Float64Array(d), m = new Float64Array(d + 1), v = new Float64Array(d + 1);
  let b = 0;
  const l2 = opts.l2 ?? 0.01, lr = 0.05, b1 = 0.9, b2 = 0.999;
  const g = new Float64Array(d + 1);
  for (let it = 1; it <= (opts.iters ?? 250); it++) {
    g.fill(0);
    for (let k = 0; k < z.length; k++) {
      const x = z[k]!;
      let s = b;
      for (let i = 0; i < d; i++) s += w[i]! * x[i]!;
      const e = (1 / (1 + Math.exp(-s)) - y[k]!) * wt[k]!;
      for (let i = 0; i < d; i++) g[i]! += e * x[i]!;
      g[d]! += e;
    }
    for (let i = 0; i <= d; i++) {
      const gi = g[i]! + (i < d ? l2 * w[i]! : 0);
      m[i] = b1 * m[i]! + (1 - b1) * gi;
      v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
      const step = (lr * (m[i]! / (1 - b1 ** it))) / (Math.sqrt(v[i]! / (1 - b2 ** it)) + 1e-8);
      if (i < d) w[i]! -= step;
      else b -= step;
    }
  }
  const raw = new Float32Array(d);
  let rb = b;
  for (let i = 0; i < d; i++) {
    raw[i] = w[i]! / std[i]!;
    rb -= (w[i]! * mean[i]!) / std[i]!;
  }
  return { w: raw, b: rb };
}

/** Ridge regression of one target on standardised features, folded to raw features. */
export function fitRidge(xs: Float32Array[], ys: number[], lambda: number): { w: Float32Array; b: number } {
  const { mean, std } = standardiser(xs);
  const d = mean.length, n = xs.length;
  const ym = ys.reduce((a, c) => a + c, 0) / n;
  // Normal equations (ZᵀZ + λI) β = Zᵀ(y − ȳ), solved by Cholesky.
  const A = new Float64Array(d * d), r = new Float64Array(d);
  const zrow = new Float64Array(d);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < d; i++) zrow[i] = (xs[k]![i]! - mean[i]!) / std[i]!;
    const yk = ys[k]! - ym;
    for (let i = 0; i < d; i++) {
      const zi = zrow[i]!;
      if (zi === 0) continue;
      r[i]! += zi * yk;
      for (let j = 0; j <= i; j++) A[i * d + j]! += zi * zrow[j]!;
    }
  }
  for (let i = 0; i < d; i++) A[i * d + i]! += lambda;
  const beta = choleskySolve(A, r, d);
  const w = new Float32Array(d);
  let b = ym;
  for (let i = 0; i < d; i++) {
    w[i] = beta[i]! / std[i]!;
    b -= (beta[i]! * mean[i]!) / std[i]!;
  }
  return { w, b };
}

/** Solves A x = r for symmetric positive-definite A (lower triangle filled). */
function choleskySolve(A: Float64Array, r: Float64Array, d: number): Float64Array {
  const L = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * d + j]!;
      for (let k = 0; k < j; k++) s -= L[i * d + k]! * L[j * d + k]!;
      L[i * d + j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / L[j * d + j]!;
    }
  }
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = r[i]!;
    for (let k = 0; k < i; k++) s -= L[i * d + k]! * y[k]!;
    y[i] = s / L[i * d + i]!;
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < d; k++) s -= L[k * d + i]! * x[k]!;
    x[i] = s / L[i * d + i]!;
  }
  return x;
}

/** w·x + b. */
export function linear(w: ArrayLike<number>, b: number, x: ArrayLike<number>): number {
  let s = b;
  for (let i = 0; i < x.length; i++) s += w[i]! * x[i]!;
  return s;
}

export const sigmoid = (s: number) => 1 / (1 + Math.exp(-s));

/** ROC AUC of positive scores against negative scores. */
export function rocAuc(pos: number[], neg: number[]): number {
  if (!pos.length || !neg.length) return NaN;
  const sorted = [...neg].sort((a, b) => a - b);
  let acc = 0;
  for (const p of pos) {
    let lo = 0, hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! < p) lo = mid + 1;
      else hi = mid;
    }
    acc += lo;
  }
  return acc / (pos.length * neg.length);
}

/** A one-hidden-layer perceptron on standardised features: logit = v·relu(W(x−μ)/σ + c) + d. */
export interface Mlp {
  mean: number[];
  std: number[];
  /** hidden × dim, row-major. */
  W: number[];
  c: number[];
  v: number[];
  d: number;
}

/**
 * Fits an {@link Mlp} (class-balanced logistic loss, Adam, mini-batches, weight decay):
 * the second stage that rescores the linear head's peaks. A linear head over channel
 * features cannot tell a car from a car-sized patch of roof texture; one hidden layer can.
 */
export function fitMlp(pos: Float32Array[], neg: Float32Array[], opts: { hidden?: number; epochs?: number; l2?: number; seed?: number } = {}): Mlp {
  const all = [...pos, ...neg];
  const { mean, std } = standardiser(all);
  const D = mean.length, Hn = opts.hidden ?? 32, l2 = opts.l2 ?? 1e-3;
  let seed = opts.seed ?? 7;
  const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 4294967296);
  const z = all.map((x) => Float32Array.from(x, (v, i) => (v - mean[i]!) / std[i]!));
  const y = all.map((_, i) => (i < pos.length ? 1 : 0));
  const wt = all.map((_, i) => (i < pos.length ? all.length / (2 * pos.length) : all.length / (2 * neg.length)));
  const P = Hn * D + Hn + Hn + 1;
  const theta = new Float64Array(P);
  for (let i = 0; i < Hn * D; i++) theta[i] = (rnd() * 2 - 1) * Math.sqrt(6 / (D + Hn));
  for (let i = 0; i < Hn; i++) theta[Hn * D + Hn + i] = (rnd() * 2 - 1) * Math.sqrt(6 / (Hn + 1));
  const m = new Float64Array(P), v2 = new Float64Array(P), g = new Float64Array(P);
  const h = new Float64Array(Hn);
  const order = all.map((_, i) => i);
  const batch = 64, lr = 3e-3;
  let t = 0;
  for (let ep = 0; ep < (opts.epochs ?? 30); ep++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (let s = 0; s < order.length; s += batch) {
      g.fill(0);
      const idx = order.slice(s, s + batch);
      for (const k of idx) {
        const x = z[k]!;
        for (let a = 0; a < Hn; a++) {
          let acc = theta[Hn * D + a]!;
          const row = a * D;
          for (let i = 0; i < D; i++) acc += theta[row + i]! * x[i]!;
          h[a] = acc > 0 ? acc : 0;
        }
        let o = theta[P - 1]!;
        for (let a = 0; a < Hn; a++) o += theta[Hn * D + Hn + a]! * h[a]!;
        const e = ((1 / (1 + Math.exp(-o))) - y[k]!) * wt[k]! / idx.length;
        g[P - 1]! += e;
        for (let a = 0; a < Hn; a++) {
          g[Hn * D + Hn + a]! += e * h[a]!;
          if (h[a]! <= 0) continue;
          const ga = e * theta[Hn * D + Hn + a]!;
          g[Hn * D + a]! += ga;
          const row = a * D;
          for (let i = 0; i < D; i++) g[row + i]! += ga * x[i]!;
        }
      }
      t++;
      for (let i = 0; i < P; i++) {
        const gi = g[i]! + (i < Hn * D ? l2 * theta[i]! : 0);
        m[i] = 0.9 * m[i]! + 0.1 * gi;
        v2[i] = 0.999 * v2[i]! + 0.001 * gi * gi;
        theta[i]! -= (lr * (m[i]! / (1 - 0.9 ** t))) / (Math.sqrt(v2[i]! / (1 - 0.999 ** t)) + 1e-8);
      }
    }
  }
  const r4 = (x: number) => Math.round(x * 1e5) / 1e5;
  return {
    mean: Array.from(mean, r4), std: Array.from(std, r4),
    W: Array.from(theta.subarray(0, Hn * D), r4), c: Array.from(theta.subarray(Hn * D, Hn * D + Hn), r4),
    v: Array.from(theta.subarray(Hn * D + Hn, Hn * D + 2 * Hn), r4), d: theta[P - 1]!,
  };
}

/** The MLP's logit for raw window features. */
export function mlpLogit(net: Mlp, x: ArrayLike<number>): number {
  const D = net.mean.length, Hn = net.c.length;
  const zx = new Float64Array(D);
  for (let i = 0; i < D; i++) zx[i] = (x[i]! - net.mean[i]!) / net.std[i]!;
  let o = net.d;
  for (let a = 0; a < Hn; a++) {
    let acc = net.c[a]!;
    const row = a * D;
    for (let i = 0; i < D; i++) acc += net.W[row + i]! * zx[i]!;
    if (acc > 0) o += net.v[a]! * acc;
  }
  return o;
}

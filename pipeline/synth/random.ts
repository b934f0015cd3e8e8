/**
 * Seeded randomness for the synthetic generator. Two kinds: a stream generator for
 * planning (order-dependent, so each planning stage gets its own stream from a label),
 * and stateless hashes for rendering (a pure function of position, so any tile of any
 * level can be rendered alone and give the same bytes).
 */

/** 32-bit integer hash of a string, used to derive per-stage seeds from labels. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Mixes integers into one well-distributed 32-bit unsigned hash. */
export function hashInts(a: number, b: number, c = 0): number {
  let h = Math.imul(a | 0, 0x27d4eb2d) ^ Math.imul(b | 0, 0x165667b1) ^ Math.imul(c | 0, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Stateless uniform value in [0, 1) for integer coordinates and a seed. */
export function hash01(x: number, y: number, seed: number): number {
  return hashInts(x, y, seed) / 4294967296;
}

/** A small, fast, seeded stream generator (mulberry32) with planning helpers. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A new generator for a named stage, independent of how much this one was used. */
  static forStage(seed: number, label: string): Rng {
    return new Rng(hashInts(seed, hashString(label), 0x5eed));
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** One key chosen with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    const total = entries.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [k, w] of entries) {
      r -= w;
      if (r < 0) return k;
    }
    return entries[entries.length - 1]![0];
  }

  /** A 32-bit seed for a child generator or a render-time hash. */
  seed(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }
}

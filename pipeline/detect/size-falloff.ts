/**
 * Weight of a size `x` against a range of sizes: 1 inside [lo, hi], then a Gaussian in log
 * size with this σ (sizes are compared by ratio: 2× too big counts like 2× too small).
 * Shared by the class size prior of text queries (vocabulary.ts) and the size term of a
 * prototype's examples (exemplars.ts).
 */
export function logRangeFalloff(x: number, lo: number, hi: number, sigma: number): number {
  const excess = Math.max(0, Math.log(lo / x), Math.log(x / hi));
  return Math.exp(-(excess * excess) / (2 * sigma * sigma));
}

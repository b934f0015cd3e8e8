/**
 * Retrieval metrics over a ranked list of relevance flags (true = relevant), the form
 * every geoscout benchmark reduces to. `totalRelevant` is the number of relevant items
 * in the whole collection (for recall and AP); omitted, only the ranked list counts.
 */

/** Fraction of the top k that is relevant. */
export function precisionAtK(ranked: boolean[], k: number): number {
  const top = ranked.slice(0, k);
  return top.length === 0 ? 0 : top.filter(Boolean).length / k;
}

/** Fraction of all relevant items found in the top k. */
export function recallAtK(ranked: boolean[], k: number, totalRelevant: number): number {
  if (totalRelevant <= 0) return 0;
  return ranked.slice(0, k).filter(Boolean).length / totalRelevant;
}

/** 1 when at least one of the top k is relevant (often reported as "R@k" for class queries). */
export function successAtK(ranked: boolean[], k: number): number {
  return ranked.slice(0, k).some(Boolean) ? 1 : 0;
}

/** Average precision: mean of precision at each relevant rank, over all relevant items. */
export function averagePrecision(ranked: boolean[], totalRelevant = ranked.filter(Boolean).length): number {
  if (totalRelevant <= 0) return 0;
  let hits = 0;
  let sum = 0;
  ranked.forEach((rel, i) => {
    if (rel) {
      hits++;
      sum += hits / (i + 1);
    }
  });
  return sum / totalRelevant;
}

/** nDCG@k with graded gains (use 1/0 for binary relevance). */
export function ndcgAtK(gains: number[], k: number, idealGains = [...gains].sort((a, b) => b - a)): number {
  const dcg = (g: number[]) => g.slice(0, k).reduce((s, v, i) => s + (2 ** v - 1) / Math.log2(i + 2), 0);
  const ideal = dcg(idealGains);
  return ideal === 0 ? 0 : dcg(gains) / ideal;
}

/** Mean of a list (0 for an empty one). */
export function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

/** mAP: mean of {@link averagePrecision} over queries (each with its own relevant count). */
export function meanAveragePrecision(queries: { ranked: boolean[]; totalRelevant?: number }[]): number {
  return mean(queries.map((q) => averagePrecision(q.ranked, q.totalRelevant ?? q.ranked.filter(Boolean).length)));
}

/** Precision and recall after each rank (the points of a precision–recall curve). */
export function precisionRecallCurve(ranked: boolean[], totalRelevant = ranked.filter(Boolean).length): { precision: number[]; recall: number[] } {
  let hits = 0;
  const precision: number[] = [], recall: number[] = [];
  ranked.forEach((rel, i) => {
    if (rel) hits++;
    precision.push(hits / (i + 1));
    recall.push(totalRelevant > 0 ? hits / totalRelevant : 0);
  });
  return { precision, recall };
}

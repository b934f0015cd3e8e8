/**
 * Detection metrics in the COCO style: greedy score-ordered matching per image and
 * class, 101-point interpolated average precision, AP over IoU .50:.05:.95, AP for
 * small objects (area < 32² px), and recall at a fixed number of false positives per
 * km² (the figure analysts ask for: "how many false alarms per km² for this recall?").
 */
import { iou, type XYWH } from './boxes.js';

/** A predicted box (pixels) with a confidence; `image` and `label` group matching. */
export interface Detection {
  bbox: XYWH;
  score: number;
  image?: string;
  label?: string;
}

/** A ground-truth box (pixels); `area` defaults to w × h. */
export interface GroundTruthBox {
  bbox: XYWH;
  image?: string;
  label?: string;
  area?: number;
}

/** Options of {@link matchDetections} / {@link averagePrecision101}. */
export interface MatchOptions {
  iouThreshold?: number;
  /** Only GTs with area in [min, max) count; others (and detections on them) are ignored, as in COCO. */
  areaRange?: [number, number];
  /** Highest-scoring detections kept per image (COCO: 100). */
  maxDetsPerImage?: number;
  /** Match across labels (class-agnostic) instead of within a label. */
  classAgnostic?: boolean;
}

/** Per-detection outcome after matching, in descending score order. */
export interface MatchResult {
  /** Detections kept (not ignored), sorted by score, with tp flags. */
  scored: { score: number; tp: boolean; det: Detection }[];
  /** Number of non-ignored ground-truth boxes. */
  numGt: number;
}

/** COCO's "small" area range: below 32 × 32 pixels. */
export const SMALL_AREA: [number, number] = [0, 32 * 32];

const areaOf = (g: GroundTruthBox) => g.area ?? g.bbox[2] * g.bbox[3];
const keyOf = (image: string | undefined, label: string | undefined, agnostic: boolean) => `${image ?? ''}\u0000${agnostic ? '' : (label ?? '')}`;

/**
 * Greedy COCO matching: detections in descending score order take the unmatched,
 * non-ignored GT of the same image (and label) with the highest IoU ≥ threshold;
 * a detection that only overlaps an ignored GT, or is itself outside the area range
 * and unmatched, is dropped from the scoring.
 */
export function matchDetections(dets: Detection[], gts: GroundTruthBox[], opts: MatchOptions = {}): MatchResult {
  const thr = opts.iouThreshold ?? 0.5;
  const [amin, amax] = opts.areaRange ?? [0, Infinity];
  const agnostic = opts.classAgnostic ?? false;
  const inRange = (a: number) => a >= amin && a < amax;
  const byKey = new Map<string, { g: GroundTruthBox; ignore: boolean; used: boolean }[]>();
  let numGt = 0;
  for (const g of gts) {
    const ignore = !inRange(areaOf(g));
    if (!ignore) numGt++;
    const k = keyOf(g.image, g.label, agnostic);
    (byKey.get(k) ?? byKey.set(k, []).get(k)!).push({ g, ignore, used: false });
  }
  const perImage = new Map<string, Detection[]>();
  for (const d of dets) (perImage.get(d.image ?? '') ?? perImage.set(d.image ?? '', []).get(d.image ?? '')!).push(d);
  const kept = [...perImage.values()].flatMap((ds) => [...ds].sort((a, b) => b.score - a.score).slice(0, opts.maxDetsPerImage ?? 100));
  kept.sort((a, b) => b.score - a.score);
  const scored: MatchResult['scored'] = [];
  for (const d of kept) {
    const cands = byKey.get(keyOf(d.image, d.label, agnostic)) ?? [];
    let best = -1, bestIou = thr;
    // Non-ignored GTs first: a detection only counts as "ignored" when nothing real matches.
    for (const pass of [false, true]) {
      for (let i = 0; i < cands.length; i++) {
        const c = cands[i]!;
        if (c.used || c.ignore !== pass) continue;
        const v = iou(d.bbox, c.g.bbox);
        if (v >= bestIou) { bestIou = v; best = i; }
      }
      if (best >= 0) break;
    }
    if (best >= 0) {
      const c = cands[best]!;
      c.used = true;
      if (!c.ignore) scored.push({ score: d.score, tp: true, det: d });
    } else if (inRange(d.bbox[2] * d.bbox[3])) {
      scored.push({ score: d.score, tp: false, det: d });
    }
  }
  return { scored, numGt };
}

/** Precision and recall after each detection of a matched, score-ordered list. */
export function precisionRecall(m: MatchResult): { precision: number[]; recall: number[]; scores: number[] } {
  let tp = 0, fp = 0;
  const precision: number[] = [], recall: number[] = [], scores: number[] = [];
  for (const s of m.scored) {
    if (s.tp) tp++; else fp++;
    precision.push(tp / (tp + fp));
    recall.push(m.numGt ? tp / m.numGt : 0);
    scores.push(s.score);
  }
  return { precision, recall, scores };
}

/**
 * COCO 101-point interpolated AP: precision made monotone from the right, sampled at
 * recall 0, 0.01, …, 1 (the first point reaching each recall; 0 past the last).
 * NaN when there is no ground truth (AP is undefined; COCO reports −1 and skips it).
 */
export function interpolatedAp101(precision: number[], recall: number[], numGt: number): number {
  if (numGt === 0) return NaN;
  const p = [...precision];
  for (let i = p.length - 2; i >= 0; i--) p[i] = Math.max(p[i]!, p[i + 1]!);
  let sum = 0, j = 0;
  for (let k = 0; k <= 100; k++) {
    const r = k / 100;
    while (j < recall.length && recall[j]! < r - 1e-12) j++;
    sum += j < p.length ? p[j]! : 0;
  }
  return sum / 101;
}

/** AP at one IoU threshold (default 0.5 = AP50). */
export function averagePrecision101(dets: Detection[], gts: GroundTruthBox[], opts: MatchOptions = {}): number {
  const m = matchDetections(dets, gts, opts);
  const { precision, recall } = precisionRecall(m);
  return interpolatedAp101(precision, recall, m.numGt);
}

/** COCO-style summary: AP (mean over IoU .50:.05:.95), AP50, AP75, AP_small. */
export function cocoSummary(dets: Detection[], gts: GroundTruthBox[], opts: Omit<MatchOptions, 'iouThreshold'> = {}): { ap: number; ap50: number; ap75: number; apSmall: number } {
  const thresholds = Array.from({ length: 10 }, (_, i) => 0.5 + 0.05 * i);
  const aps = thresholds.map((t) => averagePrecision101(dets, gts, { ...opts, iouThreshold: Math.round(t * 100) / 100 }));
  const smalls = thresholds.map((t) => averagePrecision101(dets, gts, { ...opts, areaRange: SMALL_AREA, iouThreshold: Math.round(t * 100) / 100 }));
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { ap: avg(aps), ap50: aps[0]!, ap75: aps[5]!, apSmall: avg(smalls) };
}

/**
 * Recall reached while false positives stay at or below `fpPerKm2` × `areaKm2`
 * (thresholding the score list as low as that allows).
 */
export function recallAtFpPerKm2(dets: Detection[], gts: GroundTruthBox[], areaKm2: number, fpPerKm2: number, opts: MatchOptions = {}): number {
  const m = matchDetections(dets, gts, { maxDetsPerImage: Infinity, ...opts });
  if (m.numGt === 0) return NaN;
  const allowed = fpPerKm2 * areaKm2;
  let tp = 0, fp = 0, best = 0;
  for (const s of m.scored) {
    if (s.tp) tp++; else fp++;
    if (fp > allowed) break;
    best = tp;
  }
  return best / m.numGt;
}

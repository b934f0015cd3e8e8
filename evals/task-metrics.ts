/** Per-task metrics from ranked tool outputs: ranking AP/P@10 against truth points, detection AP against truth boxes. */
import type { XYWH } from './metrics/boxes.js';
import { cocoSummary, matchDetections, precisionRecall, type Detection } from './metrics/detection.js';
import { geolocationErrorM } from './metrics/geo.js';
import { averagePrecision, precisionAtK, precisionRecallCurve } from './metrics/retrieval.js';
import { lonLatOf, scoreOf } from './oracle.js';
import type { TaskMetric } from './suite/schema.js';
import { getPath } from './suite/template.js';

/** Metrics of one task, with the curve the report plots. */
export interface TaskMetricResult {
  kind: TaskMetric['kind'];
  step: string;
  /** ranking: AP@k (normalised by min(k, truth)); detection: AP50. */
  ap: number;
  p_at_10?: number;
  coco_ap?: number;
  ap_small?: number;
  curve: { precision: number[]; recall: number[] };
}

/** Computes a task's metrics; a step that did not run yields nothing. */
export function computeTaskMetrics(metrics: TaskMetric[] | undefined, outputs: Record<string, unknown>): TaskMetricResult[] {
  const res: TaskMetricResult[] = [];
  for (const m of metrics ?? []) {
    if (!(m.step in outputs)) continue;
    const items = getPath(outputs[m.step], m.path);
    const list = Array.isArray(items) ? items : [];
    if (m.kind === 'ranking') {
      // Object-level relevance: a hit is relevant when it lies near a truth point no
      // earlier hit claimed (like detection matching), so AP stays ≤ 1 when several
      // tiles show the same ship; P@10 counts any hit near any truth point.
      const claimed = new Set<number>();
      const near: boolean[] = [];
      const ranked = list.map((it) => {
        const p = lonLatOf(it);
        if (!p) { near.push(false); return false; }
        let best = -1, bestD = m.within_m;
        m.truth_points.forEach((t, i) => {
          const d = geolocationErrorM(p, [t]);
          if (d <= bestD && !claimed.has(i)) { bestD = d; best = i; }
        });
        near.push(geolocationErrorM(p, m.truth_points) <= m.within_m);
        if (best < 0) return false;
        claimed.add(best);
        return true;
      });
      const total = Math.min(ranked.length, m.truth_points.length);
      res.push({ kind: m.kind, step: m.step, ap: averagePrecision(ranked, total), p_at_10: precisionAtK(near, 10), curve: precisionRecallCurve(ranked, total) });
    } else {
      const dets: Detection[] = list.flatMap((it) => {
        const b = (getPath(it, 'properties.pixel_box') ?? getPath(it, 'pixel_box') ?? getPath(it, 'best_box')) as { x: number; y: number; width: number; height: number } | number[] | undefined;
        if (!b) return [];
        const bbox = (Array.isArray(b) ? b.slice(0, 4) : [b.x, b.y, b.width, b.height]) as XYWH;
        return [{ bbox, score: scoreOf(it) }];
      });
      const gts = m.truth_boxes.map((bbox) => ({ bbox: bbox as XYWH }));
      const s = cocoSummary(dets, gts);
      const pr = precisionRecall(matchDetections(dets, gts, { iouThreshold: m.iou }));
      res.push({ kind: m.kind, step: m.step, ap: s.ap50, coco_ap: s.ap, ap_small: s.apSmall, curve: { precision: pr.precision, recall: pr.recall } });
    }
  }
  return res;
}

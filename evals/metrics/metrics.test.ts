import { describe, expect, it } from 'vitest';
import { cocoSummary, averagePrecision101, interpolatedAp101, matchDetections, recallAtFpPerKm2, type Detection, type GroundTruthBox } from './detection.js';
import { countError, geolocationErrorM, median } from './geo.js';
import { truthFromCoco, truthFromGeoJson } from './ground-truth.js';
import { averagePrecision, meanAveragePrecision, ndcgAtK, precisionAtK, precisionRecallCurve, recallAtK } from './retrieval.js';

describe('retrieval metrics (hand-computed)', () => {
  const ranked = [true, false, true, false, false]; // relevant at ranks 1 and 3; 3 relevant in total
  it('P@K, R@K, AP, mAP', () => {
    expect(precisionAtK(ranked, 2)).toBe(0.5);
    expect(precisionAtK([], 5)).toBe(0);
    expect(recallAtK(ranked, 3, 3)).toBeCloseTo(2 / 3);
    expect(recallAtK(ranked, 3, 0)).toBe(0);
    // AP = (1/1 + 2/3) / 3
    expect(averagePrecision(ranked, 3)).toBeCloseTo((1 + 2 / 3) / 3);
    expect(averagePrecision([], 2)).toBe(0); // empty predictions
    expect(meanAveragePrecision([{ ranked, totalRelevant: 3 }, { ranked: [false, true] }])).toBeCloseTo(((1 + 2 / 3) / 3 + 0.5) / 2);
    expect(precisionRecallCurve(ranked, 3)).toEqual({ precision: [1, 0.5, 2 / 3, 0.5, 0.4], recall: [1 / 3, 1 / 3, 2 / 3, 2 / 3, 2 / 3] });
  });
  it('nDCG with binary and graded gains', () => {
    // DCG = 1/log2(2) + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3)
    expect(ndcgAtK([1, 0, 1], 3)).toBeCloseTo(1.5 / (1 + 1 / Math.log2(3)));
    // graded: gains (2^g − 1): [3, 1] vs ideal [3, 1] → 1; reversed → (1 + 3/log2 3)/(3 + 1/log2 3)
    expect(ndcgAtK([1, 2], 2)).toBeCloseTo((1 + 3 / Math.log2(3)) / (3 + 1 / Math.log2(3)));
    expect(ndcgAtK([0, 0], 2)).toBe(0);
  });
});

describe('detection metrics (COCO-style, hand-computed)', () => {
  const gts: GroundTruthBox[] = [
    { bbox: [0, 0, 10, 10] },
    { bbox: [100, 100, 10, 10] },
  ];
  it('101-point interpolation: precision envelope sampled at recall 0..1', () => {
    // One TP (score .9), one FP (.8), then the second TP (.7): P = [1, .5, .667], R = [.5, .5, 1].
    // Envelope: [1, .667, .667]. Recall points 0..0.50 (51 points) → 1; 0.51..1 (50 points) → .667.
    const dets: Detection[] = [
      { bbox: [0, 0, 10, 10], score: 0.9 },
      { bbox: [50, 50, 10, 10], score: 0.8 },
      { bbox: [101, 100, 10, 10], score: 0.7 },
    ];
    const expected = (51 * 1 + 50 * (2 / 3)) / 101;
    expect(averagePrecision101(dets, gts)).toBeCloseTo(expected, 10);
    expect(interpolatedAp101([1, 0.5, 2 / 3], [0.5, 0.5, 1], 2)).toBeCloseTo(expected, 10);
    // Recall stops at 0.5 when the second GT is never found: 51 points of precision 1.
    expect(averagePrecision101(dets.slice(0, 2), gts)).toBeCloseTo(51 / 101, 10);
  });
  it('empty predictions give 0, empty ground truth gives NaN (undefined, as COCO skips it)', () => {
    expect(averagePrecision101([], gts)).toBe(0);
    expect(Number.isNaN(averagePrecision101([{ bbox: [0, 0, 1, 1], score: 1 }], []))).toBe(true);
    expect(Number.isNaN(averagePrecision101([], []))).toBe(true);
    expect(recallAtFpPerKm2([], gts, 1, 5)).toBe(0);
  });
  it('a GT matches once; duplicates are false positives; labels and images separate matches', () => {
    const m = matchDetections([{ bbox: [0, 0, 10, 10], score: 0.9 }, { bbox: [0, 0, 10, 10], score: 0.8 }], gts);
    expect(m.scored.map((s) => s.tp)).toEqual([true, false]);
    const labelled = matchDetections([{ bbox: [0, 0, 10, 10], score: 0.9, label: 'car' }], [{ bbox: [0, 0, 10, 10], label: 'ship' }]);
    expect(labelled.scored[0]!.tp).toBe(false);
    expect(matchDetections([{ bbox: [0, 0, 10, 10], score: 0.9, label: 'car' }], [{ bbox: [0, 0, 10, 10], label: 'ship' }], { classAgnostic: true }).scored[0]!.tp).toBe(true);
    expect(matchDetections([{ bbox: [0, 0, 10, 10], score: 0.9, image: 'a' }], [{ bbox: [0, 0, 10, 10], image: 'b' }]).scored[0]!.tp).toBe(false);
  });
  it('COCO AP averages IoU .50:.95; AP_small ignores large GTs and detections on them', () => {
    // IoU of [0,0,10,10] vs [0,0,10,8] = 0.8: a TP at thresholds .50–.80 (7 of 10), a miss above.
    const s = cocoSummary([{ bbox: [0, 0, 10, 8], score: 0.9 }], [{ bbox: [0, 0, 10, 10] }]);
    expect(s.ap50).toBeCloseTo(1);
    expect(s.ap75).toBeCloseTo(1);
    expect(s.ap).toBeCloseTo(0.7);
    const mixed = cocoSummary(
      [{ bbox: [0, 0, 100, 100], score: 0.95 }, { bbox: [200, 200, 10, 10], score: 0.5 }],
      [{ bbox: [0, 0, 100, 100] }, { bbox: [200, 200, 10, 10] }],
    );
    // The large detection matches an ignored (large) GT: it is neither TP nor FP for AP_small.
    expect(mixed.apSmall).toBeCloseTo(1);
  });
  it('recall at a fixed false-positive rate per km²', () => {
    const dets: Detection[] = [
      { bbox: [0, 0, 10, 10], score: 0.9 },
      { bbox: [500, 500, 10, 10], score: 0.8 }, // FP
      { bbox: [600, 600, 10, 10], score: 0.75 }, // FP
      { bbox: [100, 100, 10, 10], score: 0.7 },
    ];
    expect(recallAtFpPerKm2(dets, gts, 2, 0.5)).toBe(0.5); // 1 FP allowed → stop before the 2nd FP
    expect(recallAtFpPerKm2(dets, gts, 2, 1)).toBe(1); // 2 FPs allowed
  });
});

describe('counting, geolocation and ground-truth formats', () => {
  it('count and location errors', () => {
    expect(countError(7, 10)).toEqual({ abs: 3, rel: 0.3 });
    expect(countError(2, 0)).toEqual({ abs: 2, rel: 2 });
    // One degree of latitude ≈ 111.2 km.
    expect(geolocationErrorM([0, 1], [[0, 0], [50, 50]])).toBeCloseTo(111195, -2);
    expect(geolocationErrorM([0, 0], [])).toBe(Infinity);
    expect(median([3, 1, 2, 10])).toBe(2.5);
  });
  it('reads GeoJSON (generator truth) and COCO', () => {
    const fc = { type: 'FeatureCollection', features: [{ type: 'Feature', geometry: { type: 'Polygon', coordinates: [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]] }, properties: { class: 'ship', pixel_bbox: [1, 2, 3, 4] } }] };
    expect(truthFromGeoJson(fc)[0]).toMatchObject({ bbox: [1, 2, 3, 4], label: 'ship', lonLat: [1, 1] });
    const coco = { images: [{ id: 1, file_name: 'a.tif' }], categories: [{ id: 3, name: 'tug', supercategory: 'ship' }], annotations: [{ image_id: 1, category_id: 3, bbox: [5, 5, 10, 20], area: 150 }] };
    expect(truthFromCoco(coco)[0]).toEqual({ bbox: [5, 5, 10, 20], label: 'tug', image: 'a.tif', area: 150 });
    expect(truthFromCoco(coco, { useSupercategory: true })[0]!.label).toBe('ship');
    expect(() => truthFromGeoJson({ features: [] })).toThrow(/FeatureCollection/);
  });
});

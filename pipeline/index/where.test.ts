import { describe, expect, it } from 'vitest';
import { filterWhere, validateBbox } from './where.js';

describe('filterWhere: one where-clause builder for the images and tiles tables', () => {
  it('ANDs the given clauses with the filter, escaping strings', () => {
    const w = filterWhere(
      { bbox: [10, 20, 11, 21], from: new Date('2024-01-01T00:00:00Z'), to: new Date('2024-02-01T00:00:00Z'), sensors: ["O'Brien-1", 'WV3'], imageIds: ["img_a' OR '1'='1"], gsdRange: [0.3, 1] },
      ["model_version = 'm@1'"],
    );
    expect(w).toBe(
      "model_version = 'm@1' AND max_lon >= 10 AND min_lon <= 11 AND max_lat >= 20 AND min_lat <= 21 AND acquired_at >= timestamp '2024-01-01T00:00:00.000Z' AND acquired_at <= timestamp '2024-02-01T00:00:00.000Z' AND sensor IN ('O''Brien-1', 'WV3') AND gsd_m >= 0.3 AND gsd_m <= 1 AND image_id IN ('img_a'' OR ''1''=''1')",
    );
    expect(filterWhere({})).toBe('');
  });

  it('refuses what would silently match nothing or everything, saying what to send', () => {
    expect(() => filterWhere({ bbox: [10, 50, 11, 40] })).toThrow(/minLat ≤ maxLat/);
    expect(() => filterWhere({ bbox: [10, 80, 11, 95] })).toThrow(/latitudes within ±90/);
    expect(() => filterWhere({ bbox: [10, Number.NaN, 11, 40] })).toThrow(/INVALID|must be/);
    expect(() => filterWhere({ bbox: [179, 0, -179, 1] })).toThrow(/crosses the antimeridian.*\[179, 0, 180, 1\] and \[-180, 0, -179, 1\]/);
    expect(() => filterWhere({ from: new Date('2024-02-01'), to: new Date('2024-01-01') })).toThrow(/swap them/);
    expect(() => filterWhere({ gsdRange: [2, 1] })).toThrow(/min ≤ max/);
    expect(() => validateBbox([1, 2, 3])).toThrow(/\[minLon, minLat, maxLon, maxLat\]/);
  });
});

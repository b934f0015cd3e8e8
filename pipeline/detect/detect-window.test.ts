import { describe, expect, it } from 'vitest';
import { nms, voteBoxes, VOTE_IOU } from './detect-window.js';

const det = (label: string, score: number, x: number, y: number, width: number, height: number) => ({ label, score, box: { x, y, width, height } });

describe('voteBoxes', () => {
  it('moves a kept box to the score-weighted mean of the same-label boxes it suppressed', () => {
    // A cabin-sized box outscores the whole hull a little; the hull box and a near copy vote.
    const cabin = det('ship', 0.6, 10, 10, 20, 20);
    const hull = det('ship', 0.5, 6, 6, 28, 28);
    const copy = det('ship', 0.4, 8, 8, 24, 24);
    const all = [cabin, hull, copy];
    const kept = nms(all, VOTE_IOU);
    expect(kept).toEqual([cabin]);
    const [voted] = voteBoxes(kept, all, VOTE_IOU);
    const w = 0.6 + 0.5 + 0.4;
    expect(voted!.box.x).toBeCloseTo((0.6 * 10 + 0.5 * 6 + 0.4 * 8) / w, 9);
    expect(voted!.box.x + voted!.box.width).toBeCloseTo((0.6 * 30 + 0.5 * 34 + 0.4 * 32) / w, 9);
    expect(voted!.score).toBe(0.6);
  });

  it('ignores other labels and boxes below the vote overlap', () => {
    const kept = det('ship', 0.9, 0, 0, 10, 10);
    const voters = [kept, det('aircraft', 0.9, 0, 0, 20, 20), det('ship', 0.9, 8, 8, 10, 10)];
    expect(voteBoxes([kept], voters, VOTE_IOU)).toEqual([kept]);
  });
});

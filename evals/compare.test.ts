import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../core/testing/temp-dir.js';
import { compareRuns } from './compare.js';
import { summarise, type RunRecord, type TaskResult } from './results.js';
import { loadSuite } from './suite/load.js';

const task = (id: string, status: TaskResult['status'], tags = ['locate'], ap?: number): TaskResult => ({
  id, question: id, tags, status, answer: null, citations: [], checks: [], tool_trace: [], latency_ms: 10,
  metrics: ap === undefined ? [] : [{ kind: 'ranking', step: 's', ap, p_at_10: ap, curve: { precision: [], recall: [] } }],
});
const run = (tasks: TaskResult[]): RunRecord => ({ suite: { name: 's', version: '1' }, mode: 'oracle', model_version: 'm@1', started_at: 'now', duration_s: 1, tasks, summary: summarise(tasks) });

describe('baseline comparison', () => {
  it('a task that passed before and fails now is a regression; skipped tasks are not compared', () => {
    const before = run([task('a', 'pass'), task('b', 'pass'), task('c', 'fail'), task('d', 'pass')]);
    const after = run([task('a', 'pass'), task('b', 'error'), task('c', 'pass'), task('d', 'skipped')]);
    const c = compareRuns(after, before, 'base.json');
    expect(c).toMatchObject({ regressed: true, newly_failing: ['b'], newly_passing: ['c'] });
    expect(compareRuns(before, before, 'base.json').regressed).toBe(false);
  });
  it('an aggregate drop beyond the tolerance is a regression even when every task still passes', () => {
    const before = run([task('a', 'pass', ['locate'], 0.9), task('b', 'pass', ['locate'], 0.8)]);
    const slightly = run([task('a', 'pass', ['locate'], 0.89), task('b', 'pass', ['locate'], 0.8)]);
    const worse = run([task('a', 'pass', ['locate'], 0.5), task('b', 'pass', ['locate'], 0.4)]);
    expect(compareRuns(slightly, before, 'b').regressed).toBe(false);
    const c = compareRuns(worse, before, 'b');
    expect(c.regressed).toBe(true);
    expect(c.metrics.filter((m) => m.regressed).map((m) => m.metric)).toEqual(['mean_ranking_ap', 'mean_ranking_p10']);
    expect(compareRuns(worse, before, 'b', { tolerance: 0.5 }).regressed).toBe(false);
  });
});

describe('JSONL suites', () => {
  it('first line is the header, every further line a task', async () => {
    const tmp = await makeTempDir();
    try {
      const file = path.join(tmp.dir, 's.jsonl');
      await writeFile(file, [
        JSON.stringify({ name: 'j', description: 'two tasks' }),
        JSON.stringify({ id: 't1', question: 'How many?', tags: ['count'], expected: [{ type: 'number', value: 3, tolerance: 1 }] }),
        JSON.stringify({ id: 't2', question: 'Any?', tags: ['no-answer'], expected: [{ type: 'none' }] }),
      ].join('\n') + '\n');
      const s = await loadSuite(file);
      expect(s.tasks.map((t) => t.id)).toEqual(['t1', 't2']);
      expect(s.defaults.timeout_s).toBe(60);
      await writeFile(file, '{"name": "j"}\n{not json}\n');
      await expect(loadSuite(file)).rejects.toThrow(/not valid JSONL/);
    } finally {
      await tmp.cleanup();
    }
  });
});

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSynthSuite } from '../synth-suite.js';
import { asLonLat, isNone, scoreCheck } from './checks.js';
import { dumpSuiteYaml, SUITE_HEADER } from './dump.js';
import { loadSuite, parseSuite } from './load.js';
import { suiteJsonSchema } from './schema.js';
import { fillTemplates } from './template.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

describe('shipped synthetic-world suite', () => {
  it('is valid, has ≥ 40 tasks over every tag, and is what the generator writes today', async () => {
    const file = path.join(ROOT, 'evals/suites/synthetic-world.yaml');
    const suite = await loadSuite(file);
    expect(suite.tasks.length).toBeGreaterThanOrEqual(40);
    const tags = new Set(suite.tasks.flatMap((t) => t.tags));
    for (const tag of ['count', 'locate', 'identify', 'document', 'out-of-context', 'no-answer']) expect(tags).toContain(tag);
    expect(suite.tasks.every((t) => t.oracle)).toBe(true);
    // Regenerate with `geoscout eval suite synth` when the generator changes.
    expect(await readFile(file, 'utf8')).toBe(dumpSuiteYaml(buildSynthSuite(), SUITE_HEADER));
  });
  it('evals/suite.schema.json matches the zod schema (regenerate with `geoscout eval suite schema`)', async () => {
    expect(JSON.parse(await readFile(path.join(ROOT, 'evals/suite.schema.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(suiteJsonSchema())));
  });
  it('bad suites say which field is wrong', () => {
    expect(() => parseSuite({ name: 'x', tasks: [{ id: 'a', question: 'q', tags: ['count'], expected: [{ type: 'number' }] }] })).toThrow(/tasks\.0\.expected\.0\.value/);
    const t = { id: 'a', question: 'q', tags: ['count'], expected: [{ type: 'none' }] };
    expect(() => parseSuite({ name: 'x', tasks: [t, t] })).toThrow(/appears twice/);
  });
});

describe('checks read structured and free-text answers', () => {
  it('numbers, none, sets, locations, citations', () => {
    expect(scoreCheck({ type: 'number', value: 10, tolerance: 1, rel_tolerance: 0.3 }, 'I count 12 aircraft on img_2cea', []).pass).toBe(true);
    expect(scoreCheck({ type: 'number', value: 10, tolerance: 1 }, 12, []).pass).toBe(false);
    expect(isNone('No wind turbines were found in the harbour.')).toBe(true);
    expect(isNone(0) && isNone([]) && isNone(null)).toBe(true);
    expect(isNone('3 turbines')).toBe(false);
    expect(scoreCheck({ type: 'set', items: ['ship', 'aircraft'], mode: 'pr', min_precision: 0.5, min_recall: 1 }, ['ship', 'aircraft', 'car'], []).pass).toBe(true);
    expect(scoreCheck({ type: 'set', items: ['ship', 'aircraft'], mode: 'exact', min_precision: 1, min_recall: 1 }, 'I see a ship and an aircraft', []).pass).toBe(true);
    expect(asLonLat('at 24.45320 N, 54.37730 E')).toEqual([54.3773, 24.4532]);
    expect(asLonLat('at 24.45320, 54.37730 (lat, lon)')).toEqual([54.3773, 24.4532]);
    expect(scoreCheck({ type: 'location', points: [[54.3773, 24.4532]], within_m: 50 }, { lon: 54.3774, lat: 24.4532 }, []).pass).toBe(true);
    expect(scoreCheck({ type: 'citation', kind: 'page', min: 1, match: '^manual' }, 'x', [{ kind: 'page', id: 'manual.pdf#p3' }]).pass).toBe(true);
    expect(scoreCheck({ type: 'citation', kind: 'tile', min: 1 }, 'x', [{ kind: 'page', id: 'manual.pdf#p3' }]).pass).toBe(false);
  });
  it('templates keep types and name what is missing', () => {
    const vars = { scope: { images: ['a', 'b'] }, steps: { s: { hits: [{ tile_id: 't1' }] } } };
    expect(fillTemplates({ ids: '{{scope.images}}', t: 'tile {{steps.s.hits.0.tile_id}}', b: '{{scope.bbox}}' }, vars)).toEqual({ ids: ['a', 'b'], t: 'tile t1' });
    expect(() => fillTemplates('{{steps.x.hits}}', vars)).toThrow(/refers to nothing/);
  });
});

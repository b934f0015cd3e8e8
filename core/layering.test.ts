import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from './testing/source-files.js';

// The layering a newcomer should be able to rely on, checked on every run: no import cycles
// between domain folders (each pipeline/<x> is its own domain), and the layers import only
// downwards: core ← pipeline ← knowledge ← tools ← agent ← evals ← server (the CLI shell). Tests,
// test helpers (testing/) and benchmarks (bench/) are leaves and may import anything.
const ROOT = path.resolve(import.meta.dirname, '..');
const LAYER: Record<string, number> = { core: 0, pipeline: 1, knowledge: 2, tools: 3, agent: 4, evals: 5, server: 6 };

/** The domain of a repo-relative file: pipeline/<x> for pipeline, else its top folder. */
function domainOf(rel: string): string {
  const [top, sub] = rel.split('/');
  return top === 'pipeline' && sub && !sub.endsWith('.ts') ? `pipeline/${sub}` : top!;
}

/** Edges between domains, each with the import lines that make it. */
function domainGraph(): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>();
  for (const top of Object.keys(LAYER)) {
    for (const file of sourceFiles(path.join(ROOT, top))) {
      const rel = path.relative(ROOT, file);
      const src = readFileSync(file, 'utf8');
      for (const m of src.matchAll(/(?:from\s+|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
        const target = path.relative(ROOT, path.resolve(path.dirname(file), m[1]!));
        const a = domainOf(rel), b = domainOf(target);
        if (a === b || !(target.split('/')[0]! in LAYER)) continue;
        const out = graph.get(a) ?? new Map<string, string[]>();
        graph.set(a, out);
        out.set(b, [...(out.get(b) ?? []), `${rel} → ${target}`]);
      }
    }
  }
  return graph;
}

/** Strongly connected components with more than one domain (Tarjan). */
function cycles(graph: Map<string, Map<string, string[]>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>(), out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index); low.set(v, index++); stack.push(v); on.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      for (let w = stack.pop()!; ; w = stack.pop()!) { on.delete(w); comp.push(w); if (w === v) break; }
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

describe('layering', () => {
  const graph = domainGraph();

  it('has no import cycles between domain folders', () => {
    const found = cycles(graph).map((c) => `${c.join(' ↔ ')}: ${c.flatMap((a) => c.flatMap((b) => graph.get(a)?.get(b)?.slice(0, 2) ?? [])).join('; ')}`);
    expect(found).toEqual([]);
  });

  it('imports only downwards between layers', () => {
    const up: string[] = [];
    for (const [a, targets] of graph) {
      for (const [b, lines] of targets) if (LAYER[b.split('/')[0]!]! > LAYER[a.split('/')[0]!]!) up.push(lines[0]!);
    }
    expect(up).toEqual([]);
  });

  it('sees the domains and their imports (the check would notice a cycle)', () => {
    expect(graph.get('pipeline/search')?.has('pipeline/detect')).toBe(true);
    expect(cycles(new Map([['a', new Map([['b', ['x']]])], ['b', new Map([['a', ['y']]])]]))).toEqual([['a', 'b']]);
  });
});

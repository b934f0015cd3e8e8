import { readdirSync } from 'node:fs';
import path from 'node:path';

/** Folders that hold no shipped source: tests' fixtures and helpers, benchmarks, scratch work, browser assets. */
const SKIPPED = ['node_modules', 'fixtures', 'testing', 'bench', 'scratch', 'public'];

/** The shipped TypeScript files under `dir` (no tests, test helpers, fixtures or benchmarks), for checks over the source. */
export function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (SKIPPED.includes(e.name) || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) sourceFiles(p, out);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { GeoscoutError } from './errors.js';

/** The `geoscout` CLI entry point, for spawning it (e.g. `geoscout mcp` as a stdio MCP server). */
export const GEOSCOUT_BIN = path.resolve(import.meta.dirname, '../bin/geoscout.js');

/**
 * Expands CLI/tool path arguments: plain paths pass through (so a missing file still
 * gets its own clear error later), glob patterns expand, sorted for stable order.
 */
export async function expandPaths(args: string[], cwd = process.cwd()): Promise<string[]> {
  const out: string[] = [];
  for (const arg of args) {
    if (/^https?:\/\//i.test(arg) || !isDynamicPattern(arg)) {
      out.push(/^https?:\/\//i.test(arg) ? arg : path.resolve(cwd, arg));
      continue;
    }
    const hits = await glob(arg, { cwd, absolute: true, onlyFiles: true });
    if (hits.length === 0) throw new GeoscoutError('NOT_FOUND', `No files match ${arg}.`, { details: { pattern: arg } });
    out.push(...hits.sort());
  }
  return [...new Set(out)];
}

/**
 * Throws PERMISSION_DENIED when `file` (after resolving symlinks) is outside every
 * allowed root. An empty root list allows everything (the CLI's default).
 */
export async function assertAllowedPath(file: string, roots: string[]): Promise<void> {
  if (roots.length === 0 || /^https?:\/\//i.test(file)) return;
  const real = await realpath(file).catch(() => path.resolve(file));
  for (const root of roots) {
    const r = await realpath(root).catch(() => path.resolve(root));
    const rel = path.relative(r, real);
    if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) return;
  }
  throw new GeoscoutError('PERMISSION_DENIED', `${file} is outside the allowed roots (${roots.join(', ')}). Move it under one of them or add its folder to allowedRoots.`, {
    details: { path: file, allowedRoots: roots },
  });
}

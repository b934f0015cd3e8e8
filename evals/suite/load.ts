import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { GeoscoutError } from '../../core/errors.js';
import { suiteSchema, type Suite } from './schema.js';

/**
 * Loads a suite: YAML (`.yaml`/`.yml`) or JSONL (`.jsonl`: the first line is the suite
 * header without tasks, every further line one task). Invalid files name the field.
 */
export async function loadSuite(file: string): Promise<Suite> {
  const text = await readFile(file, 'utf8').catch((err: unknown) => {
    throw new GeoscoutError('NOT_FOUND', `Suite file ${file} cannot be read; give a .yaml or .jsonl suite path.`, { cause: err });
  });
  let raw: unknown;
  try {
    if (file.endsWith('.jsonl')) {
      const lines = text.split('\n').filter((l) => l.trim());
      raw = { ...(JSON.parse(lines[0] ?? '{}') as object), tasks: lines.slice(1).map((l) => JSON.parse(l) as unknown) };
    } else {
      raw = parseYaml(text);
    }
  } catch (err) {
    throw new GeoscoutError('INVALID_INPUT', `Suite file ${file} is not valid ${file.endsWith('.jsonl') ? 'JSONL' : 'YAML'}: ${(err as Error).message}`, { cause: err });
  }
  return parseSuite(raw, file);
}

/** Validates a parsed suite object. */
export function parseSuite(raw: unknown, source = 'suite'): Suite {
  const r = suiteSchema.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues[0]!;
    throw new GeoscoutError('INVALID_INPUT', `${source}: ${first.path.join('.') || '(root)'}: ${first.message} (see evals/suite.schema.json).`, { details: { issues: r.error.issues.slice(0, 5) } });
  }
  const ids = new Set<string>();
  for (const t of r.data.tasks) {
    if (ids.has(t.id)) throw new GeoscoutError('INVALID_INPUT', `${source}: task id "${t.id}" appears twice; ids must be unique.`);
    ids.add(t.id);
  }
  return r.data;
}

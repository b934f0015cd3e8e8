/**
 * Templates in oracle inputs: `{{steps.s1.hits.0.tile_id}}`, `{{scope.images}}`,
 * `{{world.scenes.harbour.image_id}}`. A string that is exactly one template takes the
 * referenced value as is (arrays, numbers); otherwise values are interpolated as text.
 */
import { GeoscoutError } from '../../core/errors.js';

/** Reads a dot path (`a.b.0.c`, `hits.length`) from a value; undefined when absent. */
export function getPath(value: unknown, path: string): unknown {
  if (!path) return value;
  let cur: unknown = value;
  for (const key of path.split('.')) {
    if (cur === null || cur === undefined) return undefined;
    if (Array.isArray(cur) && key === 'length') cur = cur.length;
    else cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

const WHOLE = /^\{\{\s*([^{}]+?)\s*\}\}$/;
const PART = /\{\{\s*([^{}]+?)\s*\}\}/g;

/** Fills templates in any JSON-like value from `vars`; a missing reference is an INVALID_INPUT naming it. */
export function fillTemplates(value: unknown, vars: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole) return lookup(vars, whole[1]!);
    return value.replace(PART, (_, p: string) => String(lookup(vars, p)));
  }
  if (Array.isArray(value)) return value.map((v) => fillTemplates(v, vars));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const filled = fillTemplates(v, vars);
      // An optional scope part that is absent drops the key instead of sending undefined.
      if (filled !== undefined) out[k] = filled;
    }
    return out;
  }
  return value;
}

function lookup(vars: Record<string, unknown>, path: string): unknown {
  const v = getPath(vars, path);
  if (v === undefined && !path.startsWith('scope.')) {
    throw new GeoscoutError('INVALID_INPUT', `Template {{${path}}} refers to nothing (is the step id right, and did that step return it?).`);
  }
  return v;
}

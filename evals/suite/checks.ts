/**
 * Scoring an answer against a task's checks. Oracle answers are structured (number,
 * string, list, {lon, lat}, null); agent answers are usually text, so every check
 * also reads text: the first number, "none"/"no …", items mentioned, "lat, lon" pairs.
 */
import { geolocationErrorM } from '../metrics/geo.js';
import type { Check } from './schema.js';

/** A cited piece of evidence. */
export interface Citation {
  kind: 'tile' | 'page' | 'image';
  id: string;
}

/** Outcome of one check. */
export interface CheckResult {
  type: Check['type'];
  pass: boolean;
  detail: string;
  /** Numeric error where one applies: |count error|, metres off. */
  error?: number;
}

/** The answer of a task, as the oracle extractor or the agent gave it. */
export type Answer = unknown;

const NONE_WORDS = /\b(none|no\b|nothing|not found|zero|there (?:are|is) no)/i;

/** Scores one check. */
export function scoreCheck(check: Check, answer: Answer, citations: Citation[]): CheckResult {
  switch (check.type) {
    case 'exact': {
      const a = typeof answer === 'string' && !check.case_sensitive ? answer.trim().toLowerCase() : answer;
      const v = typeof check.value === 'string' && !check.case_sensitive ? check.value.trim().toLowerCase() : check.value;
      const pass = typeof answer === 'string' && typeof v !== 'string' ? answer.trim() === String(v) : a === v;
      return { type: check.type, pass, detail: `expected ${JSON.stringify(check.value)}, got ${show(answer)}` };
    }
    case 'number': {
      const n = asNumber(answer);
      const tol = Math.max(check.tolerance, (check.rel_tolerance ?? 0) * Math.abs(check.value));
      if (n === undefined) return { type: check.type, pass: false, detail: `expected ${check.value} ± ${tol}, got no number (${show(answer)})` };
      const err = Math.abs(n - check.value);
      return { type: check.type, pass: err <= tol + 1e-9, detail: `expected ${check.value} ± ${round(tol)}, got ${n}`, error: err };
    }
    case 'set': {
      const want = new Set(check.items.map((s) => s.toLowerCase()));
      const got = asSet(answer, [...want]);
      const tp = [...got].filter((g) => want.has(g)).length;
      const precision = got.size ? tp / got.size : want.size ? 0 : 1;
      const recall = want.size ? tp / want.size : got.size ? 0 : 1;
      const pass = check.mode === 'exact' ? tp === want.size && got.size === want.size : precision >= check.min_precision && recall >= check.min_recall;
      return { type: check.type, pass, detail: `expected {${[...want].join(', ')}}, got {${[...got].join(', ')}} (P ${round(precision)}, R ${round(recall)})` };
    }
    case 'contains': {
      const text = asText(answer);
      const pass = check.case_sensitive ? text.includes(check.text) : text.toLowerCase().includes(check.text.toLowerCase());
      return { type: check.type, pass, detail: `${pass ? 'contains' : 'does not contain'} "${check.text}"` };
    }
    case 'regex': {
      const pass = new RegExp(check.pattern, check.flags).test(asText(answer));
      return { type: check.type, pass, detail: `${pass ? 'matches' : 'does not match'} /${check.pattern}/` };
    }
    case 'location': {
      const p = asLonLat(answer);
      if (!p) return { type: check.type, pass: false, detail: `expected a location within ${check.within_m} m, got ${show(answer)}` };
      const err = geolocationErrorM(p, check.points);
      return { type: check.type, pass: err <= check.within_m, detail: `${Math.round(err)} m from the nearest true location (limit ${check.within_m} m)`, error: err };
    }
    case 'none': {
      const pass = isNone(answer);
      return { type: check.type, pass, detail: pass ? 'answered "none found"' : `expected "none found", got ${show(answer)}` };
    }
    case 'citation': {
      const re = check.match ? new RegExp(check.match) : null;
      const n = citations.filter((c) => (check.kind === 'any' || c.kind === check.kind) && (!re || re.test(c.id))).length;
      return { type: check.type, pass: n >= check.min, detail: `${n} ${check.kind} citation(s)${check.match ? ` matching /${check.match}/` : ''}, need ${check.min}` };
    }
  }
}

/** True when the answer says "none found". */
export function isNone(answer: Answer): boolean {
  if (answer === null || answer === undefined || answer === 0 || answer === false) return true;
  if (Array.isArray(answer)) return answer.length === 0;
  if (typeof answer === 'string') return answer.trim() === '' || NONE_WORDS.test(answer) || /^0\b/.test(answer.trim());
  return false;
}

function asNumber(a: Answer): number | undefined {
  if (typeof a === 'number') return a;
  if (Array.isArray(a)) return a.length;
  if (a === null || a === undefined) return 0;
  if (typeof a === 'string') {
    // Numbers inside identifiers (img_2cea…, tile ids) are not answers.
    const m = /(?<![\w.])-?\d+(?:\.\d+)?/.exec(a.replace(/(\d),(\d{3})/g, '$1$2'));
    if (m) return Number(m[0]);
    if (NONE_WORDS.test(a)) return 0;
  }
  return undefined;
}

function asSet(a: Answer, vocabulary: string[]): Set<string> {
  if (Array.isArray(a)) return new Set(a.map((x) => String(x).toLowerCase()));
  if (typeof a === 'string') {
    // Free text: the expected items it mentions (underscores read as spaces too).
    const t = a.toLowerCase();
    return new Set(vocabulary.filter((v) => t.includes(v) || t.includes(v.replace(/_/g, ' '))));
  }
  if (a === null || a === undefined) return new Set();
  return new Set([String(a).toLowerCase()]);
}

function asText(a: Answer): string {
  return typeof a === 'string' ? a : JSON.stringify(a) ?? '';
}

/** Reads a lon/lat from {lon, lat}, [lon, lat], or text ("24.45 N 54.37 E", or "lat, lon" as the tools render it). */
export function asLonLat(a: Answer): [number, number] | undefined {
  if (Array.isArray(a) && a.length === 2 && a.every((v) => typeof v === 'number')) return a as [number, number];
  if (a && typeof a === 'object' && 'lon' in a && 'lat' in a) {
    const { lon, lat } = a as { lon: unknown; lat: unknown };
    if (typeof lon === 'number' && typeof lat === 'number') return [lon, lat];
  }
  if (typeof a === 'string') {
    const hemi = /(-?\d+(?:\.\d+)?)\s*°?\s*([NS])[\s,]+(-?\d+(?:\.\d+)?)\s*°?\s*([EW])/i.exec(a);
    if (hemi) return [Number(hemi[3]) * (/w/i.test(hemi[4]!) ? -1 : 1), Number(hemi[1]) * (/s/i.test(hemi[2]!) ? -1 : 1)];
    const pair = /(-?\d{1,3}\.\d{3,})\s*,\s*(-?\d{1,3}\.\d{3,})/.exec(a);
    if (pair) return [Number(pair[2]), Number(pair[1])];
  }
  return undefined;
}

function show(a: Answer): string {
  const s = JSON.stringify(a) ?? String(a);
  return s.length > 120 ? s.slice(0, 117) + '…' : s;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Agent mode calls an injected `askAgent(question, scope)`. The default comes from
 * agent/ (the MCP/agent module), imported lazily so oracle runs never need an LLM.
 */
import type { Config } from '../core/config.js';
import { GeoscoutError } from '../core/errors.js';
import { collectCitations } from './oracle.js';
import type { Citation } from './suite/checks.js';

/** A task's scope with scene names resolved to image ids. */
export interface ResolvedScope {
  images?: string[];
  bbox?: [number, number, number, number];
  from?: string;
  to?: string;
}

/** What an agent returns for one question. */
export interface AgentReply {
  answer: unknown;
  citations?: unknown[];
  tool_trace?: unknown[];
  usage?: { input_tokens?: number; output_tokens?: number; total_tokens?: number };
}

/** The agent entry point agent mode calls. */
export type AskAgent = (question: string, scope: ResolvedScope, opts: { signal?: AbortSignal }) => Promise<AgentReply>;

/**
 * Loads the agent (agent/ask-agent.ts) and adapts it: the scope becomes a sentence
 * after the question (the agent sees what an analyst would type), its citations become
 * eval citations. A CONFIG error says what is missing (module, or LLM settings, which
 * the agent reports when it builds its chat model).
 */
export async function loadAskAgent(config?: Config): Promise<AskAgent> {
  let mod: { askAgent?: (o: { question: string; config?: Config; signal?: AbortSignal }) => Promise<{ answer: string; citations: unknown[]; tool_trace: { name: string; args: unknown; ok: boolean; output?: unknown }[]; usage?: AgentReply['usage'] }> };
  try {
    mod = (await import('../agent/ask-agent.js')) as typeof mod;
  } catch (err) {
    throw new GeoscoutError('CONFIG', `Agent mode needs agent/ask-agent.ts (askAgent), which failed to load: ${(err as Error).message.split('\n')[0]}. Use --mode oracle to measure the tools without an LLM.`, { cause: err });
  }
  const ask = mod.askAgent;
  if (typeof ask !== 'function') throw new GeoscoutError('CONFIG', 'agent/ask-agent.ts has no askAgent export. Use --mode oracle to measure the tools without an LLM.');
  return async (question, scope, opts) => {
    const r = await ask({ question: `${question}${scopeSentence(scope)}`, ...(config ? { config } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
    const outputs = r.tool_trace.map((t) => t.output);
    return { answer: r.answer, citations: withFiles(r.citations, outputs), tool_trace: r.tool_trace, ...(r.usage ? { usage: r.usage } : {}) };
  };
}

/** The scope as a sentence for the agent. */
export function scopeSentence(s: ResolvedScope): string {
  const parts: string[] = [];
  if (s.images?.length) parts.push(`images ${s.images.join(', ')}`);
  if (s.bbox) parts.push(`the area lon ${s.bbox[0]}..${s.bbox[2]}, lat ${s.bbox[1]}..${s.bbox[3]}`);
  if (s.from || s.to) parts.push(`acquired ${s.from ? `from ${s.from} ` : ''}${s.to ? `to ${s.to}` : ''}`.trim());
  return parts.length ? `\n(Scope: ${parts.join('; ')}.)` : '';
}

/** Agent citations name documents by id; the tool outputs it saw give their files, which suites match on. */
function withFiles(citations: unknown[], outputs: unknown[]): unknown[] {
  const files = new Map<string, string>();
  const walk = (v: unknown, d: number) => {
    if (d > 6 || !v || typeof v !== 'object') return;
    if (Array.isArray(v)) return v.forEach((x) => walk(x, d + 1));
    const o = v as Record<string, unknown>;
    if (typeof o.doc_id === 'string' && typeof o.file === 'string') files.set(o.doc_id, o.file);
    Object.values(o).forEach((x) => walk(x, d + 1));
  };
  outputs.forEach((o) => walk(o, 0));
  return citations.map((c) => {
    const o = c as Record<string, unknown>;
    return typeof o?.doc_id === 'string' && files.has(o.doc_id) ? { ...o, file: files.get(o.doc_id) } : c;
  });
}

/** Normalises an agent's citations: {kind, id}, tool-output-like objects, or strings. */
export function normaliseCitations(raw: unknown[] | undefined): Citation[] {
  const out: Citation[] = [];
  for (const c of raw ?? []) {
    if (typeof c === 'string') out.push({ kind: /#p\d+|page/i.test(c) ? 'page' : /^img_[0-9a-f]+$/.test(c) ? 'image' : 'tile', id: c });
    else if (c && typeof c === 'object' && 'kind' in c && 'id' in c && typeof (c as { id: unknown }).id === 'string') out.push(c as Citation);
    // Agent citations carry the cited record's ids; a tile citation also names its image, which is not a separate citation.
    else if (c && typeof c === 'object' && typeof (c as { tile_id?: unknown }).tile_id === 'string') out.push({ kind: 'tile', id: (c as { tile_id: string }).tile_id });
    else out.push(...collectCitations([c]));
  }
  return out;
}

/** Total tokens of a usage record, when known. */
export function totalTokens(u: AgentReply['usage']): number | undefined {
  if (!u) return undefined;
  return u.total_tokens ?? ((u.input_tokens ?? 0) + (u.output_tokens ?? 0) || undefined);
}

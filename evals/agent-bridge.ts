/**
 * Agent mode calls an injected `askAgent(question, scope)`. The default comes from
 * agent/ (the MCP/agent module), imported lazily so oracle runs never need an LLM.
 */
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

const CANDIDATES = ['../agent/index.js', '../agent/ask-agent.js', '../agent/agent.js'];

/** Loads `askAgent` from agent/; CONFIG error saying what is missing otherwise. */
export async function loadAskAgent(): Promise<AskAgent> {
  const problems: string[] = [];
  for (const spec of CANDIDATES) {
    try {
      const mod = (await import(/* @vite-ignore */ spec)) as { askAgent?: AskAgent };
      if (typeof mod.askAgent === 'function') return mod.askAgent;
      problems.push(`${spec} has no askAgent export`);
    } catch (err) {
      problems.push(`${spec}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new GeoscoutError('CONFIG', `Agent mode needs the agent module (agent/ exporting askAgent) and a configured LLM; not found (${problems.join('; ')}). Use --mode oracle to measure the tools without an LLM.`);
}

/** Normalises an agent's citations: {kind, id}, tool-output-like objects, or strings. */
export function normaliseCitations(raw: unknown[] | undefined): Citation[] {
  const out: Citation[] = [];
  for (const c of raw ?? []) {
    if (typeof c === 'string') out.push({ kind: /#p\d+|page/i.test(c) ? 'page' : /^img_[0-9a-f]+$/.test(c) ? 'image' : 'tile', id: c });
    else if (c && typeof c === 'object' && 'kind' in c && 'id' in c) out.push(c as Citation);
    else out.push(...collectCitations([c]));
  }
  return out;
}

/** Total tokens of a usage record, when known. */
export function totalTokens(u: AgentReply['usage']): number | undefined {
  if (!u) return undefined;
  return u.total_tokens ?? ((u.input_tokens ?? 0) + (u.output_tokens ?? 0) || undefined);
}

import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import { MultiServerMCPClient } from '@langchain/mcp-adapters';
import { createAgent } from 'langchain';
import { loadConfig, type Config } from '../core/config.js';
import { toGeoscoutError } from '../core/errors.js';
import { GEOSCOUT_BIN } from '../core/paths.js';
import { citationsFromOutput, citationsInAnswer, type Citation } from './citations.js';
import { createChatModel } from './llm.js';
import { SYSTEM_PROMPT } from './system-prompt.js';
import { adapterText, toolImagesMiddleware } from './tool-images.js';

/** How the agent reaches the MCP server: spawn `geoscout mcp` (default) or an HTTP URL. */
export type McpTarget =
  | { kind: 'stdio'; command?: string; args?: string[]; env?: Record<string, string>; cwd?: string }
  | { kind: 'http'; url: string; token?: string };

/** Options of {@link askAgent}; only `question` is required. */
export interface AskOptions {
  question: string;
  /** A LangChain chat model (e.g. fakeModel() in tests); default: built from config.llm. */
  model?: BaseChatModel;
  /** Default: stdio, spawning `node bin/geoscout.js mcp` with this process's environment. */
  server?: McpTarget;
  config?: Config;
  /** Earlier turns (chat). */
  history?: BaseMessage[];
  signal?: AbortSignal;
  /** Streaming hooks for `geoscout chat`. */
  onEvent?: (e: AgentEvent) => void;
}

/** Streaming events: tokens of the answer, tool calls and their results. */
export type AgentEvent =
  | { type: 'token'; text: string }
  | { type: 'tool_call'; name: string; args: unknown }
  | { type: 'tool_result'; name: string; ok: boolean; summary: string };

/** One tool call the agent made. */
export interface ToolTraceEntry {
  name: string;
  args: unknown;
  ok: boolean;
  /** The tool's text rendering or error message (truncated). */
  summary: string;
  /** Structured output (long strings such as base64 images elided). */
  output?: unknown;
}

/** The result of {@link askAgent}. */
export interface AskResult {
  answer: string;
  /** Evidence returned by tools and cited in the answer (by tile/image/doc id). */
  citations: Citation[];
  /** Every tool call, in order. */
  tool_trace: ToolTraceEntry[];
  /** Everything the tools returned that could be cited (superset of citations). */
  sources: Citation[];
  messages: BaseMessage[];
}

/**
 * Asks the geoscout agent one question: connects to the MCP server, runs a LangChain
 * agent with the grounding system prompt, and returns the answer with the citations
 * extracted from the tool outputs it actually received. Used by `geoscout ask`,
 * `geoscout chat` and the evals (agent mode).
 *
 * @example
 *   const { answer, citations } = await askAgent({ question: 'Where are aircraft parked?' });
 */
export async function askAgent(opts: AskOptions): Promise<AskResult> {
  const config = opts.config ?? loadConfig();
  const model = opts.model ?? (await createChatModel(config.llm));
  // Resource links (a tile's geoscout:// URI) and embedded resources stay out of what the model
  // is sent: no provider accepts a custom-scheme URL, and the picture is already an image block.
  const client = new MultiServerMCPClient({
    mcpServers: { geoscout: connectionOf(opts.server ?? { kind: 'stdio' }) },
    throwOnLoadError: true,
    outputHandling: { text: 'content', image: 'content', audio: 'artifact', resource: 'artifact', resource_link: 'artifact' },
  });
  try {
    const tools = await client.getTools();
    const agent = createAgent({ model, tools, systemPrompt: SYSTEM_PROMPT, middleware: [toolImagesMiddleware] });
    const input = { messages: [...(opts.history ?? []), new HumanMessage(opts.question)] };
    const runConfig = { recursionLimit: config.llm.maxSteps * 2 + 1, ...(opts.signal ? { signal: opts.signal } : {}) };
    let messages: BaseMessage[];
    if (opts.onEvent) messages = await streamRun(agent, input, runConfig, opts.onEvent);
    else messages = ((await agent.invoke(input, runConfig)) as { messages: BaseMessage[] }).messages;
    return summarise(messages, opts.history?.length ?? 0);
  } catch (err) {
    throw toGeoscoutError(err, 'INTERNAL', 'agent');
  } finally {
    await client.close();
  }
}

function connectionOf(t: McpTarget) {
  if (t.kind === 'http') return { transport: 'http' as const, url: t.url, ...(t.token ? { headers: { Authorization: `Bearer ${t.token}` } } : {}) };
  const env = t.env ?? (Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<string, string>);
  return {
    transport: 'stdio' as const,
    command: t.command ?? process.execPath,
    args: t.args ?? [GEOSCOUT_BIN, 'mcp'],
    env,
    ...(t.cwd ? { cwd: t.cwd } : {}),
    stderr: 'ignore' as const,
  };
}

type Agent = ReturnType<typeof createAgent>;

async function streamRun(agent: Agent, input: { messages: BaseMessage[] }, runConfig: object, onEvent: (e: AgentEvent) => void): Promise<BaseMessage[]> {
  let last: BaseMessage[] = input.messages;
  const stream = await agent.stream(input, { ...runConfig, streamMode: ['messages', 'values'] as const });
  for await (const [mode, chunk] of stream as AsyncIterable<[string, unknown]>) {
    if (mode === 'values') { last = (chunk as { messages: BaseMessage[] }).messages; continue; }
    const [msg] = chunk as [BaseMessage];
    if (ToolMessage.isInstance(msg)) {
      onEvent({ type: 'tool_result', name: msg.name ?? '?', ok: msg.status !== 'error', summary: textOf(msg).slice(0, 300) });
    } else if (AIMessage.isInstance(msg) || msg.getType() === 'ai') {
      const text = textOf(msg);
      if (text) onEvent({ type: 'token', text });
      for (const tc of (msg as AIMessage).tool_calls ?? []) if (tc.name) onEvent({ type: 'tool_call', name: tc.name, args: tc.args });
    }
  }
  return last;
}

/** Builds answer, trace and citations from the finished conversation (turns after `skip`). */
export function summarise(messages: BaseMessage[], skip = 0): AskResult {
  const turn = messages.slice(skip);
  const calls = new Map<string, { name: string; args: unknown }>();
  const trace: ToolTraceEntry[] = [];
  const sources: Citation[] = [];
  for (const m of turn) {
    if (AIMessage.isInstance(m)) for (const tc of m.tool_calls ?? []) calls.set(tc.id ?? '', { name: tc.name, args: tc.args });
    if (ToolMessage.isInstance(m)) {
      const call = calls.get(m.tool_call_id) ?? { name: m.name ?? '?', args: undefined };
      const structured = structuredOf(m);
      trace.push({ name: call.name, args: call.args, ok: m.status !== 'error', summary: textOf(m).slice(0, 500), ...(structured !== undefined ? { output: elide(structured) } : {}) });
      if (structured !== undefined && m.status !== 'error') sources.push(...citationsFromOutput(call.name, structured));
    }
  }
  const final = [...turn].reverse().find((m) => AIMessage.isInstance(m) && !(m.tool_calls?.length));
  const answer = final ? textOf(final) : '';
  return { answer, citations: citationsInAnswer(answer, sources), tool_trace: trace, sources, messages };
}

function structuredOf(m: ToolMessage): unknown {
  const arts = Array.isArray(m.artifact) ? (m.artifact as { type?: string; data?: unknown }[]) : [];
  return arts.find((a) => a?.type === 'mcp_structured_content')?.data;
}

function textOf(m: BaseMessage): string {
  if (typeof m.content === 'string') return ToolMessage.isInstance(m) ? adapterText(m.content) : m.content;
  return m.content.map((b) => (typeof b === 'string' ? b : b.type === 'text' ? String((b as { text?: string }).text ?? '') : '')).join('');
}

function elide(v: unknown): unknown {
  if (typeof v === 'string') return v.length > 2000 ? `${v.slice(0, 40)}… (${v.length} chars)` : v;
  if (Array.isArray(v)) return v.map(elide);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, elide(x)]));
  return v;
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the scripted model answers at one step: text, tool calls, or both. */
export interface ScriptedReply {
  text?: string;
  toolCalls?: { name: string; args: Record<string, unknown> }[];
  /** Never answer: hold the request open until the client goes away (for cancellation tests). */
  hang?: boolean;
}

/** One step of a script: sees the request body exactly as the provider would, returns the reply. */
export type ScriptStep = (body: Record<string, unknown>) => ScriptedReply;

/** A running scripted provider on 127.0.0.1. */
export interface ScriptedServer {
  /** Base URL for the client (ChatOpenAI `configuration.baseURL`, ChatAnthropic `anthropicApiUrl`). */
  url: string;
  /** Every request body received, in order. */
  requests: Record<string, unknown>[];
  /** Requests the provider would have refused, with the reason (the server answered 400). */
  rejected: string[];
  /** Hanging requests whose client closed the connection (a cancelled call). */
  hungUp: number;
  close(): Promise<void>;
}

/**
 * A local server speaking the OpenAI Chat Completions wire format (JSON and SSE streaming,
 * tool calls), scripted step by step, so the real `ChatOpenAI` class and its message
 * conversion run in tests. It refuses what the real API refuses and tests rely on:
 * non-text parts in a `tool` message, image parts anywhere but a user message, image URLs
 * that are neither https nor data URLs.
 */
export function scriptedOpenAI(steps: ScriptStep[]): Promise<ScriptedServer> {
  return serve(steps, '/chat/completions', validateOpenAI, (reply, n, stream, res) => {
    const calls = (reply.toolCalls ?? []).map((c, i) => ({ id: `call_${n}_${i}`, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.args) } }));
    const finish = calls.length ? 'tool_calls' : 'stop';
    const base = { id: `chatcmpl-${n}`, created: 1_700_000_000, model: 'scripted' };
    if (!stream) {
      json(res, 200, { ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: reply.text ?? null, ...(calls.length ? { tool_calls: calls } : {}) }, finish_reason: finish }], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } });
      return;
    }
    sse(res);
    const chunk = (delta: object, finish_reason: string | null = null) => res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason }] })}\n\n`);
    chunk({ role: 'assistant', content: '' });
    for (const piece of split(reply.text ?? '')) chunk({ content: piece });
    calls.forEach((c, i) => chunk({ tool_calls: [{ index: i, id: c.id, type: 'function', function: { name: c.function.name, arguments: c.function.arguments } }] }));
    chunk({}, finish);
    res.end('data: [DONE]\n\n');
  });
}

/**
 * A local server speaking the Anthropic Messages wire format (JSON and SSE events, tool_use),
 * scripted step by step, so the real `ChatAnthropic` class runs in tests. It refuses image
 * sources that are not base64 or URLs, media types the API does not take, images over 5 MB,
 * and content block types the API does not know.
 */
export function scriptedAnthropic(steps: ScriptStep[]): Promise<ScriptedServer> {
  return serve(steps, '/v1/messages', validateAnthropic, (reply, n, stream, res) => {
    const content = [...(reply.text ? [{ type: 'text', text: reply.text }] : []), ...(reply.toolCalls ?? []).map((c, i) => ({ type: 'tool_use', id: `toolu_${n}_${i}`, name: c.name, input: c.args }))];
    const stop = reply.toolCalls?.length ? 'tool_use' : 'end_turn';
    const message = { id: `msg_${n}`, type: 'message', role: 'assistant', model: 'scripted', stop_sequence: null, usage: { input_tokens: 10, output_tokens: 5 } };
    if (!stream) {
      json(res, 200, { ...message, content, stop_reason: stop });
      return;
    }
    sse(res);
    const ev = (type: string, data: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
    ev('message_start', { message: { ...message, content: [], stop_reason: null } });
    content.forEach((b, index) => {
      if (b.type === 'text') {
        ev('content_block_start', { index, content_block: { type: 'text', text: '' } });
        for (const piece of split(String((b as { text: string }).text))) ev('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
      } else {
        ev('content_block_start', { index, content_block: { type: 'tool_use', id: (b as { id: string }).id, name: (b as { name: string }).name, input: {} } });
        ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: JSON.stringify((b as { input: object }).input) } });
      }
      ev('content_block_stop', { index });
    });
    ev('message_delta', { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: 5 } });
    ev('message_stop', {});
    res.end();
  });
}

type Writer = (reply: ScriptedReply, n: number, stream: boolean, res: http.ServerResponse) => void;

async function serve(steps: ScriptStep[], route: string, validate: (body: Record<string, unknown>) => string | null, write: Writer): Promise<ScriptedServer> {
  const requests: Record<string, unknown>[] = [];
  const rejected: string[] = [];
  const state = { hungUp: 0 };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith(route)) return json(res, 404, { error: { message: `no route ${req.method} ${req.url}`, type: 'not_found' } });
      const body = JSON.parse(raw) as Record<string, unknown>;
      requests.push(body);
      const bad = validate(body);
      if (bad) {
        rejected.push(bad);
        return json(res, 400, { type: 'error', error: { type: 'invalid_request_error', message: bad } });
      }
      const step = steps[requests.length - 1 - rejected.length];
      if (!step) return json(res, 500, { error: { message: `script has no step ${requests.length}`, type: 'server_error' } });
      const reply = step(body);
      if (reply.hang) {
        res.on('close', () => state.hungUp++);
        return;
      }
      write(reply, requests.length, body.stream === true, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    rejected,
    get hungUp() { return state.hungUp; },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

function validateOpenAI(body: Record<string, unknown>): string | null {
  for (const [i, m] of ((body.messages ?? []) as { role: string; content: unknown }[]).entries()) {
    if (!Array.isArray(m.content)) continue;
    for (const [j, p] of (m.content as { type: string; image_url?: { url?: string } }[]).entries()) {
      if (m.role === 'tool' && p.type !== 'text') return `Invalid 'messages[${i}].content[${j}].type': a tool message takes text parts only, got '${p.type}'.`;
      if (p.type === 'image_url') {
        if (m.role !== 'user') return `Invalid 'messages[${i}]': image_url parts are only allowed in user messages.`;
        const url = p.image_url?.url ?? '';
        if (!/^(https:\/\/|data:image\/(png|jpeg|gif|webp);base64,)/.test(url)) return `Invalid image URL in 'messages[${i}].content[${j}]': expected https or a base64 data URL.`;
      } else if (p.type !== 'text') return `Invalid 'messages[${i}].content[${j}].type': '${p.type}'.`;
    }
  }
  return null;
}

const ANTHROPIC_BLOCKS = new Set(['text', 'image', 'document', 'tool_use', 'tool_result', 'thinking']);

function validateAnthropic(body: Record<string, unknown>): string | null {
  const check = (b: { type: string; source?: { type?: string; media_type?: string; data?: string }; content?: unknown }, where: string): string | null => {
    if (!ANTHROPIC_BLOCKS.has(b.type)) return `${where}: unknown content block type '${b.type}'.`;
    if (b.type === 'image') {
      const s = b.source ?? {};
      if (s.type !== 'base64' && s.type !== 'url') return `${where}: image source type '${s.type}' is not base64 or url.`;
      if (s.type === 'base64' && !['image/png', 'image/jpeg', 'image/gif', 'image/webp'].includes(s.media_type ?? '')) return `${where}: image media_type '${s.media_type}'.`;
      if (s.type === 'base64' && (s.data?.length ?? 0) * 0.75 > 5 * 1024 * 1024) return `${where}: image exceeds 5 MB.`;
    }
    if (b.type === 'tool_result' && Array.isArray(b.content)) {
      for (const [k, c] of (b.content as { type: string }[]).entries()) {
        if (c.type !== 'text' && c.type !== 'image') return `${where}.content[${k}]: a tool_result takes text and image blocks, got '${c.type}'.`;
        const bad = check(c as never, `${where}.content[${k}]`);
        if (bad) return bad;
      }
    }
    return null;
  };
  for (const [i, m] of ((body.messages ?? []) as { content: unknown }[]).entries()) {
    if (!Array.isArray(m.content)) continue;
    for (const [j, b] of (m.content as never[]).entries()) {
      const bad = check(b, `messages.${i}.content.${j}`);
      if (bad) return bad;
    }
  }
  return null;
}

function json(res: http.ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function sse(res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
}

/** A text in a few pieces, as a stream would deliver it. */
function split(text: string): string[] {
  if (!text) return [];
  const n = Math.max(1, Math.ceil(text.length / 3));
  return [text.slice(0, n), text.slice(n, 2 * n), text.slice(2 * n)].filter(Boolean);
}

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeServerFixture, REPO_ROOT, serveFixture, type ServerFixture } from '../server/mcp/testing/fixture.js';
import { askAgent, type AgentEvent, type McpTarget } from './ask-agent.js';
import { createChatModel } from './llm.js';
import { scriptedAnthropic, scriptedOpenAI, type ScriptedServer, type ScriptStep } from './testing/scripted-llm.js';

// The real ChatOpenAI / ChatAnthropic classes against local servers that speak their wire
// formats (agent/testing/scripted-llm.ts), through a spawned `geoscout mcp` over stdio.
const TOKEN = 'providers-token-0123456789abcdef';
let fx: ServerFixture;
let httpUrl: string;
let stopHttp: () => Promise<void>;
beforeAll(async () => {
  fx = await makeServerFixture(33);
  const served = await serveFixture(fx, TOKEN);
  httpUrl = served.url;
  stopHttp = served.stop;
});
afterAll(async () => {
  await stopHttp?.();
  await fx?.close();
});

const stdio = (): McpTarget => ({ kind: 'stdio', args: [path.join(REPO_ROOT, 'bin/geoscout.js'), 'mcp'], env: Object.fromEntries(Object.entries(fx.env).filter(([, v]) => v !== undefined)) as Record<string, string>, cwd: fx.dir });

/** Text of every tool result in an OpenAI or Anthropic request body. */
function toolResultText(body: Record<string, unknown>): string {
  const msgs = body.messages as { role: string; content: unknown }[];
  const texts: string[] = [];
  for (const m of msgs) {
    if (m.role === 'tool') texts.push(typeof m.content === 'string' ? m.content : JSON.stringify(m.content));
    if (Array.isArray(m.content)) for (const b of m.content as { type: string; content?: unknown }[]) if (b.type === 'tool_result') texts.push(JSON.stringify(b.content));
  }
  return texts.join('\n');
}

/** search → look at the best tile → answer citing it. */
function tilePlan(): { steps: ScriptStep[]; tile: () => string } {
  let tile = '';
  return {
    tile: () => tile,
    steps: [
      () => ({ toolCalls: [{ name: 'search_tiles', args: { text: 'an aircraft parked on an apron', limit: 2, rerank: 'patches' } }] }),
      (body) => {
        tile = /img_[0-9a-f]+\/[^\s"\\]+/.exec(toolResultText(body))?.[0] ?? 'none';
        return { text: 'Let me look at the best tile.', toolCalls: [{ name: 'get_tile_image', args: { tile_id: tile, max_size: 256 } }] };
      },
      () => ({ text: `Tile ${tile} shows a parked aircraft on the apron.` }),
    ],
  };
}

const PROVIDERS: [string, (s: ScriptStep[]) => Promise<ScriptedServer>, 'openai' | 'anthropic'][] = [
  ['ChatOpenAI (Chat Completions wire format)', scriptedOpenAI, 'openai'],
  ['ChatAnthropic (Messages wire format)', scriptedAnthropic, 'anthropic'],
];

describe.each(PROVIDERS)('agent through %s', (_name, start, provider) => {
  for (const [streaming, transport] of [[false, 'stdio'], [true, 'stdio'], [false, 'http']] as const) {
    it(`${streaming ? 'streams (geoscout chat)' : 'answers (geoscout ask)'} over ${transport}: search, then get_tile_image, and the model receives the picture in a form its API accepts`, async () => {
      const plan = tilePlan();
      const llm = await start(plan.steps);
      try {
        const model = await createChatModel({ provider, model: 'scripted', baseUrl: provider === 'openai' ? `${llm.url}/v1` : llm.url, temperature: 0, maxSteps: 6 }, { OPENAI_API_KEY: 'sk-test', ANTHROPIC_API_KEY: 'sk-ant-test' });
        const events: AgentEvent[] = [];
        const server: McpTarget = transport === 'stdio' ? stdio() : { kind: 'http', url: httpUrl, token: TOKEN };
        const r = await askAgent({ question: 'Show me a parked aircraft.', model, server, config: fx.config, ...(streaming ? { onEvent: (e: AgentEvent) => events.push(e) } : {}) });
        expect(llm.rejected).toEqual([]);
        expect(r.tool_trace.map((t) => [t.name, t.ok])).toEqual([['search_tiles', true], ['get_tile_image', true]]);
        expect(plan.tile()).toMatch(/^img_/);
        // The answer cites the id the tool returned.
        expect(r.answer).toContain(plan.tile());
        expect(r.citations.some((c) => c.tile_id === plan.tile())).toBe(true);
        // The third request carries the PNG once, as an image the provider takes.
        const images = imagesIn(llm.requests[2]!, provider);
        expect(images).toHaveLength(1);
        expect(Buffer.from(images[0]!, 'base64').subarray(1, 4).toString()).toBe('PNG');
        expect(JSON.stringify(llm.requests[2])).not.toContain('geoscout://');
        if (streaming) {
          expect(events.some((e) => e.type === 'token')).toBe(true);
          expect(events.filter((e) => e.type === 'tool_call').map((e) => (e as { name: string }).name)).toEqual(['search_tiles', 'get_tile_image']);
        }
      } finally {
        await llm.close();
      }
    });
  }
});

describe.each(PROVIDERS)('agent tool errors through %s', (_name, start, provider) => {
  it('a refused tool call reaches the model as an error result it can read, and the turn completes', async () => {
    const llm = await start([
      () => ({ toolCalls: [{ name: 'search_tiles', args: { text: 'a ship', bbox: [179, 0, -179, 1] } }] }),
      (body) => ({ text: /INVALID_INPUT|bbox/.test(toolResultText(body)) ? 'The search was refused: the bbox is not valid. Nothing found.' : 'no error seen' }),
    ]);
    try {
      const model = await createChatModel({ provider, model: 'scripted', baseUrl: provider === 'openai' ? `${llm.url}/v1` : llm.url, temperature: 0, maxSteps: 4 }, { OPENAI_API_KEY: 'sk-test', ANTHROPIC_API_KEY: 'sk-ant-test' });
      const r = await askAgent({ question: 'Ships near the date line?', model, server: { kind: 'http', url: httpUrl, token: TOKEN }, config: fx.config });
      expect(llm.rejected).toEqual([]);
      expect(r.tool_trace.map((t) => [t.name, t.ok])).toEqual([['search_tiles', false]]);
      expect(r.answer).toMatch(/refused/);
    } finally {
      await llm.close();
    }
  });
});

/** Base64 images in a request body, in the provider's own shape. */
function imagesIn(body: Record<string, unknown>, provider: 'openai' | 'anthropic'): string[] {
  const out: string[] = [];
  const visit = (b: { type?: string; image_url?: { url?: string }; source?: { type?: string; data?: string }; content?: unknown }) => {
    if (provider === 'openai' && b.type === 'image_url') out.push((b.image_url?.url ?? '').replace(/^data:image\/\w+;base64,/, ''));
    if (provider === 'anthropic' && b.type === 'image' && b.source?.type === 'base64') out.push(b.source.data ?? '');
    if (Array.isArray(b.content)) for (const c of b.content) visit(c as never);
  };
  for (const m of body.messages as { content: unknown }[]) if (Array.isArray(m.content)) for (const b of m.content) visit(b as never);
  return out;
}

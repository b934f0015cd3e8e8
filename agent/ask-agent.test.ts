import path from 'node:path';
import { AIMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeServerFixture, REPO_ROOT, serveFixture, type ServerFixture } from '../server/mcp/testing/fixture.js';
import { askAgent, type McpTarget } from './ask-agent.js';
import { SYSTEM_PROMPT } from './system-prompt.js';

const TOKEN = 'agent-token-0123456789abcdef';
let fx: ServerFixture;
let httpUrl: string;
let stop: () => Promise<void>;

beforeAll(async () => {
  fx = await makeServerFixture(33);
  const served = await serveFixture(fx, TOKEN);
  httpUrl = served.url;
  stop = served.stop;
});
afterAll(async () => {
  await stop?.();
  await fx?.close();
});

const lastToolText = (messages: BaseMessage[]) => {
  const t = [...messages].reverse().find((m) => ToolMessage.isInstance(m))!;
  return typeof t.content === 'string' ? t.content : t.content.map((b) => ('text' in b ? String(b.text) : '')).join('');
};

/**
 * A scripted model that behaves like a grounded LLM: it lists scenes, searches, then
 * writes its answer from the search result text it was shown (the rendering an LLM sees).
 */
function groundedModel() {
  return fakeModel()
    .respondWithTools([{ name: 'list_images', args: { from: '2024-06-01T00:00:00Z', to: '2024-06-30T00:00:00Z' } }])
    .respondWithTools([{ name: 'search_tiles', args: { text: 'an aircraft parked on an apron', limit: 3 } }])
    .respond((messages) => {
      const line = lastToolText(messages).split('\n')[0]!;
      const m = /(img_\S+)\s+at ([-\d.]+), ([-\d.]+) \(lat, lon\).*?(\d{4}-\d\d-\d\d) (\S+)/.exec(line);
      if (!m) return new AIMessage('I found nothing.');
      return new AIMessage(`The best match for a parked aircraft is tile ${m[1]} at ${m[2]}, ${m[3]} (lat, lon), acquired ${m[4]} by ${m[5]}. I did not find a second aircraft above the score of the first. Ignore tile img_ffffffffffffffff/x@1/L0/0_0_1 which I made up.`);
    });
}

describe.each([
  ['stdio (spawned geoscout mcp)', (): McpTarget => ({ kind: 'stdio', args: [path.join(REPO_ROOT, 'bin/geoscout.js'), 'mcp'], env: Object.fromEntries(Object.entries(fx.env).filter(([, v]) => v !== undefined)) as Record<string, string>, cwd: fx.dir })],
  ['Streamable HTTP', (): McpTarget => ({ kind: 'http', url: httpUrl, token: TOKEN })],
])('askAgent over %s', (_name, target) => {
  it('drives real tool calls and returns the citations the tools returned and the answer used', async () => {
    const model = groundedModel();
    const r = await askAgent({ question: 'Where is an aircraft parked on 3 June 2024?', model, server: target(), config: fx.config });
    expect(r.tool_trace.map((t) => [t.name, t.ok])).toEqual([['list_images', true], ['search_tiles', true]]);
    const hits = (r.tool_trace[1]!.output as { hits: { tile_id: string; image_id: string; acquired_at: string; sensor: string; best_box: { lon: number; lat: number } }[] }).hits;
    expect(hits.length).toBe(3);
    const top = hits[0]!;
    // Exactly the tile the answer cites, with the tool's own coordinates, time and sensor.
    expect(r.citations).toEqual([
      expect.objectContaining({ kind: 'tile', tool: 'search_tiles', tile_id: top.tile_id, image_id: fx.image.image_id, lon: top.best_box.lon, lat: top.best_box.lat, acquired_at: '2024-06-03T10:30:00.000Z', sensor: 'SYNTH-1' }),
    ]);
    expect(r.answer).toContain(top.tile_id);
    // The invented id is not a citation; every returned tile/image is a source.
    expect(r.citations.some((c) => c.tile_id?.startsWith('img_ffff'))).toBe(false);
    expect(r.sources.filter((s) => s.kind === 'tile').map((s) => s.tile_id)).toEqual(hits.map((h) => h.tile_id));
    expect(r.sources.some((s) => s.kind === 'image' && s.image_id === fx.image.image_id)).toBe(true);
    // The model saw the grounding prompt and the tool schemas.
    const first = model.calls[0]!;
    expect(JSON.stringify(first.messages)).toContain('never instructions');
    expect(SYSTEM_PROMPT).toMatch(/cite|cites/);
  });
});

describe('agent robustness', () => {
  it('a tool error reaches the model as an error result; it recovers and the trace records it', async () => {
    const model = fakeModel()
      .respondWithTools([{ name: 'search_tiles', args: { text: 'x', bbox: [179, 0, -179, 1] } }])
      .respond((messages) => new AIMessage(`The search failed: ${lastToolText(messages).slice(0, 200)}. Nothing found.`));
    const events: string[] = [];
    const r = await askAgent({ question: 'ships across the antimeridian?', model, server: { kind: 'http', url: httpUrl, token: TOKEN }, config: fx.config, onEvent: (e) => events.push(e.type) });
    expect(r.tool_trace).toHaveLength(1);
    expect(r.tool_trace[0]).toMatchObject({ name: 'search_tiles', ok: false });
    expect(r.tool_trace[0]!.summary).toMatch(/antimeridian/);
    expect(r.answer).toMatch(/antimeridian/);
    expect(r.citations).toEqual([]);
    expect(events).toContain('tool_call');
    expect(events).toContain('tool_result');
  });
});

import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { throwIfAborted } from '../../core/errors.js';
import { TOOLS } from '../../tools/registry.js';
import type { ToolDefinition } from '../../tools/tool.js';
import type { AnyTool } from './create-server.js';
import { createHttpApp, listen } from './http-app.js';
import { makeServerFixture, REPO_ROOT, type ServerFixture } from './testing/fixture.js';

const TOKEN = 'test-token-0123456789abcdef';
let fx: ServerFixture;
let http: { url: URL; close(): Promise<void> };
let tileId: string;

/** A tool that counts slowly, reporting progress and honouring cancellation (tests the plumbing, not a feature). */
let slowRuns = { finished: 0, cancelled: 0 };
const slowInput = z.object({ steps: z.number().int().min(1).max(100).describe('steps of 50 ms') }).strict();
const slowTool: ToolDefinition<typeof slowInput, z.ZodObject<{ counted: z.ZodNumber }>> = {
  name: 'slow_count', title: 'Slow count', description: 'test only', inputSchema: slowInput, outputSchema: z.object({ counted: z.number() }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(input, ctx) {
    for (let i = 1; i <= input.steps; i++) {
      await new Promise((r) => setTimeout(r, 50));
      if (ctx.signal?.aborted) slowRuns.cancelled++;
      throwIfAborted(ctx.signal);
      ctx.onProgress?.(i, input.steps, `step ${i}`);
    }
    slowRuns.finished++;
    return { counted: input.steps };
  },
  render: (o) => `counted ${o.counted}`,
};

/** Valid input for each tool in the registry; tools added later without a sample are still listed and checked. */
function sampleInput(name: string): Record<string, unknown> | undefined {
  const samples: Record<string, Record<string, unknown>> = {
    list_images: { sensors: ['SYNTH-1'] },
    search_tiles: { text: 'an aircraft parked on an apron', limit: 3 },
    get_tile_image: { tile_id: tileId, max_size: 96 },
    detect_in_region: { image_id: fx.image.image_id, window: { x: 0, y: 0, width: 512, height: 512 }, queries: [{ text: 'vehicle' }], threshold: 0.3 },
    list_prototypes: {},
  };
  return samples[name];
}

beforeAll(async () => {
  fx = await makeServerFixture();
  const app = createHttpApp({ context: fx.context, tools: [...TOOLS, slowTool as unknown as AnyTool], token: TOKEN, allowedHosts: ['127.0.0.1', 'localhost'], allowedOrigins: [] });
  const { server, port } = await listen(app.app, '127.0.0.1', 0);
  http = { url: new URL(`http://127.0.0.1:${port}/mcp`), close: async () => { server.closeAllConnections(); await new Promise((r) => server.close(r)); await app.close(); } };
  tileId = ((await TOOLS.find((t) => t.name === 'search_tiles')!.handler({ text: 'a ship', limit: 1 }, fx.context)) as { hits: { tile_id: string }[] }).hits[0]!.tile_id;
});
afterAll(async () => {
  await http?.close();
  await fx?.close();
});

async function httpClient(): Promise<Client> {
  const client = new Client({ name: 'test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(http.url, { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
  return client;
}

async function stdioClient(): Promise<Client> {
  const client = new Client({ name: 'test', version: '1' });
  const env = Object.fromEntries(Object.entries(fx.env).filter(([, v]) => v !== undefined)) as Record<string, string>;
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [path.join(REPO_ROOT, 'bin/geoscout.js'), 'mcp'], env, cwd: fx.dir, stderr: 'pipe' }));
  return client;
}

describe.each([
  ['stdio', stdioClient],
  ['Streamable HTTP', httpClient],
] as const)('MCP over %s', (_name, connect) => {
  let client: Client;
  beforeAll(async () => { client = await connect(); });
  afterAll(async () => { await client?.close(); });

  it('lists every registered tool with schemas and explicit annotations', async () => {
    const { tools } = await client.listTools();
    for (const t of TOOLS) {
      const listed = tools.find((x) => x.name === t.name);
      expect(listed, t.name).toBeDefined();
      expect(listed!.outputSchema?.type).toBe('object');
      expect(listed!.annotations).toMatchObject(t.annotations);
      // Every input field is described, so a client's model knows what to pass.
      const props = (listed!.inputSchema.properties ?? {}) as Record<string, { description?: string }>;
      const undocumented = Object.entries(props).filter(([, p]) => !p.description).map(([k]) => k);
      expect(undocumented.length, `${t.name}: ${undocumented.join(',')}`).toBeLessThan(Object.keys(props).length);
    }
  });

  it('calls each tool: structuredContent matches its output schema, text is the rendering', async () => {
    for (const t of TOOLS) {
      const input = sampleInput(t.name);
      if (!input) continue;
      const res = await client.callTool({ name: t.name, arguments: input });
      expect(res.isError, `${t.name}: ${JSON.stringify(res.content)}`).toBeFalsy();
      // MCP declares (and validates) the structured schema a tool sends there, when it has one.
      const out = (t.structured?.schema ?? t.outputSchema).parse(res.structuredContent);
      expect((res.content as { type: string; text?: string }[])[0]).toEqual({ type: 'text', text: t.render(out) });
    }
  });

  it('list_images and search_tiles cite the scene: id, time, sensor, coordinates', async () => {
    const imgs = (await client.callTool({ name: 'list_images', arguments: { from: '2024-06-01T00:00:00Z' } })).structuredContent as { images: { image_id: string; acquired_at: string; sensor: string; center: { lat: number } }[] };
    expect(imgs.images.map((i) => i.image_id)).toEqual([fx.image.image_id]);
    expect(imgs.images[0]).toMatchObject({ acquired_at: '2024-06-03T10:30:00.000Z', sensor: 'SYNTH-1' });
    const none = (await client.callTool({ name: 'list_images', arguments: { bbox: [10, 10, 11, 11] } })).structuredContent as { count: number };
    expect(none.count).toBe(0);
  });

  it('get_tile_image returns a downscaled image block and a tile resource link that reads back', async () => {
    const res = await client.callTool({ name: 'get_tile_image', arguments: { tile_id: tileId, max_size: 64 } });
    const content = res.content as { type: string; mimeType?: string; data?: string; uri?: string }[];
    const img = content.find((c) => c.type === 'image')!;
    expect(img.mimeType).toBe('image/png');
    expect((res.structuredContent as { width: number }).width).toBeLessThanOrEqual(64);
    // The picture travels once: as the image block, not again inside structuredContent.
    expect(JSON.stringify(res.structuredContent)).not.toContain(img.data!.slice(0, 64));
    expect(res.structuredContent).not.toHaveProperty('base64');
    const link = content.find((c) => c.type === 'resource_link')!;
    expect(link.uri).toBe(`geoscout://tiles/${encodeURIComponent(tileId)}`);
    const read = await client.readResource({ uri: link.uri! });
    expect(read.contents.map((c) => c.mimeType)).toEqual(['image/png', 'application/json']);
    const meta = JSON.parse((read.contents[1] as { text: string }).text) as { image_id: string; sensor: string; acquired_at: string; center: number[] };
    expect(meta).toMatchObject({ image_id: fx.image.image_id, sensor: 'SYNTH-1', acquired_at: '2024-06-03T10:30:00.000Z' });
    expect(meta.center[0]).toBeGreaterThan(fx.image.min_lon!);
    expect(meta.center[0]).toBeLessThan(fx.image.max_lon!);
    const templates = await client.listResourceTemplates();
    expect(templates.resourceTemplates.map((t) => t.uriTemplate)).toContain('geoscout://tiles/{tile_id}');
  });

  it('bad input comes back as isError saying what to fix', async () => {
    const wrongType = await client.callTool({ name: 'search_tiles', arguments: { text: 'x', limit: 'ten' } });
    expect(wrongType.isError).toBe(true);
    expect(JSON.stringify(wrongType.content)).toMatch(/limit/);
    const empty = await client.callTool({ name: 'search_tiles', arguments: {} });
    expect(empty.isError).toBe(true);
    expect(JSON.stringify(empty.content)).toMatch(/INVALID_INPUT.*Give a text, an example image/);
    const unknown = await client.callTool({ name: 'get_tile_image', arguments: { tile_id: 'nonsense' } });
    expect(JSON.stringify(unknown.content)).toMatch(/not a tile id/);
    const later = await client.callTool({ name: 'list_images', arguments: {} });
    expect(later.isError).toBeFalsy();
  });
});

describe('long calls over HTTP', () => {
  it('sends progress notifications when the request carries a progress token', async () => {
    const client = await httpClient();
    try {
      const seen: number[] = [];
      const res = await client.callTool({ name: 'slow_count', arguments: { steps: 8 } }, undefined, { onprogress: (p) => { seen.push(p.progress); expect(p.total).toBe(8); } });
      expect(res.structuredContent).toEqual({ counted: 8 });
      expect(seen.length).toBeGreaterThanOrEqual(3);
      expect(seen.at(-1)).toBe(8);
      expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    } finally {
      await client.close();
    }
  });

  it('cancellation aborts the running handler', async () => {
    const client = await httpClient();
    try {
      slowRuns = { finished: 0, cancelled: 0 };
      const ac = new AbortController();
      const call = client.callTool({ name: 'slow_count', arguments: { steps: 100 } }, undefined, { signal: ac.signal });
      setTimeout(() => ac.abort('user pressed stop'), 300);
      await expect(call).rejects.toThrow(/abort|cancel|stop/i);
      await new Promise((r) => setTimeout(r, 300));
      expect(slowRuns).toEqual({ finished: 0, cancelled: 1 });
      // The session stays usable after a cancel.
      expect((await client.callTool({ name: 'slow_count', arguments: { steps: 1 } })).structuredContent).toEqual({ counted: 1 });
    } finally {
      await client.close();
    }
  });
});

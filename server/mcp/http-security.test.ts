import { execFileSync } from 'node:child_process';
import { constants, open, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOOLS } from '../../tools/registry.js';
import { createHttpApp, listen } from './http-app.js';
import { makeServerFixture, type ServerFixture } from './testing/fixture.js';
import { runLoad } from './bench/load.js';

const TOKEN = 'sec-token-0123456789abcdef';
let fx: ServerFixture;
let base: string;
let stop: () => Promise<void>;

beforeAll(async () => {
  fx = await makeServerFixture(5);
  const app = createHttpApp({ context: fx.context, token: TOKEN, allowedHosts: ['127.0.0.1', 'localhost'], allowedOrigins: ['http://127.0.0.1:9'] });
  const { server, port } = await listen(app.app, '127.0.0.1', 0);
  base = `http://127.0.0.1:${port}`;
  stop = async () => { server.closeAllConnections(); await new Promise((r) => server.close(r)); await app.close(); };
});
afterAll(async () => {
  await stop?.();
  await fx?.close();
});

const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'curl', version: '1' } } };
const post = (p: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(base + p, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify(body) });

describe('HTTP security', () => {
  it('no token → 401 with WWW-Authenticate; wrong token → 401; right token → 200', async () => {
    const none = await post('/mcp', init);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer realm="geoscout"/);
    const wrong = await post('/mcp', init, { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/invalid_token/);
    expect((await post('/api/tools/list_images', {})).status).toBe(401);
    const ok = await post('/mcp', init, { authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('mcp-session-id')).toBeTruthy();
  });

  it('a foreign Origin gets 403 even with the token; a listed origin passes; a foreign Host gets 403', async () => {
    const foreign = await post('/mcp', init, { authorization: `Bearer ${TOKEN}`, origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(await foreign.text()).toMatch(/Origin https:\/\/evil.example is not allowed/);
    expect((await post('/mcp', init, { authorization: `Bearer ${TOKEN}`, origin: 'http://127.0.0.1:9' })).status).toBe(200);
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends Host: evil.example.
    const rebound = await new Promise<number | undefined>((resolve, reject) => {
      request(`${base}/healthz`, { headers: { host: 'evil.example' } }, (res) => { res.resume(); resolve(res.statusCode); }).on('error', reject).end();
    });
    expect(rebound).toBe(403);
  });

  it('a path outside allowedRoots is refused and the file is never opened', async () => {
    // A FIFO outside the roots: opening it for writing without blocking fails with ENXIO
    // exactly when no reader has it open, so we can prove the server never opened it.
    const fifo = path.join(fx.dir, 'outside.png');
    execFileSync('mkfifo', [fifo]);
    const client = new Client({ name: 't', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
    try {
      const res = await client.callTool({ name: 'search_tiles', arguments: { images: [{ path: fifo }] } });
      expect(res.isError).toBe(true);
      expect(JSON.stringify(res.content)).toMatch(/PERMISSION_DENIED.*outside the allowed roots/);
      await expect(open(fifo, constants.O_WRONLY | constants.O_NONBLOCK)).rejects.toMatchObject({ code: 'ENXIO' });
      // Symlinks into the roots do not help: the real path is checked.
      const secret = path.join(fx.dir, 'secret.png');
      await writeFile(secret, 'x');
      const link = path.join(fx.dataRoot, 'link.png');
      execFileSync('ln', ['-s', secret, link]);
      const viaLink = await client.callTool({ name: 'search_tiles', arguments: { images: [{ path: link }] } });
      expect(JSON.stringify(viaLink.content)).toMatch(/PERMISSION_DENIED/);
    } finally {
      await client.close();
    }
  });
});

describe('REST mirror', () => {
  const auth = { authorization: `Bearer ${TOKEN}` };
  it('lists the tools, runs one, validates input, and describes itself in OpenAPI', async () => {
    const list = (await (await fetch(`${base}/api/tools`, { headers: auth })).json()) as { tools: { name: string; input_schema: { type: string } }[] };
    expect(list.tools.map((t) => t.name)).toEqual(TOOLS.map((t) => t.name));
    const ok = await post('/api/tools/list_images', { sensors: ['SYNTH-1'] }, auth);
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { images: { image_id: string }[] };
    expect(body.images[0]!.image_id).toBe(fx.image.image_id);
    const bad = await post('/api/tools/search_tiles', { text: 'x', limit: 0 }, auth);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/limit/) });
    const missing = await post('/api/tools/get_tile_image', { image_id: 'img_0000000000000000', x: 0, y: 0, width: 10, height: 10 }, auth);
    expect(missing.status).toBe(404);
    expect((await post('/api/tools/nope', {}, auth)).status).toBe(404);
    const spec = (await (await fetch(`${base}/openapi.json`, { headers: auth })).json()) as { openapi: string; paths: Record<string, { post?: { requestBody: { content: { 'application/json': { schema: { properties: Record<string, unknown> } } } } } }> };
    expect(spec.openapi).toBe('3.1.0');
    for (const t of TOOLS) expect(spec.paths[`/api/tools/${t.name}`]?.post, t.name).toBeDefined();
    expect(Object.keys(spec.paths['/api/tools/search_tiles']!.post!.requestBody.content['application/json'].schema.properties)).toContain('bbox');
  });
});

describe('concurrency', () => {
  it('50 concurrent HTTP clients × 4 calls complete with zero errors', async () => {
    // list_images only: this checks sessions and transport under concurrency; bench:mcp runs the
    // mixed tool load against a separate server process.
    const r = await runLoad({ url: `${base}/mcp`, token: TOKEN, clients: 50, callsPerClient: 4, mix: [{ name: 'list_images', arguments: {} }], timeoutMs: 280_000 });
    expect(r.errors).toEqual([]);
    expect(r.latenciesMs).toHaveLength(200);
  }, 300_000);
});

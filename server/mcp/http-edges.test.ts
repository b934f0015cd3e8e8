import { spawn } from 'node:child_process';
import { request } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../../core/testing/run-process.js';
import { createHttpApp, listen } from './http-app.js';
import { makeServerFixture, REPO_ROOT, type ServerFixture } from './testing/fixture.js';

const TOKEN = 'edge-token-0123456789abcdef';
let fx: ServerFixture;
let base: string;
let stop: () => Promise<void>;
let app: ReturnType<typeof createHttpApp>;

beforeAll(async () => {
  fx = await makeServerFixture(6);
  app = createHttpApp({ context: fx.context, token: TOKEN, allowedHosts: ['127.0.0.1'], allowedOrigins: [], maxSessions: 2, sessionIdleMs: 1500 });
  const { server, port } = await listen(app.app, '127.0.0.1', 0);
  base = `http://127.0.0.1:${port}`;
  stop = async () => { server.closeAllConnections(); await new Promise((r) => server.close(r)); await app.close(); };
});
afterAll(async () => {
  await stop?.();
  await fx?.close();
});

const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const raw = (p: string, body: string, headers: Record<string, string> = {}) => fetch(base + p, { method: 'POST', headers: { ...auth, ...headers }, body });
const init = (id = 1) => JSON.stringify({ jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'edge', version: '1' } } });

/** A JSON body read from an SSE or JSON response. */
async function rpcBody(res: Response): Promise<{ error?: { code: number; message: string }; result?: unknown }> {
  const text = await res.text();
  const data = text.includes('data:') ? text.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5)).join('') : text;
  return JSON.parse(data) as never;
}

describe('HTTP edges', () => {
  it('malformed JSON: JSON-RPC -32700 on /mcp, the REST error shape on /api, never HTML or a stack trace', async () => {
    const mcp = await raw('/mcp', '{"jsonrpc": "2.0", "id": 1, "method": ');
    expect(mcp.status).toBe(400);
    expect(mcp.headers.get('content-type')).toMatch(/application\/json/);
    const body = await rpcBody(mcp);
    expect(body.error?.code).toBe(-32700);
    const rest = await raw('/api/tools/list_images', '{not json');
    expect(rest.status).toBe(400);
    const text = await rest.text();
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'INVALID_INPUT' } });
    for (const t of [JSON.stringify(body), text]) expect(t).not.toMatch(/<html|<pre>|at .*\.js:\d+/i);
  });

  it('a body over the limit: -32600 on /mcp, LIMIT_EXCEEDED on /api (413)', async () => {
    const big = JSON.stringify({ text: 'x'.repeat(33 * 1024 * 1024) });
    const mcp = await raw('/mcp', big);
    expect(mcp.status).toBe(413);
    expect((await rpcBody(mcp)).error?.code).toBe(-32600);
    const rest = await raw('/api/tools/search_tiles', big);
    expect(rest.status).toBe(413);
    expect(await rest.json()).toMatchObject({ error: { code: 'LIMIT_EXCEEDED' } });
  });

  it('tools/call without params is -32602 (invalid params)', async () => {
    const res = await raw('/mcp', init());
    const sid = res.headers.get('mcp-session-id')!;
    await res.text();
    const h = { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' };
    await (await raw('/mcp', JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), h)).text();
    const call = await raw('/mcp', JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call' }), h);
    expect((await rpcBody(call)).error?.code).toBe(-32602);
    await fetch(base + '/mcp', { method: 'DELETE', headers: { ...auth, ...h } });
  });

  it('sessions are capped and idle ones expire', async () => {
    await new Promise((r) => setTimeout(r, 1600 + 1600)); // earlier tests' sessions expire
    const a = await raw('/mcp', init(1));
    const b = await raw('/mcp', init(2));
    expect([a.status, b.status]).toEqual([200, 200]);
    const c = await raw('/mcp', init(3));
    expect(c.status).toBe(503);
    expect((await rpcBody(c)).error?.message).toMatch(/maximum of 2 sessions/);
    // The sweeper runs every idle interval: within two, both are gone and a new client gets in.
    await new Promise((r) => setTimeout(r, 3300));
    expect(app.sessions()).toBe(0);
    expect((await raw('/mcp', init(4))).status).toBe(200);
  });

  it('serve --allow-host accepts a Host header naming the server (behind a DNS name); other hosts stay refused', async () => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/geoscout.js'), 'serve', '--host', '127.0.0.1', '--port', '0', '--allow-host', 'geoscout.example'], { env: { ...fx.env, GEOSCOUT_TOKEN: TOKEN }, cwd: fx.dir });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let err = '';
        child.stderr.on('data', (c: Buffer) => {
          err += c.toString();
          const m = /MCP http:\/\/127\.0\.0\.1:(\d+)\/mcp/.exec(err);
          if (m) resolve(Number(m[1]));
        });
        child.once('exit', () => reject(new Error(`serve exited: ${err}`)));
      });
      const status = (host: string) => new Promise<number | undefined>((resolve, reject) => {
        request({ host: '127.0.0.1', port, path: '/healthz', headers: { host } }, (res) => { res.resume(); resolve(res.statusCode); }).on('error', reject).end();
      });
      expect(await status(`geoscout.example:${port}`)).toBe(200);
      expect(await status(`evil.example:${port}`)).toBe(403);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('serve refuses a GEOSCOUT_TOKEN shorter than 16 characters', async () => {
    const r = await runProcess(process.execPath, [path.join(REPO_ROOT, 'bin/geoscout.js'), 'serve', '--port', '0'], { env: { ...fx.env, GEOSCOUT_TOKEN: 'short' }, cwd: fx.dir, timeoutMs: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/GEOSCOUT_TOKEN is shorter than 16 characters/);
  });
});

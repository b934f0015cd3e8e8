import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../core/testing/temp-dir.js';
import { StdioRequestGuard } from './stdio-guard.js';
import { REPO_ROOT } from './testing/fixture.js';

describe('stdio request guard', () => {
  it('passes lines through whole, split anywhere; an oversized line becomes a -32600 reply with its id', async () => {
    const replies: string[] = [];
    const g = new StdioRequestGuard((l) => replies.push(l), 100);
    const out: Buffer[] = [];
    g.on('data', (c: Buffer) => out.push(c));
    // The id after the params, as the SDK client serialises a request.
    const big = JSON.stringify({ jsonrpc: '2.0', method: 'tools/call', params: { x: 'y'.repeat(500) }, id: 'req-7' });
    const input = `{"jsonrpc":"2.0","id":1,"method":"ping"}\n${big}\n{"jsonrpc":"2.0","id":2,"method":"ping"}\n`;
    // Feed in uneven chunks, as a pipe would.
    for (let i = 0; i < input.length; i += 37) g.write(Buffer.from(input.slice(i, i + 37)));
    await new Promise((r) => setImmediate(r));
    expect(Buffer.concat(out).toString()).toBe('{"jsonrpc":"2.0","id":1,"method":"ping"}\n{"jsonrpc":"2.0","id":2,"method":"ping"}\n');
    expect(replies).toHaveLength(1);
    expect(JSON.parse(replies[0]!)).toMatchObject({ id: 'req-7', error: { code: -32600 } });
  });
});

describe('geoscout mcp over stdio', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let client: Client;
  beforeAll(async () => {
    tmp = await makeTempDir('geoscout-stdio-');
    client = new Client({ name: 'big', version: '1' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [path.join(REPO_ROOT, 'bin/geoscout.js'), 'mcp'], env: { ...(process.env as Record<string, string>), GEOSCOUT_DATA_DIR: path.join(tmp.dir, 'state'), GEOSCOUT_LOG_LEVEL: 'warn', GEOSCOUT_CONFIG: '' }, cwd: tmp.dir, stderr: 'ignore' }));
  });
  afterAll(async () => {
    await client?.close();
    await tmp?.cleanup();
  });

  it('an oversized request gets an error and the connection lives on (it used to end the server silently)', async () => {
    const huge = 'A'.repeat(40 * 1024 * 1024);
    await expect(client.callTool({ name: 'search_tiles', arguments: { image: { base64: huge } } })).rejects.toThrow(/over 32 MB/);
    const after = await client.callTool({ name: 'list_images', arguments: {} });
    expect((after.structuredContent as { count: number }).count).toBe(0);
  });
});

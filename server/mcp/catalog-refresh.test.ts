import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../../core/testing/run-process.js';
import { generateScene } from '../../pipeline/synth/generate-scene.js';
import { listImagesInput, listImagesTool } from '../../tools/list-images.js';
import { makeServerFixture, REPO_ROOT, type ServerFixture } from './testing/fixture.js';

let fx: ServerFixture;
let client: Client;

beforeAll(async () => {
  fx = await makeServerFixture(44);
  client = new Client({ name: 'refresh-test', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [path.join(REPO_ROOT, 'bin/geoscout.js'), 'mcp'], env: Object.fromEntries(Object.entries(fx.env).filter(([, v]) => v !== undefined)) as Record<string, string>, cwd: fx.dir, stderr: 'ignore' }));
});
afterAll(async () => {
  await client?.close();
  await fx?.close();
});

const ids = (out: unknown) => (out as { images: { image_id: string }[] }).images.map((i) => i.image_id).sort();

describe('a long-running server', () => {
  it('sees images another process adds and ingests, without a restart', async () => {
    // Both servers have read the catalog (and so opened its table) before the change.
    expect(ids((await client.callTool({ name: 'list_images', arguments: {} })).structuredContent)).toEqual([fx.image.image_id]);
    expect(ids(await listImagesTool.handler(listImagesInput.parse({}), fx.context))).toEqual([fx.image.image_id]);
    const scene = await generateScene(path.join(fx.dataRoot, 'more'), 'm', { seed: 45, width: 512, height: 512, acquiredAt: '2024-06-04T10:30:00Z' });
    const cli = (...args: string[]) => runProcess(process.execPath, [path.join(REPO_ROOT, 'bin/geoscout.js'), ...args], { env: fx.env, cwd: fx.dir, timeoutMs: 120_000 });
    const added = await cli('images', 'add', scene.tiffPath, '--json');
    expect(added.status, added.stderr).toBe(0);
    const newId = (JSON.parse(added.stdout) as { added: { image_id: string }[] }).added[0]!.image_id;
    expect((await cli('ingest', newId)).status).toBe(0);
    // Reads check for newer table versions at most once a second.
    await new Promise((r) => setTimeout(r, 1200));
    const want = [fx.image.image_id, newId].sort();
    expect(ids((await client.callTool({ name: 'list_images', arguments: {} })).structuredContent)).toEqual(want);
    expect(ids(await listImagesTool.handler(listImagesInput.parse({}), fx.context))).toEqual(want);
    // Its tiles are searchable through the same long-running server.
    const hits = (await client.callTool({ name: 'search_tiles', arguments: { text: 'a parked car', image_ids: [newId], limit: 3, rerank: 'patches' } })).structuredContent as { hits: { image_id: string }[] };
    expect(hits.hits.length).toBeGreaterThan(0);
    expect(hits.hits.every((h) => h.image_id === newId)).toBe(true);
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { makeTempDir } from '../../core/testing/temp-dir.js';
import { generateScene } from '../../pipeline/synth/generate-scene.js';
import { TOOLS } from '../../tools/registry.js';
import { REPO_ROOT } from './testing/fixture.js';

const run = promisify(execFile);
const BIN = path.join(REPO_ROOT, 'node_modules/.bin');
const GEOSCOUT = path.join(REPO_ROOT, 'bin/geoscout.js');
const TOKEN = 'inspector-token-0123456789abcdef';
let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let env: NodeJS.ProcessEnv;
const servers: ChildProcess[] = [];

/** Starts `geoscout serve` on a free port; resolves with its /mcp URL from the banner on stderr. */
async function serve(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<string> {
  const child = spawn(process.execPath, [GEOSCOUT, 'serve', '--port', '0', ...args], { cwd: tmp.dir, env: { ...env, ...extraEnv }, stdio: ['ignore', 'ignore', 'pipe'] });
  servers.push(child);
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /MCP (http:\/\/\S+\/mcp)/.exec(err);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`geoscout serve exited ${code}: ${err}`)));
  });
}

beforeAll(async () => {
  tmp = await makeTempDir('geoscout-conf-');
  env = { ...process.env, GEOSCOUT_DATA_DIR: path.join(tmp.dir, 'state'), GEOSCOUT_LOG_LEVEL: 'warn', GEOSCOUT_CONFIG: '' };
  delete env.GEOSCOUT_TOKEN;
});
afterAll(async () => {
  for (const s of servers) if (s.exitCode === null) { s.kill('SIGTERM'); await new Promise((r) => s.once('exit', r)); }
  await tmp?.cleanup();
});

describe('conformance', () => {
  it('@modelcontextprotocol/conformance 0.1.13: every applicable server scenario passes (baseline lists the rest)', async () => {
    const url = await serve(['--no-auth']);
    const r = await run(path.join(BIN, 'conformance'), ['server', '--url', url, '--expected-failures', path.join(import.meta.dirname, 'conformance-baseline.yml')], { cwd: tmp.dir, env }).catch((e: { stdout: string; stderr: string; code: number }) => e);
    const out = `${r.stdout}\n${r.stderr}`;
    expect('code' in r ? r.code : 0, out.slice(-3000)).toBe(0);
    for (const s of ['server-initialize', 'ping', 'tools-list', 'logging-set-level', 'dns-rebinding-protection', 'resources-list']) expect(out).toMatch(new RegExp(`✓ ${s}:`));
    // Scenarios that pass only vacuously (they call tools geoscout lacks) are reported as not
    // applicable, not as passes: the applicable pass count leaves them out.
    const baseline = parseYaml(await readFile(path.join(import.meta.dirname, 'conformance-baseline.yml'), 'utf8')) as { server: string[]; not_applicable: string[] };
    const passed = [...out.matchAll(/✓ ([\w-]+): \d+ passed, 0 failed/g)].map((m) => m[1]!);
    for (const s of baseline.not_applicable) expect(out, `${s} should still run`).toMatch(new RegExp(`${s}:`));
    const applicable = passed.filter((s) => !baseline.not_applicable.includes(s));
    console.error(`conformance 0.1.13: ${applicable.length} applicable scenarios passed, ${baseline.not_applicable.length} not applicable (${baseline.not_applicable.join(', ')}), ${baseline.server.length} expected failures`);
  });

  it('serve refuses to start without a token unless --no-auth on loopback', async () => {
    await expect(serve([])).rejects.toThrow(/No bearer token: set GEOSCOUT_TOKEN/);
    await expect(serve(['--no-auth', '--host', '0.0.0.0'])).rejects.toThrow(/only allowed on a loopback/);
  });
});

describe('MCP Inspector CLI', () => {
  // inspector-cli resolves its package.json against the working directory's parent: run it from bin/.
  const inspector = (args: string[]) => run(path.join(BIN, 'mcp-inspector-cli'), args, { cwd: path.join(REPO_ROOT, 'bin'), env, timeout: 90_000 });

  it('lists the tools over stdio', async () => {
    const { stdout } = await inspector(['--cli', process.execPath, GEOSCOUT, 'mcp', '--method', 'tools/list']);
    expect((JSON.parse(stdout) as { tools: { name: string }[] }).tools.map((t) => t.name)).toEqual(TOOLS.map((t) => t.name));
  });

  it('get_tile_image of a whole 4096² scene at the largest size succeeds over stdio (10.4 MB killed the connection before)', async () => {
    const scene = await generateScene(path.join(tmp.dir, 'big'), 'whole', { seed: 7, width: 4096, height: 4096 });
    const cli = await run(process.execPath, [GEOSCOUT, 'images', 'add', scene.tiffPath, '--json'], { cwd: tmp.dir, env });
    const id = (JSON.parse(cli.stdout) as { added: { image_id: string }[] }).added[0]!.image_id;
    const args = ['--cli', process.execPath, GEOSCOUT, 'mcp', '--method', 'tools/call', '--tool-name', 'get_tile_image', '--tool-arg', `image_id=${id}`, '--tool-arg', 'x=0', '--tool-arg', 'y=0', '--tool-arg', 'width=4096', '--tool-arg', 'height=4096', '--tool-arg', 'max_size=1568'];
    const { stdout } = await run(path.join(BIN, 'mcp-inspector-cli'), args, { cwd: path.join(REPO_ROOT, 'bin'), env, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
    const res = JSON.parse(stdout) as { isError?: boolean; content: { type: string; data?: string; mimeType?: string }[]; structuredContent: { width: number; base64?: string } };
    expect(res.isError).toBeFalsy();
    expect(res.structuredContent.width).toBe(1568);
    expect(res.structuredContent.base64).toBeUndefined();
    const img = res.content.find((c) => c.type === 'image')!;
    // Under the providers' 5 MB image limit and well under the 10 MiB stdio message cap.
    expect(img.data!.length).toBeLessThan(5 * 1024 * 1024);
    expect(stdout.length).toBeLessThan(8 * 1024 * 1024);
  });

  it('lists the tools over Streamable HTTP with the bearer token', async () => {
    const url = await serve([], { GEOSCOUT_TOKEN: TOKEN });
    const { stdout } = await inspector(['--cli', url, '--transport', 'http', '--method', 'tools/list', '--header', `Authorization: Bearer ${TOKEN}`]);
    expect((JSON.parse(stdout) as { tools: { name: string }[] }).tools.map((t) => t.name)).toEqual(TOOLS.map((t) => t.name));
    await expect(inspector(['--cli', url, '--transport', 'http', '--method', 'tools/list'])).rejects.toThrow(/Missing bearer token/);
  });
});

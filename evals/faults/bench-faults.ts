/**
 * `npm run bench:faults`: feeds ≥ 1,000 generated bad inputs to geoscout the way users and
 * attackers do — damaged TIFFs, sidecars, STAC files, PDFs and query images through the CLI,
 * hostile tool arguments over REST and MCP (Streamable HTTP) against one `geoscout serve` —
 * and counts per group: accepted, clear error, crash, hang (> 60 s), memory > 2 GB, and stack
 * traces / INTERNAL errors for inputs that were simply invalid. Exit 1 when any input
 * crashed, hung, blew memory or got an INTERNAL error. Args: [seed] [scale] (scale 1 = 1,100 inputs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import pLimit from 'p-limit';
import { makeTempDir } from '../../core/testing/temp-dir.js';
import { generateScene } from '../../pipeline/synth/generate-scene.js';
import { REPO_ROOT } from '../../tools/testing/scene-fixture.js';
import { fileCases, rng, toolCases, validInputs, type CliCase, type FaultCase, type ToolCase } from './fault-inputs.js';

const seed = Number(process.argv[2] ?? 1);
const scale = Number(process.argv[3] ?? 1);
const HANG_MS = 60_000;
const MEM_BYTES = 2e9;
const TOKEN = 'faults-token-0123456789abcdef';
const BIN = path.join(REPO_ROOT, 'bin/geoscout.js');

type Outcome = 'accepted' | 'clear error' | 'internal/stack' | 'crash' | 'hang' | 'memory';
interface Result { c: FaultCase; outcome: Outcome; detail: string }

/** Peak resident memory of a process, sampled from /proc every 100 ms until it exits. */
function watchMemory(pid: number | undefined): { stop(): number } {
  let peak = 0;
  const t = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) * 1024);
    } catch { /* exited */ }
  }, 100);
  return { stop: () => { clearInterval(t); return peak; } };
}

function runCli(c: CliCase, env: NodeJS.ProcessEnv, cwd: string): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...c.args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const mem = watchMemory(child.pid);
    let err = '';
    let out = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    let hung = false;
    const timer = setTimeout(() => { hung = true; child.kill('SIGKILL'); }, HANG_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const peak = mem.stop();
      // Commands that take many inputs report each refused one on stdout ("failed  <file>: [CODE] …",
      // "skipped …") and go on; a single-input command prints "error [CODE]: …" on stderr.
      const both = `${err}\n${out}`;
      const line = both.split('\n').find((l) => /\[[A-Z_]+\]|^skipped/.test(l)) ?? err.slice(0, 200);
      const refused = /\[(?!INTERNAL\])[A-Z_]+\]/.test(both) || /^skipped\s/m.test(out);
      let outcome: Outcome;
      if (hung) outcome = 'hang';
      else if (peak > MEM_BYTES) outcome = 'memory';
      else if (signal || (code ?? 0) > 128) outcome = 'crash';
      else if (/\[INTERNAL\]|\n\s+at .+:\d+:\d+/.test(both)) outcome = 'internal/stack';
      else if (refused) outcome = 'clear error';
      else outcome = code === 0 ? 'accepted' : 'internal/stack';
      resolve({ c, outcome, detail: `exit ${code ?? signal} ${line.slice(0, 160)}` });
    });
  });
}

async function runRest(c: ToolCase, base: string): Promise<Result> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), HANG_MS);
  try {
    const res = await fetch(`${base}/api/tools/${c.tool}`, { method: 'POST', signal: ac.signal, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: c.raw ?? JSON.stringify(c.body) });
    const text = await res.text();
    let code = '';
    try { code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? ''; } catch { /* not JSON */ }
    if (res.ok) return { c, outcome: 'accepted', detail: `${res.status}` };
    if (code && code !== 'INTERNAL' && !/\n\s+at /.test(text)) return { c, outcome: 'clear error', detail: `${res.status} ${code}` };
    return { c, outcome: 'internal/stack', detail: `${res.status} ${text.slice(0, 160)}` };
  } catch (err) {
    return { c, outcome: ac.signal.aborted ? 'hang' : 'crash', detail: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

async function runMcp(c: ToolCase, client: Client): Promise<Result> {
  try {
    const r = await client.callTool({ name: c.tool, arguments: c.body as Record<string, unknown> }, undefined, { timeout: HANG_MS });
    const text = JSON.stringify(r.content);
    if (!r.isError) return { c, outcome: 'accepted', detail: 'ok' };
    return /\[(INTERNAL)\]|\\n\s+at /.test(text) ? { c, outcome: 'internal/stack', detail: text.slice(0, 160) } : { c, outcome: 'clear error', detail: text.slice(0, 100) };
  } catch (err) {
    const msg = (err as Error).message;
    // A JSON-RPC error for arguments the protocol layer refuses (-32602) is a clear error too.
    if (/-32602|-32600|Invalid arguments|Input validation/i.test(msg)) return { c, outcome: 'clear error', detail: msg.slice(0, 100) };
    return { c, outcome: /timed out|timeout/i.test(msg) ? 'hang' : 'internal/stack', detail: msg.slice(0, 160) };
  }
}

async function startServer(env: NodeJS.ProcessEnv, cwd: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], { cwd, env: { ...env, GEOSCOUT_TOKEN: TOKEN }, stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); const m = /MCP (http:\/\/\S+)\/mcp/.exec(err); if (m) resolve(m[1]!); });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  return { child, url };
}

async function main(): Promise<void> {
  const rand = rng(seed);
  const tmp = await makeTempDir('geoscout-faults-');
  const data = path.join(tmp.dir, 'data');
  const env = { ...process.env, GEOSCOUT_DATA_DIR: path.join(tmp.dir, 'state'), GEOSCOUT_CONFIG: '', GEOSCOUT_ALLOWED_ROOTS: data, GEOSCOUT_LOG_LEVEL: 'error' };
  let server: { child: ChildProcess; url: string } | null = null;
  try {
    const t0 = performance.now();
    const scene = await generateScene(path.join(data, 'scenes'), 's', { seed: 77, width: 512, height: 512, acquiredAt: '2024-06-03T10:30:00Z' });
    const setup = (args: string[]) => new Promise<void>((res, rej) => spawn(process.execPath, [BIN, ...args], { cwd: tmp.dir, env, stdio: 'ignore' }).on('exit', (c) => (c === 0 ? res() : rej(new Error(`${args.join(' ')} exited ${c}`)))));
    await setup(['images', 'add', scene.tiffPath]);
    await setup(['ingest', '--all']);
    const imageId = JSON.parse(await new Promise<string>((res) => { let o = ''; spawn(process.execPath, [BIN, 'images', 'list', '--json'], { cwd: tmp.dir, env }).stdout.on('data', (d: Buffer) => (o += d)).on('end', () => res(o)); }))[0].image_id as string;

    const files = await fileCases(path.join(data, 'bad'), rand, { tiff: Math.round(60 * scale), pdf: Math.round(30 * scale), image: Math.round(30 * scale), meta: Math.round(24 * scale) });
    const valid = validInputs(imageId, path.join(data, 'bad', 'fifo.tif'));
    const rest = toolCases('rest', valid, rand, Math.round(450 * scale));
    const mcp = toolCases('mcp', valid, rand, Math.round(450 * scale));
    const total = files.length + rest.length + mcp.length;
    console.error(`bench:faults  seed ${seed}: ${total} bad inputs (${files.length} CLI files/args, ${rest.length} REST, ${mcp.length} MCP); setup ${((performance.now() - t0) / 1000).toFixed(0)} s`);

    const results: Result[] = [];
    const limit = pLimit(2);
    await Promise.all(files.map((c) => limit(async () => { results.push(await runCli(c, env, tmp.dir)); })));
    server = await startServer(env, tmp.dir);
    const mem = watchMemory(server.child.pid);
    let died = false;
    server.child.once('exit', () => (died = true));
    const restLimit = pLimit(4);
    await Promise.all(rest.map((c) => restLimit(async () => { results.push(await runRest(c, server!.url)); })));
    const client = new Client({ name: 'faults', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
    for (const c of mcp) results.push(await runMcp(c, client));
    await client.close();
    const serverPeak = mem.stop();

    const outcomes: Outcome[] = ['accepted', 'clear error', 'internal/stack', 'crash', 'hang', 'memory'];
    console.log(`\nbench:faults  ${results.length} bad inputs, seed ${seed}, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    console.log(`group     ${outcomes.map((o) => o.padStart(15)).join('')}`);
    for (const g of ['imagery', 'pdf', 'query', 'rest', 'mcp']) {
      const rs = results.filter((r) => r.c.group === g);
      console.log(`${g.padEnd(10)}${outcomes.map((o) => String(rs.filter((r) => r.outcome === o).length).padStart(15)).join('')}`);
    }
    console.log(`server: ${died ? 'DIED' : 'alive'} after every REST and MCP input, peak RSS ${(serverPeak / 1e6).toFixed(0)} MB`);
    const bad = results.filter((r) => !['accepted', 'clear error'].includes(r.outcome));
    for (const r of bad.slice(0, 30)) console.log(`  ${r.outcome.padEnd(15)} ${r.c.group.padEnd(8)} ${r.c.name.slice(0, 60).padEnd(60)} ${r.detail}`);
    if (bad.length || died) process.exitCode = 1;
  } finally {
    server?.child.kill('SIGTERM');
    // Accepted ingest_images / launch_retraining calls started background workers: cancel them
    // before their store disappears.
    await new Promise<void>((res) => spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'cancel-jobs.ts')], { cwd: tmp.dir, env, stdio: 'ignore' }).on('exit', () => res()));
    await tmp.cleanup().catch(() => undefined);
  }
}

await main();

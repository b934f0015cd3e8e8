/**
 * `npm run bench:mcp`: a separate `geoscout serve` process over a small ingested scene,
 * 50 concurrent MCP clients × 100 calls each (list_images / search_tiles alternating);
 * prints errors, throughput and p50/p95/p99 latency. Args: [clients] [callsPerClient].
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { makeServerFixture, REPO_ROOT } from '../testing/fixture.js';
import { quantile, runLoad } from './load.js';

const clients = Number(process.argv[2] ?? 50);
const calls = Number(process.argv[3] ?? 100);
const token = 'bench-token-0123456789abcdef';
const fx = await makeServerFixture();
const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/geoscout.js'), 'serve', '--port', '0'], { cwd: fx.dir, env: { ...fx.env, GEOSCOUT_TOKEN: token }, stdio: ['ignore', 'ignore', 'pipe'] });
try {
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /MCP (http:\/\/\S+\/mcp)/.exec(err);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`geoscout serve exited (${code}): ${err}`)));
  });
  await runLoad({ url, token, clients: 2, callsPerClient: 2 }); // warm-up: encoder load, table open
  const r = await runLoad({ url, token, clients, callsPerClient: calls });
  const f = (v: number) => `${v.toFixed(1)} ms`;
  console.log(`bench:mcp  ${clients} clients × ${calls} calls over Streamable HTTP (list_images / search_tiles alternating), server in its own process`);
  console.log(`  calls ok ${r.latenciesMs.length}, errors ${r.errors.length}${r.errors.length ? ` (first: ${r.errors[0]})` : ''}`);
  console.log(`  wall ${(r.wallMs / 1000).toFixed(1)} s, ${(r.latenciesMs.length / (r.wallMs / 1000)).toFixed(0)} calls/s`);
  console.log(`  latency p50 ${f(quantile(r.latenciesMs, 0.5))}  p95 ${f(quantile(r.latenciesMs, 0.95))}  p99 ${f(quantile(r.latenciesMs, 0.99))}`);
  if (r.errors.length) process.exitCode = 1;
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await fx.close();
}

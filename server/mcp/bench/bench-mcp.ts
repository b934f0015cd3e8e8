/**
 * `npm run bench:mcp`: a separate `geoscout serve` process over a small ingested scene,
 * 50 concurrent MCP clients × 100 calls each over Streamable HTTP, cycling through a mix of
 * the read tools an analyst's client calls (list_images, search_tiles by text with the default
 * object rerank and with patches, get_tile_image, list_prototypes, detect_in_region on a
 * small window); prints errors, throughput and p50/p95/p99 latency overall and per tool.
 * Args: [clients] [callsPerClient].
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { makeServerFixture, REPO_ROOT } from '../testing/fixture.js';
import { quantile, runLoad, type ToolCall } from './load.js';

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
  const image = fx.image.image_id;
  const mix: ToolCall[] = [
    { name: 'list_images', arguments: {} },
    { name: 'search_tiles', arguments: { text: 'a ship', limit: 5 } },
    { name: 'get_tile_image', arguments: { image_id: image, x: 256, y: 256, width: 256, height: 256, max_size: 256 } },
    { name: 'search_tiles', arguments: { text: 'an aircraft parked on an apron', limit: 10, rerank: 'patches' } },
    { name: 'list_prototypes', arguments: {} },
    { name: 'list_images', arguments: { sensors: ['SYNTH-1'] } },
    { name: 'search_tiles', arguments: { text: 'a truck on a road', limit: 10 } },
    { name: 'get_tile_image', arguments: { image_id: image, x: 0, y: 0, width: 1024, height: 1024, max_size: 512, format: 'jpeg' } },
    { name: 'detect_in_region', arguments: { image_id: image, window: { x: 512, y: 512, width: 256, height: 256 }, queries: [{ text: 'vehicle' }], max_detections: 20 } },
    { name: 'search_tiles', arguments: { text: 'a storage tank', limit: 10 } },
  ];
  await runLoad({ url, token, clients: 2, callsPerClient: mix.length, mix }); // warm-up: models load, tables open
  const r = await runLoad({ url, token, clients, callsPerClient: calls, mix });
  const f = (v: number) => `${v.toFixed(0)} ms`;
  console.log(`bench:mcp  ${clients} clients × ${calls} calls over Streamable HTTP, server in its own process, ${mix.length}-call mix`);
  console.log(`  calls ok ${r.latenciesMs.length}, errors ${r.errors.length}${r.errors.length ? ` (first: ${r.errors[0]})` : ''}`);
  console.log(`  wall ${(r.wallMs / 1000).toFixed(1)} s, ${(r.latenciesMs.length / (r.wallMs / 1000)).toFixed(1)} calls/s`);
  console.log(`  all tools        p50 ${f(quantile(r.latenciesMs, 0.5))}  p95 ${f(quantile(r.latenciesMs, 0.95))}  p99 ${f(quantile(r.latenciesMs, 0.99))}`);
  for (const [name, ms] of [...r.byTool].sort()) console.log(`  ${name.padEnd(17)}p50 ${f(quantile(ms, 0.5))}  p95 ${f(quantile(ms, 0.95))}  (${ms.length} calls)`);
  if (r.errors.length) process.exitCode = 1;
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await fx.close();
}

import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../core/testing/run-process.js';
import { makeTempDir } from '../core/testing/temp-dir.js';
import { writePatternTiff } from '../pipeline/raster/testing.js';
import { buildCli } from './cli.js';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'geoscout.js');
let tmp: Awaited<ReturnType<typeof makeTempDir>>;

/** Runs the CLI in a child process (asynchronously: see core/testing/run-process.ts). */
async function geoscout(args: string[], cwd = tmp.dir): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = await runProcess(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, GEOSCOUT_DATA_DIR: path.join(tmp.dir, 'state'), GEOSCOUT_CONFIG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function leafCommands(cmd: Command, prefix: string[] = []): string[][] {
  const subs = cmd.commands.filter((c) => c.name() !== 'help');
  if (subs.length === 0) return [prefix];
  return [prefix, ...subs.flatMap((c) => leafCommands(c, [...prefix, c.name()]))];
}

beforeAll(async () => {
  tmp = await makeTempDir();
});
afterAll(async () => tmp.cleanup());

describe('geoscout CLI', () => {
  it('input a schema or an option parser refuses is INVALID_INPUT naming the field, exit 2, no stack trace', async () => {
    const cases: [string[], RegExp][] = [
      [['search', 'ship', '--limit', '101'], /limit: Too big/],
      [['search', 'ship', '--limit', 'abc'], /--limit must be/],
      [['search', 'ship', '--from', 'yesterday'], /--from must be a date/],
      [['detect', 'img_0000000000000000', '-q', 'car', '--threshold', '2'], /threshold: Too big/],
    ];
    for (const [args, msg] of cases) {
      const r = await geoscout(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^error \[INVALID_INPUT\]: /m);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr, args.join(' ')).not.toMatch(/ZodError|\n\s+at |"stack"/);
    }
    // Long arguments: a clear refusal, not ONNX Runtime's SIGSEGV (exit 139) from ~32 KB of command line on.
    const long = await geoscout(['search', 'ab '.repeat(12_000)]);
    expect(long.code).toBe(2);
    expect(long.stderr).toMatch(/error \[INVALID_INPUT\]: The arguments are 36 KB long .*at most 24 KB/);
    const longQuery = await geoscout(['search', 'a'.repeat(1500)]);
    expect(longQuery.code).toBe(2);
    expect(longQuery.stderr).toMatch(/text: Too big/);
    // A bare date is a date: --from 2024-01-01 passes the input check (and reaches the empty archive).
    const dated = await geoscout(['search', 'ship', '--from', '2024-01-01', '--to', '2024-12-31']);
    expect(dated.stderr).toMatch(/error \[NOT_FOUND\]: No tiles are embedded/);
  });

  it('FIFOs and devices given as inputs are refused at once with what they are, never opened (no hang)', async () => {
    // In a folder of its own: the other tests glob *.tif in tmp.dir.
    const dir = path.join(tmp.dir, 'special');
    await mkdir(dir, { recursive: true });
    const fifo = (name: string) => { const f = path.join(dir, name); execFileSync('mkfifo', [f]); return f; };
    const tif = fifo('pipe.tif');
    const pdf = fifo('pipe.pdf');
    // A scene whose sidecar is a FIFO.
    const scene = path.join(dir, 'side.tif');
    await writePatternTiff(scene, { width: 64, height: 64, bands: 3 });
    fifo('side.meta.json');
    const cases: [string[], RegExp][] = [
      [['images', 'add', tif, '--json'], /is a FIFO \(named pipe\); give a regular file/],
      [['images', 'add', scene, '--json'], /metadata sidecar .*side\.meta\.json is a FIFO/],
      [['raster', 'info', tif], /is a FIFO/],
      [['search', '--image', '/dev/zero'], /example image \/dev\/zero is a device/],
      [['docs', 'add', pdf, '--json'], /PDF .*pipe\.pdf is a FIFO/],
    ];
    for (const [args, msg] of cases) {
      const t0 = Date.now();
      const r = await runProcess(process.execPath, [BIN, ...args], { cwd: tmp.dir, env: { ...process.env, GEOSCOUT_DATA_DIR: path.join(tmp.dir, 'state-fifo'), GEOSCOUT_CONFIG: '' }, timeoutMs: 60_000 });
      expect(Date.now() - t0, args.join(' ')).toBeLessThan(60_000);
      expect(r.stdout + r.stderr, args.join(' ')).toMatch(msg);
      expect(r.stderr, args.join(' ')).not.toMatch(/\n\s+at /);
    }
  }, 300_000);

  it('every command and subcommand has a description and --help', async () => {
    // In-process over the command tree (a process per command would cost seconds each);
    // one real process checks the binary itself.
    const root = buildCli();
    const paths = leafCommands(root);
    expect(paths.length).toBeGreaterThan(5);
    for (const p of paths) {
      const cmd = p.reduce<Command>((c, name) => c.commands.find((x) => x.name() === name)!, root);
      if (p.length) expect(cmd.description(), `${p.join(' ')} has no description`).not.toBe('');
      const help = cmd.helpInformation();
      expect(help).toContain(`Usage: geoscout${p.length ? ' ' + p.join(' ') : ''}`);
    }
    const res = await geoscout(['images', 'add', '--help']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('Usage: geoscout images add');
  });

  it('adds, skips and lists images; stdout has data, errors go to stderr with an exit code', async () => {
    const scene = path.join(tmp.dir, 'a.tif');
    await writePatternTiff(scene, { width: 200, height: 100, bands: 3, georef: { epsg: 32640, originX: 230000, originY: 2710000, pixelSizeX: 0.5, pixelSizeY: 0.5 } });
    const add = await geoscout(['images', 'add', '*.tif', '--json']);
    expect(add.code).toBe(0);
    const res = JSON.parse(add.stdout) as { added: { image_id: string }[] };
    expect(res.added).toHaveLength(1);
    const again = await geoscout(['images', 'add', scene]);
    expect(again.stdout).toMatch(/^skipped img_/);
    const list = await geoscout(['images', 'list', '--bbox', '54,24,55,25', '--json']);
    expect((JSON.parse(list.stdout) as unknown[]).length).toBe(1);
    expect((await geoscout(['images', 'list', '--bbox', '0,0,1,1'])).stdout).toContain('no images match');
    const bad = await geoscout(['images', 'list', '--from', 'yesterday-ish']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error [INVALID_INPUT]: --from must be a date');
    expect(bad.stdout).toBe('');
    const missing = await geoscout(['images', 'show', 'img_0000']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('NOT_FOUND');
  });

  it('demo: generates a scene, catalogs it, prints its footprint and a thumbnail; a second run reuses both', async () => {
    const { stat } = await import('node:fs/promises');
    const first = await geoscout(['demo', '--size', '1536', '--seed', '3']);
    expect(first.code, first.stderr).toBe(0);
    const footprint = JSON.parse(/^footprint (.*)$/m.exec(first.stdout)![1]!) as { type: string; coordinates: number[][][] };
    expect(footprint.type).toBe('Polygon');
    expect(footprint.coordinates[0]).toHaveLength(5);
    const thumb = /^thumbnail (.*)$/m.exec(first.stdout)![1]!;
    expect((await stat(thumb)).size).toBeGreaterThan(10_000);
    const planned = Number(/^tiles +(\d+) planned, 0 already stored, (\d+) written/m.exec(first.stdout)?.[1]);
    expect(planned).toBeGreaterThan(50);
    // Both queries print cited hits: tile id, lat/lon, date, sensor, GSD.
    expect(first.stdout.match(/^\d\. \d\.\d{3} {2}img_[0-9a-f]+\/geoscout-mini@[^/]+\/L\d\/\S+ {2}at -?\d+\.\d{5}, -?\d+\.\d{5} \(lat, lon\).* SYNTH-1 0\.50 m$/gm)?.length).toBe(10);
    // Documents indexed (broken ones skipped), then questions answered through the MCP server over stdio.
    expect(first.stdout).toMatch(/^documents 3 indexed, 0 unchanged, 4 skipped/m);
    expect(first.stdout).toMatch(/^MCP server over stdio: \d+ tools \(.*detect_in_region.*get_document_context/m);
    expect(first.stdout).toMatch(/^A: \d+ detections by detect_in_region \(image img_[0-9a-f]+; the generator placed \d+\)/m);
    expect(first.stdout).toMatch(/document says: ".+" \(Maritime Vessel Recognition Guide, p\. \d+\)/);
    expect(first.stdout).not.toContain('(failed:');
    const second = await geoscout(['demo', '--size', '1536', '--seed', '3']);
    expect(second.stdout).toContain('(already catalogued)');
    expect(second.stdout).toMatch(/^documents 0 indexed, 3 unchanged/m);
    expect(second.stdout).toContain(`tiles     ${planned} planned, ${planned} already stored, 0 written`);
    expect(second.stderr).toContain('reusing');
  }, 900_000);

  it('reports an invalid configuration file by field', async () => {
    const { writeFile } = await import('node:fs/promises');
    const cfg = path.join(tmp.dir, 'bad.json');
    await writeFile(cfg, JSON.stringify({ raster: { reader: 'gdal' } }));
    const res = await geoscout(['--config', cfg, 'config']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('raster.reader');
  });
});

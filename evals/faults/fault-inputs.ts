import { execFileSync } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { seededRandom } from '../../core/random.js';
import { writePatternTiff } from '../../pipeline/raster/testing.js';

/** A CLI invocation with a bad input. */
export interface CliCase { kind: 'cli'; group: string; name: string; args: string[] }
/** A REST call or an MCP tools/call with bad arguments (raw: the body is sent as is, not as JSON). */
export interface ToolCase { kind: 'rest' | 'mcp'; group: string; name: string; tool: string; body: unknown; raw?: string }
export type FaultCase = CliCase | ToolCase;

/** A deterministic PRNG, so a run is repeatable from its seed. */
export const rng = seededRandom;

/**
 * Writes damaged imagery, sidecars, STAC files, PDFs and query images under `dir`, and
 * returns the CLI cases that feed them to `images add`, `raster info`, `docs add` and
 * `search --image`. Every file is derived from a valid one by a fault a user or an
 * attacker produces: truncation, flipped bytes, wrong types, special files.
 */
export async function fileCases(dir: string, rand: () => number, n: { tiff: number; pdf: number; image: number; meta: number }): Promise<CliCase[]> {
  await mkdir(dir, { recursive: true });
  const cases: CliCase[] = [];
  const good = path.join(dir, 'good.tif');
  await writePatternTiff(good, { width: 300, height: 200, bands: 3, tileSize: 64, georef: { epsg: 32633, originX: 500000, originY: 4500000, pixelSizeX: 0.5, pixelSizeY: 0.5 } });
  const tiff = await readFile(good);
  const pdf = await samplePdf();
  const png = await samplePng();

  const special = async (name: string) => {
    const f = path.join(dir, name);
    execFileSync('mkfifo', [f]);
    return f;
  };
  const fifoTif = await special('fifo.tif');
  const loop = path.join(dir, 'loop.tif');
  await symlink(loop, loop).catch(() => undefined);
  for (const [name, f] of [['fifo', fifoTif], ['directory', dir], ['symlink loop', loop], ['device', '/dev/zero'], ['missing', path.join(dir, 'nope.tif')]] as const) {
    cases.push({ kind: 'cli', group: 'imagery', name: `images add ${name}`, args: ['images', 'add', f] });
    cases.push({ kind: 'cli', group: 'imagery', name: `raster info ${name}`, args: ['raster', 'info', f] });
  }
  for (let i = 0; i < n.tiff; i++) {
    const f = path.join(dir, `bad-${i}.tif`);
    await writeFile(f, damage(tiff, rand, i));
    cases.push({ kind: 'cli', group: 'imagery', name: `damaged TIFF ${i} (${faultName(i)})`, args: [i % 3 === 0 ? 'raster' : 'images', i % 3 === 0 ? 'info' : 'add', f] });
  }
  for (let i = 0; i < n.meta; i++) {
    const stem = path.join(dir, `meta-${i}`);
    await writePatternTiff(`${stem}.tif`, { width: 64, height: 64, bands: 3, georef: { epsg: 32633, originX: 500000 + 100 * i, originY: 4500000, pixelSizeX: 0.5, pixelSizeY: 0.5 } });
    const bad = [
      '{', '[]', 'null', '{"gsd_m": -3}', '{"acquired_at": "yesterday"}', '{"off_nadir_deg": 1e308}', '{"crs": "EPSG:999999"}',
      '{"rgb_bands": [9, 9, 9]}', '{"sensor": ""}', '{"crs": "+proj=geocent"}', `{"title": "${'x'.repeat(200_000)}"}`, '\u0000\u0001\u0002',
    ][i % 12]!;
    await writeFile(`${stem}.meta.json`, bad);
    cases.push({ kind: 'cli', group: 'imagery', name: `sidecar ${JSON.stringify(bad.slice(0, 30))}`, args: ['images', 'add', `${stem}.tif`] });
  }
  const stacs: [string, unknown][] = [
    ['feature without assets', { type: 'Feature', stac_version: '1.0.0', id: 'x', properties: {}, assets: {} }],
    ['gsd -3', { type: 'Feature', stac_version: '1.0.0', id: 'y', properties: { gsd: -3 }, assets: { data: { href: './good.tif', roles: ['data'] } } }],
    ['collection of junk', { type: 'FeatureCollection', features: [1, 'a', null, { type: 'Feature' }] }],
    ['href outside', { type: 'Feature', stac_version: '1.0.0', id: 'z', properties: {}, assets: { data: { href: '/etc/passwd.tif', roles: ['data'] } } }],
    ['href to fifo', { type: 'Feature', stac_version: '1.0.0', id: 'f', properties: {}, assets: { data: { href: './fifo.tif', roles: ['data'] } } }],
  ];
  for (const [i, [name, json]] of stacs.entries()) {
    const f = path.join(dir, `stac-${i}.json`);
    await writeFile(f, JSON.stringify(json));
    cases.push({ kind: 'cli', group: 'imagery', name: `STAC ${name}`, args: ['images', 'add', f] });
  }
  const fifoPdf = await special('fifo.pdf');
  cases.push({ kind: 'cli', group: 'pdf', name: 'docs add fifo', args: ['docs', 'add', fifoPdf] });
  for (let i = 0; i < n.pdf; i++) {
    const f = path.join(dir, `bad-${i}.pdf`);
    await writeFile(f, damage(pdf, rand, i));
    cases.push({ kind: 'cli', group: 'pdf', name: `damaged PDF ${i} (${faultName(i)})`, args: ['docs', 'add', f] });
  }
  const fifoPng = await special('fifo.png');
  cases.push({ kind: 'cli', group: 'query', name: 'search --image fifo', args: ['search', '--image', fifoPng] });
  cases.push({ kind: 'cli', group: 'query', name: 'search --image /dev/zero', args: ['search', '--image', '/dev/zero'] });
  for (let i = 0; i < n.image; i++) {
    const f = path.join(dir, `bad-${i}.png`);
    await writeFile(f, i % 5 === 4 ? hugePngHeader() : damage(png, rand, i));
    cases.push({ kind: 'cli', group: 'query', name: `query image ${i} (${i % 5 === 4 ? 'declares 100000²' : faultName(i)})`, args: ['search', '--image', f] });
  }
  return cases;
}

const FAULTS = ['truncated', 'bytes flipped', 'zeroed block', 'random bytes', 'header only', 'doubled'];
const faultName = (i: number) => FAULTS[i % FAULTS.length]!;

/** One fault applied to a valid file's bytes. */
function damage(src: Buffer, rand: () => number, i: number): Buffer {
  const b = Buffer.from(src);
  switch (i % FAULTS.length) {
    case 0: return b.subarray(0, Math.floor(rand() * b.length));
    case 1: for (let k = 0; k < 1 + Math.floor(rand() * 40); k++) b[Math.floor(rand() * Math.min(b.length, 4096))] = Math.floor(rand() * 256); return b;
    case 2: { const at = Math.floor(rand() * b.length); b.fill(0, at, Math.min(b.length, at + 256 + Math.floor(rand() * 4096))); return b; }
    case 3: return Buffer.from(Array.from({ length: 16 + Math.floor(rand() * 4096) }, () => Math.floor(rand() * 256)));
    case 4: return b.subarray(0, 8 + Math.floor(rand() * 64));
    default: return Buffer.concat([b, b]);
  }
}

async function samplePdf(): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([300, 400]);
  page.drawText('Recognising a fishing vessel: gantries and net drums at the stern.', { x: 20, y: 350, size: 9 });
  return Buffer.from(await doc.save());
}

async function samplePng(): Promise<Buffer> {
  const sharp = (await import('sharp')).default;
  return sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 90, g: 120, b: 140 } } }).png().toBuffer();
}

/** A PNG whose header declares 100000 × 100000 pixels (a decompression bomb's first bytes). */
function hugePngHeader(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(100_000, 0);
  ihdr.writeUInt32BE(100_000, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(13);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), len, Buffer.from('IHDR'), ihdr, Buffer.alloc(4)]);
}

/** Valid arguments per tool, from which the bad ones are derived. */
export function validInputs(imageId: string, fifo: string): Record<string, Record<string, unknown>> {
  return {
    list_images: { bbox: [-180, -90, 180, 90], limit: 5 },
    search_tiles: { text: 'a ship', limit: 5, rerank: 'patches' },
    get_tile_image: { image_id: imageId, x: 0, y: 0, width: 128, height: 128, max_size: 64 },
    detect_in_region: { image_id: imageId, window: { x: 0, y: 0, width: 256, height: 256 }, queries: [{ text: 'vehicle' }], max_detections: 5 },
    add_prototype: { name: 'fuzz', examples: [{ image_id: imageId, x: 10, y: 10, width: 20, height: 20 }] },
    list_prototypes: {},
    get_document_context: { query: 'fishing vessel', max_passages: 2 },
    get_job: { job_id: 'job_none' },
    ingest_images: { image_ids: [imageId] },
    launch_retraining: { sources: { coco: fifo }, epochs: 1 },
  };
}

const HOSTILE: unknown[] = [
  null, true, -1, 0, 1e308, -1e308, 2 ** 53 + 1, 'NaN', '', ' ', 'x'.repeat(100_000), '\u0000', '../../../../etc/passwd', '/dev/zero',
  "' OR 1=1 --", '"; DROP TABLE images; --', 'img_0000000000000000', '\ud800', '💥'.repeat(500), [], {}, [[[[]]]], { $gt: '' },
];

/** Nested arrays this deep (a parser or schema walker that recurses per level must not fall over). */
function deep(n: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = [v];
  return v;
}

/**
 * Bad tool arguments derived from valid ones: each field replaced by hostile values, each
 * field dropped, unknown fields, deep nesting, non-object bodies; plus malformed JSON (REST).
 */
export function toolCases(kind: 'rest' | 'mcp', valid: Record<string, Record<string, unknown>>, rand: () => number, count: number): ToolCase[] {
  const out: ToolCase[] = [];
  const tools = Object.keys(valid);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  if (kind === 'rest') {
    for (const raw of ['{', '{"text": "a', 'null', '[1,2', '\u0000', '{"a":1}{"b":2}', 'x'.repeat(1000)]) out.push({ kind, group: 'rest', name: `malformed JSON ${JSON.stringify(raw.slice(0, 12))}`, tool: pick(tools), body: null, raw });
    out.push({ kind, group: 'rest', name: 'unknown tool', tool: 'no_such_tool', body: {} });
  }
  while (out.length < count) {
    const tool = pick(tools);
    const base = structuredClone(valid[tool]!);
    const keys = Object.keys(base);
    const r = rand();
    let name: string;
    let body: unknown = base;
    if (r < 0.55 && keys.length) {
      const k = pick(keys);
      const v = pick(HOSTILE);
      (base as Record<string, unknown>)[k] = v;
      name = `${k} = ${JSON.stringify(v)?.slice(0, 24)}`;
    } else if (r < 0.7 && keys.length) {
      const k = pick(keys);
      delete (base as Record<string, unknown>)[k];
      name = `without ${k}`;
    } else if (r < 0.8) {
      (base as Record<string, unknown>)[`extra_${Math.floor(rand() * 100)}`] = pick(HOSTILE);
      name = 'unknown field';
    } else if (r < 0.85) {
      body = { ...base, [keys[0] ?? 'x']: deep(2000) };
      name = 'nested 2000 deep';
    } else if (r < 0.9) {
      body = pick([null, [], 'text', 42]);
      name = `body ${JSON.stringify(body)}`;
    } else {
      // Numbers just outside their ranges in windows, limits and sizes.
      body = JSON.parse(JSON.stringify(base).replace(/(":\s*)(\d+)/g, (_m, a: string) => `${a}${pick(['-5', '1e12', '0', '3.5'])}`));
      name = 'numbers out of range';
    }
    out.push({ kind, group: kind, name: `${tool}: ${name}`, tool, body });
  }
  return out;
}

import { runProcess } from '../../core/testing/run-process.js';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../core/testing/temp-dir.js';
import { ClipEncoder } from './encoder.js';
import { readModelDir } from './model-dir.js';
import { REPO_ROOT, synthChips, trainingPython } from './testing.js';

/**
 * The open_clip exporter for real: a randomly initialised open_clip ViT-B-32 (no
 * download) exported by pipeline/train, loaded by geoscout's Node runtime, and compared
 * with PyTorch's own embeddings and open_clip's own token ids.
 */
const PY = trainingPython();
const TEXTS = [
  'a satellite image of an airport',
  'Harbour with “ships” & boats!',
  'Überlingen, 3 June 2024 — 12:30',
  'two A320s and a 747-400 at gate B12',
  'ship ship ship ship',
  'wind-turbine shadows; 150m rotor?',
  'a very long caption that goes on and on '.repeat(12),
  '',
];

interface Ref {
  texts: { text: string; input_ids: number[]; embedding: number[] }[];
  images: { path: string; pixel_values_file: string; pixel_values_shape: number[]; embedding: number[] }[];
}

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let dir = '';
let ref: Ref;
let enc: ClipEncoder;

const cos = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { d += a[i]! * b[i]!; na += a[i]! ** 2; nb += b[i]! ** 2; }
  return d / Math.sqrt(na * nb);
};

describe.skipIf(!PY)('open_clip ViT-B-32 exported by pipeline/train runs in the Node runtime', () => {
  beforeAll(async () => {
    tmp = await makeTempDir();
    dir = path.join(tmp.dir, 'vitb32');
    // Asynchronous (see core/testing/run-process.ts).
    const run = (mod: string, ...args: string[]) =>
      runProcess(PY!, ['-m', `geoscout_train.${mod}`, ...args], { cwd: REPO_ROOT, env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } }).then((r) => {
        if (r.status !== 0) throw new Error(`geoscout_train.${mod} exited ${r.status}: ${r.stderr.slice(-2000)}`);
      });
    await run('export_open_clip', '--model', 'ViT-B-32', '--random-init', '--out', dir, '--id', 'openclip-vit-b-32-random', '--version', '0');
    const images = synthChips(20001, (o) => o.class === 'ship' || o.class === 'aircraft', 2, 256);
    const files = await Promise.all(images.map(async ({ chip }, i) => {
      const f = path.join(tmp.dir, `chip${i}.png`);
      await sharp(chip.data, { raw: { width: chip.width, height: chip.height, channels: 3 } }).png().toFile(f);
      return f;
    }));
    await writeFile(path.join(tmp.dir, 'texts.json'), JSON.stringify(TEXTS));
    await run('reference', '--model-dir', dir, '--images', files.join(','), '--texts-file', path.join(tmp.dir, 'texts.json'), '--out', path.join(tmp.dir, 'ref.json'));
    ref = JSON.parse(await readFile(path.join(tmp.dir, 'ref.json'), 'utf8')) as Ref;
    enc = await ClipEncoder.open(dir, await readModelDir(dir), { batchSize: 4 });
  }, 300_000);
  afterAll(async () => {
    await enc?.close();
    await tmp?.cleanup();
  });

  it("tokenises exactly like open_clip (ids, truncation to 77 with end-of-text last, padding)", () => {
    const batch = enc.tokenizer.encode(ref.texts.map((t) => t.text));
    ref.texts.forEach((t, row) => {
      expect(Array.from(batch.ids.subarray(row * 77, (row + 1) * 77), Number), t.text).toEqual(t.input_ids);
    });
  });

  it('text and image embeddings match PyTorch (cosine > 0.999)', async () => {
    const text = await enc.encodeTexts(ref.texts.map((t) => t.text));
    ref.texts.forEach((t, i) => expect(cos(text.subarray(i * 512, (i + 1) * 512), t.embedding)).toBeGreaterThan(0.999));
    for (const [i, img] of ref.images.entries()) {
      const buf = await readFile(path.resolve(tmp.dir, img.pixel_values_file));
      const px = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
      const out = await enc.encodePreprocessed(px, 1);
      expect(out.grid).toEqual([7, 7]);
      expect(cos(out.embeds, img.embedding), `image ${i}`).toBeGreaterThan(0.999);
    }
  });

  it('end to end from PNG with our own resize/crop stays close to PyTorch (PIL bicubic)', async () => {
    for (const img of ref.images) {
      const { data, info } = await sharp(img.path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const out = await enc.encodeImages([{ data: new Uint8Array(data), width: info.width, height: info.height }]);
      expect(cos(out.embeds, img.embedding)).toBeGreaterThan(0.99);
    }
  });
});

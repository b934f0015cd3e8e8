import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../core/testing/temp-dir.js';
import { ClipEncoder } from './encoder.js';
import type { ModelManifest } from './manifest.js';
import { assertSameModelVersion, readModelDir } from './model-dir.js';
import { ModelRegistry, SHIPPED_MODELS_DIR } from './registry.js';
import { synthChips } from './testing.js';

const SHIPPED = path.join(SHIPPED_MODELS_DIR, 'geoscout-mini');
let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let enc: ClipEncoder;

const dot = (a: Float32Array, i: number, b: Float32Array, j: number, d: number) => {
  let s = 0;
  for (let k = 0; k < d; k++) s += a[i * d + k]! * b[j * d + k]!;
  return s;
};

beforeAll(async () => {
  tmp = await makeTempDir();
  enc = await new ModelRegistry(tmp.dir).openEncoder();
});
afterAll(async () => {
  await enc?.close();
  await enc?.close(); // idempotent
  await tmp.cleanup();
});

describe('shipped geoscout-mini', () => {
  it('is the default model and produces L2-normalised image, patch and text vectors', async () => {
    expect(enc.modelVersion).toMatch(/^geoscout-mini@/);
    const chip = synthChips(20002, (o) => o.class === 'ship', 1)[0]!.chip;
    const out = await enc.encodeImages([chip]);
    const D = enc.dim;
    expect(dot(out.embeds, 0, out.embeds, 0, D)).toBeCloseTo(1, 5);
    expect(out.grid).not.toBeNull();
    const P = out.grid![0] * out.grid![1];
    expect(out.patches!.length).toBe(P * D);
    expect(dot(out.patches!, P - 1, out.patches!, P - 1, D)).toBeCloseTo(1, 5);
    const t = await enc.encodeTexts(['a ship']);
    expect(dot(t, 0, t, 0, D)).toBeCloseTo(1, 5);
  });

  it('a ship chip is nearer "a ship" than "an aircraft", and an aircraft chip the other way round (held-out seeds)', async () => {
    const ships = synthChips(20003, (o) => o.class === 'ship' && !o.outOfContext, 6);
    const planes = synthChips(20003, (o) => o.class === 'aircraft' && !o.outOfContext, 6);
    expect(ships.length).toBeGreaterThanOrEqual(3);
    expect(planes.length).toBeGreaterThanOrEqual(3);
    const imgs = await enc.encodeImages([...ships, ...planes].map((c) => c.chip));
    const txt = await enc.encodeTexts(['a satellite image of a ship', 'a satellite image of an aircraft']);
    const D = enc.dim;
    let right = 0;
    const n = ships.length + planes.length;
    for (let i = 0; i < n; i++) {
      const toShip = dot(imgs.embeds, i, txt, 0, D);
      const toPlane = dot(imgs.embeds, i, txt, 1, D);
      if ((i < ships.length) === toShip > toPlane) right++;
    }
    expect(right / n).toBeGreaterThanOrEqual(0.9);
  });

  it('batching does not change results', async () => {
    const chips = synthChips(20004, (o) => o.class === 'vehicle', 5).map((c) => c.chip);
    const one = await enc.encodeImages(chips.slice(0, 1));
    const all = await enc.encodeImages(chips);
    for (let k = 0; k < enc.dim; k++) expect(all.embeds[k]).toBeCloseTo(one.embeds[k]!, 4);
    const t1 = await enc.encodeTexts(['a bus']);
    const t3 = await enc.encodeTexts(['a tanker at anchor', 'a bus', 'farmland']);
    for (let k = 0; k < enc.dim; k++) expect(t3[enc.dim + k]).toBeCloseTo(t1[k]!, 4);
  });

  it('honours cancellation', async () => {
    const ctl = new AbortController();
    ctl.abort();
    await expect(enc.encodeTexts(['x'], { signal: ctl.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});

describe('model contract errors name the file and what to fix', () => {
  async function broken(edit: (m: ModelManifest) => void, name: string): Promise<string> {
    const dir = path.join(tmp.dir, name);
    await cp(SHIPPED, dir, { recursive: true });
    const file = path.join(dir, 'geoscout-model.json');
    const m = JSON.parse(await readFile(file, 'utf8')) as ModelManifest;
    edit(m);
    await writeFile(file, JSON.stringify(m));
    return dir;
  }

  it('missing file, wrong field, wrong input name, wrong embedding size', async () => {
    const noOnnx = await broken(() => undefined, 'no-onnx');
    await rm(path.join(noOnnx, 'text.onnx'));
    await expect(readModelDir(noOnnx)).rejects.toThrow(/text\.onnx names text\.onnx, which is not in/);
    await expect(readModelDir(await broken((m) => delete (m as Partial<ModelManifest>).embed_dim, 'no-dim'))).rejects.toThrow(/embed_dim/);
    const badName = await broken((m) => (m.image.inputs.pixel_values = 'images'), 'bad-name');
    await expect(ClipEncoder.open(badName, await readModelDir(badName))).rejects.toThrow(/no input named "images" \(it has: pixel_values\)/);
    const badDim = await broken((m) => (m.embed_dim = 77), 'bad-dim');
    const e = await ClipEncoder.open(badDim, await readModelDir(badDim));
    await expect(e.encodeTexts(['x'])).rejects.toThrow(/expected 77 .*embed_dim 77/);
    await e.close();
    await expect(readModelDir(tmp.dir)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses to mix model versions', () => {
    expect(() => assertSameModelVersion('geoscout-mini@1.0.0', 'remoteclip@1')).toThrow(/made by model geoscout-mini@1\.0\.0.*active model is remoteclip@1/);
    expect(() => assertSameModelVersion('a@1', 'a@1')).not.toThrow();
  });
});

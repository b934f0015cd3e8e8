import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../core/testing/temp-dir.js';
import { pullModel } from './hub-pull.js';
import { ModelRegistry, SHIPPED_MODELS_DIR } from './registry.js';

const SHIPPED = path.join(SHIPPED_MODELS_DIR, 'geoscout-mini');
let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let hubRoot = '';
let server: http.Server;
let hubUrl = '';
const seen: string[] = [];

/** Rewrites the shipped model as the HF ONNX CLIP layout (onnx/vision_model.onnx, …, no geoscout manifest). */
async function makeHfFolder(dir: string): Promise<void> {
  await cp(SHIPPED, dir, { recursive: true });
  const m = JSON.parse(await readFile(path.join(dir, 'geoscout-model.json'), 'utf8')) as { embed_dim: number; image: { input_size: number; mean: number[]; std: number[] }; text: { context_length: number } };
  await mkdir(path.join(dir, 'onnx'));
  await rename(path.join(dir, 'image.onnx'), path.join(dir, 'onnx', 'vision_model.onnx'));
  await rename(path.join(dir, 'text.onnx'), path.join(dir, 'onnx', 'text_model.onnx'));
  await rm(path.join(dir, 'geoscout-model.json'));
  await rm(path.join(dir, 'MODEL_CARD.md'));
  await writeFile(path.join(dir, 'preprocessor_config.json'), JSON.stringify({ crop_size: { height: m.image.input_size, width: m.image.input_size }, do_center_crop: false, image_mean: m.image.mean, image_std: m.image.std }));
  await writeFile(path.join(dir, 'config.json'), JSON.stringify({ projection_dim: m.embed_dim, text_config: { max_position_embeddings: m.text.context_length } }));
}

beforeAll(async () => {
  tmp = await makeTempDir();
  hubRoot = path.join(tmp.dir, 'hub');
  await makeHfFolder(path.join(hubRoot, 'acme', 'mini-clip-onnx'));
  await cp(SHIPPED, path.join(hubRoot, 'geoscout', 'mini'), { recursive: true });
  // Mimics the hub: GET /<owner>/<repo>/resolve/<rev>/<file>, 404 when absent, 401 for a gated repo.
  server = http.createServer(async (req, res) => {
    seen.push(req.url ?? '');
    const m = /^\/([^/]+)\/([^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(req.url ?? '');
    if (m?.[1] === 'gated') return res.writeHead(401).end();
    const body = m ? await readFile(path.join(hubRoot, m[1]!, m[2]!, decodeURIComponent(m[4]!))).catch(() => null) : null;
    if (!body) return res.writeHead(404).end();
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hubUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await tmp.cleanup();
});

describe('model registry', () => {
  it('lists the shipped model as active by default', async () => {
    const reg = new ModelRegistry(path.join(tmp.dir, 'state1'));
    const list = await reg.list();
    expect(list.find((m) => m.id === 'geoscout-mini')).toMatchObject({ source: 'shipped', active: true });
  });

  it('imports an HF ONNX CLIP folder (writing its manifest), re-import is a no-op, use switches the active model', async () => {
    const reg = new ModelRegistry(path.join(tmp.dir, 'state2'));
    const src = path.join(tmp.dir, 'hf-local');
    await makeHfFolder(src);
    const first = await reg.import(src, { id: 'mini-hf', version: '7' });
    expect(first.status).toBe('imported');
    expect(first.entry).toMatchObject({ modelVersion: 'mini-hf@7', source: 'imported', active: false });
    const manifest = JSON.parse(await readFile(path.join(first.entry.dir, 'geoscout-model.json'), 'utf8')) as { image: { onnx: string; crop: string }; text: { onnx: string } };
    expect(manifest.image).toMatchObject({ onnx: 'onnx/vision_model.onnx', crop: 'none' });
    expect((await reg.import(src, { id: 'mini-hf', version: '7' })).status).toBe('unchanged');
    await reg.use('mini-hf@7');
    const enc = await reg.openEncoder();
    expect(enc.modelVersion).toBe('mini-hf@7');
    await enc.close();
    await expect(reg.use('nope')).rejects.toThrow(/No model nope \(known: .*mini-hf@7/);
  });

  it('refuses a folder that is neither layout', async () => {
    const reg = new ModelRegistry(path.join(tmp.dir, 'state3'));
    await mkdir(path.join(tmp.dir, 'empty'));
    await expect(reg.import(path.join(tmp.dir, 'empty'))).rejects.toThrow(/neither a geoscout model directory/);
  });
});

describe('models pull from a hub-like HTTP server', () => {
  it('pulls an HF ONNX CLIP repo (onnx/ subfolder) and a geoscout-layout repo', async () => {
    const reg = new ModelRegistry(path.join(tmp.dir, 'state4'));
    const dir = await pullModel('acme/mini-clip-onnx', { hubUrl });
    expect(seen.some((u) => u.endsWith('/resolve/main/onnx/vision_model.onnx'))).toBe(true);
    const res = await reg.import(dir, { id: 'mini-clip-onnx', version: 'main' });
    expect(res.entry.modelVersion).toBe('mini-clip-onnx@main');
    const dir2 = await pullModel('geoscout/mini', { hubUrl, revision: 'main' });
    expect((await reg.import(dir2)).entry.id).toBe('geoscout-mini');
  });

  it('says what is wrong: missing repo, gated repo, bad id, no network', async () => {
    await expect(pullModel('acme/missing', { hubUrl })).rejects.toThrow(/acme\/missing has no config\.json/);
    await expect(pullModel('gated/x', { hubUrl })).rejects.toThrow(/401.*set HF_TOKEN/);
    await expect(pullModel('../etc', { hubUrl })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(pullModel('acme/x', { hubUrl: 'http://127.0.0.1:1' })).rejects.toThrow(/Cannot reach .*models import/);
  });
});

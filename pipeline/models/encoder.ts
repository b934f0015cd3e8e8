import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { GeoscoutError, throwIfAborted } from '../../core/errors.js';
import type { RgbImage } from '../raster/raster.js';
import { modelVersionOf, type ModelManifest } from './manifest.js';
import { l2NormalizeRows, preprocessInto } from './preprocess.js';
import { TextTokenizer } from './text-tokenizer.js';

/** Runtime settings: threads, batch size and execution provider (from config). */
export interface EncoderOptions {
  /** Threads inside one operator (default: the machine's cores). */
  threads?: number;
  batchSize?: number;
  /** `cpu` (default) or `cuda` on GPU nodes (needs onnxruntime-node's CUDA binaries). */
  provider?: 'cpu' | 'cuda';
  deviceId?: number;
}

/** Image embeddings, plus dense patch embeddings when the model has them. */
export interface ImageEmbeddings {
  /** [n × dim], rows L2-normalised. */
  embeds: Float32Array;
  /** [n × gh × gw × dim], each patch L2-normalised; null when the model has no patch output. */
  patches: Float32Array | null;
  grid: [number, number] | null;
  count: number;
}

/**
 * A CLIP-family encoder over ONNX Runtime: image and text towers from a model
 * directory, batched, with L2-normalised outputs. `close()` releases both sessions and
 * is idempotent.
 */
export class ClipEncoder {
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly manifest: ModelManifest,
    private readonly image: ort.InferenceSession,
    private readonly text: ort.InferenceSession,
    readonly tokenizer: TextTokenizer,
    private readonly batchSize: number,
  ) {}

  /** `${id}@${version}`, stored with every vector this encoder produces. */
  get modelVersion(): string {
    return modelVersionOf(this.manifest);
  }

  get dim(): number {
    return this.manifest.embed_dim;
  }

  /** Opens the sessions and checks declared tensor names against the graphs. */
  static async open(dir: string, manifest: ModelManifest, opts: EncoderOptions = {}): Promise<ClipEncoder> {
    const so = sessionOptions(opts);
    const image = await createSession(path.join(dir, manifest.image.onnx), so, opts.provider);
    const text = await createSession(path.join(dir, manifest.text.onnx), so, opts.provider).catch(async (e) => {
      await image.release();
      throw e;
    });
    const tokenizer = await TextTokenizer.load(path.join(dir, manifest.text.tokenizer), {
      contextLength: manifest.text.context_length,
      padId: manifest.text.pad_token_id,
      lowercase: manifest.text.lowercase,
    });
    const enc = new ClipEncoder(dir, manifest, image, text, tokenizer, Math.max(1, opts.batchSize ?? 16));
    enc.checkNames();
    return enc;
  }

  /** Embeds RGB images (any size; resized to the model input). */
  async encodeImages(images: RgbImage[], opts: { signal?: AbortSignal; patches?: boolean } = {}): Promise<ImageEmbeddings> {
    const S = this.manifest.image.input_size;
    // A batch's images are resized side by side (sharp runs each off the main thread).
    return this.runImageTower(images.length, opts, async (start, end, input) => {
      await Promise.all(images.slice(start, end).map((img, j) => preprocessInto(img, this.manifest.image, input, j * 3 * S * S)));
    });
  }

  /**
   * Embeds images already preprocessed into model input ([n, 3, S, S] float32, CHW,
   * normalised): for parity checks against another runtime fed the same tensor.
   */
  async encodePreprocessed(pixels: Float32Array, count: number, opts: { signal?: AbortSignal; patches?: boolean } = {}): Promise<ImageEmbeddings> {
    const S = this.manifest.image.input_size;
    if (pixels.length !== count * 3 * S * S) {
      throw new GeoscoutError('INVALID_INPUT', `Expected ${count}×3×${S}×${S} values, got ${pixels.length}.`);
    }
    return this.runImageTower(count, opts, async (start, end, input) => input.set(pixels.subarray(start * 3 * S * S, end * 3 * S * S)));
  }

  private async runImageTower(
    count: number,
    opts: { signal?: AbortSignal; patches?: boolean },
    fill: (start: number, end: number, input: Float32Array) => Promise<void>,
  ): Promise<ImageEmbeddings> {
    this.checkOpen();
    const m = this.manifest.image;
    const D = this.dim;
    const S = m.input_size;
    const wantPatches = (opts.patches ?? true) && !!m.outputs.patch_embeds;
    const grid = wantPatches ? m.patch_grid ?? null : null;
    const P = grid ? grid[0] * grid[1] : 0;
    const embeds = new Float32Array(count * D);
    const patches = grid ? new Float32Array(count * P * D) : null;
    const prepare = (start: number) => {
      const input = new Float32Array((Math.min(count, start + this.batchSize) - start) * 3 * S * S);
      const ready = fill(start, Math.min(count, start + this.batchSize), input).then(() => input);
      ready.catch(() => {}); // handled where it is awaited; a failure while the model runs must not go unhandled
      return ready;
    };
    // The next batch is prepared while the model runs on this one: resizing crops was about
    // as long as the model itself (512 detection crops: 1.7 s against 1.6 s).
    let next: Promise<Float32Array> | null = count > 0 ? prepare(0) : null;
    for (let start = 0; start < count; start += this.batchSize) {
      const input = await next!;
      next = null;
      throwIfAborted(opts.signal);
      const n = input.length / (3 * S * S);
      const fetches = [m.outputs.embeds, ...(patches ? [m.outputs.patch_embeds!] : [])];
      const run = this.image.run({ [m.inputs.pixel_values]: new ort.Tensor('float32', input, [n, 3, S, S]) }, fetches);
      if (start + this.batchSize < count) next = prepare(start + this.batchSize);
      const out = await run;
      embeds.set(checkDims(out[m.outputs.embeds]!, n * D, 'image embeddings', this), start * D);
      if (patches) patches.set(checkDims(out[m.outputs.patch_embeds!]!, n * P * D, 'patch embeddings', this), start * P * D);
    }
    l2NormalizeRows(embeds, D);
    if (patches) l2NormalizeRows(patches, D);
    return { embeds, patches, grid, count };
  }

  /** Embeds texts; rows L2-normalised. */
  async encodeTexts(texts: string[], opts: { signal?: AbortSignal } = {}): Promise<Float32Array> {
    this.checkOpen();
    const t = this.manifest.text;
    const D = this.dim;
    const out = new Float32Array(texts.length * D);
    for (let start = 0; start < texts.length; start += this.batchSize) {
      throwIfAborted(opts.signal);
      const tb = this.tokenizer.encode(texts.slice(start, start + this.batchSize));
      const feeds: Record<string, ort.Tensor> = { [t.inputs.input_ids]: new ort.Tensor('int64', tb.ids, [tb.batch, tb.length]) };
      if (t.inputs.attention_mask) feeds[t.inputs.attention_mask] = new ort.Tensor('int64', tb.mask, [tb.batch, tb.length]);
      const res = await this.text.run(feeds, [t.outputs.embeds]);
      out.set(checkDims(res[t.outputs.embeds]!, tb.batch * D, 'text embeddings', this), start * D);
    }
    return l2NormalizeRows(out, D);
  }

  /** Releases the ONNX sessions; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.image.release(), this.text.release()]);
  }

  private checkNames() {
    const m = this.manifest;
    const need: [ort.InferenceSession, 'inputNames' | 'outputNames', string, string][] = [
      [this.image, 'inputNames', m.image.inputs.pixel_values, m.image.onnx],
      [this.image, 'outputNames', m.image.outputs.embeds, m.image.onnx],
      [this.text, 'inputNames', m.text.inputs.input_ids, m.text.onnx],
      [this.text, 'outputNames', m.text.outputs.embeds, m.text.onnx],
    ];
    if (m.image.outputs.patch_embeds) need.push([this.image, 'outputNames', m.image.outputs.patch_embeds, m.image.onnx]);
    if (m.text.inputs.attention_mask) need.push([this.text, 'inputNames', m.text.inputs.attention_mask, m.text.onnx]);
    for (const [s, kind, name, file] of need) {
      if (!s[kind].includes(name)) {
        throw new GeoscoutError('INVALID_INPUT', `${path.join(this.dir, file)} has no ${kind === 'inputNames' ? 'input' : 'output'} named "${name}" (it has: ${s[kind].join(', ')}). Fix the names in geoscout-model.json.`, {
          details: { file, expected: name, actual: s[kind] },
        });
      }
    }
  }

  private checkOpen() {
    if (this.closed) throw new GeoscoutError('INVALID_INPUT', `Encoder ${this.modelVersion} is closed.`);
  }
}

/** ONNX Runtime session options from the configured threads and provider (encoders and the objectness model alike). */
export function sessionOptions(opts: EncoderOptions = {}): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: opts.threads ?? os.availableParallelism(),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionProviders: opts.provider === 'cuda' ? [{ name: 'cuda', deviceId: opts.deviceId ?? 0 }, 'cpu'] : ['cpu'],
  };
}

/** Creates a session from `file` (or its `bytes`, already read and edited); a missing or unreadable model is NOT_FOUND / CORRUPT_DATA with what to do. */
export async function createSession(file: string, so: ort.InferenceSession.SessionOptions, provider?: string, bytes?: Uint8Array): Promise<ort.InferenceSession> {
  try {
    return await (bytes ? ort.InferenceSession.create(bytes, so) : ort.InferenceSession.create(file, so));
  } catch (cause) {
    const msg = (cause as Error).message;
    const hint = provider === 'cuda' ? ' The CUDA provider needs onnxruntime-node installed with its CUDA binaries on a GPU node (see README, cluster section).' : '';
    throw new GeoscoutError(/no such file|ENOENT|doesn't exist/i.test(msg) ? 'NOT_FOUND' : 'CORRUPT_DATA', `Cannot load ONNX model ${file}: ${msg}.${hint}`, { cause, details: { path: file } });
  }
}

function checkDims(t: ort.Tensor, expected: number, what: string, enc: ClipEncoder): Float32Array {
  const data = t.data as Float32Array;
  if (data.length !== expected) {
    throw new GeoscoutError('INVALID_INPUT', `Model ${enc.modelVersion} returned ${data.length} values for ${what}, expected ${expected} (shape ${JSON.stringify(t.dims)}); is embed_dim ${enc.dim} in geoscout-model.json right?`, {
      details: { dims: t.dims, embed_dim: enc.dim },
    });
  }
  return data;
}

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import { GeoscoutError, throwIfAborted } from '../core/errors.js';

/** The shipped all-MiniLM-L6-v2 directory (override with GEOSCOUT_TEXT_MODEL_DIR). */
export const DEFAULT_TEXT_MODEL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../models/minilm-l6-v2');

/**
 * A sentence-embedding model over ONNX Runtime: a `model.onnx` taking `input_ids` and
 * `attention_mask` (int64) and returning L2-normalised `sentence_embedding` (pooling is in
 * the graph), with a WordPiece `tokenizer.json` beside it. `close()` is idempotent.
 */
export class SentenceEncoder {
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly session: ort.InferenceSession,
    private readonly tok: Tokenizer,
    readonly dim: number,
    private readonly maxTokens: number,
  ) {}

  /** `minilm-l6-v2@int8` style id stored with every text vector. */
  get modelVersion(): string {
    return `${path.basename(this.dir)}@1`;
  }

  /** Opens the model directory (default: the shipped MiniLM). */
  static async open(dir = DEFAULT_TEXT_MODEL_DIR, opts: { threads?: number; maxTokens?: number } = {}): Promise<SentenceEncoder> {
    let json: object;
    try {
      json = JSON.parse(await readFile(path.join(dir, 'tokenizer.json'), 'utf8')) as object;
    } catch (cause) {
      throw new GeoscoutError('NOT_FOUND', `No sentence model in ${dir} (tokenizer.json missing): set docs.textModelDir (GEOSCOUT_TEXT_MODEL_DIR) to a directory with model.onnx and tokenizer.json.`, { cause });
    }
    const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'), {
      intraOpNumThreads: opts.threads ?? 2,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    }).catch((cause: Error) => {
      throw new GeoscoutError('CORRUPT_DATA', `Cannot load ${path.join(dir, 'model.onnx')}: ${cause.message}`, { cause });
    });
    const tok = new Tokenizer(json, { unk_token: '[UNK]', pad_token: '[PAD]' });
    const enc = new SentenceEncoder(dir, session, tok, 0, opts.maxTokens ?? 256);
    const probe = await enc.encode(['probe']);
    return new SentenceEncoder(dir, session, tok, probe.length, opts.maxTokens ?? 256);
  }

  /** Embeds texts in batches of 16; rows of the result are unit vectors. */
  async encode(texts: string[], signal?: AbortSignal): Promise<Float32Array> {
    if (this.closed) throw new GeoscoutError('INVALID_INPUT', 'The sentence encoder is closed.');
    const parts: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += 16) {
      throwIfAborted(signal);
      parts.push(await this.batch(texts.slice(i, i + 16)));
    }
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  private async batch(texts: string[]): Promise<Float32Array> {
    const seqs = texts.map((t) => {
      const ids = this.tok.encode(t).ids;
      return ids.length > this.maxTokens ? [...ids.slice(0, this.maxTokens - 1), ids[ids.length - 1]!] : ids;
    });
    const L = Math.max(...seqs.map((s) => s.length));
    const ids = new BigInt64Array(texts.length * L);
    const mask = new BigInt64Array(texts.length * L);
    seqs.forEach((s: number[], r) => s.forEach((id: number, j: number) => {
      ids[r * L + j] = BigInt(id);
      mask[r * L + j] = 1n;
    }));
    const out = await this.session.run({
      input_ids: new ort.Tensor('int64', ids, [texts.length, L]),
      attention_mask: new ort.Tensor('int64', mask, [texts.length, L]),
    });
    return out.sentence_embedding!.data as Float32Array;
  }

  /** Releases the session; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.release();
  }
}

const shared = new Map<string, Promise<SentenceEncoder>>();

/**
 * One encoder per model directory for the whole process (tools run many queries; a
 * session costs ~100 ms to open). `closeSharedSentenceEncoders()` releases them.
 */
export function sharedSentenceEncoder(dir: string = DEFAULT_TEXT_MODEL_DIR): Promise<SentenceEncoder> {
  let e = shared.get(dir);
  if (!e) {
    e = SentenceEncoder.open(dir);
    e.catch(() => shared.delete(dir));
    shared.set(dir, e);
  }
  return e;
}

/** Closes the shared encoders; safe to call twice. */
export async function closeSharedSentenceEncoders(): Promise<void> {
  const all = [...shared.values()];
  shared.clear();
  for (const e of all) await (await e.catch(() => null))?.close();
}

import { readFile } from 'node:fs/promises';
import { Tokenizer } from '@huggingface/tokenizers';
import { GeoscoutError } from '../../core/errors.js';

/** Fixed-length token ids ready for the text tower. */
export interface TokenBatch {
  ids: BigInt64Array;
  mask: BigInt64Array;
  batch: number;
  length: number;
}

/**
 * Tokenises with a HF `tokenizer.json` through @huggingface/tokenizers (the tokenizer
 * library of transformers.js; no hand-written BPE). Special tokens come from the
 * tokenizer's post-processor; sequences are truncated CLIP-style (the end-of-text token
 * stays last) and padded with the manifest's pad id.
 */
export class TextTokenizer {
  private constructor(
    private readonly tok: Tokenizer,
    readonly contextLength: number,
    readonly padId: number,
    private readonly lowercase: boolean,
  ) {}

  /** Loads `tokenizer.json` (and `tokenizer_config.json` beside it when present). */
  static async load(file: string, opts: { contextLength: number; padId: number; lowercase: boolean }): Promise<TextTokenizer> {
    let json: object;
    try {
      json = JSON.parse(await readFile(file, 'utf8')) as object;
    } catch (cause) {
      throw new GeoscoutError('INVALID_INPUT', `Cannot read tokenizer ${file}: ${(cause as Error).message}`, { cause, details: { path: file } });
    }
    const cfgFile = file.replace(/tokenizer\.json$/, 'tokenizer_config.json');
    const config = cfgFile !== file ? await readFile(cfgFile, 'utf8').then((t) => JSON.parse(t) as object).catch(() => ({})) : {};
    try {
      return new TextTokenizer(new Tokenizer(json, config), opts.contextLength, opts.padId, opts.lowercase);
    } catch (cause) {
      throw new GeoscoutError('UNSUPPORTED', `Tokenizer ${file} uses a feature @huggingface/tokenizers does not support: ${(cause as Error).message}`, { cause });
    }
  }

  /** Token ids of one text, special tokens included, before padding/truncation. */
  encodeOne(text: string): number[] {
    return this.tok.encode(this.lowercase ? text.toLowerCase() : text).ids;
  }

  /** Encodes texts to [batch, contextLength] int64 ids plus attention mask. */
  encode(texts: string[]): TokenBatch {
    const L = this.contextLength;
    const ids = new BigInt64Array(texts.length * L).fill(BigInt(this.padId));
    const mask = new BigInt64Array(texts.length * L);
    texts.forEach((t, row) => {
      let seq = this.encodeOne(t);
      if (seq.length > L) seq = [...seq.slice(0, L - 1), seq[seq.length - 1]!];
      seq.forEach((id, i) => {
        ids[row * L + i] = BigInt(id);
        mask[row * L + i] = 1n;
      });
    });
    return { ids, mask, batch: texts.length, length: L };
  }
}

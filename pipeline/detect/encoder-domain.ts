/**
 * Whether the encoder knows an image: its stored tiles are compared with a bank of tile
 * embeddings from the world the encoder was trained on (`domain-bank.json` in the model's
 * folder, optional). The statistic is the median over the image's tiles of the cosine to
 * the nearest bank tile, the usual nearest-neighbour test for out-of-distribution inputs.
 *
 * Why: geoscout-mini learned the generator's world; there its text queries score AP50
 * 0.84–0.98 (bench:detect-quality), on real imagery ~0 (bench:real cars 0.04). Where it does
 * not know the imagery, a text query naming a class with a shipped class head is answered
 * by that head instead (fewshot/class-heads.ts), which scores 0.78 on the same cars over the
 * objectness proposals but far worse than the encoder on the generator's own scenes (its own
 * boxes: vehicles 0.26 against 0.90).
 * A model without a bank (an imported CLIP) is trusted everywhere.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { GeoscoutError } from '../../core/errors.js';
import type { Store } from '../index/store.js';
import { sqlString } from '../index/store.js';
import { openTilesTable, tilesTableName, vectorValues } from '../index/tiles-table.js';
import type { ClipEncoder } from '../models/encoder.js';
import { normalize } from './vectors.js';

/** The bank's file name inside a model folder. */
export const DOMAIN_BANK_FILE = 'domain-bank.json';
/** Tiles of an image compared at most (spread over its stored tiles): the median settles long before. */
const MAX_TILES = 256;

/** The bank file: unit vectors quantised to int16 (×32767), base64, row-major. */
export const DomainBankFileSchema = z.object({
  model_version: z.string(),
  statistic: z.literal('median-nearest-cosine'),
  threshold: z.number().min(-1).max(1),
  dim: z.number().int().positive(),
  count: z.number().int().positive(),
  vectors: z.string(),
  source: z.string(),
});
/** See {@link DomainBankFileSchema}. */
export type DomainBankFile = z.infer<typeof DomainBankFileSchema>;

/** A loaded bank. */
export interface DomainBank {
  modelVersion: string;
  /** An image whose statistic is at least this is known to the encoder. */
  threshold: number;
  dim: number;
  /** count × dim unit vectors. */
  vectors: Float32Array;
}

/** Encodes unit vectors for {@link DomainBankFileSchema}'s `vectors`. */
export function encodeBankVectors(vectors: Float32Array[]): string {
  const q = new Int16Array(vectors.length * vectors[0]!.length);
  vectors.forEach((v, k) => normalize(v).forEach((x, i) => (q[k * v.length + i] = Math.round(x * 32767))));
  return Buffer.from(q.buffer).toString('base64');
}

const banks = new Map<string, DomainBank | null>();

/** The encoder's bank, or null when its folder has none. Read once per process. */
export function domainBank(enc: ClipEncoder): DomainBank | null {
  if (banks.has(enc.dir)) return banks.get(enc.dir)!;
  const file = path.join(enc.dir, DOMAIN_BANK_FILE);
  let bank: DomainBank | null = null;
  if (existsSync(file)) {
    const parsed = DomainBankFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success || parsed.data.dim !== enc.dim || parsed.data.model_version !== enc.modelVersion) {
      throw new GeoscoutError('CORRUPT_DATA', `${file} is not a domain bank of ${enc.modelVersion}. Rebuild it (node --import tsx evals/real/fit-encoder-domain.ts) or delete it to trust the encoder everywhere.`);
    }
    const b = Buffer.from(parsed.data.vectors, 'base64');
    const q = new Int16Array(b.buffer, b.byteOffset, b.byteLength / 2);
    if (q.length !== parsed.data.count * parsed.data.dim) throw new GeoscoutError('CORRUPT_DATA', `${file} holds ${q.length} values, not ${parsed.data.count} × ${parsed.data.dim}. Rebuild it.`);
    bank = { modelVersion: parsed.data.model_version, threshold: parsed.data.threshold, dim: parsed.data.dim, vectors: Float32Array.from(q, (x) => x / 32767) };
  }
  banks.set(enc.dir, bank);
  return bank;
}

/** Median over `tiles` of the cosine to the nearest bank vector. */
export function domainStatistic(bank: DomainBank, tiles: Float32Array[]): number {
  const d = bank.dim, n = bank.vectors.length / d;
  const nearest = tiles.map((t) => {
    const u = normalize(t);
    let best = -1;
    for (let k = 0; k < n; k++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += u[i]! * bank.vectors[k * d + i]!;
      if (s > best) best = s;
    }
    return best;
  }).sort((a, b) => a - b);
  return nearest[Math.floor(nearest.length / 2)] ?? 1;
}

/** What {@link encoderKnows} found for an image. */
export interface DomainVerdict {
  known: boolean;
  /** The statistic, null when it could not be measured (no bank, no stored tiles). */
  score: number | null;
}

const verdicts = new Map<string, DomainVerdict>();

/**
 * Whether the encoder knows an image's imagery, from its stored tiles (cached per image and
 * model). Without a bank or without stored tiles there is nothing to compare: known, so
 * detection behaves as it always did.
 */
export async function encoderKnows(store: Store, enc: ClipEncoder, imageId: string): Promise<DomainVerdict> {
  const bank = domainBank(enc);
  if (!bank) return { known: true, score: null };
  const key = `${store.uri}|${enc.modelVersion}|${imageId}`;
  const cached = verdicts.get(key);
  if (cached) return cached;
  const tiles = await storedTiles(store, enc, imageId);
  if (!tiles.length) return { known: true, score: null };
  const score = domainStatistic(bank, tiles);
  const verdict = { known: score >= bank.threshold, score };
  verdicts.set(key, verdict);
  return verdict;
}

async function storedTiles(store: Store, enc: ClipEncoder, imageId: string): Promise<Float32Array[]> {
  if (!(await store.tableNames()).includes(tilesTableName(enc.manifest.id))) return [];
  const { table } = await openTilesTable(store, enc.manifest);
  const rows = await table.query().where(`image_id = ${sqlString(imageId)} AND model_version = ${sqlString(enc.modelVersion)}`).select(['vector']).toArray();
  const step = Math.max(1, rows.length / MAX_TILES);
  const out: Float32Array[] = [];
  for (let i = 0; i < rows.length; i += step) {
    const v = vectorValues(rows[Math.floor(i)]!.vector);
    if (v) out.push(v);
  }
  return out;
}

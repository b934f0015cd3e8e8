import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type * as lancedb from '@lancedb/lancedb';
import { throwIfAborted } from '../core/errors.js';
import { sqlString } from '../pipeline/index/store.js';

/**
 * Writes figure–text pairs in the training manifest format (pipeline/train
 * geoscout_train/data.py): one JSON line per figure with `image` (a PNG beside the
 * manifest, relative path), `captions` (caption first, then OCR text and the vision
 * description when present), `split`, and provenance (`doc_id`, `page`, `figure`).
 * Figures with neither caption nor description are left out: they teach nothing.
 */
export async function exportPairs(figures: lancedb.Table, out: string, opts: { split?: string; modelVersion?: string; signal?: AbortSignal } = {}): Promise<{ manifest: string; rows: number }> {
  const dir = path.dirname(path.resolve(out));
  const imgDir = path.join(dir, 'figures');
  await mkdir(imgDir, { recursive: true });
  let q = figures.query().select(['figure_id', 'doc_id', 'title', 'page', 'figure_number', 'caption', 'ocr_text', 'description', 'thumbnail']);
  if (opts.modelVersion) q = q.where(`model_version = ${sqlString(opts.modelVersion)}`);
  const rows = (await q.toArray()) as Record<string, unknown>[];
  const lines: string[] = [];
  for (const r of rows) {
    throwIfAborted(opts.signal);
    const caption = (r.caption as string | null)?.replace(/^\s*(?:figure|fig\.?)\s*\d+\s*[:.\u2013\u2014-]\s*/i, '').trim();
    const description = (r.description as string | null) ?? '';
    if (!caption && !description) continue;
    const ocr = ((r.ocr_text as string) ?? '').replace(/\s+/g, ' ').trim();
    const file = `figures/${(r.figure_id as string).replace(/[^a-zA-Z0-9_-]/g, '_')}.png`;
    await writeFile(path.join(dir, file), r.thumbnail as Uint8Array);
    const captions = [caption, ocr && `${caption ?? ''} Labels: ${ocr.toLowerCase()}`.trim(), description].filter((c): c is string => !!c);
    lines.push(JSON.stringify({
      image: file, caption: captions[0], captions, split: opts.split ?? 'train', class: 'document_figure',
      doc_id: r.doc_id, title: r.title, page: r.page, figure: r.figure_number ?? null,
    }));
  }
  await writeFile(path.resolve(out), lines.join('\n') + (lines.length ? '\n' : ''));
  return { manifest: path.resolve(out), rows: lines.length };
}

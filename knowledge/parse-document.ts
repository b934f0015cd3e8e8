import type { PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist/types/src/display/api.js';
import { throwIfAborted } from '../core/errors.js';
import type { OcrEngine } from './ocr.js';
import { findFigures, isScannedPage, matchCaptions, type FigureRegion } from './pdf/figures.js';
import { layoutPage, type TextBlock } from './pdf/layout.js';
import { readPage, type Box, type TextItem } from './pdf/page-content.js';
import { imagePng, renderRegion } from './pdf/render.js';

/** A passage of a document, cited by page and box. */
export interface ParsedChunk {
  page: number;
  box: Box;
  section: string;
  kind: 'text' | 'caption' | 'ocr';
  text: string;
}

/** A figure with its pixels, caption and the text inside it. */
export interface ParsedFigure {
  page: number;
  number: number | null;
  box: Box;
  kind: 'raster' | 'vector';
  caption: string | null;
  png: Buffer;
  /** OCR of raster figures; PDF text labels of vector figures. */
  ocrText: string;
}

/** The result of parsing one PDF. */
export interface ParsedDocument {
  title: string;
  pages: number;
  chunks: ParsedChunk[];
  figures: ParsedFigure[];
}

const MAX_WORDS = 140;

/**
 * Parses a PDF page by page: layout blocks (OCR'd lines for scanned pages), figures
 * with captions matched by layout, raster figures OCR'd for their labels, vector figures
 * rendered from their page region, and passages chunked under their section heading
 * without crossing pages (a citation names one page).
 */
export async function parseDocument(doc: PDFDocumentProxy, fallbackTitle: string, ocr: OcrEngine, opts: { signal?: AbortSignal; onPage?: (page: number) => void } = {}): Promise<ParsedDocument> {
  const meta = await doc.getMetadata().catch(() => null);
  const metaTitle = (meta?.info as { Title?: string } | undefined)?.Title?.trim();
  const chunks: ParsedChunk[] = [];
  const figures: ParsedFigure[] = [];
  let section = '';
  let firstHeading: string | undefined;
  for (let p = 1; p <= doc.numPages; p++) {
    throwIfAborted(opts.signal);
    const page = await doc.getPage(p);
    try {
      const content = await readPage(page);
      const scanned = isScannedPage(content);
      const items = scanned ? await ocrPageItems(content.images[0]!, ocr) : content.items;
      const blocks = layoutPage(items, content.width, content.height);
      const found = scanned ? [] : findFigures(content);
      const { figures: figs, body } = matchCaptions(found, blocks);
      for (const f of figs) figures.push(await toFigure(page, p, f, ocr));
      firstHeading ??= blocks.find((b) => b.kind === 'heading')?.text;
      section = chunkPage(body, p, section, scanned, chunks);
    } finally {
      page.cleanup();
    }
    opts.onPage?.(p);
  }
  return { title: metaTitle || firstHeading || fallbackTitle, pages: doc.numPages, chunks, figures };
}

/** OCR of a page scan, as text items in page points so layout analysis treats it like text. */
async function ocrPageItems(scan: { box: Box; width: number; height: number; channels: 1 | 3 | 4; data: Uint8Array }, ocr: OcrEngine): Promise<TextItem[]> {
  const { lines } = await ocr.recognize(await imagePng(scan));
  const sx = (scan.box[2] - scan.box[0]) / scan.width, sy = (scan.box[3] - scan.box[1]) / scan.height;
  return lines.map((l) => ({
    str: l.text,
    box: [scan.box[0] + l.box[0] * sx, scan.box[1] + l.box[1] * sy, scan.box[0] + l.box[2] * sx, scan.box[1] + l.box[3] * sy] as Box,
    size: Math.max(6, (l.box[3] - l.box[1]) * sy * 0.8),
    font: 'ocr',
  }));
}

async function toFigure(page: PDFPageProxy, p: number, f: FigureRegion, ocr: OcrEngine): Promise<ParsedFigure> {
  const png = f.kind === 'raster' && f.image ? await imagePng(f.image) : await renderRegion(page, f.box);
  const ocrText = f.kind === 'raster' ? (await ocr.recognize(png)).text : f.innerText;
  return { page: p, number: f.figureNumber ?? null, box: f.box, kind: f.kind, caption: f.caption ?? null, png, ocrText };
}

/** Appends the page's chunks; returns the section heading in force at the end of the page. */
function chunkPage(blocks: TextBlock[], page: number, section: string, scanned: boolean, out: ParsedChunk[]): string {
  let cur: ParsedChunk | null = null;
  const flush = () => {
    if (cur && cur.text.trim()) out.push(cur);
    cur = null;
  };
  for (const b of blocks) {
    if (b.kind === 'heading') {
      flush();
      section = b.text;
      cur = { page, box: b.box, section, kind: scanned ? 'ocr' : 'text', text: b.text };
      continue;
    }
    if (b.kind === 'caption') {
      out.push({ page, box: b.box, section, kind: 'caption', text: b.text });
      continue;
    }
    const words = (cur?.text.split(/\s+/).length ?? 0) + b.text.split(/\s+/).length;
    if (cur && words > MAX_WORDS) flush();
    if (!cur) cur = { page, box: b.box, section, kind: scanned ? 'ocr' : 'text', text: b.text };
    else {
      const c: ParsedChunk = cur;
      c.text += '\n' + b.text;
      c.box = [Math.min(c.box[0], b.box[0]), Math.min(c.box[1], b.box[1]), Math.max(c.box[2], b.box[2]), Math.max(c.box[3], b.box[3])];
    }
  }
  flush();
  return section;
}

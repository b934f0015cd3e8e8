import { PDFDocument, rgb, StandardFonts, type PDFFont, type PDFPage } from 'pdf-lib';

/** Page size (US Letter, points) used by the corpus. */
export const PAGE_W = 612;
export const PAGE_H = 792;
const MARGIN = 54;

/** A box in page points, origin top-left: [x0, y0, x1, y1] (the viewport convention of the index). */
export type TopLeftBox = [number, number, number, number];

/**
 * A column-aware writer over pdf-lib: text flows top-down inside a column, images
 * and captions are placed at the cursor, and every placement returns its top-left box
 * so the generator can record ground truth.
 */
export class PageWriter {
  private y: number;

  private constructor(
    readonly page: PDFPage,
    private readonly fonts: { regular: PDFFont; bold: PDFFont; italic: PDFFont },
    readonly x0: number,
    readonly width: number,
    top = MARGIN,
  ) {
    this.y = top;
  }

  /** A writer over a new page's full text width, or one of `columns` columns. */
  static async create(doc: PDFDocument, opts: { columns?: number; column?: number; page?: PDFPage; top?: number } = {}): Promise<PageWriter> {
    const fonts = {
      regular: await doc.embedFont(StandardFonts.Helvetica),
      bold: await doc.embedFont(StandardFonts.HelveticaBold),
      italic: await doc.embedFont(StandardFonts.HelveticaOblique),
    };
    const page = opts.page ?? doc.addPage([PAGE_W, PAGE_H]);
    const cols = opts.columns ?? 1;
    const gap = 24;
    const w = (PAGE_W - 2 * MARGIN - (cols - 1) * gap) / cols;
    return new PageWriter(page, fonts, MARGIN + (opts.column ?? 0) * (w + gap), w, opts.top);
  }

  /** The cursor (top-left y) — where the next element goes. */
  get cursor(): number {
    return this.y;
  }

  /** Writes a heading line. */
  heading(text: string, size = 15): TopLeftBox {
    return this.lines([text], this.fonts.bold, size, 8);
  }

  /** Writes a wrapped paragraph. */
  paragraph(text: string, size = 10): TopLeftBox {
    return this.lines(wrap(text, this.fonts.regular, size, this.width), this.fonts.regular, size, 8);
  }

  /** Writes a wrapped italic caption. */
  caption(text: string, size = 9): TopLeftBox {
    return this.lines(wrap(text, this.fonts.italic, size, this.width), this.fonts.italic, size, 10);
  }

  /** Places a PNG centred in the column, `w` points wide. */
  async image(doc: PDFDocument, png: Uint8Array, w: number): Promise<TopLeftBox> {
    const img = await doc.embedPng(png);
    const h = (img.height / img.width) * w;
    const x = this.x0 + (this.width - w) / 2;
    this.page.drawImage(img, { x, y: PAGE_H - this.y - h, width: w, height: h });
    const box: TopLeftBox = [x, this.y, x + w, this.y + h];
    this.y += h + 6;
    return box;
  }

  /** Reserves `h` points for a drawing made by `draw(x, topY)`; returns the reserved box. */
  drawing(h: number, draw: (page: PDFPage, x: number, top: number, w: number) => void): TopLeftBox {
    draw(this.page, this.x0, this.y, this.width);
    const box: TopLeftBox = [this.x0, this.y, this.x0 + this.width, this.y + h];
    this.y += h + 6;
    return box;
  }

  /** Small text at an absolute top-left position (labels inside a vector diagram). */
  label(text: string, x: number, top: number, size = 8): void {
    this.page.drawText(text, { x, y: PAGE_H - top - size, size, font: this.fonts.bold, color: rgb(0.1, 0.1, 0.1) });
  }

  /** Skips vertical space. */
  space(pt: number): void {
    this.y += pt;
  }

  private lines(lines: string[], font: PDFFont, size: number, after: number): TopLeftBox {
    const top = this.y;
    const lead = size * 1.3;
    let right = this.x0;
    for (const l of lines) {
      this.page.drawText(l, { x: this.x0, y: PAGE_H - this.y - size, size, font, color: rgb(0, 0, 0) });
      right = Math.max(right, this.x0 + font.widthOfTextAtSize(l, size));
      this.y += lead;
    }
    const box: TopLeftBox = [this.x0, top, right, this.y];
    this.y += after;
    return box;
  }
}

/** Greedy word wrap to a width in points. */
export function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (line && font.widthOfTextAtSize(next, size) > width) {
      out.push(line);
      line = word;
    } else line = next;
  }
  if (line) out.push(line);
  return out;
}

/** Writes the page number at the foot of a page. */
export async function pageNumber(doc: PDFDocument, page: PDFPage, n: number): Promise<void> {
  const font = await doc.embedFont(StandardFonts.Helvetica);
  page.drawText(String(n), { x: PAGE_W / 2 - 4, y: 30, size: 9, font });
}

import type { Box, TextItem } from './page-content.js';

/** A block of text in reading order. */
export interface TextBlock {
  text: string;
  box: Box;
  size: number;
  kind: 'heading' | 'paragraph' | 'caption';
  /** Figure number when `kind` is caption. */
  figureNumber?: number;
  /** 0 for full-width or left column, 1.. for further columns. */
  column: number;
}

const CAPTION = /^\s*(?:figure|fig\.?)\s*(\d+)\s*[:.\u2013\u2014-]/i;
const union = (a: Box, b: Box): Box => [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];

interface Line {
  items: TextItem[];
  box: Box;
  size: number;
}

/** Joins runs on the same baseline that touch horizontally into lines. */
function toLines(items: TextItem[]): Line[] {
  const sorted = [...items].sort((a, b) => a.box[1] - b.box[1] || a.box[0] - b.box[0]);
  const lines: Line[] = [];
  for (const it of sorted) {
    const l = lines.find((x) => Math.abs(x.box[1] - it.box[1]) < it.size * 0.4 && it.box[0] - x.box[2] < it.size * 1.5 && it.box[0] >= x.box[0] - 1);
    if (l) {
      l.items.push(it);
      l.box = union(l.box, it.box);
      l.size = Math.max(l.size, it.size);
    } else lines.push({ items: [it], box: it.box, size: it.size });
  }
  return lines;
}

const lineText = (l: Line) => l.items.sort((a, b) => a.box[0] - b.box[0]).map((i) => i.str).join(' ').replace(/\s+/g, ' ').trim();

/**
 * Layout analysis of one page: lines → blocks (same column, same size, small vertical
 * gap), headings (clearly larger than the body size), captions ("Figure N: …"),
 * running page numbers dropped, and reading order: full-width blocks split the page into
 * bands; inside a band the left column is read before the right.
 */
export function layoutPage(items: TextItem[], pageWidth: number, pageHeight: number): TextBlock[] {
  const lines = toLines(items).filter((l) => !(l.box[1] > pageHeight - 60 && /^\d{1,4}$/.test(lineText(l))));
  const body = median(lines.flatMap((l) => l.items.map((i) => i.size))) ?? 10;
  const mid = pageWidth / 2;
  const colOf = (b: Box) => (b[2] - b[0] > pageWidth * 0.55 ? -1 : b[0] >= mid - 12 ? 1 : 0);
  const blocks: (TextBlock & { last: Line })[] = [];
  for (const l of lines.sort((a, b) => a.box[1] - b.box[1])) {
    const text = lineText(l);
    const col = colOf(l.box);
    const isCaption = CAPTION.test(text);
    const prev = [...blocks].reverse().find((b) => sameColumn(b.box, l.box));
    const joinable = prev && !isCaption && prev.kind !== 'heading' && Math.abs(prev.size - l.size) < 0.6
      && l.box[1] - prev.last.box[3] < l.size * 0.9 && l.box[1] >= prev.last.box[1];
    if (joinable) {
      prev.text += ' ' + text;
      prev.box = union(prev.box, l.box);
      prev.last = l;
      if (col !== -1 && prev.column === -1) prev.column = col;
      continue;
    }
    const m = CAPTION.exec(text);
    const kind = m ? 'caption' : l.size >= body * 1.25 ? 'heading' : 'paragraph';
    blocks.push({ text, box: l.box, size: l.size, kind, column: col, last: l, ...(m ? { figureNumber: Number(m[1]) } : {}) });
  }
  return readingOrder(blocks.map(({ last: _last, ...b }) => b), pageWidth);
}

function sameColumn(a: Box, b: Box): boolean {
  const overlap = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  return overlap > 0.5 * Math.min(a[2] - a[0], b[2] - b[0]);
}

function readingOrder(blocks: TextBlock[], pageWidth: number): TextBlock[] {
  const full = (b: TextBlock) => b.box[2] - b.box[0] > pageWidth * 0.55;
  const out: TextBlock[] = [];
  let band: TextBlock[] = [];
  const flush = () => {
    band.sort((a, b) => (a.column === -1 ? 0 : a.column) - (b.column === -1 ? 0 : b.column) || a.box[1] - b.box[1]);
    out.push(...band);
    band = [];
  };
  for (const b of [...blocks].sort((a, c) => a.box[1] - c.box[1])) {
    if (full(b)) {
      flush();
      out.push(b);
    } else band.push(b);
  }
  flush();
  return out.map((b) => ({ ...b, column: Math.max(0, b.column) }));
}

function median(xs: number[]): number | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** One piece of evidence a tool returned: a tile, an image, or a document page/figure. */
export interface Citation {
  kind: 'tile' | 'image' | 'document';
  /** The tool that returned it. */
  tool: string;
  tile_id?: string;
  image_id?: string;
  lon?: number;
  lat?: number;
  acquired_at?: string;
  sensor?: string;
  gsd_m?: number;
  score?: number;
  doc_id?: string;
  page?: number;
  figure?: string;
  title?: string;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);

/**
 * Walks a tool's structured output and collects every citable record: objects with a
 * tile_id, an image_id, or a doc_id (+ page/figure). Field names follow the tool
 * contracts (DESIGN.md), so tools added later are covered when they use them.
 */
export function citationsFromOutput(tool: string, data: unknown): Citation[] {
  const out: Citation[] = [];
  const visit = (v: unknown, depth: number): void => {
    if (depth > 6 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) { for (const x of v) visit(x, depth + 1); return; }
    const o = v as Record<string, unknown>;
    const c = citationOf(tool, o);
    if (c) out.push(c);
    else for (const x of Object.values(o)) visit(x, depth + 1);
  };
  visit(data, 0);
  return out;
}

function citationOf(tool: string, o: Record<string, unknown>): Citation | null {
  const doc = str(o.doc_id);
  if (doc) {
    return strip({ kind: 'document', tool, doc_id: doc, page: num(o.page), figure: str(o.figure_id) ?? str(o.figure), title: str(o.title) });
  }
  const tile = str(o.tile_id);
  const image = str(o.image_id);
  if (!tile && !image) return null;
  const box = (o.best_box ?? null) as Record<string, unknown> | null;
  const center = (o.center ?? null) as Record<string, unknown> | null;
  const lon = num(box?.lon) ?? num(center?.lon) ?? num(o.lon);
  const lat = num(box?.lat) ?? num(center?.lat) ?? num(o.lat);
  return strip({
    kind: tile ? 'tile' : 'image', tool, tile_id: tile, image_id: image, lon, lat,
    acquired_at: str(o.acquired_at), sensor: str(o.sensor), gsd_m: num(o.gsd_m), score: num(o.score), title: str(o.title),
  });
}

function strip(c: Citation): Citation {
  return Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as unknown as Citation;
}

/**
 * The citations the answer actually uses: a tile/image/document cited by id in the
 * answer text (tile ids, image ids, doc ids; a document also by "page N"). Deduplicated,
 * in the order they appear in the answer.
 */
export function citationsInAnswer(answer: string, returned: Citation[]): Citation[] {
  const seen = new Set<string>();
  const hits: { at: number; c: Citation }[] = [];
  for (const c of returned) {
    const key = c.tile_id ?? (c.doc_id ? `${c.doc_id}#${c.page ?? ''}` : c.image_id!);
    if (seen.has(key)) continue;
    let at = -1;
    if (c.tile_id) at = answer.indexOf(c.tile_id);
    else if (c.doc_id) {
      const d = answer.indexOf(c.doc_id);
      at = d >= 0 && (c.page === undefined || new RegExp(`\\b(p\\.?|page)\\s*${c.page}\\b`, 'i').test(answer)) ? d : -1;
    } else at = answer.indexOf(c.image_id!);
    if (at >= 0) { seen.add(key); hits.push({ at, c }); }
  }
  // An image cited only through its tiles is not a separate citation.
  const tileImages = new Set(hits.filter((h) => h.c.kind === 'tile').map((h) => h.c.image_id));
  return hits.filter((h) => h.c.kind !== 'image' || !tileImages.has(h.c.image_id)).sort((a, b) => a.at - b.at).map((h) => h.c);
}

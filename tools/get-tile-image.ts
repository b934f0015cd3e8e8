import sharp from 'sharp';
import { z } from 'zod';
import { GeoscoutError } from '../core/errors.js';
import { getImage } from '../pipeline/catalog/catalog.js';
import { openCatalogImage } from '../pipeline/catalog/open-image.js';
import { squareAround } from '../pipeline/detect/detect-window.js';
import { detectionRows } from '../pipeline/detect/detections-table.js';
import type { Stretch } from '../pipeline/raster/stretch.js';
import type { ToolDefinition } from './tool.js';
import { PixelWindowSchema } from '../pipeline/raster/georef.js';

/** Chat clients downscale anything larger; 1568 px is Claude's long-edge limit. */
export const MAX_CHAT_EDGE = 1568;

/** Largest PNG returned (its base64 stays under 5 MB); larger pictures go out as JPEG. */
export const MAX_PNG_BYTES = 3_700_000;

const Box = z.object({
  x: z.number(), y: z.number(), width: z.number().positive(), height: z.number().positive(),
  label: z.string().max(60).optional(),
});

/** Input of get_tile_image. */
export const getTileImageInput = z
  .object({
    tile_id: z.string().optional().describe('a tile id from search_tiles'),
    detection_id: z.string().optional().describe('a detection from detect_in_region: its surroundings with its box drawn'),
    image_id: z.string().optional().describe('a catalogued image, with x, y, width, height'),
    x: z.number().int().min(0).optional(),
    y: z.number().int().min(0).optional(),
    width: z.number().int().positive().optional(),
    height: z.number().int().positive().optional(),
    max_size: z.number().int().min(16).max(MAX_CHAT_EDGE).default(768).describe('long edge of the returned image in pixels'),
    format: z.enum(['png', 'jpeg']).default('png'),
    boxes: z.array(Box).max(200).optional().describe('boxes to draw, in image pixel coordinates (e.g. best_box of a hit)'),
  })
  .strict();

/** Output of get_tile_image (the image bytes go out as an MCP image block). */
export const getTileImageOutput = z.object({
  image_id: z.string(),
  window: PixelWindowSchema,
  width: z.number(),
  height: z.number(),
  /** Image pixels per returned pixel. */
  scale: z.number(),
  mime_type: z.enum(['image/png', 'image/jpeg']),
  base64: z.string().describe('the image bytes (REST, CLI); over MCP they travel once, as the image block'),
});

/** get_tile_image's MCP structuredContent: the output without the bytes (they are the image block). */
export const getTileImageStructured = getTileImageOutput.omit({ base64: true });

/** The MCP resource URI of a tile (`geoscout://tiles/{tile_id}`, the id percent-encoded as RFC 6570 expands it). */
export function tileResourceUri(tileId: string): string {
  return `geoscout://tiles/${encodeURIComponent(tileId)}`;
}

/** Parses the window out of a tile id (`<image>/<model>@<version>/L<level>/<x>_<y>_<size>`). */
export function windowOfTileId(tileId: string): { image_id: string; x: number; y: number; width: number; height: number } {
  const m = /^(img_[0-9a-f]+)\/[^/]+\/L\d+\/(\d+)_(\d+)_(\d+)$/.exec(tileId);
  if (!m) throw new GeoscoutError('INVALID_INPUT', `"${tileId}" is not a tile id (they look like img_…/model@version/L0/x_y_size, as search_tiles returns them).`);
  return { image_id: m[1]!, x: Number(m[2]), y: Number(m[3]), width: Number(m[4]), height: Number(m[4]) };
}

/** get_tile_image: a tile or any window as PNG/JPEG, downscaled for chat, optionally with boxes drawn. */
export const getTileImageTool: ToolDefinition<typeof getTileImageInput, typeof getTileImageOutput> = {
  name: 'get_tile_image',
  title: 'Get a tile or window as an image',
  description: 'Returns a tile (by tile id), a detection with its box drawn (by detection id), or any pixel window of a catalogued image as a PNG or JPEG, downscaled to max_size (≤ 1568 px), optionally with labelled boxes drawn on it.',
  inputSchema: getTileImageInput,
  outputSchema: getTileImageOutput,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(input, ctx) {
    const store = await ctx.store();
    let boxes = input.boxes;
    let win;
    if (input.detection_id) {
      const d = (await detectionRows(store, [input.detection_id]))[0];
      if (!d) throw new GeoscoutError('NOT_FOUND', `No stored detection ${input.detection_id}: use a detection_id returned by detect_in_region.`);
      win = contextWindow(d, await getImage(store, d.image_id));
      boxes = [...(boxes ?? []), { x: d.x, y: d.y, width: d.width, height: d.height, label: `${d.query} ${d.score.toFixed(2)}` }];
    } else win = input.tile_id ? windowOfTileId(input.tile_id) : explicitWindow(input);
    const rec = await getImage(store, win.image_id);
    const r = await openCatalogImage(rec, ctx.signal);
    try {
      const rgb = await r.readRgb({ x: win.x, y: win.y, width: win.width, height: win.height }, { maxSize: input.max_size, stretch: rec.stretch as Stretch, ...(ctx.signal ? { signal: ctx.signal } : {}) });
      const scale = win.width / rgb.width;
      let img = sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } });
      if (boxes?.length) img = img.composite([{ input: Buffer.from(boxesSvg(boxes, win, scale, rgb.width, rgb.height)), top: 0, left: 0 }]);
      let bytes = await (input.format === 'jpeg' ? img.jpeg({ quality: 85 }) : img.png()).toBuffer();
      let jpeg = input.format === 'jpeg';
      // A busy scene at full chat size can make a PNG over the providers' per-image limit
      // (Anthropic: 5 MB of base64) and near the MCP stdio message cap: send JPEG instead.
      if (!jpeg && bytes.length > MAX_PNG_BYTES) {
        bytes = await img.jpeg({ quality: 90 }).toBuffer();
        jpeg = true;
      }
      return { image_id: win.image_id, window: { x: win.x, y: win.y, width: win.width, height: win.height }, width: rgb.width, height: rgb.height, scale, mime_type: jpeg ? 'image/jpeg' : 'image/png', base64: bytes.toString('base64') };
    } finally {
      await r.close();
    }
  },
  structured: { schema: getTileImageStructured, of: (out) => getTileImageStructured.parse(out) },
  media(out, input) {
    const links = input.tile_id
      ? [{ uri: tileResourceUri(input.tile_id), name: input.tile_id, title: `Tile ${input.tile_id}`, mimeType: 'image/png', description: 'the tile as PNG plus its metadata (time, sensor, footprint)' }]
      : [];
    return { images: [{ data: out.base64, mimeType: out.mime_type }], resourceLinks: links };
  },
  render(out) {
    return `${out.mime_type} ${out.width}×${out.height} of ${out.image_id} window ${out.window.x},${out.window.y} ${out.window.width}×${out.window.height} (1 px = ${out.scale.toFixed(2)} image px)`;
  },
};

/** A square around a detection: 3× its long side, at least 64 m, inside the image. */
function contextWindow(d: { image_id: string; x: number; y: number; width: number; height: number }, rec: { width: number; height: number; gsd_m: number | null }) {
  const side = Math.max(Math.round(64 / (rec.gsd_m ?? 0.5)), 3 * Math.max(d.width, d.height));
  return { image_id: d.image_id, ...squareAround(d, side, rec.width, rec.height) };
}

function explicitWindow(i: z.infer<typeof getTileImageInput>) {
  if (!i.image_id || i.x === undefined || i.y === undefined || !i.width || !i.height) {
    throw new GeoscoutError('INVALID_INPUT', 'Give a tile_id, a detection_id, or an image_id with x, y, width and height (pixels).');
  }
  return { image_id: i.image_id, x: i.x, y: i.y, width: i.width, height: i.height };
}

function boxesSvg(boxes: z.infer<typeof Box>[], win: { x: number; y: number }, scale: number, w: number, h: number): string {
  const esc = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const shapes = boxes.map((b) => {
    const x = (b.x - win.x) / scale, y = (b.y - win.y) / scale;
    const label = b.label ? `<text x="${x + 2}" y="${Math.max(10, y - 3)}" font-family="sans-serif" font-size="11" fill="#ffeb3b" stroke="#000" stroke-width="0.4">${esc(b.label)}</text>` : '';
    return `<rect x="${x}" y="${y}" width="${b.width / scale}" height="${b.height / scale}" fill="none" stroke="#ffeb3b" stroke-width="2"/>${label}`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${shapes.join('')}</svg>`;
}

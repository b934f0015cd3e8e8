/**
 * Evidence thumbnails for failed tasks: the tile the answer came from (the first ranked
 * item of the oracle's outputs, or the first cited tile), rendered by get_tile_image
 * with the tools' boxes drawn, saved as `thumbs/<task>.png` in the run directory.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { log } from '../core/log.js';
import { getImage } from '../pipeline/catalog/catalog.js';
import type { ToolContext } from '../tools/tool.js';
import type { AnyTool } from './oracle.js';
import type { TaskResult } from './results.js';
import { getPath } from './suite/template.js';

type Box = { x: number; y: number; width: number; height: number; label?: string };

/** Writes a thumbnail for a failed task when its evidence has a tile; returns the relative path. */
export async function makeThumbnail(r: TaskResult, outputs: Record<string, unknown>, tools: Map<string, AnyTool>, ctx: ToolContext, outDir: string): Promise<string | undefined> {
  const tool = tools.get('get_tile_image');
  if (!tool) return undefined;
  const view = evidenceView(r, outputs);
  if (!view) return undefined;
  try {
    const input = typeof view.image_id === 'string' ? await clampToImage(view, ctx) : view;
    const out = (await tool.handler(tool.inputSchema.parse({ ...input, max_size: 256 }), ctx)) as { base64: string; mime_type: string };
    const rel = path.join('thumbs', `${r.id}.${out.mime_type === 'image/jpeg' ? 'jpg' : 'png'}`);
    await mkdir(path.join(outDir, 'thumbs'), { recursive: true });
    await writeFile(path.join(outDir, rel), Buffer.from(out.base64, 'base64'));
    return rel;
  } catch (err) {
    log.debug({ err, task: r.id }, 'no thumbnail');
    return undefined;
  }
}

function evidenceView(r: TaskResult, outputs: Record<string, unknown>): Record<string, unknown> | undefined {
  for (const out of Object.values(outputs)) {
    const hit = getPath(out, 'hits.0') as { tile_id?: string; best_box?: Box | null } | undefined;
    if (hit?.tile_id) return { tile_id: hit.tile_id, ...(hit.best_box ? { boxes: [{ ...pick(hit.best_box), label: 'answer' }] } : {}) };
    const feats = getPath(out, 'features') as { properties?: { image_id?: string; pixel_box?: Box | number[]; query?: string } }[] | undefined;
    const f = feats?.find((x) => x.properties?.image_id && x.properties.pixel_box);
    if (f) {
      const b = toBox(f.properties!.pixel_box!);
      const pad = Math.max(64, Math.max(b.width, b.height));
      const x = Math.max(0, Math.round(b.x - pad)), y = Math.max(0, Math.round(b.y - pad));
      const boxes = feats!.filter((g) => g.properties?.image_id === f.properties!.image_id && g.properties?.pixel_box).slice(0, 50).map((g) => ({ ...toBox(g.properties!.pixel_box!), label: g.properties!.query?.slice(0, 60) }));
      return { image_id: f.properties!.image_id, x, y, width: Math.round(b.width + 2 * pad), height: Math.round(b.height + 2 * pad), boxes };
    }
  }
  const tile = r.citations.find((c) => c.kind === 'tile');
  return tile ? { tile_id: tile.id } : undefined;
}

/** Keeps a window inside its image (objects near the border would make it OUT_OF_BOUNDS). */
async function clampToImage(v: Record<string, unknown>, ctx: ToolContext): Promise<Record<string, unknown>> {
  const img = await getImage(await ctx.store(), v.image_id as string);
  const w = Math.min(v.width as number, img.width), h = Math.min(v.height as number, img.height);
  return { ...v, x: Math.max(0, Math.min(v.x as number, img.width - w)), y: Math.max(0, Math.min(v.y as number, img.height - h)), width: w, height: h };
}

function toBox(b: Box | number[]): Box {
  return Array.isArray(b) ? { x: b[0]!, y: b[1]!, width: b[2]!, height: b[3]! } : pick(b);
}

function pick(b: Box): Box {
  return { x: b.x, y: b.y, width: Math.max(1, b.width), height: Math.max(1, b.height) };
}

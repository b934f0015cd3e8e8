import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { getImage } from '../../pipeline/catalog/catalog.js';
import { openCatalogImage } from '../../pipeline/catalog/open-image.js';
import { getTileImageInput, getTileImageTool, windowOfTileId } from '../../tools/get-tile-image.js';
import type { ToolContext } from '../../tools/tool.js';

/** The tile resource template; the id is percent-encoded (it contains `/` and `@`). */
export const TILE_URI_TEMPLATE = 'geoscout://tiles/{tile_id}';

/**
 * Registers `geoscout://tiles/{tile_id}`: reading it returns the tile as a PNG (long
 * edge ≤ 768 px) and a JSON block with what a citation needs: image id, pixel window,
 * acquisition time, sensor, GSD and the WGS84 corners/centre of the tile.
 */
export function registerTileResource(server: McpServer, base: Omit<ToolContext, 'signal' | 'onProgress'>): void {
  server.registerResource(
    'tile',
    new ResourceTemplate(TILE_URI_TEMPLATE, { list: undefined }),
    { title: 'Image tile', description: 'A tile from search_tiles as PNG plus its metadata (image, window, time, sensor, GSD, WGS84 corners).', mimeType: 'image/png' },
    async (uri, vars, extra): Promise<ReadResourceResult> => {
      const tileId = decodeURIComponent(String(vars.tile_id));
      const ctx: ToolContext = { ...base, signal: extra.signal };
      const png = await getTileImageTool.handler(getTileImageInput.parse({ tile_id: tileId }), ctx);
      const meta = await tileMetadata(tileId, ctx);
      return {
        contents: [
          { uri: uri.href, mimeType: 'image/png', blob: png.base64 },
          { uri: uri.href, mimeType: 'application/json', text: JSON.stringify(meta, null, 2) },
        ],
      };
    },
  );
}

async function tileMetadata(tileId: string, ctx: ToolContext) {
  const win = windowOfTileId(tileId);
  const rec = await getImage(await ctx.store(), win.image_id);
  const raster = await openCatalogImage(rec, ctx.signal);
  try {
    const g = raster.georef;
    const at = (x: number, y: number) => (g ? g.pixelToLonLat(x, y).map((v) => Math.round(v * 1e7) / 1e7) : null);
    const { x, y, width: w, height: h } = win;
    return {
      tile_id: tileId,
      image_id: rec.image_id,
      image_title: rec.title,
      window: { x, y, width: w, height: h },
      acquired_at: rec.acquired_at,
      sensor: rec.sensor,
      gsd_m: rec.gsd_m,
      center: at(x + w / 2, y + h / 2),
      corners: g ? [at(x, y), at(x, y + h), at(x + w, y + h), at(x + w, y)] : null,
      coordinate_order: 'lon,lat (WGS84)',
    };
  } finally {
    await raster.close();
  }
}

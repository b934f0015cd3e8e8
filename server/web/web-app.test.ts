import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scriptedOpenAI, type ScriptedServer } from '../../agent/testing/scripted-llm.js';
import { openCatalogImage } from '../../pipeline/catalog/open-image.js';
import { createToolContext } from '../../tools/context.js';
import { makeSceneFixture, type SceneFixture } from '../../tools/testing/scene-fixture.js';
import { createHttpApp, listen } from '../mcp/http-app.js';
import { CHROMIUM, countColour, launchChromium, regionStats } from './testing/browser.js';
import { lonLatToTile, tileToLonLat } from './web-mercator.js';

// The web app in real headless Chromium (Debian's, started here) against a real server over an
// ingested synthetic scene: map tiles, a text search, detections with confirm, and a scripted
// chat answer whose citation flies the map. Screenshots are checked pixel by pixel.
const TOKEN = 'web-token-0123456789abcdef';
const SHOTS = process.env.GEOSCOUT_SCREENSHOTS;
let fx: SceneFixture;
let llm: ScriptedServer;
let base = '';
let browser: Browser;
let page: Page;
let stop: () => Promise<void>;
let citedTile = '';

/** The scripted model: search, then answer citing the best tile by id. */
function chatSteps() {
  return [
    () => ({ toolCalls: [{ name: 'search_tiles', args: { text: 'a ship at a pier', limit: 3, rerank: 'patches' } }] }),
    (body: Record<string, unknown>) => {
      const tool = (body.messages as { role: string; content: unknown }[]).filter((m) => m.role === 'tool').map((m) => JSON.stringify(m.content)).join('\n');
      citedTile = /img_[0-9a-f]+\/[^\s"\\]+/.exec(tool)?.[0] ?? 'none';
      return { text: `The best match is tile ${citedTile}.` };
    },
  ];
}

beforeAll(async () => {
  fx = await makeSceneFixture({ seed: 21, size: 1024 });
  llm = await scriptedOpenAI(chatSteps());
  const config = { ...fx.config, llm: { ...fx.config.llm, provider: 'openai' as const, model: 'scripted', baseUrl: `${llm.url}/v1` } };
  const context = createToolContext(config, async () => fx.store);
  let self = '';
  const app = createHttpApp({ context, token: TOKEN, allowedHosts: ['127.0.0.1'], allowedOrigins: [], web: { mcpSelf: () => ({ kind: 'http', url: self, token: TOKEN }) } });
  const { server, port } = await listen(app.app, '127.0.0.1', 0);
  base = `http://127.0.0.1:${port}`;
  self = `${base}/mcp`;
  stop = async () => { server.closeAllConnections(); await new Promise((r) => server.close(r)); await app.close(); await context.close(); };
  if (!CHROMIUM) return;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${base}/#token=${TOKEN}`);
  await page.waitForFunction(() => (window as never as { geoscout?: { ready: boolean } }).geoscout?.ready, null, { timeout: 60_000 });
  await settle();
});

afterAll(async () => {
  await browser?.close();
  await stop?.();
  await llm?.close();
  await fx?.close();
});

/** Waits until the map has every tile it wants and has stopped moving. */
async function settle(): Promise<void> {
  await page.waitForFunction(() => {
    const m = (window as never as { geoscout: { map: { areTilesLoaded(): boolean; isMoving(): boolean; loaded(): boolean } } }).geoscout.map;
    return m.loaded() && m.areTilesLoaded() && !m.isMoving();
  }, null, { timeout: 60_000 });
  await page.waitForTimeout(300);
}

/** The map canvas as RGBA pixels, plus where a lon/lat lands on it. */
async function mapPixels(name: string): Promise<{ rgba: Uint8Array; width: number; height: number }> {
  const png = await page.locator('#map').screenshot();
  if (SHOTS) {
    await mkdir(SHOTS, { recursive: true });
    await writeFile(path.join(SHOTS, `${name}.png`), await page.screenshot());
  }
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { rgba: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

const project = (lon: number, lat: number) => page.evaluate(([x, y]) => (window as never as { geoscout: { map: { project(p: [number, number]): { x: number; y: number } } } }).geoscout.map.project([x!, y!]), [lon, lat]);
const center = () => page.evaluate(() => (window as never as { geoscout: { map: { getCenter(): { lng: number; lat: number } } } }).geoscout.map.getCenter());

describe.skipIf(!CHROMIUM)('web app in headless Chromium', () => {
  it('shows the scene\'s pixels at its place on the map, and nothing around it', async () => {
    const { rgba, width } = await mapPixels('map');
    const [lon, lat] = [fx.image.center_lon!, fx.image.center_lat!];
    const c = await project(lon, lat);
    // The scene centre: textured imagery, not the flat background.
    const inside = regionStats(rgba, width, c.x - 60, c.y - 60, 120, 120);
    expect(inside.std).toBeGreaterThan(8);
    // Far outside the footprint: the basemap-free background colour (#1d2430).
    const corner = await project(fx.image.max_lon! + (fx.image.max_lon! - fx.image.min_lon!) * 0.3, lat);
    if (corner.x < width - 20) {
      const out = regionStats(rgba, width, corner.x, c.y - 10, 10, 20);
      expect(out.std).toBeLessThan(2);
      expect(Math.abs(out.mean[0] - 0x1d) + Math.abs(out.mean[2] - 0x30)).toBeLessThan(12);
    }
    // The tile endpoint needs the token like the tools do.
    expect((await fetch(`${base}/map/tiles/${fx.image.image_id}/15/0/0.png`)).status).toBe(401);
  });

  it('runs a text search: a chip grid, and the hit footprints drawn on the map', async () => {
    await page.fill('#search-text', 'a ship at a pier');
    await page.click('#search-form button[type="submit"]');
    await page.waitForSelector('#search-results .chip img[src^="data:image/jpeg"]', { timeout: 60_000 });
    expect(await page.locator('#search-results .chip').count()).toBeGreaterThan(2);
    await page.locator('#search-results .chip').first().click();
    await settle();
    const { rgba, width, height } = await mapPixels('search');
    // Hit footprints are drawn in yellow (#ffd60a).
    expect(countColour(rgba, width, height, [0xff, 0xd6, 0x0a], 60)).toBeGreaterThan(200);
  });

  it('detects in the map view, draws the boxes, and confirms one with the keyboard (a prototype gets it)', async () => {
    await page.click('#tab-detect');
    await page.evaluate(() => (window as never as { geoscout: { map: { jumpTo(o: object): void } } }).geoscout.map.jumpTo({ zoom: 16.5 }));
    const classes = fx.scene.objects.map((o) => o.class);
    const common = [...new Set(classes)].sort((a, b) => classes.filter((c) => c === b).length - classes.filter((c) => c === a).length)[0]!;
    await page.fill('#detect-text', common);
    await page.fill('#detect-threshold', '0.2');
    await page.click('#detect-form button[type="submit"]');
    await page.waitForSelector('#detections li', { timeout: 90_000 });
    await settle();
    const { rgba, width, height } = await mapPixels('detections');
    // Detection boxes are red (#ff3b30) outlines.
    expect(countColour(rgba, width, height, [0xff, 0x3b, 0x30], 60)).toBeGreaterThan(50);
    await page.locator('#map').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('c');
    await page.waitForSelector('#detections li.confirmed', { timeout: 60_000 });
    expect(await page.textContent('#status')).toMatch(/confirmed → prototype/);
    const res = await fetch(`${base}/api/tools/list_prototypes`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{}' });
    const { prototypes } = (await res.json()) as { prototypes: { name: string; positives: number }[] };
    expect(prototypes.find((p) => p.name === common)?.positives).toBeGreaterThanOrEqual(1);
    // Confirmed boxes turn green (#34c759). The first detection may lie at the view's edge
    // (which one ranks first depends on the model), so fly to it with `f` as a user would.
    await page.keyboard.press('f');
    await settle();
    const after = await mapPixels('confirmed');
    expect(countColour(after.rgba, after.width, after.height, [0x34, 0xc7, 0x59], 60)).toBeGreaterThan(20);
  });

  it('streams a scripted chat answer; its citation flies the map to the cited tile', async () => {
    await page.click('#tab-chat');
    await page.evaluate(() => (window as never as { geoscout: { map: { jumpTo(o: object): void } } }).geoscout.map.jumpTo({ center: [0, 0], zoom: 3 }));
    await page.fill('#chat-input', 'Where is a ship moored?');
    await page.click('#chat-form button[type="submit"]');
    const link = page.locator('.citations a[data-kind="tile"]').first();
    await link.waitFor({ timeout: 60_000 });
    expect(citedTile).toMatch(/^img_/);
    expect(await page.locator('.msg.assistant').first().textContent()).toContain(citedTile);
    expect(await page.locator('.msg.tool').count()).toBeGreaterThanOrEqual(2);
    await link.click();
    await settle();
    const c = await center();
    expect(Math.abs(c.lng - fx.image.center_lon!)).toBeLessThan(0.01);
    expect(Math.abs(c.lat - fx.image.center_lat!)).toBeLessThan(0.01);
    const { rgba, width, height } = await mapPixels('chat');
    expect(regionStats(rgba, width, width / 2 - 50, height / 2 - 50, 100, 100).std).toBeGreaterThan(8);
    expect(llm.rejected).toEqual([]);
  });
});

describe('web app without a browser', () => {
  it('serves the page and MapLibre without a token, with a CSP that allows only this server', async () => {
    const html = await fetch(`${base}/`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(await html.text()).toContain('/vendor/maplibre-gl/maplibre-gl.mjs'.replace('.mjs', '.css'));
    expect((await fetch(`${base}/vendor/maplibre-gl/maplibre-gl.mjs`)).status).toBe(200);
    expect((await fetch(`${base}/app/main.js`)).status).toBe(200);
    expect((await fetch(`${base}/app/../web-app.ts`)).status).not.toBe(200);
  });

  it('lists jobs and reports the chat as unconfigured without an LLM, saying how to configure one (both behind the token)', async () => {
    const get = (url: string, auth = true) => fetch(url, { headers: auth ? { authorization: `Bearer ${TOKEN}` } : {} });
    expect((await get(`${base}/api/jobs`, false)).status).toBe(401);
    expect(await (await get(`${base}/api/jobs`)).json()).toEqual({ jobs: [] });
    expect(await (await get(`${base}/api/chat/status`)).json()).toMatchObject({ configured: true, model: 'scripted' });
    const bare = createHttpApp({ context: fx.context, token: TOKEN, allowedHosts: ['127.0.0.1'], allowedOrigins: [], web: { mcpSelf: () => ({ kind: 'http', url: `${base}/mcp` }) } });
    const { server, port } = await listen(bare.app, '127.0.0.1', 0);
    try {
      const st = (await (await get(`http://127.0.0.1:${port}/api/chat/status`)).json()) as { configured: boolean; message: string };
      expect(st.configured).toBe(false);
      expect(st.message).toMatch(/GEOSCOUT_LLM_MODEL/);
      const chat = await fetch(`http://127.0.0.1:${port}/api/chat`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ question: 'hi' }) });
      expect(await chat.text()).toMatch(/event: error\ndata: .*"code":"CONFIG"/);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await bare.close();
    }
  });

  it('puts the scene\'s edge where its georeferencing says: tile alpha matches the footprint pixel by pixel', async () => {
    const raster = await openCatalogImage(fx.image);
    try {
      const g = raster.georef!;
      // The tile holding the scene's top-left corner, at ~1 tile pixel per image pixel.
      const [lon, lat] = g.pixelToLonLat(0, 0);
      const z = 18;
      const t = lonLatToTile(lon, lat, z);
      const res = await fetch(`${base}/map/tiles/${fx.image.image_id}/${z}/${t.x}/${t.y}.png`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const { data } = await sharp(Buffer.from(await res.arrayBuffer())).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      let agree = 0, inside = 0;
      for (let j = 0; j < 256; j++) {
        for (let i = 0; i < 256; i++) {
          const [plon, plat] = tileToLonLat(t.x + (i + 0.5) / 256, t.y + (j + 0.5) / 256, z);
          const [px, py] = g.lonLatToPixel(plon, plat);
          const want = px >= 0 && py >= 0 && px < fx.image.width && py < fx.image.height;
          if (want) inside++;
          if (want === (data[(j * 256 + i) * 4 + 3]! > 0)) agree++;
        }
      }
      // Both sides of the edge are in this tile (the fixture's corner falls well inside it).
      expect(inside).toBeGreaterThan(200);
      expect(inside).toBeLessThan(256 * 256 - 200);
      expect(agree / (256 * 256)).toBeGreaterThan(0.995);
    } finally {
      await raster.close();
    }
  });

  it('turns a box drawn on the map into the pixel window of the scene under it (an example chip)', async () => {
    const raster = await openCatalogImage(fx.image);
    try {
      const o = fx.scene.objects[0]!;
      const [bx, by, bw, bh] = o.bbox;
      const a = raster.georef!.pixelToLonLat(bx, by), b = raster.georef!.pixelToLonLat(bx + bw, by + bh);
      const post = (bbox: number[]) => fetch(`${base}/api/map/window`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ bbox }) });
      const win = (await (await post([Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[0], b[0]), Math.max(a[1], b[1])])).json()) as { image_id: string; x: number; y: number; width: number; height: number };
      expect(win.image_id).toBe(fx.image.image_id);
      // The scene is slightly rotated against north, so the lon/lat box's window is a little larger than the object's.
      expect(Math.abs(win.x - bx)).toBeLessThan(4 + bh * 0.05);
      expect(Math.abs(win.y - by)).toBeLessThan(4 + bw * 0.05);
      expect(win.width).toBeGreaterThanOrEqual(Math.floor(bw));
      expect(win.width).toBeLessThan(bw * 1.2 + 8);
      const off = await post([fx.image.max_lon! + 1, 0, fx.image.max_lon! + 1.001, 0.001]);
      expect(off.status).toBe(404);
      expect((await post([2, 0, 1, 1])).status).toBe(400);
    } finally {
      await raster.close();
    }
  });

  it('answers tiles outside the scene as transparent, bad tile numbers and unknown scenes with clear errors', async () => {
    const get = (p: string) => fetch(base + p, { headers: { authorization: `Bearer ${TOKEN}` } });
    const far = await get(`/map/tiles/${fx.image.image_id}/10/0/0.png`);
    expect(far.status).toBe(200);
    const { data } = await sharp(Buffer.from(await far.arrayBuffer())).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect(data.every((v, i) => i % 4 !== 3 || v === 0)).toBe(true);
    const bad = await get(`/map/tiles/${fx.image.image_id}/3/9/0.png`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/zoom 0–24/);
    const unknown = await get('/map/tiles/img_0000/3/0/0.png');
    expect(unknown.status).toBe(404);
  });
});

import { createRequire } from 'node:module';
import path from 'node:path';
import express, { Router, type Request, type Response } from 'express';
import { GeoscoutError, toGeoscoutError } from '../../core/errors.js';
import { JobRunner } from '../../pipeline/jobs/runner.js';
import type { ToolContext } from '../../tools/tool.js';
import { sendError } from '../rest/rest-router.js';
import { chatRouter, type McpSelf } from './chat-route.js';
import { MapTileRenderer, type MapTileOptions } from './map-tiles.js';
import { windowUnderBox } from './map-window.js';
import { BBoxSchema } from '../../pipeline/raster/georef.js';

const PUBLIC_DIR = path.join(import.meta.dirname, 'public');
const MAPLIBRE_DIR = path.join(path.dirname(createRequire(import.meta.url).resolve('maplibre-gl/package.json')), 'dist');

/**
 * The page may load only what this server serves (no CDN, works offline) and talk only to
 * it; MapLibre runs its worker from a blob URL. Document text and chat answers are written
 * as text nodes, and this policy blocks scripts anyone might smuggle into them anyway.
 */
const CSP = "default-src 'self'; script-src 'self'; worker-src 'self' blob:; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Options of the web app. */
export interface WebOptions {
  context: Omit<ToolContext, 'signal' | 'onProgress'>;
  /** How the chat reaches this server's MCP endpoint (its URL is known once it listens). */
  mcpSelf: McpSelf;
  tiles?: MapTileOptions;
}

/** The web app: public static files (before auth) and its API routes (behind the bearer token). */
export interface WebApp {
  /** index.html, the app's scripts and styles, MapLibre GL JS: no secrets, served without a token. */
  assets: Router;
  /** Map tiles, map box → pixel window, the chat stream and the jobs list; mount after bearer auth. */
  api: Router;
  close(): Promise<void>;
}

/** Builds the web app's routers (see {@link WebApp}). */
export function createWebApp(opts: WebOptions): WebApp {
  const tiles = new MapTileRenderer(opts.context.store, opts.tiles);
  const assets = Router();
  const headers = (res: Response) => { res.set('Content-Security-Policy', CSP); res.set('X-Content-Type-Options', 'nosniff'); };
  assets.get('/', (_req, res) => { headers(res); res.sendFile(path.join(PUBLIC_DIR, 'index.html')); });
  assets.get('/favicon.ico', (_req, res) => { res.status(204).end(); });
  assets.use('/app', express.static(PUBLIC_DIR, { setHeaders: headers, index: false }));
  assets.use('/vendor/maplibre-gl', express.static(MAPLIBRE_DIR, { setHeaders: headers, index: false, immutable: true, maxAge: '1d' }));

  const api = Router();
  api.get('/map/tiles/:image/:z/:x/:y.png', async (req: Request<{ image: string; z: string; x: string; y: string }>, res: Response) => {
    const controller = new AbortController();
    res.on('close', () => { if (!res.writableFinished) controller.abort(new Error('client disconnected')); });
    try {
      const t = await tiles.render(req.params.image, Number(req.params.z), Number(req.params.x), Number(req.params.y), controller.signal);
      res.set('Content-Type', 'image/png').set('Cache-Control', 'private, max-age=3600');
      if (t.note) res.set('X-Geoscout-Note', t.note);
      res.send(t.png);
    } catch (err) {
      sendError(res, toGeoscoutError(err));
    }
  });
  api.post('/api/map/window', async (req, res) => {
    try {
      const bbox = BBoxSchema.safeParse(req.body?.bbox);
      if (!bbox.success) throw new GeoscoutError('INVALID_INPUT', 'Send {"bbox": [minLon, minLat, maxLon, maxLat]}.');
      res.json(await windowUnderBox(await opts.context.store(), bbox.data));
    } catch (err) {
      sendError(res, toGeoscoutError(err));
    }
  });
  api.get('/api/jobs', async (_req, res) => {
    try {
      const runner = await JobRunner.open(opts.context.config, await opts.context.store());
      const jobs = await runner.list(20);
      res.json({ jobs: jobs.map((j) => ({ job_id: j.id, kind: j.kind, status: j.status, progress: j.progress, message: j.message, backend: j.backend, created_at: new Date(j.created_at).toISOString() })) });
    } catch (err) {
      sendError(res, toGeoscoutError(err));
    }
  });
  api.use(chatRouter(opts.context.config, opts.mcpSelf));
  return { assets, api, close: () => tiles.close() };
}

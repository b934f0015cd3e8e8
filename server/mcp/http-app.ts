import { randomUUID } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostHeaderValidation } from '@modelcontextprotocol/sdk/server/middleware/hostHeaderValidation.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { log } from '../../core/log.js';
import { TOOLS } from '../../tools/registry.js';
import { restRouter } from '../rest/rest-router.js';
import { createWebApp, type WebOptions } from '../web/web-app.js';
import { createServer, guardToolCalls, type ServerDeps } from './create-server.js';
import { bearerAuth, originGuard } from './http-security.js';

/** Options of the HTTP app (MCP on /mcp + REST). */
export interface HttpAppOptions extends ServerDeps {
  /** Bearer token every request must carry; undefined disables auth (loopback testing only). */
  token: string | undefined;
  /** Hostnames the Host header may name (DNS-rebinding guard). */
  allowedHosts: string[];
  /** Browser origins allowed to call; requests without Origin always pass the origin check. */
  allowedOrigins: string[];
  /** Sessions idle this long are closed (default 30 min). */
  sessionIdleMs?: number;
  /** Open sessions at most (default 200): one more initialize gets a JSON-RPC error (HTTP 503). */
  maxSessions?: number;
  /** Serve the web app (map, search/detect panels, chat, jobs) on / too. */
  web?: Omit<WebOptions, 'context'>;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  close(): Promise<void>;
  lastSeen: number;
}

/** The express app plus a close() that ends every MCP session. */
export interface HttpApp {
  app: Express;
  sessions(): number;
  close(): Promise<void>;
}

/**
 * One express app: Host and Origin guards (403), bearer auth (401), then MCP Streamable
 * HTTP on /mcp and the REST mirror. MCP is stateful: a session per client keeps one
 * McpServer, so cancellation (a separate POST) reaches the running call and progress
 * streams on the call's SSE response. Idle sessions are swept.
 */
export function createHttpApp(opts: HttpAppOptions): HttpApp {
  const tools = opts.tools ?? TOOLS;
  const sessions = new Map<string, Session>();
  const app = express();
  app.disable('x-powered-by');
  app.use(hostHeaderValidation(opts.allowedHosts));
  app.use(originGuard(opts.allowedOrigins));
  app.get('/healthz', (_req, res) => { res.json({ ok: true }); });
  const web = opts.web ? createWebApp({ ...opts.web, context: opts.context }) : null;
  if (web) app.use(web.assets);
  if (opts.token !== undefined) app.use(bearerAuth(opts.token));
  // Example images travel as base64 in tool arguments: allow more than express's 100 kB.
  app.use(express.json({ limit: '32mb' }));

  app.post('/mcp', async (req: Request, res: Response) => {
    const id = req.header('mcp-session-id');
    let session = id ? sessions.get(id) : undefined;
    if (id && !session) return jsonRpcError(res, 404, -32001, `Unknown or expired session ${id}: initialize a new one.`);
    if (!session) {
      if (!isInitializeRequest(req.body)) return jsonRpcError(res, 400, -32000, 'No mcp-session-id header: the first request must be initialize.');
      if (sessions.size >= (opts.maxSessions ?? 200)) return jsonRpcError(res, 503, -32000, `The server holds its maximum of ${opts.maxSessions ?? 200} sessions: close an unused one (DELETE /mcp) or retry later.`);
      session = await openSession(opts, sessions);
    }
    session.lastSeen = Date.now();
    await session.transport.handleRequest(req, res, req.body);
  });
  const streamOrDelete = async (req: Request, res: Response) => {
    const id = req.header('mcp-session-id');
    const session = id ? sessions.get(id) : undefined;
    if (!session) return jsonRpcError(res, id ? 404 : 400, -32000, id ? `Unknown or expired session ${id}.` : 'Missing mcp-session-id header.');
    session.lastSeen = Date.now();
    await session.transport.handleRequest(req, res);
  };
  app.get('/mcp', streamOrDelete);
  app.delete('/mcp', streamOrDelete);
  app.use(restRouter(tools, opts.context));
  if (web) app.use(web.api);
  app.use(bodyErrors);

  const idle = opts.sessionIdleMs ?? 30 * 60_000;
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const [sid, s] of sessions) if (now - s.lastSeen > idle) { sessions.delete(sid); void s.close(); }
  }, Math.min(idle, 60_000));
  sweeper.unref();

  return {
    app,
    sessions: () => sessions.size,
    async close() {
      clearInterval(sweeper);
      const all = [...sessions.values()];
      sessions.clear();
      await Promise.all(all.map((s) => s.close()));
      await web?.close();
    },
  };
}

async function openSession(opts: HttpAppOptions, sessions: Map<string, Session>): Promise<Session> {
  const server = createServer(opts);
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (sid) => { sessions.set(sid, session); },
    onsessionclosed: (sid) => { sessions.delete(sid); },
  });
  let closed = false;
  const session: Session = {
    transport,
    lastSeen: Date.now(),
    async close() {
      if (closed) return;
      closed = true;
      await server.close().catch((err: unknown) => log.debug({ err }, 'session close'));
    },
  };
  transport.onclose = () => { if (transport.sessionId) sessions.delete(transport.sessionId); };
  await server.connect(transport);
  guardToolCalls(transport);
  return session;
}

/**
 * Errors express raises before a route runs (malformed JSON, a body over the limit) in the
 * caller's protocol: JSON-RPC on /mcp (-32700 parse error, -32600 invalid request), the REST
 * error shape elsewhere; never express's HTML page with a stack trace.
 */
function bodyErrors(err: unknown, req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) return next(err);
  const e = err as { type?: string; status?: number; message?: string };
  const tooLarge = e.type === 'entity.too.large';
  const parse = e.type === 'entity.parse.failed';
  const status = tooLarge ? 413 : parse ? 400 : (e.status ?? 500) < 500 ? e.status! : 500;
  const message = tooLarge ? 'The request body is over the 32 MB limit: send smaller example images or a file path on the server.' : parse ? `The request body is not valid JSON: ${e.message ?? ''}`.trim() : status < 500 ? (e.message ?? 'bad request') : 'internal error';
  if (status >= 500) log.error({ err }, 'HTTP request failed');
  if (req.path === '/mcp') return jsonRpcError(res, status, parse ? -32700 : tooLarge ? -32600 : -32603, message);
  const code = tooLarge ? 'LIMIT_EXCEEDED' : status < 500 ? 'INVALID_INPUT' : 'INTERNAL';
  res.status(status).json({ error: { code, message } });
}

function jsonRpcError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/** Starts listening; resolves with the bound port (pass 0 for any free port). */
export function listen(app: Express, host: string, port: number): Promise<{ server: HttpServer; port: number }> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => {
      if (err) return reject(err);
      resolve({ server, port: (server.address() as AddressInfo).port });
    });
    server.on('error', reject);
  });
}

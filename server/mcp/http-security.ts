import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Origin validation (MCP Streamable HTTP security note): a browser page on another site
 * must not drive a local server. Requests without Origin (CLI, desktop clients) pass;
 * with an Origin it must be listed or be the server's own, else 403. The list is read per request (the
 * server's own origin is known only once the port is bound).
 */
export function originGuard(allowedOrigins: readonly string[]): RequestHandler {
  const norm = (o: string) => o.replace(/\/$/, '').toLowerCase();
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    if (origin === undefined || allowedOrigins.some((o) => norm(o) === norm(origin))) return next();
    // The server's own pages (the web app) send their own origin; the Host header has already
    // passed the DNS-rebinding guard, so an Origin naming that same host is this server.
    if (req.headers.host && norm(origin) === norm(`${req.protocol}://${req.headers.host}`)) return next();
    res.status(403).json({ jsonrpc: '2.0', error: { code: -32000, message: `Origin ${origin} is not allowed. Start the server with --allow-origin ${origin} if this page should reach it.` }, id: null });
  };
}

/**
 * Bearer-token check with a constant-time comparison; answers 401 with a
 * WWW-Authenticate challenge when the token is missing or wrong.
 */
export function bearerAuth(token: string): RequestHandler {
  const want = digest(token);
  return (req: Request, res: Response, next: NextFunction) => {
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (m && timingSafeEqual(digest(m[1]!.trim()), want)) return next();
    const error = m ? 'invalid_token' : 'invalid_request';
    res
      .status(401)
      .set('WWW-Authenticate', `Bearer realm="geoscout", error="${error}", error_description="${m ? 'the bearer token is wrong' : 'send Authorization: Bearer <token> (GEOSCOUT_TOKEN of the server)'}"`)
      .json({ error: { code: 'UNAUTHORIZED', message: m ? 'The bearer token is wrong.' : 'Missing bearer token: send Authorization: Bearer <token>, the token the server was started with (GEOSCOUT_TOKEN or --token-file).' } });
  };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

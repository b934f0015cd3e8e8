import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { readSecret, type Config } from '../../core/config.js';
import { GeoscoutError } from '../../core/errors.js';
import { log } from '../../core/log.js';
import { createToolContext } from '../../tools/context.js';
import { action, parseNumberList } from '../cli-context.js';
import { createHttpApp, listen } from '../mcp/http-app.js';

interface ServeOptions { host?: string; port?: number; tokenFile?: string; allowOrigin?: string[]; allowHost?: string[]; auth: boolean; web: boolean }

/** `geoscout serve`: MCP over Streamable HTTP on /mcp, the REST mirror and the web map app, on one port. */
export function serveCommand(): Command {
  return new Command('serve')
    .description('serve MCP (Streamable HTTP, /mcp), REST (/api/tools, /openapi.json) and the web map app (/); bearer token from $GEOSCOUT_TOKEN or --token-file')
    .option('--host <host>', 'address to bind (default 127.0.0.1)')
    .option('--port <n>', 'port (default 8765; 0 = any free port)', (v) => parseNumberList(v, 1, '--port')[0])
    .option('--token-file <file>', 'file whose first line is the bearer token')
    .option('--allow-origin <origins...>', 'browser origins allowed besides the server\'s own')
    .option('--allow-host <hosts...>', 'host names the Host header may carry besides the bind address (a server on 0.0.0.0 behind a DNS name or proxy)')
    .option('--no-web', 'do not serve the web app on /')
    .option('--no-auth', 'no bearer token (only on a loopback address; for local testing such as the conformance suite)')
    .action(
      action(async (ctx, o: ServeOptions) => {
        const host = o.host ?? ctx.config.server.host;
        const token = o.auth ? await resolveToken(ctx.config, o.tokenFile) : undefined;
        const loopback = ['127.0.0.1', 'localhost', '::1'].includes(host);
        if (!o.auth && !loopback) throw new GeoscoutError('INVALID_INPUT', `--no-auth is only allowed on a loopback address, not ${host}. Set GEOSCOUT_TOKEN instead.`);
        const tctx = createToolContext(ctx.config, ctx.store);
        const port = o.port ?? ctx.config.server.port;
        const hosts = [...(loopback ? ['127.0.0.1', 'localhost', '[::1]', '::1'] : [host, 'localhost', '127.0.0.1']), ...ctx.config.server.allowedHosts, ...(o.allowHost ?? [])];
        // The own origins depend on the bound port, known only after listen(): allow them lazily.
        const origins: string[] = [...ctx.config.server.allowedOrigins, ...(o.allowOrigin ?? [])];
        // The web chat runs the agent against this server's own /mcp: its port is known after listen().
        let self = '';
        const web = o.web ? { mcpSelf: () => ({ kind: 'http' as const, url: self, ...(token ? { token } : {}) }) } : undefined;
        const app = createHttpApp({ context: tctx, token, allowedHosts: hosts, allowedOrigins: origins, maxSessions: ctx.config.server.maxSessions, sessionIdleMs: ctx.config.server.sessionIdleMinutes * 60_000, ...(web ? { web } : {}) });
        const { server, port: bound } = await listen(app.app, host, port);
        self = `http://${['0.0.0.0', '::'].includes(host) ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host}:${bound}/mcp`;
        for (const h of ['127.0.0.1', 'localhost', host]) origins.push(`http://${h}:${bound}`);
        // Guard lists are read per request, so pushing after creation takes effect.
        log.info({ url: `http://${host}:${bound}/mcp`, rest: `http://${host}:${bound}/api/tools`, auth: token !== undefined }, 'geoscout serve listening');
        process.stderr.write(`geoscout: MCP http://${host}:${bound}/mcp  REST http://${host}:${bound}/api/tools  OpenAPI http://${host}:${bound}/openapi.json${token ? '' : '  (no auth)'}\n`);
        if (o.web) process.stderr.write(`geoscout: web app http://${host}:${bound}/${token ? '  (paste the token when it asks, or open …/#token=<token>)' : ''}\n`);
        await new Promise<void>((resolve) => {
          ctx.signal.addEventListener('abort', () => resolve(), { once: true });
          process.once('SIGTERM', () => resolve());
        });
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
        await app.close();
        await tctx.close();
      }),
    );
}

/** The bearer token: $GEOSCOUT_TOKEN, else the token file (flag or config); missing is a CONFIG error. */
export async function resolveToken(config: Config, tokenFile?: string): Promise<string> {
  const env = readSecret('GEOSCOUT_TOKEN');
  if (env) {
    if (env.length < 16) throw new GeoscoutError('CONFIG', 'GEOSCOUT_TOKEN is shorter than 16 characters: use a long random token (e.g. `export GEOSCOUT_TOKEN=$(openssl rand -hex 32)`).');
    return env;
  }
  const file = tokenFile ?? config.server.tokenFile;
  if (file) {
    const text = (await readFile(file, 'utf8').catch((cause: unknown) => { throw new GeoscoutError('CONFIG', `Cannot read the token file ${file}: create it or fix server.tokenFile.`, { cause }); })).split('\n')[0]!.trim();
    if (text.length < 16) throw new GeoscoutError('CONFIG', `The token in ${file} is shorter than 16 characters: use a long random token (e.g. \`openssl rand -hex 32\`).`);
    return text;
  }
  throw new GeoscoutError('CONFIG', 'No bearer token: set GEOSCOUT_TOKEN (e.g. `export GEOSCOUT_TOKEN=$(openssl rand -hex 32)`), pass --token-file, or set server.tokenFile; use --no-auth only for local testing.');
}

import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { Command } from 'commander';
import { log } from '../../core/log.js';
import { createToolContext } from '../../tools/context.js';
import { action } from '../cli-context.js';
import { createServer, guardToolCalls } from '../mcp/create-server.js';
import { MAX_STDIO_REQUEST_BYTES, StdioRequestGuard } from '../mcp/stdio-guard.js';

/** `geoscout mcp`: the MCP server over stdio (stdout carries only protocol messages). */
export function mcpCommand(): Command {
  return new Command('mcp')
    .description('run the MCP server over stdio (for Claude Desktop, VS Code, Cursor, the agent)')
    .action(
      action(async (ctx) => {
        // stdout is the protocol channel: anything a library prints must go to stderr.
        console.log = console.info = console.warn = console.error;
        const tctx = createToolContext(ctx.config, ctx.store);
        const server = createServer({ context: tctx });
        // Oversized requests get a JSON-RPC error instead of closing the connection (stdio-guard.ts).
        const guard = new StdioRequestGuard((line) => process.stdout.write(line));
        process.stdin.pipe(guard);
        const transport = new StdioServerTransport(guard as unknown as typeof process.stdin, process.stdout, { maxBufferSize: MAX_STDIO_REQUEST_BYTES + 1024 });
        const done = new Promise<void>((resolve) => {
          process.stdin.once('end', resolve);
          process.stdin.once('close', resolve);
          server.server.onclose = () => resolve();
          ctx.signal.addEventListener('abort', () => resolve(), { once: true });
          process.once('SIGTERM', () => resolve());
        });
        await server.connect(transport);
        guardToolCalls(transport);
        log.info({ tools: (await import('../../tools/registry.js')).TOOLS.map((t) => t.name) }, 'MCP server on stdio');
        await done;
        await server.close().catch(() => undefined);
        await tctx.close();
      }),
    );
}

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

/** Options of a load run against `geoscout serve`. */
export interface LoadOptions {
  url: string;
  token?: string;
  clients: number;
  callsPerClient: number;
  /** Every n-th call is a search_tiles, the others list_images (default 2: alternating). */
  searchEvery?: number;
  /** Per-call timeout (default 120 s): on a saturated machine calls queue, they must not fail. */
  timeoutMs?: number;
}

/** Latencies of successful calls and every failure (tool isError or protocol error). */
export interface LoadResult {
  latenciesMs: number[];
  errors: string[];
  wallMs: number;
}

const QUERIES = ['a ship', 'an aircraft parked on an apron', 'a truck on a road', 'a storage tank', 'a wind turbine'];

/**
 * N MCP clients, each with its own session, call tools concurrently: sessions open
 * together, then every client makes its calls back to back, mixing list_images and
 * search_tiles (text queries, so the encoder runs too).
 */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  const errors: string[] = [];
  const t0 = performance.now();
  const headers: Record<string, string> = o.token ? { authorization: `Bearer ${o.token}` } : {};
  await Promise.all(
    Array.from({ length: o.clients }, async (_, c) => {
      const client = new Client({ name: `load-${c}`, version: '1' });
      try {
        await client.connect(new StreamableHTTPClientTransport(new URL(o.url), { requestInit: { headers } }));
        for (let i = 0; i < o.callsPerClient; i++) {
          const call = (c + i) % (o.searchEvery ?? 2) !== 1
            ? { name: 'list_images', arguments: {} }
            : { name: 'search_tiles', arguments: { text: QUERIES[(c + i) % QUERIES.length], limit: 5 } };
          const t = performance.now();
          try {
            const res = await client.callTool(call, undefined, { timeout: o.timeoutMs ?? 120_000 });
            if (res.isError) errors.push(`${call.name}: ${JSON.stringify(res.content)}`);
            else latenciesMs.push(performance.now() - t);
          } catch (err) {
            errors.push(`${call.name}: ${(err as Error).message}`);
          }
        }
      } catch (err) {
        errors.push(`client ${c}: ${(err as Error).message}`);
      } finally {
        await client.close().catch(() => undefined);
      }
    }),
  );
  return { latenciesMs, errors, wallMs: performance.now() - t0 };
}

/** The q-quantile (0..1) of a list of numbers. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

/** Options of a load run against `geoscout serve`. */
export interface LoadOptions {
  url: string;
  token?: string;
  clients: number;
  callsPerClient: number;
  /** The calls each client cycles through (default: list_images / search_tiles alternating). */
  mix?: ToolCall[];
  /** Per-call timeout (default 120 s): on a saturated machine calls queue, they must not fail. */
  timeoutMs?: number;
}

/** One tool call of a load mix. */
export interface ToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

/** Latencies of successful calls (all, and per tool) and every failure (tool isError or protocol error). */
export interface LoadResult {
  latenciesMs: number[];
  byTool: Map<string, number[]>;
  errors: string[];
  wallMs: number;
}

const QUERIES = ['a ship', 'an aircraft parked on an apron', 'a truck on a road', 'a storage tank', 'a wind turbine'];

/** list_images and search_tiles (text queries, default object rerank) alternating. */
export const DEFAULT_MIX: ToolCall[] = QUERIES.flatMap((text) => [{ name: 'list_images', arguments: {} }, { name: 'search_tiles', arguments: { text, limit: 5 } }]);

/**
 * N MCP clients, each with its own session, call tools concurrently: sessions open
 * together, then every client makes its calls back to back, mixing list_images and
 * search_tiles (text queries, so the encoder runs too).
 */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  const byTool = new Map<string, number[]>();
  const errors: string[] = [];
  const mix = o.mix ?? DEFAULT_MIX;
  const t0 = performance.now();
  const headers: Record<string, string> = o.token ? { authorization: `Bearer ${o.token}` } : {};
  await Promise.all(
    Array.from({ length: o.clients }, async (_, c) => {
      const client = new Client({ name: `load-${c}`, version: '1' });
      try {
        await client.connect(new StreamableHTTPClientTransport(new URL(o.url), { requestInit: { headers } }));
        for (let i = 0; i < o.callsPerClient; i++) {
          const call = mix[(c + i) % mix.length]!;
          const t = performance.now();
          try {
            const res = await client.callTool(call, undefined, { timeout: o.timeoutMs ?? 120_000 });
            if (res.isError) errors.push(`${call.name}: ${JSON.stringify(res.content)}`);
            else {
              const ms = performance.now() - t;
              latenciesMs.push(ms);
              byTool.set(call.name, [...(byTool.get(call.name) ?? []), ms]);
            }
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
  return { latenciesMs, byTool, errors, wallMs: performance.now() - t0 };
}

/** The q-quantile (0..1) of a list of numbers. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

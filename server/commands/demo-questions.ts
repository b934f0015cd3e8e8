import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { GEOSCOUT_BIN } from '../../core/paths.js';
import type { CliContext } from '../cli-context.js';
import { formatLatLon } from '../format.js';

type Structured = Record<string, unknown>;

/** One analyst question answered by a scripted plan of MCP tool calls. */
interface Question {
  question: string;
  run(call: (name: string, args: Structured) => Promise<Structured>): Promise<string>;
}

/**
 * Steps 6–7 of the demo: starts `geoscout mcp` as a real MCP server over stdio (what Claude
 * Desktop, VS Code or Cursor do), and answers sample analyst questions with scripted tool
 * plans, printing the answer with its citations (tile/detection ids, coordinates, time,
 * sensor, document pages). With an LLM configured, the same server answers one question
 * through the agent.
 */
export async function answerDemoQuestions(ctx: CliContext, imageId: string, configFile: string | undefined, truth: Record<string, number>): Promise<void> {
  const client = new Client({ name: 'geoscout-demo', version: '0.1.0' });
  const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [GEOSCOUT_BIN, ...(configFile ? ['--config', configFile] : []), 'mcp'], env, stderr: 'ignore' }));
  try {
    const tools = (await client.listTools()).tools.map((t) => t.name);
    process.stdout.write(`\nMCP server over stdio: ${tools.length} tools (${tools.join(', ')})\n`);
    const call = async (name: string, args: Structured): Promise<Structured> => {
      const res = await client.callTool({ name, arguments: args }, undefined, { timeout: 600_000 });
      if (res.isError) throw new Error(`${name}: ${JSON.stringify(res.content)}`);
      return res.structuredContent as Structured;
    };
    for (const q of questions(imageId, truth)) {
      ctx.signal.throwIfAborted();
      process.stdout.write(`\nQ: ${q.question}\n`);
      process.stdout.write(`A: ${await q.run(call).catch((e: Error) => `(failed: ${e.message})`)}\n`);
    }
  } finally {
    await client.close();
  }
  if (ctx.config.llm.model) {
    const { askAgent } = await import('../../agent/ask-agent.js');
    const question = 'How many aircraft are parked in the demo scene, and where is the largest one?';
    process.stdout.write(`\nAgent (${ctx.config.llm.model}): ${question}\n`);
    const r = await askAgent({ question, config: ctx.config, signal: ctx.signal });
    process.stdout.write(`${r.answer}\ncitations: ${JSON.stringify(r.citations)}\n`);
  } else {
    process.stdout.write('\n(No LLM configured: set GEOSCOUT_LLM_PROVIDER/_MODEL/_BASE_URL to have the agent answer in free text; see README "Configuration" and docs/mcp-and-agent.md.)\n');
  }
}

function questions(imageId: string, truth: Record<string, number>): Question[] {
  let firstAircraft: string | null = null;
  return [
    {
      question: 'How many aircraft are parked in this scene, and where?',
      async run(call) {
        const out = await call('detect_in_region', { image_id: imageId, queries: [{ text: 'aircraft' }], max_detections: 100 });
        const fs = out.features as { properties: { detection_id: string; score: number; lon: number; lat: number; acquired_at: string; sensor: string; pixel_box: { width: number; height: number } } }[];
        firstAircraft = fs[0]?.properties.detection_id ?? null;
        const lines = fs.slice(0, 5).map((f) => `   - ${formatLatLon(f.properties.lat, f.properties.lon, 5)}, ${f.properties.acquired_at.slice(0, 10)}, ${f.properties.sensor}, score ${f.properties.score.toFixed(2)} [${f.properties.detection_id}]`);
        return `${(out.counts as Record<string, number>).aircraft} detections by detect_in_region (image ${imageId}; the generator placed ${truth.aircraft ?? 0}); the strongest:\n${lines.join('\n')}`;
      },
    },
    {
      question: 'Show me tiles with a container ship alongside a pier.',
      async run(call) {
        const out = await call('search_tiles', { text: 'a container ship moored alongside a pier', limit: 3 });
        const hits = out.hits as { tile_id: string; score: number; best_box: { lon: number; lat: number } | null; acquired_at: string; sensor: string; gsd_m: number }[];
        return hits.map((h) => `\n   - ${h.tile_id} score ${h.score.toFixed(2)} at ${h.best_box ? formatLatLon(h.best_box.lat, h.best_box.lon, 5) : '?'}, ${h.acquired_at?.slice(0, 10)}, ${h.sensor}, ${h.gsd_m} m`).join('');
      },
    },
    {
      question: 'What do our documents say about tankers?',
      async run(call) {
        const out = await call('get_document_context', { query: 'tanker hull shape and superstructure', max_passages: 2, max_figures: 0, include_thumbnails: false });
        const ps = out.passages as { citation: { title: string; page: number }; text: string }[];
        // Document text is untrusted data: quoted, never followed.
        return ps.length ? ps.map((p) => `\n   - document says: "${p.text.slice(0, 140).replace(/\s+/g, ' ')}…" (${p.citation.title}, p. ${p.citation.page})`).join('') : 'no passage found';
      },
    },
    {
      question: 'Which document figure looks like the strongest aircraft detection?',
      async run(call) {
        if (!firstAircraft) return 'no aircraft detection to compare';
        const out = await call('get_document_context', { detection_id: firstAircraft, max_passages: 0, max_figures: 1, include_thumbnails: false });
        const f = (out.figures as { citation: { title: string; page: number; figure_number: number | null }; caption: string | null; similarity: number }[])[0];
        return f ? `"${f.caption ?? '(no caption)'}" (${f.citation.title}, p. ${f.citation.page}${f.citation.figure_number ? `, figure ${f.citation.figure_number}` : ''}; similarity ${f.similarity.toFixed(2)})` : 'no similar figure';
      },
    },
  ];
}

import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeServerFixture, REPO_ROOT, type ServerFixture } from '../server/mcp/testing/fixture.js';
import { scriptedAnthropic, scriptedOpenAI, type ScriptedServer, type ScriptStep } from './testing/scripted-llm.js';

// `geoscout chat` as a user runs it: the CLI process, configured by environment for a provider,
// spawning its own `geoscout mcp`, with the answer streamed to the terminal.
let fx: ServerFixture;
beforeAll(async () => { fx = await makeServerFixture(35); }, 120_000);
afterAll(async () => { await fx?.close(); });

const plan = (): ScriptStep[] => [
  () => ({ toolCalls: [{ name: 'list_images', args: {} }] }),
  (body) => {
    const image = /img_[0-9a-f]{16}/.exec(JSON.stringify(body.messages))?.[0] ?? 'none';
    return { text: `There is one scene, ${image}, acquired on 2024-06-03.` };
  },
];

/** Runs `geoscout chat`, types one question, waits for the answer, then /exit. */
async function chat(llm: ScriptedServer, provider: 'openai' | 'anthropic'): Promise<{ out: string; code: number | null; chunks: number }> {
  const env = {
    ...fx.env,
    GEOSCOUT_LLM_PROVIDER: provider,
    GEOSCOUT_LLM_MODEL: 'scripted',
    GEOSCOUT_LLM_BASE_URL: provider === 'openai' ? `${llm.url}/v1` : llm.url,
    OPENAI_API_KEY: 'sk-test',
    ANTHROPIC_API_KEY: 'sk-ant-test',
  };
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/geoscout.js'), 'chat'], { cwd: fx.dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let chunks = 0;
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let waiting: (() => void) | null = null;
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); chunks++; waiting?.(); });
  const seen = (re: RegExp, ms: number) => new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${re} in ${ms} ms; stdout: ${out}\nstderr: ${err}`)), ms);
    waiting = () => { if (re.test(out)) { clearTimeout(t); waiting = null; resolve(); } };
    waiting();
  });
  await seen(/you> $/, 60_000);
  child.stdin.write('What scenes are there?\n');
  await seen(/citation\(s\)[^\n]*\n\nyou> $/, 90_000);
  child.stdin.write('/exit\n');
  return { out, code: await exited, chunks };
}

describe.each([
  ['OpenAI-compatible server', scriptedOpenAI, 'openai'],
  ['Anthropic', scriptedAnthropic, 'anthropic'],
] as const)('geoscout chat with an %s', (_name, start, provider) => {
  it('streams the answer in pieces, shows the tool call and its result, lists the citations and exits 0 on /exit', async () => {
    const llm = await start(plan());
    try {
      const { out, code, chunks } = await chat(llm, provider);
      expect(llm.rejected).toEqual([]);
      expect(llm.requests.every((r) => r.stream === true)).toBe(true);
      expect(out).toContain('→ list_images {}');
      expect(out).toMatch(/← list_images: img_[0-9a-f]{16} +2024-06-03/);
      expect(out).toContain(`There is one scene, ${fx.image.image_id}, acquired on 2024-06-03.`);
      expect(out).toContain(`[1 citation(s): ${fx.image.image_id}]`);
      // Streamed: the answer arrived over several writes, not as one block at the end.
      expect(chunks).toBeGreaterThan(4);
      expect(code).toBe(0);
    } finally {
      await llm.close();
    }
  }, 180_000);
});

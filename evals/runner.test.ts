import { runProcess } from '../core/testing/run-process.js';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../core/config.js';
import { hasCommand, makeTempDir } from '../core/testing/temp-dir.js';
import { ModelRegistry, SHIPPED_MODELS_DIR } from '../pipeline/models/registry.js';
import { planScene } from '../pipeline/synth/generate-scene.js';
import { planGeoref } from '../pipeline/synth/outputs.js';
import { writeReports } from './report/write.js';
import { runSuite } from './runner.js';
import type { RunRecord } from './results.js';
import { dumpSuiteYaml } from './suite/dump.js';
import { loadSuite, parseSuite } from './suite/load.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const PY = '/usr/bin/python3';
let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let config: Config;
let suiteFile: string;
let baseline: RunRecord;
let baselineDir: string;

/** A small suite over one generated scene: real truth from the generator, real tools. */
function smallSuite() {
  const scene = { seed: 9102, width: 1536, height: 1536, gsdM: 0.5, center: [4.3, 51.95] as [number, number], acquiredAt: '2024-07-15T10:30:00Z' };
  const plan = planScene(scene);
  const geo = planGeoref(plan);
  const where = (cls: string) => plan.objects.filter((o) => o.class === cls).map((o) => geo.pixelToLonLat(o.cx, o.cy));
  const locate = (cls: string, text: string) => ({
    id: `locate.${cls}`, question: `Where is ${text}?`, tags: ['locate'], scope: { images: ['delta'] },
    expected: [{ type: 'location', points: where(cls), within_m: 150 }, { type: 'citation', kind: 'tile' }],
    oracle: { steps: [{ id: 's', tool: 'search_tiles', input: { text, image_ids: '{{scope.images}}' } }], answer: { kind: 'location', step: 's' } },
    metrics: [{ kind: 'ranking', step: 's', truth_points: where(cls), within_m: 150 }],
  });
  return parseSuite({
    name: 'small',
    world: { scenes: [{ name: 'delta', seed: scene.seed, width: scene.width, height: scene.height, gsd_m: scene.gsdM, center: scene.center, acquired_at: scene.acquiredAt }] },
    tasks: [
      locate('ship', 'a ship'),
      locate('aircraft', 'an aircraft'),
      locate('vehicle', 'a vehicle'),
      {
        id: 'scene.gsd', question: 'What is the GSD?', tags: ['scope'], scope: { images: ['delta'] },
        expected: [{ type: 'number', value: 0.5, tolerance: 0.01 }],
        oracle: { steps: [{ id: 'l', tool: 'list_images', input: { image_ids: '{{scope.images}}' } }], answer: { kind: 'value', step: 'l', path: 'images.0.gsd_m' } },
      },
      {
        id: 'none.2025', question: 'Ships in 2025?', tags: ['no-answer'], scope: { from: '2025-01-01T00:00:00Z' },
        expected: [{ type: 'none' }],
        oracle: { steps: [{ id: 's', tool: 'search_tiles', input: { text: 'a ship', from: '{{scope.from}}' } }], answer: { kind: 'count', step: 's', path: 'hits' } },
      },
      {
        id: 'wrong.on-purpose', question: 'Where is a ship? (expected far away on purpose)', tags: ['locate'], scope: { images: ['delta'] },
        expected: [{ type: 'location', points: [[0, 0]], within_m: 10 }],
        oracle: { steps: [{ id: 's', tool: 'search_tiles', input: { text: 'a ship', image_ids: '{{scope.images}}' } }], answer: { kind: 'location', step: 's' } },
      },
      {
        id: 'needs.missing-tool', question: 'Count the unicorns', tags: ['count'],
        expected: [{ type: 'number', value: 0 }],
        oracle: { steps: [{ id: 'd', tool: 'count_unicorns', input: {} }], answer: { kind: 'value', step: 'd', path: 'n' } },
      },
    ],
  });
}

beforeAll(async () => {
  tmp = await makeTempDir('geoscout-evals-');
  config = loadConfig({ cwd: tmp.dir, env: { GEOSCOUT_DATA_DIR: path.join(tmp.dir, 'state'), GEOSCOUT_LOG_LEVEL: 'warn' } });
  suiteFile = path.join(tmp.dir, 'small.yaml');
  await writeFile(suiteFile, dumpSuiteYaml(smallSuite()));
  baselineDir = path.join(tmp.dir, 'run-base');
  baseline = await runSuite(await loadSuite(suiteFile), { config, mode: 'oracle', outDir: baselineDir, concurrency: 2 });
});
afterAll(async () => {
  await tmp.cleanup();
});

describe('eval runner (oracle mode)', () => {
  it('runs the tools, scores answers, skips tasks whose tool is missing, records traces and latency', () => {
    const by = Object.fromEntries(baseline.tasks.map((t) => [t.id, t]));
    // The shipped model finds ships, aircraft and vehicles in this scene (its held-out P@10 is 0.5–0.95).
    expect(['locate.ship', 'locate.aircraft', 'locate.vehicle'].filter((id) => by[id]!.status === 'pass').length).toBeGreaterThanOrEqual(2);
    expect(by['scene.gsd']!.status).toBe('pass');
    expect(by['none.2025']!.status).toBe('pass');
    expect(by['wrong.on-purpose']!).toMatchObject({ status: 'fail', reason: expect.stringMatching(/location: \d+ m from the nearest/) });
    expect(by['needs.missing-tool']!).toMatchObject({ status: 'skipped', reason: 'tool count_unicorns not available' });
    const loc = by['locate.ship']!;
    expect(loc.citations.some((c) => c.kind === 'tile')).toBe(true);
    expect(loc.tool_trace[0]).toMatchObject({ tool: 'search_tiles', ok: true, input: { image_ids: [baseline.world!.scenes.delta!.image_id] } });
    expect(loc.latency_ms).toBeGreaterThan(0);
    expect(loc.metrics[0]!.ap).toBeGreaterThan(0);
    expect(loc.metrics[0]!.ap).toBeLessThanOrEqual(1);
    expect(baseline.summary).toMatchObject({ total: 7, skipped: 1, errors: 0 });
    expect(baseline.summary.passed + baseline.summary.failed).toBe(6);
    // The failure got an evidence thumbnail from get_tile_image.
    expect(by['wrong.on-purpose']!.thumbnail).toMatch(/^thumbs\/wrong\.on-purpose\.png$/);
  });

  it('agent mode asks the injected agent and scores its text answers', async () => {
    const suite = await loadSuite(suiteFile);
    const run = await runSuite(suite, {
      config, mode: 'agent', outDir: path.join(tmp.dir, 'run-agent'), only: ['scene.gsd', 'none.2025'],
      askAgent: async (q, scope) => ({ answer: q.includes('GSD') ? `The scene ${scope.images?.[0]} has 0.5 m GSD.` : 'None found: no imagery from 2025.', citations: [], usage: { input_tokens: 100, output_tokens: 20 } }),
    });
    expect(run.tasks.map((t) => t.status)).toEqual(['pass', 'pass']);
    expect(run.summary.tokens).toBe(240);
    // Without an injected agent the real one is loaded; with no LLM configured the run stops with a CONFIG error saying what to set.
    const { model: _unset, ...llm } = config.llm;
    const noLlm: Config = { ...config, llm };
    await expect(runSuite(suite, { config: noLlm, mode: 'agent', outDir: path.join(tmp.dir, 'run-agent2'), only: ['scene.gsd'] })).rejects.toMatchObject({ code: 'CONFIG', message: expect.stringMatching(/LLM|GEOSCOUT_LLM|--mode oracle/) });
  });

  it('the HTML report opens in headless Chromium and shows the plots', async () => {
    const { html, markdown } = await writeReports(baseline, baselineDir);
    const page = await readFile(html, 'utf8');
    expect(page).toContain('<svg');
    expect(page).toMatch(/data:image\/png;base64,/);
    expect(await readFile(markdown, 'utf8')).toMatch(/wrong\.on-purpose.*\n.*\n\s+reason: location/);
    const browser = (await hasCommand('chromium')) ? 'chromium' : (await hasCommand('chromium-browser')) ? 'chromium-browser' : null;
    if (!browser) {
      console.warn('chromium not installed: skipping the screenshot check (CI installs it; apt-get install chromium)');
      return;
    }
    const shot = path.join(tmp.dir, 'shot.png');
    const r = await runProcess(browser, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--window-size=1200,900', `--screenshot=${shot}`, `file://${html}`], { timeoutMs: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const stats = await sharp(shot).stats();
    expect(stats.channels.slice(0, 3).every((c) => c.stdev > 10)).toBe(true); // not a blank page
    const { info } = await sharp(shot).raw().toBuffer({ resolveWithObject: true });
    expect(info.width).toBe(1200);
  });
});

describe('a deliberately worse model version', () => {
  it('scrambled weights make the regression check fail (CLI exits 1 and names the tasks)', async () => {
    const ok = (await runProcess(PY, ['-c', 'import onnx, numpy']).catch(() => ({ status: 1 }))).status === 0;
    if (!ok) {
      console.warn(`${PY} with onnx + numpy not found: skipping (npm run setup:py installs them)`);
      return;
    }
    const dir = path.join(tmp.dir, 'scrambled');
    const py = await runProcess(PY, [path.join(ROOT, 'evals/testing/scramble_model.py'), path.join(SHIPPED_MODELS_DIR, 'geoscout-mini'), dir, 'geoscout-mini-scrambled', '7']);
    expect(py.status, py.stderr).toBe(0);
    await new ModelRegistry(config.dataDir).import(dir);
    const out = path.join(tmp.dir, 'run-worse');
    const cli = await runProcess(process.execPath, [path.join(ROOT, 'bin/geoscout.js'), 'eval', 'run', suiteFile, '--model', 'geoscout-mini-scrambled', '--baseline', baselineDir, '--out', out], {
      env: { ...process.env, GEOSCOUT_DATA_DIR: config.dataDir, GEOSCOUT_LOG_LEVEL: 'warn' }, timeoutMs: 300_000,
    });
    expect(cli.status, cli.stderr).toBe(1);
    expect(cli.stdout).toMatch(/REGRESSION vs .*mean_ranking_ap/);
    const worse = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8')) as RunRecord;
    // The scrambled copy keeps the shipped model's version under its own id.
    const shipped = (JSON.parse(await readFile(path.join(SHIPPED_MODELS_DIR, 'geoscout-mini', 'geoscout-model.json'), 'utf8')) as { version: string }).version;
    expect(worse.model_version).toBe(`geoscout-mini-scrambled@${shipped}`);
    expect(worse.comparison!.regressed).toBe(true);
    // Tool-independent tasks still pass: the check blames the model, not the harness.
    expect(worse.tasks.find((t) => t.id === 'scene.gsd')!.status).toBe('pass');
    // The same model against its own run: no regression.
    const same = await runSuite(await loadSuite(suiteFile), { config, mode: 'oracle', outDir: path.join(tmp.dir, 'run-same'), baseline: baselineDir });
    expect(same.comparison).toMatchObject({ regressed: false, newly_failing: [] });
  });
});

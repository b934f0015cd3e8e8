import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../core/config.js';
import { makeTempDir } from '../../core/testing/temp-dir.js';
import { createToolContext } from '../../tools/context.js';
import { getJobInput, getJobTool } from '../../tools/get-job.js';
import { ingestImagesInput, ingestImagesTool } from '../../tools/ingest-images.js';
import { addImages } from '../catalog/catalog.js';
import { Store } from '../index/store.js';
import { generateScene } from '../synth/generate-scene.js';
import { JobRunner } from './runner.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let config: Config;
let imageId: string;

async function tool<T>(fn: (ctx: ReturnType<typeof createToolContext>) => Promise<T>): Promise<T> {
  // A fresh store per call, like separate server requests after a restart.
  const store = await Store.open(config.dbUri);
  const ctx = createToolContext(config, async () => store);
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
    await store.close();
  }
}
const getJob = (id: string, cancel = false) => tool((ctx) => getJobTool.handler(getJobInput.parse({ job_id: id, cancel }), ctx));

beforeAll(async () => {
  tmp = await makeTempDir('geoscout-jobs-');
  config = loadConfig({ cwd: tmp.dir, env: { GEOSCOUT_DATA_DIR: path.join(tmp.dir, 'state'), GEOSCOUT_LOG_LEVEL: 'warn' } });
  const scene = await generateScene(path.join(tmp.dir, 'scenes'), 's', { seed: 5, width: 2048, height: 2048, gsdM: 0.5 });
  const store = await Store.open(config.dbUri);
  imageId = (await addImages(store, [scene.tiffPath])).added[0]!.image_id;
  await store.close();
});
afterAll(async () => {
  await tmp?.cleanup();
});

describe('jobs on the local backend', () => {
  it('ingest_images returns at once; a restarted server re-attaches the live job, cancels it, and a new job resumes', async () => {
    const t0 = Date.now();
    const started = await tool((ctx) => ingestImagesTool.handler(ingestImagesInput.parse({ image_ids: [imageId] }), ctx));
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(started).toMatchObject({ backend: 'local', images: 1 });
    // Wait for real progress, then "restart": a new runner finds the worker alive and keeps the job.
    for (let v = await getJob(started.job_id); v.progress === 0 || v.status !== 'running'; v = await getJob(started.job_id)) {
      expect(['queued', 'running']).toContain(v.status);
      await new Promise((r) => setTimeout(r, 300));
    }
    const reconciled = await tool(async (ctx) => (await JobRunner.open(config, await ctx.store())).reconcile());
    expect(reconciled.attached).toContain(started.job_id);
    const cancelled = await getJob(started.job_id, true);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.log_tail).toMatch(/cancelled/);

    const again = await tool((ctx) => ingestImagesTool.handler(ingestImagesInput.parse({ image_ids: [imageId] }), ctx));
    const done = await tool(async (ctx) => (await JobRunner.open(config, await ctx.store())).wait(again.job_id, { timeoutMs: 200_000 }));
    expect(done.status, done.log_tail).toBe('succeeded');
    const r = done.result as { tiles_planned: number; tiles_existing: number; tiles_written: number; tiles_blank: number };
    expect(r.tiles_existing).toBeGreaterThan(0); // the cancelled job's committed batches were kept
    expect(r.tiles_existing + r.tiles_written + r.tiles_blank).toBe(r.tiles_planned);
    expect(getJobTool.render(await getJob(again.job_id))).toMatch(/succeeded 100%/);
  }, 300_000);

  it('bad input is refused before a job is created', async () => {
    await expect(tool((ctx) => ingestImagesTool.handler(ingestImagesInput.parse({ image_ids: ['img_0000000000000000'] }), ctx))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(getJob('job_nope')).rejects.toThrow(/No job job_nope/);
  });
});

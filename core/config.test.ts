import { readFileSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV_KEYS, loadConfig } from './config.js';
import { assertAllowedPath, expandPaths } from './paths.js';
import { sourceFiles } from './testing/source-files.js';
import { makeTempDir } from './testing/temp-dir.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeAll(async () => {
  tmp = await makeTempDir();
});
afterAll(async () => tmp.cleanup());

describe('configuration', () => {
  it('defaults, then the file, then the environment; paths resolve against the file', async () => {
    expect(loadConfig({ cwd: tmp.dir, env: {} })).toMatchObject({ dataDir: path.join(tmp.dir, '.geoscout'), dbUri: path.join(tmp.dir, '.geoscout', 'lancedb') });
    const file = path.join(tmp.dir, 'conf', 'geoscout.json');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify({ dataDir: 'state', raster: { reader: 'geotiff' }, allowedRoots: ['imagery'] }));
    const cfg = loadConfig({ file, env: { GEOSCOUT_DB_URI: 's3://bucket/geoscout', GEOSCOUT_RASTER_READER: 'sharp' } });
    expect(cfg).toMatchObject({
      dataDir: path.join(tmp.dir, 'conf', 'state'),
      dbUri: 's3://bucket/geoscout',
      allowedRoots: [path.join(tmp.dir, 'conf', 'imagery')],
      raster: { reader: 'sharp', maxWindowPixels: 8192 * 8192 },
    });
  });

  it('reads detection and document settings from the environment as numbers and names; every variable is in the README table', () => {
    const cfg = loadConfig({ cwd: tmp.dir, env: { GEOSCOUT_PROPOSALS: 'saliency', GEOSCOUT_DOCS_MAX_MB: '50', GEOSCOUT_DOCS_MAX_PAGES: '300', GEOSCOUT_TEXT_MODEL_DIR: 'models/other' } });
    expect(cfg.detect.proposals).toBe('saliency');
    expect(cfg.docs).toEqual({ maxMB: 50, maxPages: 300, textModelDir: path.join(tmp.dir, 'models/other') });
    expect(() => loadConfig({ cwd: tmp.dir, env: { GEOSCOUT_DOCS_MAX_PAGES: 'many' } })).toThrow(/docs\.maxPages/);
    const readme = readFileSync(path.join(import.meta.dirname, '..', 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('| env | field |'));
    for (const name of [...Object.keys(ENV_KEYS), 'GEOSCOUT_CONFIG', 'GEOSCOUT_TOKEN']) expect(table, name).toContain(`\`${name}\``);
  });

  it('reads geoscout settings in one place: no GEOSCOUT_* or hub variable is read outside core/config.ts', () => {
    const root = path.join(import.meta.dirname, '..');
    const offenders: string[] = [];
    for (const dir of ['core', 'pipeline', 'knowledge', 'tools', 'agent', 'server']) {
      for (const file of sourceFiles(path.join(root, dir))) {
        if (file.endsWith('core/config.ts') || file.endsWith('core/log.ts')) continue;
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(/\benv\??\.((?:GEOSCOUT|HF)_\w+)/g)) offenders.push(`${path.relative(root, file)}: ${m[1]}`);
      }
    }
    expect(offenders).toEqual([]);
    // The sbatch script may still export the one variable the worker's config maps.
    expect(Object.keys(ENV_KEYS)).toContain('GEOSCOUT_TRAIN_PYTHON');
  });

  it('maps the vision endpoint and hub settings, and asks for both vision fields', () => {
    const cfg = loadConfig({ cwd: tmp.dir, env: { GEOSCOUT_VISION_URL: 'http://127.0.0.1:9/v1', GEOSCOUT_VISION_MODEL: 'qwen-vl', HF_ENDPOINT: 'http://mirror.local', GEOSCOUT_HUB_URL: 'http://hub.local' } });
    expect(cfg.docs.vision).toEqual({ baseUrl: 'http://127.0.0.1:9/v1', model: 'qwen-vl', apiKeyEnv: 'GEOSCOUT_VISION_API_KEY' });
    expect(cfg.models.hubUrl).toBe('http://hub.local');
    expect(() => loadConfig({ cwd: tmp.dir, env: { GEOSCOUT_VISION_URL: 'http://127.0.0.1:9/v1' } })).toThrow(/docs\.vision\.model/);
  });

  it('names the bad field and the file', async () => {
    const file = path.join(tmp.dir, 'bad.json');
    await writeFile(file, JSON.stringify({ raster: { maxWindowPixels: -5 }, surprise: 1 }));
    expect(() => loadConfig({ file, env: {} })).toThrow(/bad\.json.*raster\.maxWindowPixels/);
    await writeFile(file, '{ not json');
    expect(() => loadConfig({ file, env: {} })).toThrow(/not a JSON object/);
    expect(() => loadConfig({ cwd: tmp.dir, env: { GEOSCOUT_LOG_LEVEL: 'loud' } })).toThrow(/logLevel/);
  });
});

describe('paths', () => {
  it('expands globs in sorted order and keeps plain paths for their own errors', async () => {
    await mkdir(path.join(tmp.dir, 'scenes', 'b'), { recursive: true });
    for (const f of ['scenes/b/2.tif', 'scenes/1.tif', 'scenes/notes.txt']) await writeFile(path.join(tmp.dir, f), '');
    expect(await expandPaths(['scenes/**/*.tif', 'missing.tif'], tmp.dir)).toEqual([
      path.join(tmp.dir, 'scenes/1.tif'),
      path.join(tmp.dir, 'scenes/b/2.tif'),
      path.join(tmp.dir, 'missing.tif'),
    ]);
    await expect(expandPaths(['nothing/*.tif'], tmp.dir)).rejects.toThrow(/No files match/);
  });

  it('refuses paths outside the allowed roots, including through symlinks', async () => {
    const root = path.join(tmp.dir, 'scenes');
    await assertAllowedPath(path.join(root, '1.tif'), [root]);
    await expect(assertAllowedPath(path.join(tmp.dir, 'bad.json'), [root])).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await expect(assertAllowedPath(path.join(root, '..', 'bad.json'), [root])).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await symlink(path.join(tmp.dir, 'bad.json'), path.join(root, 'escape.tif'));
    await expect(assertAllowedPath(path.join(root, 'escape.tif'), [root])).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  });
});


import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** A fresh temp directory for test fixtures, removed by the returned cleanup. */
export async function makeTempDir(prefix = 'geoscout-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** True when an executable is on PATH (GDAL tools are optional outside CI). */
export async function hasCommand(cmd: string): Promise<boolean> {
  const { spawnSync } = await import('node:child_process');
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

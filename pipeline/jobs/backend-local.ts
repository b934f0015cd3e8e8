import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The CLI entry the workers run (`node bin/geoscout.js jobs run-worker <id>`). */
export const GEOSCOUT_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'geoscout.js');

/**
 * Starts `geoscout jobs run-worker <id>` as a detached process (its own process group,
 * so cancelling signals the worker and the Python trainer it starts, and so it outlives
 * the server or CLI that launched it). stdout and stderr go to the job's log file.
 */
export async function launchLocalWorker(jobId: string, configFile: string, logPath: string): Promise<number> {
  await mkdir(path.dirname(logPath), { recursive: true });
  const fd = openSync(logPath, 'a');
  try {
    const child = spawn(process.execPath, [GEOSCOUT_BIN, '--config', configFile, 'jobs', 'run-worker', jobId], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, GEOSCOUT_JOB_ID: jobId },
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid!));
      child.once('error', reject);
    });
    child.unref();
    return pid;
  } finally {
    closeSync(fd);
  }
}

/**
 * True when `pid` is alive and is the worker of `jobId` (checked on /proc's command line,
 * so a recycled pid of an unrelated process is not mistaken
 * for the worker). Zombies count as dead.
 */
export function isWorkerAlive(pid: number, jobId: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false; // ESRCH: gone; EPERM: another user's process, so not our worker
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/\) Z /.test(stat)) return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(jobId);
  } catch {
    return true; // no /proc (macOS): trust kill(0)
  }
}

/** Sends a signal to the worker's process group (worker + trainer); false if it is gone. */
export function signalWorker(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

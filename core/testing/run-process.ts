import { spawn } from 'node:child_process';

/** Exit status and output of a finished child process. */
export interface ProcessResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion without blocking the event loop. Tests use this instead of
 * spawnSync/execFileSync: a synchronous child that runs for a minute stalls the vitest
 * worker, whose RPC to the main process then times out ("Timeout calling onTaskUpdate")
 * and fails the run although every test passed.
 */
export function runProcess(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}) });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

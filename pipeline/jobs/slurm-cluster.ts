import { execFile, spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { hasCommand } from '../../core/testing/temp-dir.js';

const run = promisify(execFile);

/** A running single-node Slurm cluster on localhost (tests only). */
export interface LocalSlurm {
  /** Path of slurm.conf; commands find it through $SLURM_CONF (set by start). */
  conf: string;
  /** Stops the daemons this harness started (by the pids in their pid files); idempotent. */
  stop(): Promise<void>;
}

/** Why a local cluster cannot start here, or null when it can (root + slurm-wlm + munge installed). */
export async function slurmUnavailable(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'not root (slurmd must run as root)';
  for (const c of ['slurmctld', 'slurmd', 'sbatch', 'munged']) {
    const found = (await hasCommand(c)) || (await hasCommand(`/usr/sbin/${c}`));
    if (!found) return `${c} not installed (apt-get install slurm-wlm munge)`;
  }
  return null;
}

const pidOf = async (file: string) => Number((await readFile(file, 'utf8').catch(() => '')).trim()) || 0;

/**
 * Starts munged (unless one is running), slurmctld and slurmd with state, spool, pid and
 * log files under `dir` (recipe: ../shared/ENVIRONMENT.md), sets $SLURM_CONF for this
 * process and its children, and waits until the node is idle.
 */
export async function startLocalSlurm(dir: string, opts: { port?: number } = {}): Promise<LocalSlurm> {
  await mkdir(path.join(dir, 'state'), { recursive: true });
  await mkdir(path.join(dir, 'spool'), { recursive: true });
  const port = opts.port ?? 16817 + (process.pid % 500) * 2;
  const node = (await run('slurmd', ['-C'])).stdout.split('\n')[0]!.trim();
  const conf = path.join(dir, 'slurm.conf');
  await writeFile(conf, [
    'ClusterName=geoscout-test', 'SlurmctldHost=localhost', 'SlurmUser=root', 'SlurmdUser=root', 'AuthType=auth/munge',
    'ProctrackType=proctrack/linuxproc', 'TaskPlugin=task/none', 'SelectType=select/cons_tres', 'SelectTypeParameters=CR_Core',
    'MailProg=/bin/true', 'AccountingStorageType=accounting_storage/none', 'JobCompType=jobcomp/filetxt', `JobCompLoc=${dir}/jobcomp.txt`,
    `StateSaveLocation=${dir}/state`, `SlurmdSpoolDir=${dir}/spool`, `SlurmctldPidFile=${dir}/slurmctld.pid`, `SlurmdPidFile=${dir}/slurmd.pid`,
    `SlurmctldLogFile=${dir}/slurmctld.log`, `SlurmdLogFile=${dir}/slurmd.log`, `SlurmctldPort=${port}`, `SlurmdPort=${port + 1}`,
    'ReturnToService=2', 'MinJobAge=600', 'KillWait=5',
    `${node} NodeAddr=127.0.0.1 State=UNKNOWN`, 'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP', '',
  ].join('\n'));
  process.env.SLURM_CONF = conf;
  let munged = 0;
  if (spawnSync('pgrep', ['-x', 'munged']).status !== 0) {
    spawnSync('install', ['-d', '-o', 'munge', '-g', 'munge', '/run/munge']);
    const r = spawnSync('runuser', ['-u', 'munge', '--', '/usr/sbin/munged']);
    if (r.status !== 0) throw new Error(`munged failed: ${r.stderr.toString()}`);
    munged = 1;
  }
  await run('slurmctld', ['-f', conf]);
  await run('slurmd', ['-f', conf]);
  let stopped = false;
  const cluster: LocalSlurm = {
    conf,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const f of [path.join(dir, 'slurmd.pid'), path.join(dir, 'slurmctld.pid'), ...(munged ? ['/run/munge/munged.pid'] : [])]) {
        const pid = await pidOf(f);
        if (!pid) continue;
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          continue;
        }
        for (let i = 0; i < 50; i++) {
          try {
            process.kill(pid, 0);
          } catch {
            break;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
  };
  for (let i = 0; ; i++) {
    const state = (await run('sinfo', ['-h', '-o', '%T']).catch(() => ({ stdout: '' }))).stdout.trim();
    if (state === 'idle') return cluster;
    if (i > 150) {
      await cluster.stop();
      throw new Error(`Slurm node not idle after 30 s (state "${state}"); see ${dir}/slurmctld.log and slurmd.log`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

import cliProgress from 'cli-progress';

/**
 * A progress bar on stderr (stdout stays clean for data and MCP). Silent when stderr
 * is not a terminal, so logs in CI stay readable.
 */
export function progressBar(label: string, unit: string): { update(done: number, total: number): void; stop(): void } {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {speed} ${unit}/s | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const start = Date.now();
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, 0, { speed: '0' });
        started = true;
      }
      const secs = (Date.now() - start) / 1000;
      bar.setTotal(total);
      bar.update(done, { speed: secs > 0 ? (done / secs).toFixed(1) : '0' });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

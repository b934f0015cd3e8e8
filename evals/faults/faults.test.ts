import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../../core/testing/run-process.js';

// The fault harness at a tenth of its size (about 120 bad inputs over the CLI, REST and MCP):
// a crash, hang, memory blow-up or INTERNAL error for a merely invalid input fails CI.
describe('bench:faults (small)', () => {
  it('answers every generated bad input with a result or a clear error', async () => {
    const r = await runProcess(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'bench-faults.ts'), '7', '0.1'], { timeoutMs: 900_000 });
    const table = r.stdout;
    expect(table, r.stderr.slice(-2000)).toMatch(/bench:faults {2}\d+ bad inputs/);
    for (const g of ['imagery', 'pdf', 'query', 'rest', 'mcp']) expect(table).toMatch(new RegExp(`^${g}\\s+\\d+\\s+\\d+\\s+0\\s+0\\s+0\\s+0$`, 'm'));
    expect(table).toMatch(/server: alive/);
    expect(r.status, table).toBe(0);
  }, 900_000);
});

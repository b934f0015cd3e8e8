import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunRecord } from '../results.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';

/** Writes report.md and report.html next to results.json; returns their paths. */
export async function writeReports(run: RunRecord, runDir: string): Promise<{ markdown: string; html: string }> {
  const markdown = path.join(runDir, 'report.md');
  const html = path.join(runDir, 'report.html');
  await writeFile(markdown, renderMarkdown(run));
  await writeFile(html, await renderHtml(run, runDir));
  return { markdown, html };
}

import { Command } from 'commander';
import { expandPaths } from '../../core/paths.js';
import { openDocTables } from '../../knowledge/doc-tables.js';
import { closeSharedSentenceEncoders, sharedSentenceEncoder } from '../../knowledge/sentence-encoder.js';
import { createToolContext } from '../../tools/context.js';
import { getDocumentContextInput, getDocumentContextTool } from '../../tools/get-document-context.js';
import { action, printJson, type CliContext } from '../cli-context.js';
import { progressBar } from '../progress.js';
import { visionFromConfig } from '../../knowledge/describe-figure.js';

async function withEngines<T>(ctx: CliContext, fn: (t: Awaited<ReturnType<typeof openDocTables>>, tctx: ReturnType<typeof createToolContext>) => Promise<T>): Promise<T> {
  const tctx = createToolContext(ctx.config, ctx.store, ctx.signal);
  try {
    const enc = await tctx.encoder();
    const text = await sharedSentenceEncoder(ctx.config.docs.textModelDir);
    return await fn(await openDocTables(await ctx.store(), text.dim, enc.manifest.id, enc.dim), tctx);
  } finally {
    await closeSharedSentenceEncoders();
    await tctx.close();
  }
}

/** `geoscout docs add|list|search|pairs`: the document index from the command line. */
export function docsCommand(): Command {
  const docs = new Command('docs').description('PDF documents: ingest into the multimodal index, list, search, export figure–text pairs');
  docs
    .command('add')
    .description('ingest PDFs (files, directories or globs); unchanged files are skipped, bad ones reported')
    .argument('<paths...>', 'PDF files, directories or globs')
    .option('--max-pages <n>', 'skip documents with more pages', Number)
    .option('--json', 'print the report as JSON')
    .action(action(async (ctx, paths: string[], o: { maxPages?: number; json?: boolean }) => {
      const files = (await expandPaths(paths)).filter((f) => /\.pdf$/i.test(f));
      // PDF parsing and OCR load lazily: pdfjs and tesseract cost seconds at start-up for every other command.
      const [{ ingestDocuments }, { OcrEngine }] = await Promise.all([import('../../knowledge/ingest-docs.js'), import('../../knowledge/ocr.js')]);
      const ocr = new OcrEngine();
      const bar = progressBar('docs', 'files');
      try {
        const report = await withEngines(ctx, async (_t, tctx) => ingestDocuments(await ctx.store(), files, { text: await sharedSentenceEncoder(ctx.config.docs.textModelDir), image: await tctx.encoder(), ocr }, {
          maxPages: o.maxPages ?? ctx.config.docs.maxPages, maxBytes: ctx.config.docs.maxMB * 1e6, vision: visionFromConfig(ctx.config.docs.vision), signal: ctx.signal, onProgress: (d, n) => bar.update(d, n),
        }));
        bar.stop();
        if (o.json) return printJson(report);
        for (const a of report.added) process.stdout.write(`added     ${a.file}: "${a.title}", ${a.pages} pages, ${a.chunks} passages, ${a.figures} figures (${(a.ms / 1000).toFixed(1)} s)\n`);
        for (const u of report.unchanged) process.stdout.write(`unchanged ${u.file}\n`);
        for (const s of report.skipped) process.stdout.write(`skipped   ${s.file}: ${s.reason}: ${s.message}\n`);
        if (report.skipped.length && !report.added.length && !report.unchanged.length) process.exitCode = 1;
      } finally {
        bar.stop();
        await ocr.close();
      }
    }));
  docs
    .command('list')
    .description('list indexed documents')
    .option('--json', 'print JSON')
    .action(action(async (ctx, o: { json?: boolean }) => {
      await withEngines(ctx, async (t) => {
        const rows = (await t.documents.query().select(['doc_id', 'file', 'title', 'pages', 'chunks', 'figures']).toArray()) as Record<string, unknown>[];
        if (o.json) return printJson(rows);
        for (const r of rows) process.stdout.write(`${String(r.doc_id).slice(0, 12)}  ${r.pages} p  ${r.chunks} passages  ${r.figures} figures  "${r.title}"  ${r.file}\n`);
        if (!rows.length) process.stdout.write('No documents indexed: geoscout docs add <pdfs>\n');
      });
    }));
  docs
    .command('search')
    .description('get_document_context from the command line: text and/or an example image')
    .argument('[query]', 'question or keywords')
    .option('--image <path>', 'example image (chip) to match against figures')
    .option('--limit <n>', 'passages', Number, 5)
    .option('--json', 'print the structured result (with thumbnails)')
    .action(action(async (ctx, query: string | undefined, o: { image?: string; limit: number; json?: boolean }) => {
      await withEngines(ctx, async (_t, tctx) => {
        const input = getDocumentContextInput.parse({ ...(query ? { query } : {}), ...(o.image ? { image_path: o.image } : {}), max_passages: o.limit, include_thumbnails: !!o.json });
        const out = await getDocumentContextTool.handler(input, tctx);
        process.stdout.write(o.json ? JSON.stringify(out, null, 2) + '\n' : getDocumentContextTool.render(out) + '\n');
      });
    }));
  docs
    .command('pairs')
    .description('export figure–caption/OCR/description pairs as a training manifest (JSONL + PNGs beside it)')
    .requiredOption('--out <file>', 'manifest path, e.g. pairs/pairs.jsonl')
    .option('--split <name>', 'value of every row\'s split field', 'train')
    .action(action(async (ctx, o: { out: string; split: string }) => {
      await withEngines(ctx, async (t) => {
        const { exportPairs } = await import('../../knowledge/export-pairs.js');
        const res = await exportPairs(t.figures, o.out, { split: o.split, signal: ctx.signal });
        process.stdout.write(`${res.rows} pairs → ${res.manifest}\n`);
      });
    }));
  return docs;
}

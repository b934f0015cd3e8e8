import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { PDFDocumentProxy } from 'pdfjs-dist/types/src/display/api.js';
import { GeoscoutError } from '../../core/errors.js';

const require = createRequire(import.meta.url);
const pkgDir = path.dirname(require.resolve('pdfjs-dist/package.json'));
const dirUrl = (sub: string) => pathToFileURL(path.join(pkgDir, sub) + path.sep).href;

/** Why a document was skipped; the batch goes on with the next file. */
export type SkipReason = 'encrypted' | 'corrupt' | 'empty' | 'too_large';

/** A document that cannot be ingested, with the reason and what to do. */
export class DocumentSkipped extends GeoscoutError {
  constructor(
    readonly reason: SkipReason,
    message: string,
    cause?: unknown,
  ) {
    super(reason === 'too_large' ? 'LIMIT_EXCEEDED' : reason === 'encrypted' ? 'UNSUPPORTED' : 'CORRUPT_DATA', message, { cause, details: { reason } });
  }
}

/**
 * Opens a PDF from bytes with pdfjs-dist's legacy (Node) build: fonts, CMaps and the
 * wasm decoders come from the package directory, so nothing is fetched. Password
 * protected, unparsable and page-less files become {@link DocumentSkipped}.
 */
export async function loadPdf(bytes: Uint8Array, label: string, maxPages: number): Promise<PDFDocumentProxy> {
  const task = pdfjs.getDocument({
    data: bytes,
    standardFontDataUrl: dirUrl('standard_fonts'),
    cMapUrl: dirUrl('cmaps'),
    cMapPacked: true,
    wasmUrl: dirUrl('wasm'),
    useSystemFonts: false,
    isEvalSupported: false,
    verbosity: 0,
  });
  let doc: PDFDocumentProxy;
  try {
    doc = await task.promise;
  } catch (cause) {
    await task.destroy().catch(() => undefined);
    const name = (cause as Error).name;
    if (name === 'PasswordException') throw new DocumentSkipped('encrypted', `${label} is password-protected: save an unprotected copy and add that.`, cause);
    throw new DocumentSkipped('corrupt', `${label} is not a readable PDF (${(cause as Error).message}): re-export or re-download it.`, cause);
  }
  if (doc.numPages === 0) {
    await doc.destroy();
    throw new DocumentSkipped('empty', `${label} has no pages.`);
  }
  if (doc.numPages > maxPages) {
    const n = doc.numPages;
    await doc.destroy();
    throw new DocumentSkipped('too_large', `${label} has ${n} pages, more than the limit of ${maxPages}: split it or raise GEOSCOUT_DOCS_MAX_PAGES.`);
  }
  return doc;
}

export { pdfjs };

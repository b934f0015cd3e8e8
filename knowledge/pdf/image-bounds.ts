import { PDFDict, PDFDocument, PDFName, PDFNumber, PDFRawStream } from 'pdf-lib';

/** Most pixels one embedded image may have: pdf.js decodes every image whole (a 40000² image took 3.6 GB). */
export const MAX_PDF_IMAGE_PIXELS = 100e6;

/**
 * The largest image XObject a PDF declares (width × height from its dictionary), read
 * without decoding any stream, so a decompression bomb is refused before pdf.js touches it.
 * Null when pdf-lib cannot read the file's structure (pdf.js then reports what is wrong).
 */
export async function largestPdfImage(bytes: Uint8Array): Promise<{ width: number; height: number } | null> {
  let doc: PDFDocument;
  try {
    doc = await PDFDocument.load(bytes, { ignoreEncryption: true, updateMetadata: false, throwOnInvalidObject: false });
  } catch {
    return null;
  }
  let best: { width: number; height: number } | null = null;
  for (const [, obj] of doc.context.enumerateIndirectObjects()) {
    const dict = obj instanceof PDFRawStream ? obj.dict : obj instanceof PDFDict ? obj : null;
    if (!dict || dict.get(PDFName.of('Subtype')) !== PDFName.of('Image')) continue;
    const w = dict.get(PDFName.of('Width')), h = dict.get(PDFName.of('Height'));
    const width = w instanceof PDFNumber ? w.asNumber() : 0, height = h instanceof PDFNumber ? h.asNumber() : 0;
    if (!best || width * height > best.width * best.height) best = { width, height };
  }
  return best;
}

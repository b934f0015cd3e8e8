import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';

/** A deliberately broken file and the reason ingest must report for it. */
export interface BrokenFile {
  file: string;
  reason: 'encrypted' | 'corrupt' | 'empty';
}

/** Serialises numbered objects into a PDF with a correct xref table. */
function rawPdf(objects: string[], trailerExtra: string): Buffer {
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) body += `${String(off).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R ${trailerExtra} >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

/**
 * Writes the broken files of the corpus: a password-protected PDF (standard security
 * handler whose user password is not empty), a PDF cut off after its header, a PDF with
 * zero pages, and a text file named .pdf.
 */
export async function writeBrokenFiles(outDir: string): Promise<BrokenFile[]> {
  const hex = (seed: number) => Array.from({ length: 32 }, (_, i) => ((seed * 31 + i * 17) & 255).toString(16).padStart(2, '0')).join('');
  const encrypted = rawPdf(
    ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>',
      `<< /Filter /Standard /V 1 /R 2 /O <${hex(7)}> /U <${hex(9)}> /P -44 >>`],
    `/Encrypt 4 0 R /ID [<${hex(3).slice(0, 32)}> <${hex(3).slice(0, 32)}>]`,
  );
  const full = await PDFDocument.create();
  const font = await full.embedFont(StandardFonts.Helvetica);
  full.addPage([612, 792]).drawText('This document was cut off during transfer.', { x: 72, y: 700, size: 12, font });
  const bytes = await full.save();
  const empty = await (await PDFDocument.create()).save();
  const files: [BrokenFile, Uint8Array | string][] = [
    [{ file: 'broken-encrypted.pdf', reason: 'encrypted' }, encrypted],
    [{ file: 'broken-truncated.pdf', reason: 'corrupt' }, bytes.slice(0, 40)],
    [{ file: 'broken-zero-pages.pdf', reason: 'empty' }, empty],
    [{ file: 'broken-not-a-pdf.pdf', reason: 'corrupt' }, 'This is a plain text file with a .pdf name.\n'],
  ];
  for (const [f, data] of files) await writeFile(path.join(outDir, f.file), data);
  return files.map(([f]) => f);
}

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PDFDocument, rgb } from 'pdf-lib';
import type { ObjectType } from '../../pipeline/synth/catalog.js';
import { writeBrokenFiles, type BrokenFile } from './broken-files.js';
import { annotatedFigure, typeLabel } from './chips.js';
import { AIRCRAFT_SECTIONS, INJECTION_TEXT, lengthQuestion, noun, sectionParagraphs, SCANNED_PAGE, SHIP_SECTIONS, VEHICLE_SECTIONS, type SectionSpec } from './content.js';
import { PageWriter, pageNumber, type TopLeftBox } from './pdf-writer.js';
import { scannedPagePng } from './scanned-page.js';

/** A figure the generator placed, with what a correct ingest must find. */
export interface TruthFigure {
  file: string;
  page: number;
  number: number;
  caption: string;
  kind: 'raster' | 'vector';
  type?: ObjectType;
  /** Words burned into the raster (OCR must find them), or drawn as text in a vector figure. */
  labelWords: string[];
  bbox: TopLeftBox;
}

/** Known answers of the generated corpus (`truth.json`). */
export interface CorpusTruth {
  docs: { file: string; title: string; pages: number }[];
  figures: TruthFigure[];
  questions: { question: string; file: string; page: number }[];
  injection: { file: string; page: number; text: string };
  broken: BrokenFile[];
}

interface DocBuild {
  doc: PDFDocument;
  file: string;
  title: string;
  figures: number;
  truth: CorpusTruth;
}

/**
 * Generates the test corpus: three PDFs (a maritime guide, an airfield handbook with a
 * two-column layout, a vector-only diagram and an injection paragraph, vehicle notes
 * with a scanned-looking page), annotated synthetic chips as figures with captions
 * below or above, and broken files. Writes `truth.json` with the known answers.
 */
export async function generateCorpus(outDir: string): Promise<CorpusTruth> {
  await mkdir(outDir, { recursive: true });
  const truth: CorpusTruth = { docs: [], figures: [], questions: [], injection: { file: '', page: 0, text: INJECTION_TEXT }, broken: [] };
  const ships = await start(truth, 'maritime-guide.pdf', 'Maritime Vessel Recognition Guide');
  await titlePage(ships, 'This guide describes how analysts recognise vessel types in satellite imagery. Each section gives the recognition cues, typical dimensions and an annotated chip.');
  for (const [i, sec] of SHIP_SECTIONS.slice(0, 5).entries()) await sectionPage(ships, sec, i === 2 ? 'above' : 'below');
  await twoColumnPage(ships, SHIP_SECTIONS.slice(5, 7));
  await finish(outDir, ships);

  const air = await start(truth, 'airfield-handbook.pdf', 'Airfield Aircraft Recognition Handbook');
  await titlePage(air, 'Aircraft on aprons and runways are identified by planform, engine layout and size. The sections below pair each type with an annotated chip.', INJECTION_TEXT);
  for (let i = 0; i < AIRCRAFT_SECTIONS.length; i += 2) await twoColumnPage(air, AIRCRAFT_SECTIONS.slice(i, i + 2));
  await diagramPage(air);
  await finish(outDir, air);

  const veh = await start(truth, 'vehicle-notes.pdf', 'Ground Vehicle Notes');
  await titlePage(veh, 'Vehicles are small at typical ground sample distances; roof shape, length and context tell them apart.');
  for (const sec of VEHICLE_SECTIONS) await sectionPage(veh, sec, 'below');
  await scannedPage(veh);
  await finish(outDir, veh);

  truth.broken = await writeBrokenFiles(outDir);
  await writeFile(path.join(outDir, 'truth.json'), JSON.stringify(truth, null, 1));
  return truth;
}

async function start(truth: CorpusTruth, file: string, title: string): Promise<DocBuild> {
  const doc = await PDFDocument.create();
  doc.setTitle(title);
  doc.setProducer('geoscout test corpus');
  return { doc, file, title, figures: 0, truth };
}

async function finish(outDir: string, b: DocBuild): Promise<void> {
  const pages = b.doc.getPages();
  for (const [i, p] of pages.entries()) await pageNumber(b.doc, p, i + 1);
  await writeFile(path.join(outDir, b.file), await b.doc.save());
  b.truth.docs.push({ file: b.file, title: b.title, pages: pages.length });
}

const pageNo = (b: DocBuild) => b.doc.getPageCount();

async function titlePage(b: DocBuild, intro: string, injection?: string): Promise<void> {
  const w = await PageWriter.create(b.doc);
  w.heading(b.title, 20);
  w.space(6);
  w.paragraph(intro);
  w.paragraph('Distribution: internal training material. Figures are synthetic satellite chips at 0.5 m ground sample distance.');
  if (injection) {
    w.paragraph(injection);
    b.truth.injection = { file: b.file, page: pageNo(b), text: injection };
  }
}

async function figure(b: DocBuild, w: PageWriter, sec: SectionSpec, num: number, where: 'above' | 'below', width: number): Promise<void> {
  const labels = [typeLabel(sec.type), sec.callout];
  const caption = `Figure ${num}: Annotated chip of a ${noun(sec.type)}, red circle on the object, 0.5 m GSD.`;
  if (where === 'above') w.caption(caption);
  const bbox = await w.image(b.doc, await annotatedFigure(sec.type, labels), width);
  if (where === 'below') w.caption(caption);
  const labelWords = labels.join(' ').split(/\s+/);
  b.truth.figures.push({ file: b.file, page: pageNo(b), number: num, caption, kind: 'raster', type: sec.type, labelWords, bbox });
}

function section(b: DocBuild, w: PageWriter, sec: SectionSpec, num: number): void {
  w.heading(`${b.figures}. ${noun(sec.type)[0]!.toUpperCase()}${noun(sec.type).slice(1)}`);
  for (const p of sectionParagraphs(sec, num)) w.paragraph(p);
  for (const q of [sec.question, lengthQuestion(sec.type)]) b.truth.questions.push({ question: q, file: b.file, page: pageNo(b) });
}

async function sectionPage(b: DocBuild, sec: SectionSpec, where: 'above' | 'below'): Promise<void> {
  const w = await PageWriter.create(b.doc);
  const num = ++b.figures;
  section(b, w, sec, num);
  await figure(b, w, sec, num, where, 240);
  w.paragraph(`Reports on a ${noun(sec.type)} should cite the image, the time of acquisition and the chip above.`);
}

async function twoColumnPage(b: DocBuild, secs: SectionSpec[]): Promise<void> {
  const left = await PageWriter.create(b.doc, { columns: 2, column: 0 });
  for (const [i, sec] of secs.entries()) {
    const w = i === 0 ? left : await PageWriter.create(b.doc, { columns: 2, column: i, page: left.page });
    const num = ++b.figures;
    section(b, w, sec, num);
    await figure(b, w, sec, num, 'below', 200);
  }
}

async function diagramPage(b: DocBuild): Promise<void> {
  const w = await PageWriter.create(b.doc);
  const num = ++b.figures;
  w.heading(`${num}. Runway and taxiway layout`);
  w.paragraph('The schematic below shows a single runway with a parallel taxiway, two apron stands and the fuel farm. It is drawn as vector graphics, not as an image.');
  const bbox = w.drawing(200, (page, x, top, width) => {
    const H = page.getHeight();
    const cx = x + 20;
    page.drawRectangle({ x: cx, y: H - top - 60, width: width - 40, height: 28, color: rgb(0.25, 0.25, 0.28) });
    page.drawRectangle({ x: cx + 20, y: H - top - 110, width: width - 80, height: 10, color: rgb(0.55, 0.55, 0.55) });
    page.drawRectangle({ x: cx + 40, y: H - top - 180, width: 120, height: 60, borderColor: rgb(0.1, 0.3, 0.8), borderWidth: 2 });
    page.drawCircle({ x: cx + 320, y: H - top - 150, size: 26, borderColor: rgb(0.8, 0.1, 0.1), borderWidth: 2 });
  });
  const labels: [string, number, number][] = [['RUNWAY', 100, 20], ['TAXIWAY', 120, 78], ['APRON', 120, 145], ['FUEL', 360, 145]];
  for (const [t, dx, dy] of labels) w.label(t, bbox[0] + dx, bbox[1] + dy);
  const caption = `Figure ${num}: Runway and taxiway layout of the reference airfield (schematic).`;
  w.caption(caption);
  const tight: TopLeftBox = [bbox[0] + 20, bbox[1], bbox[2] - 20, bbox[1] + 180];
  b.truth.figures.push({ file: b.file, page: pageNo(b), number: num, caption, kind: 'vector', labelWords: labels.map((l) => l[0]), bbox: tight });
}

async function scannedPage(b: DocBuild): Promise<void> {
  const page = b.doc.addPage([612, 792]);
  const img = await b.doc.embedPng(await scannedPagePng(SCANNED_PAGE.lines));
  page.drawImage(img, { x: 0, y: 0, width: 612, height: 792 });
  b.truth.questions.push({ question: SCANNED_PAGE.question, file: b.file, page: pageNo(b) });
}

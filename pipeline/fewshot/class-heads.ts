/**
 * Class heads: a window head per class the generator draws, fitted once on its rendered
 * exemplars (synth/exemplars.ts) and shipped in `models/geoscout-heads/`, so a text query
 * naming such a class ("aircraft", "cars") finds it on real imagery without any example.
 *
 * Why: the shipped encoder's text vector scores ~0 on real imagery (bench:real cars: AP50
 * 0.04), while the same head fitted on 80 rendered vehicles, with no real pixel at all,
 * scores 0.33 there with its own boxes and 0.78 scoring the objectness proposals
 * (detect/head-proposals.ts): its features are pixel statistics, which transfer from the
 * generator's world. The fit takes 30–60 s a class, so it is done once by `npm run fit:class-heads`
 * (pipeline/fewshot/train/fit-class-heads.ts), not at a user's first query.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { GeoscoutError } from '../../core/errors.js';
import { SHIPPED_MODELS_DIR } from '../models/registry.js';
import { OBJECT_CLASSES, type ObjectClass } from '../synth/catalog.js';
import { isWindowHead, type WindowHead } from './window-head.js';

/** Where the shipped class heads live. */
export const CLASS_HEADS_DIR = path.join(SHIPPED_MODELS_DIR, 'geoscout-heads');
/** The manifest's file name in {@link CLASS_HEADS_DIR}. */
export const CLASS_HEADS_MANIFEST = 'heads.json';

/**
 * Words that name each class in a query. A query uses a class head only when its words name
 * exactly one class: "ships and aircraft" is two questions, and "a truck" is still a vehicle
 * to a head that learned every vehicle type the generator draws.
 */
export const CLASS_WORDS: Record<ObjectClass, string[]> = {
  aircraft: ['aircraft', 'airplane', 'airplanes', 'aeroplane', 'plane', 'planes', 'jet', 'jets', 'airliner', 'airliners', 'fighter', 'fighters', 'bomber', 'bombers'],
  ship: ['ship', 'ships', 'boat', 'boats', 'vessel', 'vessels', 'tanker', 'tankers', 'barge', 'barges', 'ferry', 'ferries', 'yacht', 'yachts', 'freighter', 'freighters', 'warship', 'warships', 'trawler', 'trawlers'],
  vehicle: ['car', 'cars', 'vehicle', 'vehicles', 'automobile', 'automobiles', 'van', 'vans', 'truck', 'trucks', 'lorry', 'lorries', 'bus', 'buses', 'suv', 'suvs'],
  storage_tank: ['silo', 'silos', 'storage'],
  wind_turbine: ['turbine', 'turbines', 'windmill', 'windmills'],
  building: ['building', 'buildings', 'house', 'houses', 'warehouse', 'warehouses', 'hangar', 'hangars', 'shed', 'sheds', 'factory', 'factories'],
};

/** One class's entry in the manifest. */
const ClassEntrySchema = z.object({
  file: z.string().regex(/^[\w.-]+\.json$/),
  exemplars: z.number().int().positive(),
  threshold: z.number().min(0).max(1),
});

/** The manifest `models/geoscout-heads/heads.json`. */
export const ClassHeadsManifestSchema = z.object({
  id: z.literal('geoscout-heads'),
  version: z.string(),
  recipe: z.string(),
  classes: z.partialRecord(z.enum(OBJECT_CLASSES), ClassEntrySchema),
});
/** See {@link ClassHeadsManifestSchema}. */
export type ClassHeadsManifest = z.infer<typeof ClassHeadsManifestSchema>;

/** The class a query's words name, when they name exactly one (see {@link CLASS_WORDS}). */
export function classOfQuery(text: string): ObjectClass | null {
  const words = new Set(text.toLowerCase().split(/[^a-z]+/).filter(Boolean));
  if (words.has('wind') && (words.has('turbine') || words.has('turbines'))) return 'wind_turbine';
  if (words.has('tank') && (words.has('storage') || words.has('oil') || words.has('fuel'))) return 'storage_tank';
  const named = OBJECT_CLASSES.filter((c) => CLASS_WORDS[c].some((w) => words.has(w)));
  return named.length === 1 ? named[0]! : null;
}

const cache = new Map<string, { version: string; head: WindowHead } | null>();

/**
 * The shipped head of a class with the manifest's version, or null when none ships (a class
 * left out, or a checkout without the folder). Read once per process. A head file that is
 * not a window head is an error that says how to rebuild it, not a silent fallback.
 */
export function classHead(cls: ObjectClass, dir = CLASS_HEADS_DIR): { version: string; head: WindowHead } | null {
  const key = `${dir}|${cls}`;
  if (cache.has(key)) return cache.get(key)!;
  const manifestPath = path.join(dir, CLASS_HEADS_MANIFEST);
  let out: { version: string; head: WindowHead } | null = null;
  if (existsSync(manifestPath)) {
    const manifest = readManifest(manifestPath);
    const entry = manifest.classes[cls];
    if (entry) {
      const head: unknown = JSON.parse(readFileSync(path.join(dir, entry.file), 'utf8'));
      if (!isWindowHead(head)) throw new GeoscoutError('CORRUPT_DATA', `${path.join(dir, entry.file)} is not a window head. Rebuild the class heads: npm run fit:class-heads.`);
      out = { version: manifest.version, head };
    }
  }
  cache.set(key, out);
  return out;
}

function readManifest(file: string): ClassHeadsManifest {
  const parsed = ClassHeadsManifestSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new GeoscoutError('CORRUPT_DATA', `${file} is not a class-heads manifest (${parsed.error.issues[0]?.message}). Rebuild it: npm run fit:class-heads.`);
  return parsed.data;
}

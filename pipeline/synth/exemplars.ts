/**
 * Synthetic exemplars: examples of an object class the generator can draw, rendered on
 * demand, so a prototype can be bootstrapped before anyone has boxed a real example.
 *
 * A window head fitted on these exemplars scores real imagery far better than the shipped
 * encoder's text vector does (bench:real, KIT cars at 0.3 m: AP50 0.27–0.31 with 80 synthetic
 * vehicles and the catalogue's background against 0.04 for the text "car"; 0.76 since the head
 * scores the objectness proposals, detect/head-proposals.ts): its features are pixel statistics (colour,
 * gradients, orientation), which transfer; the encoder's embedding of a synthetic world
 * does not. Confirmed and rejected detections then refit it on the user's own pixels.
 *
 * An exemplar's image id names the scene (`synthetic-<class>-<seed>-<gsd cm>`); the scene is
 * deterministic, so any process renders the same bytes, and the file is cached next to the
 * store (written under a temporary name and renamed, so concurrent renders never see a half
 * file).
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GeoscoutError } from '../../core/errors.js';
import type { ImageRecord } from '../catalog/catalog.js';
import { getImage } from '../catalog/catalog.js';
import type { Store } from '../index/store.js';
import type { PixelWindow } from '../raster/georef.js';
import { OBJECT_CLASSES, type ObjectClass } from './catalog.js';
import { generateScene } from './generate-scene.js';
import { planScene } from './scene-plan.js';

/** Side of an exemplar scene, pixels (2.6 s to render at 2048² on one core). */
const SCENE_SIDE = 2048;
/** First seed of exemplar scenes: outside every training, tuning and benchmark seed range. */
const SEED0 = 70_000;
/** Scenes planned at most while looking for a class (planning draws no pixels). */
const MAX_PLANS = 64;
/**
 * Scenes exemplars come from at most: each is rendered whole (2.6 s, ~6 MB on disk). Rare
 * classes stop short of the count: wind turbines (one a scene) give 16, storage tanks 38.
 */
const MAX_SCENES = 16;
/** Exemplars come from at least this many scenes (when the class is common enough), for variety. */
const MIN_SCENES = 4;
/** Shortest exemplar, pixels: smaller objects carry no shape. */
const MIN_LENGTH_PX = 8;
/** Exemplars drawn when the caller gives no count. */
export const DEFAULT_SYNTHETIC_COUNT = 80;

/**
 * Ground sample distance each class is rendered at: fine enough that the smallest objects
 * of the class keep a shape (a car is 15 px long at 0.3 m). The window head normalises
 * objects to its own size, so the exemplars' GSD need not match the imagery's. Vehicles at
 * 0.5 m were tried on bench:real's cars: 0.49 and 0.41 AP50 against 0.37 and 0.30 at 0.3 m in
 * two scratch runs, but 0.27 against 0.31 through add_prototype: exemplar choice moves AP50 by
 * ±0.1, more than the GSD does.
 */
const CLASS_GSD: Record<ObjectClass, number> = { vehicle: 0.3, aircraft: 0.5, ship: 0.5, storage_tank: 0.5, wind_turbine: 0.5, building: 0.5 };

/** The classes synthetic exemplars can be drawn for. */
export const SYNTHETIC_CLASSES = OBJECT_CLASSES;

/** One synthetic exemplar: the image id of its scene and its box there. */
export interface SyntheticExemplar {
  image_id: string;
  box: PixelWindow;
}

const ID_RE = /^synthetic-([a-z_]+)-(\d+)-(\d+)$/;

/**
 * The scene an exemplar id names, or null. Only ids {@link pickSyntheticExemplars} can give
 * pass (its classes, seeds and GSDs): a caller cannot make the cache render other scenes.
 */
function parseSyntheticId(id: string): { cls: ObjectClass; seed: number; gsdM: number } | null {
  const m = ID_RE.exec(id);
  const cls = m?.[1] as ObjectClass | undefined, seed = Number(m?.[2]), cm = Number(m?.[3]);
  if (!cls || !SYNTHETIC_CLASSES.includes(cls) || seed < SEED0 || seed >= SEED0 + MAX_PLANS || cm !== Math.round(CLASS_GSD[cls] * 100)) return null;
  return { cls, seed, gsdM: CLASS_GSD[cls] };
}

/** Whether an example's image id names a synthetic exemplar scene. */
export function isSyntheticImageId(id: string): boolean {
  return parseSyntheticId(id) !== null;
}

function sceneOptions(seed: number, gsdM: number) {
  return { seed, width: SCENE_SIDE, height: SCENE_SIDE, gsdM };
}

/**
 * Picks `count` exemplars of `cls` from the first exemplar scenes that hold the class: boxes
 * of whole objects at least {@link MIN_LENGTH_PX} long, spread over at least
 * {@link MIN_SCENES} scenes and evenly over each scene's objects, from at most
 * {@link MAX_SCENES} scenes (fewer exemplars for a rare class). Plans only; the scenes are
 * rendered when an exemplar is first read ({@link exampleImage}).
 */
export function pickSyntheticExemplars(cls: ObjectClass, count = DEFAULT_SYNTHETIC_COUNT): SyntheticExemplar[] {
  if (!SYNTHETIC_CLASSES.includes(cls)) throw new GeoscoutError('INVALID_INPUT', `The generator draws ${SYNTHETIC_CLASSES.join(', ')}; "${cls}" is not one of them.`);
  const gsdM = CLASS_GSD[cls], perScene = Math.ceil(count / MIN_SCENES);
  const out: SyntheticExemplar[] = [];
  let scenes = 0;
  for (let seed = SEED0; seed < SEED0 + MAX_PLANS && out.length < count && scenes < MAX_SCENES; seed++) {
    const plan = planScene(sceneOptions(seed, gsdM));
    const objs = plan.objects.filter((o) => {
      const [x, y, w, h] = o.bbox;
      return o.class === cls && x >= 0 && y >= 0 && x + w <= SCENE_SIDE && y + h <= SCENE_SIDE && Math.max(w, h) >= MIN_LENGTH_PX;
    });
    const take = Math.min(objs.length, perScene, count - out.length);
    if (take > 0) scenes++;
    for (let k = 0; k < take; k++) {
      const [x, y, w, h] = objs[Math.floor((k * objs.length) / take)]!.bbox;
      out.push({ image_id: `synthetic-${cls}-${seed}-${Math.round(gsdM * 100)}`, box: { x: Math.round(x), y: Math.round(y), width: Math.max(1, Math.round(w)), height: Math.max(1, Math.round(h)) } });
    }
  }
  if (out.length === 0) throw new GeoscoutError('NOT_FOUND', `No ${cls} in the first ${MAX_PLANS} exemplar scenes; give real examples instead.`);
  return out;
}

/** The class of a synthetic exemplar scene from its id; null for any other id. */
export function syntheticClass(imageId: string): ObjectClass | null {
  return parseSyntheticId(imageId)?.cls ?? null;
}

/** The GSD of a synthetic exemplar scene from its id (no rendering); null for any other id. */
export function syntheticGsd(imageId: string): number | null {
  return parseSyntheticId(imageId)?.gsdM ?? null;
}

/** What readers of an example's image need: the catalogue's fields, or a synthetic scene's. */
export type ExampleImageRecord = Pick<ImageRecord, 'image_id' | 'uri' | 'crs' | 'crs_proj4' | 'width' | 'height' | 'gsd_m' | 'stretch'> & Partial<Pick<ImageRecord, 'fingerprint'>>;

/**
 * The image an example names: a synthetic exemplar scene (rendered into the cache the first
 * time) or a catalogued image ({@link getImage}, NOT_FOUND when missing).
 */
export async function exampleImage(store: Store, imageId: string, signal?: AbortSignal): Promise<ExampleImageRecord> {
  return (await renderExemplarScene(imageId, exemplarDir(store), signal)) ?? getImage(store, imageId);
}

/**
 * Renders a synthetic exemplar scene into `dir` (once: an existing file is reused) and
 * returns its record; null when `imageId` is not an exemplar scene's id.
 */
export async function renderExemplarScene(imageId: string, dir: string, signal?: AbortSignal): Promise<ExampleImageRecord | null> {
  const scene = parseSyntheticId(imageId);
  if (!scene) return null;
  const { seed, gsdM } = scene;
  const uri = path.join(dir, `${imageId}.tif`);
  if (!existsSync(uri)) {
    // Render beside the final name, then rename: another process may be rendering the same scene.
    const tmp = path.join(dir, `.${imageId}-${process.pid}-${Date.now()}`);
    try {
      const s = await generateScene(tmp, imageId, sceneOptions(seed, gsdM), signal ? { signal } : {});
      await mkdir(dir, { recursive: true });
      await rename(s.tiffPath, uri);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
  return { image_id: imageId, uri, crs: null, crs_proj4: null, width: SCENE_SIDE, height: SCENE_SIDE, gsd_m: gsdM, stretch: { bands: [0, 1, 2], lo: [0, 0, 0], hi: [255, 255, 255] } };
}

/** Where exemplar scenes are cached: beside a local store, else in the temporary folder. */
function exemplarDir(store: Store): string {
  return /^[a-z][\w+.-]*:\/\//i.test(store.uri) ? path.join(os.tmpdir(), 'geoscout-synthetic-exemplars') : path.join(path.dirname(store.uri), 'synthetic-exemplars');
}

import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { GeoscoutError, throwIfAborted, toGeoscoutError } from '../../core/errors.js';
import { sidecarPathFor } from '../catalog/sidecar.js';
import { writeTiledTiff, type TiffSpec } from '../raster/tiff-writer.js';
import { toSceneObject, writeCoco, writeGeoJson, writeSidecar } from './outputs.js';
import type { ResolvedSceneOptions, SceneObject, SceneOptions, ScenePlan } from './plan-types.js';
import { renderTile } from './render-tile.js';
import { planScene } from './scene-plan.js';

export type { ResolvedSceneOptions, SceneObject, SceneOptions, ScenePlan } from './plan-types.js';
export { generateChipPairs } from './chips.js';
export { planScene, resolveOptions } from './scene-plan.js';
export { renderTile } from './render-tile.js';

/** The files and truth of a generated scene. */
export interface GeneratedScene {
  name: string;
  tiffPath: string;
  sidecarPath: string;
  geojsonPath: string;
  cocoPath: string;
  width: number;
  height: number;
  epsg: number;
  gsdM: number;
  objects: SceneObject[];
  /** The options with every default resolved: planning them again gives the same scene. */
  options: ResolvedSceneOptions;
}

/** Progress and cancellation of a long generation. */
export interface GenerateRun {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Generates a synthetic overhead scene in `outDir`: `<name>.tif` (tiled GeoTIFF with
 * overviews, streamed tile by tile so memory stays bounded at any size), `<name>.meta.json`,
 * `<name>.truth.geojson` and `<name>.coco.json`. Same options, same bytes.
 */
export async function generateScene(outDir: string, name: string, opts: SceneOptions, run: GenerateRun = {}): Promise<GeneratedScene> {
  throwIfAborted(run.signal);
  if (!/^[\w.-]+$/.test(name)) {
    throw new GeoscoutError('INVALID_INPUT', `Scene name "${name}" must be letters, digits, '.', '_' or '-' (it becomes file names).`);
  }
  const plan = planScene(opts);
  await mkdir(outDir, { recursive: true });
  const tiffPath = path.join(outDir, `${name}.tif`);
  try {
    // Eight tiles in flight let zlib (on the libuv pool) overlap rendering on the main thread.
    await writeTiledTiff(tiffPath, tiffSpec(plan), (req) => renderTile(plan, req), { signal: run.signal, onProgress: run.onProgress, concurrency: 8 });
  } catch (err) {
    // A half-written TIFF looks valid to nothing; do not leave it behind.
    await rm(tiffPath, { force: true });
    throw toGeoscoutError(err, 'INTERNAL', `Generating scene ${name}`);
  }
  const objects = plan.objects.map(toSceneObject);
  const base = path.join(outDir, name);
  const sidecarPath = sidecarPathFor(tiffPath);
  const geojsonPath = `${base}.truth.geojson`;
  const cocoPath = `${base}.coco.json`;
  await writeSidecar(sidecarPath, plan, name);
  await writeGeoJson(geojsonPath, plan, objects, path.basename(tiffPath));
  await writeCoco(cocoPath, plan, objects, path.basename(tiffPath));
  return { name, tiffPath, sidecarPath, geojsonPath, cocoPath, width: plan.width, height: plan.height, epsg: plan.epsg, gsdM: plan.gsdM, objects, options: plan.options };
}

function tiffSpec(plan: ScenePlan): TiffSpec {
  const o = plan.options;
  return {
    width: plan.width,
    height: plan.height,
    bands: 3,
    bitsPerSample: o.bits,
    tileSize: o.tileSize,
    photometric: 'rgb',
    georef: { epsg: plan.epsg, originX: plan.originX, originY: plan.originY, pixelSizeX: plan.gsdM, pixelSizeY: plan.gsdM },
    metadata: {
      ACQUISITION_DATETIME: o.acquiredAt,
      SENSOR: o.sensor,
      GSD_M: String(o.gsdM),
      OFF_NADIR_DEG: String(o.offNadirDeg),
      SUN_ELEVATION_DEG: String(o.sunElevationDeg),
      SUN_AZIMUTH_DEG: String(o.sunAzimuthDeg),
    },
    dateTime: new Date(o.acquiredAt),
    // Level 4 deflates three times faster than the default 6 for 5 % larger files (sensor noise compresses poorly anyway).
    compressionLevel: 4,
  };
}

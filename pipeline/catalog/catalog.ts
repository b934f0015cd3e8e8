import path from 'node:path';
import { GeoscoutError, throwIfAborted, toGeoscoutError } from '../../core/errors.js';
import { assertAllowedPath } from '../../core/paths.js';
import { type Store } from '../index/store.js';
import { parseCrs } from '../raster/crs.js';
import { bboxOf, type GeoJsonPolygon } from '../raster/georef.js';
import { openRaster, type Raster } from '../raster/raster.js';
import { fingerprintFile, fingerprintUrl, imageIdFor } from './fingerprint.js';
import { findImage, insertImage, markStale } from './image-rows.js';
import { metadataFromSidecar, metadataFromTags, mergeMetadata, type MetadataLayer, type SceneMetadata } from './scene-metadata.js';
import { readSidecar } from './sidecar.js';
import { INPUT_MAX_BYTES, readInputFile, regularFile } from '../../core/input-file.js';
import { isStac, readStacFile } from './stac.js';

export { listImages, getImage, type ImageFilter } from './image-rows.js';

/** A catalogued scene, as stored in the `images` table (times as ISO strings). */
export interface ImageRecord {
  image_id: string;
  uri: string;
  file_size: number | null;
  fingerprint: string;
  width: number;
  height: number;
  bands: number;
  dtype: string;
  crs: string | null;
  crs_proj4: string | null;
  geotransform: number[] | null;
  /** WGS84 GeoJSON polygon, or null for pixel-only images. */
  footprint: GeoJsonPolygon | null;
  min_lon: number | null;
  min_lat: number | null;
  max_lon: number | null;
  max_lat: number | null;
  center_lon: number | null;
  center_lat: number | null;
  gsd_m: number | null;
  acquired_at: string | null;
  sensor: string | null;
  off_nadir_deg: number | null;
  sun_elevation_deg: number | null;
  sun_azimuth_deg: number | null;
  nodata: number | null;
  levels: number;
  /** The per-image RGB stretch (see pipeline/raster/stretch.ts), so every tile matches. */
  stretch: { bands: number[]; lo: number[]; hi: number[] };
  title: string | null;
  /** Where each metadata field came from, plus STAC item id when imported from STAC. */
  metadata: { sources: SceneMetadata['sources']; stac_item?: string };
  /** `ready`; `pixel-only` (no georeferencing: no footprint, no geo filters); `stale` (file changed since). */
  status: 'ready' | 'pixel-only' | 'stale';
  added_at: string;
}

/** The outcome of `addImages`, per input. */
export interface AddImagesResult {
  added: ImageRecord[];
  skipped: { uri: string; image_id: string; reason: string }[];
  failed: { uri: string; error: { code: string; message: string } }[];
}

/** Options for `addImages`. */
export interface AddImagesOptions {
  allowedRoots?: string[];
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, uri: string) => void;
}

/**
 * Adds GeoTIFF/COG files (or STAC Item/ItemCollection JSON files pointing at them) to
 * the catalog. Re-adding a file already catalogued is a no-op; a bad file is reported
 * in `failed` and the batch goes on, so nothing already stored is lost.
 */
export async function addImages(store: Store, inputs: string[], opts: AddImagesOptions = {}): Promise<AddImagesResult> {
  const result: AddImagesResult = { added: [], skipped: [], failed: [] };
  const jobs = await expandInputs(inputs, result);
  for (const [i, job] of jobs.entries()) {
    throwIfAborted(opts.signal);
    try {
      const outcome = await addOne(store, job.uri, job.stac, opts);
      if ('skipped' in outcome) result.skipped.push(outcome.skipped);
      else result.added.push(outcome.added);
    } catch (err) {
      const e = toGeoscoutError(err, 'CORRUPT_DATA', job.uri);
      if (e.code === 'CANCELLED') throw e;
      result.failed.push({ uri: job.uri, error: { code: e.code, message: e.message } });
    }
    opts.onProgress?.(i + 1, jobs.length, job.uri);
  }
  return result;
}

interface Job {
  uri: string;
  stac?: { layer: MetadataLayer; itemId: string };
}

async function expandInputs(inputs: string[], result: AddImagesResult): Promise<Job[]> {
  const jobs: Job[] = [];
  for (const uri of inputs) {
    if (path.extname(uri).toLowerCase() !== '.json') {
      jobs.push({ uri });
      continue;
    }
    try {
      const json: unknown = JSON.parse((await readInputFile(uri, 'STAC file', INPUT_MAX_BYTES.json)).toString('utf8'));
      if (!isStac(json)) throw new GeoscoutError('INVALID_INPUT', `${uri} is JSON but not a STAC Item or ItemCollection.`);
      const stac = await readStacFile(uri);
      for (const s of stac.images) jobs.push({ uri: s.imageUri, stac: { layer: s.layer, itemId: s.itemId } });
      for (const f of stac.failed) result.failed.push({ uri: `${uri}#${f.item}`, error: { code: 'INVALID_INPUT', message: f.message } });
    } catch (err) {
      const e = toGeoscoutError(err, 'INVALID_INPUT', uri);
      result.failed.push({ uri, error: { code: e.code, message: e.message } });
    }
  }
  return jobs;
}

async function addOne(store: Store, uri: string, stac: Job['stac'], opts: AddImagesOptions): Promise<{ added: ImageRecord } | { skipped: AddImagesResult['skipped'][number] }> {
  const remote = /^https?:\/\//i.test(uri);
  if (!remote) {
    await assertAllowedPath(uri, opts.allowedRoots ?? []);
    await regularFile(uri, 'image');
  }
  const fingerprint = remote ? fingerprintUrl(uri) : await fingerprintFile(uri).catch(() => '');
  const imageId = fingerprint ? imageIdFor(fingerprint) : '';
  const existing = imageId ? await findImage(store, imageId) : null;
  if (existing) {
    const reason = existing.uri === uri ? 'already in the catalog' : `same content already catalogued from ${existing.uri}`;
    return { skipped: { uri, image_id: imageId, reason } };
  }
  const sidecar = remote ? null : await readSidecar(uri);
  const sidecarLayer = sidecar ? metadataFromSidecar(sidecar.data) : {};
  const crsText = stac?.layer.crs ?? sidecarLayer.crs;
  const raster = await openRaster(uri, { ...(crsText ? { crsOverride: parseCrs(crsText) } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
  try {
    const tags = metadataFromTags(raster.info.tags);
    const meta = mergeMetadata([
      ...(stac ? [{ name: 'stac', layer: stac.layer }] : []),
      { name: 'sidecar', layer: sidecarLayer },
      { name: 'tiff', layer: tags.layer, perField: tags.source },
    ]);
    const record = await buildRecord(raster, uri, fingerprint || fingerprintUrl(uri), meta, stac?.itemId);
    await insertImage(store, record);
    await markStale(store, uri, record.image_id);
    return { added: record };
  } finally {
    await raster.close();
  }
}

/**
 * Refuses rows no tool could use before they are stored as ready: no pixels or bands, a
 * geocentric CRS (x, y, z in metres from the Earth's centre, not a map), or georeferencing
 * that puts the scene off the globe (latitude 100).
 */
function checkUsable(uri: string, raster: Raster, bbox: [number, number, number, number] | null): void {
  const { info } = raster;
  if (info.width < 1 || info.height < 1 || info.bands < 1) {
    throw new GeoscoutError('CORRUPT_DATA', `${uri} has ${info.width}×${info.height} pixels and ${info.bands} band(s): there is no image to index. Re-export it.`, { details: { path: uri } });
  }
  if (info.crs && /\+proj=geocent\b/.test(info.crs.proj4)) {
    throw new GeoscoutError('UNSUPPORTED', `${uri} uses a geocentric CRS (${info.crs.proj4}), which is not a map projection. Reproject it (gdalwarp -t_srs EPSG:4326 or a UTM zone) or give the right CRS in a sidecar ("crs").`, { details: { path: uri } });
  }
  if (bbox && !(bbox[1] >= -90 && bbox[3] <= 90 && bbox[0] >= -540 && bbox[2] <= 540 && bbox.every(Number.isFinite))) {
    throw new GeoscoutError('INVALID_INPUT', `${uri}: its CRS and geotransform put it at longitude ${bbox[0].toFixed(2)}…${bbox[2].toFixed(2)}, latitude ${bbox[1].toFixed(2)}…${bbox[3].toFixed(2)}, off the globe. Fix the georeferencing, or give the right CRS in a sidecar ("crs").`, { details: { path: uri, bbox } });
  }
}

async function buildRecord(raster: Raster, uri: string, fingerprint: string, meta: SceneMetadata, stacItem?: string): Promise<ImageRecord> {
  const { info, georef } = raster;
  const full = { x: 0, y: 0, width: info.width, height: info.height };
  const footprint = georef ? georef.footprint(full) : null;
  const bbox = footprint ? bboxOf(footprint) : null;
  checkUsable(uri, raster, bbox);
  const centre = georef ? georef.pixelToLonLat(info.width / 2, info.height / 2) : null;
  let gsd = meta.gsd_m;
  if (gsd === null && georef) {
    // Nominal pixel size for metre-based CRSs (what sensors quote); geodesic otherwise.
    gsd = !info.crs!.geographic && /\+units=m\b/.test(info.crs!.proj4)
      ? Math.abs(info.geotransform![1])
      : georef.gsdMeters(info.width / 2, info.height / 2);
    meta.sources.gsd_m = 'geotransform';
  }
  const rgb = meta.rgb_bands ? (meta.rgb_bands.map((b) => b - 1) as [number, number, number]) : undefined;
  if (rgb && rgb.some((b) => b >= info.bands)) {
    throw new GeoscoutError('INVALID_INPUT', `${uri}: rgb_bands ${JSON.stringify(meta.rgb_bands)} names a band beyond its ${info.bands} bands.`);
  }
  const stretch = await raster.stretch(rgb);
  return {
    image_id: imageIdFor(fingerprint),
    uri,
    file_size: info.fileSize,
    fingerprint,
    width: info.width,
    height: info.height,
    bands: info.bands,
    dtype: info.dtype,
    crs: info.crs ? (info.crs.epsg ? `EPSG:${info.crs.epsg}` : info.crs.proj4) : null,
    crs_proj4: info.crs?.proj4 ?? null,
    geotransform: info.geotransform,
    footprint,
    min_lon: bbox?.[0] ?? null,
    min_lat: bbox?.[1] ?? null,
    max_lon: bbox?.[2] ?? null,
    max_lat: bbox?.[3] ?? null,
    center_lon: centre?.[0] ?? null,
    center_lat: centre?.[1] ?? null,
    gsd_m: gsd,
    acquired_at: meta.acquired_at?.toISOString() ?? null,
    sensor: meta.sensor,
    off_nadir_deg: meta.off_nadir_deg,
    sun_elevation_deg: meta.sun_elevation_deg,
    sun_azimuth_deg: meta.sun_azimuth_deg,
    nodata: info.nodata,
    levels: info.levels.length,
    stretch: { bands: [...stretch.bands], lo: [...stretch.lo], hi: [...stretch.hi] },
    title: meta.title,
    metadata: { sources: meta.sources, ...(stacItem ? { stac_item: stacItem } : {}) },
    status: info.pixelOnly ? 'pixel-only' : 'ready',
    added_at: new Date().toISOString(),
  };
}

import type { RasterInfo } from '../raster/raster-info.js';
import type { Sidecar } from './sidecar.js';

/** Acquisition metadata of a scene, whichever source it came from. */
export interface SceneMetadata {
  acquired_at: Date | null;
  sensor: string | null;
  gsd_m: number | null;
  off_nadir_deg: number | null;
  sun_elevation_deg: number | null;
  sun_azimuth_deg: number | null;
  title: string | null;
  rgb_bands: [number, number, number] | null;
  crs: string | null;
  /** Where each non-null field came from: 'stac', 'sidecar', 'tiff', 'tiff-datetime', 'geotransform'. */
  sources: Partial<Record<MetadataField, string>>;
}

/** A field of {@link SceneMetadata} that has a source. */
export type MetadataField = Exclude<keyof SceneMetadata, 'sources'>;

/** Partial metadata from one source. */
export type MetadataLayer = Partial<Omit<SceneMetadata, 'sources'>>;

/**
 * GDAL_METADATA item names seen in the wild for each field (geoscout's own writer,
 * DigitalGlobe/Maxar IMD-derived keys, Airbus DIMAP-derived keys). Matched case-insensitively.
 */
const TAG_KEYS: Record<'acquired_at' | 'sensor' | 'gsd_m' | 'off_nadir_deg' | 'sun_elevation_deg' | 'sun_azimuth_deg', string[]> = {
  acquired_at: ['ACQUISITION_DATETIME', 'ACQUISITIONDATETIME', 'ACQUISITION_DATE', 'FIRSTLINETIME', 'IMAGING_DATE', 'DATETIME'],
  sensor: ['SENSOR', 'SATELLITEID', 'SATID', 'PLATFORM', 'MISSION', 'SENSOR_ID'],
  gsd_m: ['GSD_M', 'GSD', 'MEANPRODUCTGSD', 'MEANCOLLECTEDGSD'],
  off_nadir_deg: ['OFF_NADIR_DEG', 'OFFNADIRVIEWANGLE', 'MEANOFFNADIRVIEWANGLE', 'VIEWING_ANGLE'],
  sun_elevation_deg: ['SUN_ELEVATION_DEG', 'SUNELEVATION', 'MEANSUNEL', 'SUN_ELEVATION'],
  sun_azimuth_deg: ['SUN_AZIMUTH_DEG', 'SUNAZIMUTH', 'MEANSUNAZ', 'SUN_AZIMUTH'],
};

/** Metadata from TIFF tags: GDAL_METADATA items, then the TIFF DateTime as a last resort. */
export function metadataFromTags(tags: RasterInfo['tags']): { layer: MetadataLayer; source: Partial<Record<MetadataField, string>> } {
  const upper = new Map(Object.entries(tags.gdalMetadata).map(([k, v]) => [k.toUpperCase(), v.trim()]));
  const find = (keys: string[]) => keys.map((k) => upper.get(k)).find((v) => v !== undefined && v !== '');
  const layer: MetadataLayer = {};
  const source: Partial<Record<MetadataField, string>> = {};
  const when = parseDate(find(TAG_KEYS.acquired_at));
  if (when) {
    layer.acquired_at = when;
    source.acquired_at = 'tiff';
  } else if (tags.dateTime) {
    // TIFF DateTime is often the processing time, so it is used only when nothing else says when.
    const d = parseDate(tags.dateTime.replace(/^(\d{4}):(\d{2}):(\d{2}) /, '$1-$2-$3T') + 'Z');
    if (d) {
      layer.acquired_at = d;
      source.acquired_at = 'tiff-datetime';
    }
  }
  const sensor = find(TAG_KEYS.sensor);
  if (sensor) {
    layer.sensor = sensor;
    source.sensor = 'tiff';
  }
  for (const key of ['gsd_m', 'off_nadir_deg', 'sun_elevation_deg', 'sun_azimuth_deg'] as const) {
    const v = Number(find(TAG_KEYS[key]));
    if (find(TAG_KEYS[key]) !== undefined && Number.isFinite(v)) {
      layer[key] = v;
      source[key] = 'tiff';
    }
  }
  return { layer, source };
}

/** Metadata from a validated sidecar. */
export function metadataFromSidecar(s: Sidecar): MetadataLayer {
  return {
    ...(s.acquired_at ? { acquired_at: new Date(s.acquired_at) } : {}),
    ...(s.sensor ? { sensor: s.sensor } : {}),
    ...(s.gsd_m !== undefined ? { gsd_m: s.gsd_m } : {}),
    ...(s.off_nadir_deg !== undefined ? { off_nadir_deg: s.off_nadir_deg } : {}),
    ...(s.sun_elevation_deg !== undefined ? { sun_elevation_deg: s.sun_elevation_deg } : {}),
    ...(s.sun_azimuth_deg !== undefined ? { sun_azimuth_deg: s.sun_azimuth_deg } : {}),
    ...(s.title ? { title: s.title } : {}),
    ...(s.rgb_bands ? { rgb_bands: s.rgb_bands } : {}),
    ...(s.crs ? { crs: s.crs } : {}),
  };
}

/** Merges layers, earlier layers winning; records each field's source. */
export function mergeMetadata(layers: { name: string; layer: MetadataLayer; perField?: Partial<Record<MetadataField, string>> }[]): SceneMetadata {
  const out: SceneMetadata = {
    acquired_at: null, sensor: null, gsd_m: null, off_nadir_deg: null, sun_elevation_deg: null,
    sun_azimuth_deg: null, title: null, rgb_bands: null, crs: null, sources: {},
  };
  const fields = Object.keys(out).filter((k) => k !== 'sources') as MetadataField[];
  for (const field of fields) {
    for (const { name, layer, perField } of layers) {
      const v = layer[field];
      if (v !== undefined && v !== null) {
        (out as unknown as Record<string, unknown>)[field] = v;
        out.sources[field] = perField?.[field] ?? name;
        break;
      }
    }
  }
  return out;
}

/** Parses an ISO-like date; null when absent or invalid. */
export function parseDate(text: string | undefined | null): Date | null {
  if (!text) return null;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? null : d;
}

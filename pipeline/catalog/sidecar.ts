import path from 'node:path';
import { z } from 'zod';
import { INPUT_MAX_BYTES, readInputFile } from '../../core/input-file.js';
import { GeoscoutError } from '../../core/errors.js';

/**
 * The geoscout metadata sidecar: `<image stem>.meta.json` next to the image
 * (`scene.tif` → `scene.meta.json`). Every field is optional; what it gives wins
 * over TIFF tags. Unknown fields are kept in `extra`.
 */
export const SidecarSchema = z
  .object({
    /** Acquisition time, ISO 8601 with zone, e.g. "2024-06-03T10:30:00Z". */
    acquired_at: z.string().datetime({ offset: true }).optional(),
    /** Sensor or platform name, e.g. "WV3", "Pleiades-Neo", "SYNTH-1". */
    sensor: z.string().min(1).optional(),
    /** Ground sample distance in metres (default: from the geotransform). */
    gsd_m: z.number().positive().optional(),
    off_nadir_deg: z.number().min(0).max(90).optional(),
    sun_elevation_deg: z.number().min(-90).max(90).optional(),
    sun_azimuth_deg: z.number().min(0).max(360).optional(),
    /** CRS override for files with missing or user-defined GeoKeys: "EPSG:32631" or a proj4 string. */
    crs: z.string().min(1).optional(),
    /** 1-based bands to show as R,G,B (e.g. [5,3,2] for WorldView 8-band). */
    rgb_bands: z.tuple([z.number().int().min(1), z.number().int().min(1), z.number().int().min(1)]).optional(),
    title: z.string().optional(),
  })
  .passthrough();

/** A parsed sidecar. */
export type Sidecar = z.infer<typeof SidecarSchema>;

/** The sidecar path for an image path. */
export function sidecarPathFor(imagePath: string): string {
  const ext = path.extname(imagePath);
  return path.join(path.dirname(imagePath), `${path.basename(imagePath, ext)}.meta.json`);
}

/** Reads and validates the sidecar if it exists; null when there is none. */
export async function readSidecar(imagePath: string): Promise<{ path: string; data: Sidecar } | null> {
  const file = sidecarPathFor(imagePath);
  let text: string;
  try {
    text = (await readInputFile(file, 'metadata sidecar', INPUT_MAX_BYTES.json)).toString('utf8');
  } catch (err) {
    if ((err as GeoscoutError).code === 'NOT_FOUND') return null;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new GeoscoutError('INVALID_INPUT', `Metadata sidecar ${file} is not valid JSON: ${(cause as Error).message}`, { cause, details: { path: file } });
  }
  const parsed = SidecarSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new GeoscoutError('INVALID_INPUT', `Metadata sidecar ${file} is invalid: ${issues}`, { details: { path: file } });
  }
  return { path: file, data: parsed.data };
}

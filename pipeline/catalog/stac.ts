import path from 'node:path';
import { z } from 'zod';
import { GeoscoutError } from '../../core/errors.js';
import { INPUT_MAX_BYTES, readInputFile } from '../../core/input-file.js';
import { parseDate, type MetadataLayer } from './scene-metadata.js';
import { SidecarSchema } from './sidecar.js';

const AssetSchema = z.object({ href: z.string().min(1), type: z.string().optional(), roles: z.array(z.string()).optional() }).passthrough();
const ItemSchema = z
  .object({
    type: z.literal('Feature'),
    stac_version: z.string(),
    id: z.string(),
    properties: z.record(z.string(), z.unknown()),
    assets: z.record(z.string(), AssetSchema),
  })
  .passthrough();

/** One STAC Item resolved to the image it describes and the metadata it gives. */
export interface StacImage {
  itemId: string;
  /** Local path (resolved against the item file) or http(s) URL of the GeoTIFF asset. */
  imageUri: string;
  layer: MetadataLayer;
}

/** True when a parsed JSON value looks like a STAC Item or ItemCollection. */
export function isStac(json: unknown): boolean {
  const o = json as { type?: string; stac_version?: string; features?: unknown[] } | null;
  return !!o && ((o.type === 'Feature' && typeof o.stac_version === 'string') || (o.type === 'FeatureCollection' && Array.isArray(o.features)));
}

/**
 * Reads a STAC Item or ItemCollection file (the format analysts' catalogs export) and
 * maps its properties to geoscout metadata: datetime (or start_datetime), platform/
 * constellation/instruments, gsd, view:off_nadir, view:sun_elevation, view:sun_azimuth,
 * proj:epsg / proj:code, title.
 */
export async function readStacFile(file: string): Promise<{ images: StacImage[]; failed: { item: string; message: string }[] }> {
  let json: unknown;
  try {
    json = JSON.parse((await readInputFile(file, 'STAC file', INPUT_MAX_BYTES.json)).toString('utf8'));
  } catch (cause) {
    if (cause instanceof GeoscoutError) throw cause;
    throw new GeoscoutError('INVALID_INPUT', `${file} is not a readable JSON file: ${(cause as Error).message}`, { cause, details: { path: file } });
  }
  const items = (json as { type?: string }).type === 'FeatureCollection' ? (json as { features: unknown[] }).features : [json];
  // One bad feature is reported and skipped; the collection's good items are still added.
  const out = { images: [] as StacImage[], failed: [] as { item: string; message: string }[] };
  for (const [i, raw] of items.entries()) {
    const id = typeof (raw as { id?: unknown })?.id === 'string' ? (raw as { id: string }).id : `#${i}`;
    const parsed = ItemSchema.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ');
      out.failed.push({ item: id, message: `${file}: item ${i} is not a STAC Item (${issues}).` });
      continue;
    }
    try {
      out.images.push(toStacImage(parsed.data, file));
    } catch (err) {
      out.failed.push({ item: id, message: (err as Error).message });
    }
  }
  return out;
}

/** STAC property → sidecar field, validated by the sidecar's rules (a gsd of −3 m is refused in both). */
const STAC_FIELDS = { gsd: 'gsd_m', 'view:off_nadir': 'off_nadir_deg', 'view:sun_elevation': 'sun_elevation_deg', 'view:sun_azimuth': 'sun_azimuth_deg' } as const;
const StacValues = SidecarSchema.pick({ gsd_m: true, off_nadir_deg: true, sun_elevation_deg: true, sun_azimuth_deg: true }).strict();

function checkValues(item: z.infer<typeof ItemSchema>, layer: MetadataLayer, file: string): void {
  const values = Object.fromEntries(Object.values(STAC_FIELDS).flatMap((k) => (layer[k] !== undefined ? [[k, layer[k]]] : [])));
  const r = StacValues.safeParse(values);
  if (r.success) return;
  const stacName = (k: PropertyKey) => Object.entries(STAC_FIELDS).find(([, v]) => v === k)?.[0] ?? String(k);
  const issues = r.error.issues.map((x) => `${stacName(x.path[0]!)} ${JSON.stringify(values[x.path[0] as string])}: ${x.message}`).join('; ');
  throw new GeoscoutError('INVALID_INPUT', `${file}: STAC item ${item.id} has values out of range (${issues}); fix the item.`, { details: { path: file, item: item.id } });
}

function toStacImage(item: z.infer<typeof ItemSchema>, file: string): StacImage {
  const asset = pickAsset(item.assets);
  if (!asset) {
    throw new GeoscoutError('INVALID_INPUT', `${file}: STAC item ${item.id} has no GeoTIFF asset (looked for roles data/visual or a .tif href).`, {
      details: { path: file, item: item.id },
    });
  }
  const href = asset.href.replace(/^file:\/\//, '');
  const imageUri = /^https?:\/\//i.test(href) ? href : path.resolve(path.dirname(file), href);
  const p = item.properties;
  const num = (k: string) => (typeof p[k] === 'number' && Number.isFinite(p[k]) ? (p[k] as number) : undefined);
  const str = (k: string) => (typeof p[k] === 'string' && p[k] ? (p[k] as string) : undefined);
  const instruments = Array.isArray(p.instruments) ? (p.instruments as unknown[]).join('/') : undefined;
  const sensor = str('platform') ?? str('constellation') ?? instruments;
  const epsg = num('proj:epsg') ?? (str('proj:code')?.startsWith('EPSG:') ? Number(str('proj:code')!.slice(5)) : undefined);
  const when = parseDate(str('datetime') ?? str('start_datetime'));
  const layer: MetadataLayer = {
    ...(when ? { acquired_at: when } : {}),
    ...(sensor ? { sensor } : {}),
    ...(num('gsd') !== undefined ? { gsd_m: num('gsd') } : {}),
    ...(num('view:off_nadir') !== undefined ? { off_nadir_deg: num('view:off_nadir') } : {}),
    ...(num('view:sun_elevation') !== undefined ? { sun_elevation_deg: num('view:sun_elevation') } : {}),
    ...(num('view:sun_azimuth') !== undefined ? { sun_azimuth_deg: num('view:sun_azimuth') } : {}),
    ...(str('title') ? { title: str('title') } : { title: item.id }),
    ...(epsg ? { crs: `EPSG:${epsg}` } : {}),
  };
  checkValues(item, layer, file);
  return { itemId: item.id, imageUri, layer };
}

function pickAsset(assets: Record<string, z.infer<typeof AssetSchema>>) {
  const list = Object.entries(assets);
  const isTiff = (a: z.infer<typeof AssetSchema>) => /tiff/i.test(a.type ?? '') || /\.tiff?($|\?)/i.test(a.href);
  return (
    list.find(([, a]) => isTiff(a) && a.roles?.includes('data'))?.[1] ??
    list.find(([, a]) => isTiff(a) && a.roles?.includes('visual'))?.[1] ??
    list.find(([k, a]) => isTiff(a) && ['visual', 'image', 'data', 'analytic'].includes(k))?.[1] ??
    list.find(([, a]) => isTiff(a))?.[1]
  );
}

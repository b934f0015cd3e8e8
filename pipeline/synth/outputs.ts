import { writeFile } from 'node:fs/promises';
import { crsFromEpsg } from '../raster/crs.js';
import { Georef } from '../raster/georef.js';
import { TYPE_NAMES, TYPES } from './catalog.js';
import type { SceneObject, ScenePlan } from './plan-types.js';

/** The public truth of an object: the planned object without renderer-only fields. */
export function toSceneObject(o: SceneObject): SceneObject {
  return {
    id: o.id,
    class: o.class,
    type: o.type,
    caption: o.caption,
    cx: o.cx,
    cy: o.cy,
    lengthM: o.lengthM,
    widthM: o.widthM,
    headingDeg: o.headingDeg,
    context: o.context,
    outOfContext: o.outOfContext,
    ...(o.moving !== undefined ? { moving: o.moving } : {}),
    polygon: o.polygon,
    bbox: o.bbox,
  };
}

/** The plan's georeferencing as a {@link Georef}. */
export function planGeoref(plan: ScenePlan): Georef {
  return new Georef([plan.originX, plan.gsdM, 0, plan.originY, 0, -plan.gsdM], crsFromEpsg(plan.epsg));
}

/** Writes the metadata sidecar (see pipeline/catalog/sidecar.ts). */
export async function writeSidecar(file: string, plan: ScenePlan, name: string): Promise<void> {
  const o = plan.options;
  const sidecar = {
    acquired_at: o.acquiredAt,
    sensor: o.sensor,
    gsd_m: o.gsdM,
    off_nadir_deg: o.offNadirDeg,
    sun_elevation_deg: o.sunElevationDeg,
    sun_azimuth_deg: o.sunAzimuthDeg,
    title: `Synthetic scene ${name} (seed ${o.seed})`,
    synthetic: { seed: o.seed, generator: 'geoscout-synth/1' },
  };
  await writeFile(file, JSON.stringify(sidecar, null, 2) + '\n');
}

/** Writes the truth as a GeoJSON FeatureCollection of WGS84 oriented boxes. */
export async function writeGeoJson(file: string, plan: ScenePlan, objects: SceneObject[], imageName: string): Promise<void> {
  const georef = planGeoref(plan);
  const features = objects.map((o) => {
    const ring = o.polygon.map(([x, y]) => roundLonLat(georef.pixelToLonLat(x, y)));
    // Pixel corners run clockwise on screen (y down), which is clockwise on the map too;
    // RFC 7946 wants exterior rings counter-clockwise, so reverse.
    ring.reverse();
    ring.push(ring[0]!);
    return {
      type: 'Feature',
      geometry: { type: 'Polygon', coordinates: [ring] },
      properties: {
        id: o.id,
        class: o.class,
        type: o.type,
        caption: o.caption,
        context: o.context,
        out_of_context: o.outOfContext,
        length_m: o.lengthM,
        width_m: o.widthM,
        heading_deg: o.headingDeg,
        ...(o.moving !== undefined ? { moving: o.moving } : {}),
        pixel_bbox: o.bbox,
        image: imageName,
      },
    };
  });
  await writeFile(file, JSON.stringify({ type: 'FeatureCollection', features }) + '\n');
}

/** Writes COCO detection annotations: one image, categories = types (supercategory = class). */
export async function writeCoco(file: string, plan: ScenePlan, objects: SceneObject[], imageName: string): Promise<void> {
  const categories = TYPE_NAMES.map((t, i) => ({ id: i + 1, name: t, supercategory: TYPES[t].class }));
  const catId = new Map(categories.map((c) => [c.name, c.id]));
  const annotations = objects.map((o, i) => ({
    id: i + 1,
    image_id: 1,
    category_id: catId.get(o.type)!,
    bbox: o.bbox,
    area: Math.round(o.lengthM * o.widthM / (plan.gsdM * plan.gsdM) * 100) / 100,
    segmentation: [o.polygon.flat()],
    iscrowd: 0,
    attributes: { object_id: o.id, caption: o.caption, out_of_context: o.outOfContext, heading_deg: o.headingDeg, context: o.context },
  }));
  const coco = {
    info: { description: `geoscout synthetic scene ${imageName}`, version: 'geoscout-synth/1', date_created: plan.options.acquiredAt },
    images: [{ id: 1, file_name: imageName, width: plan.width, height: plan.height }],
    categories,
    annotations,
  };
  await writeFile(file, JSON.stringify(coco) + '\n');
}

function roundLonLat([lon, lat]: [number, number]): [number, number] {
  return [Math.round(lon * 1e9) / 1e9, Math.round(lat * 1e9) / 1e9];
}

import { GeoscoutError } from '../../core/errors.js';
import { crsFromEpsg, utmEpsgFor, wgs84Transform } from '../raster/crs.js';
import { objectCaption } from './captions.js';
import { rectOf, boxCorners } from './geometry.js';
import { LandField } from './land-field.js';
import { layoutAirfield } from './layout-airfield.js';
import { ensureEveryClass } from './layout-ensure.js';
import { layoutTankFarms } from './layout-industry.js';
import { layoutParkingLots } from './layout-parking.js';
import { layoutRoads } from './layout-roads.js';
import { layoutTowns } from './layout-town.js';
import { layoutTraffic, placeAircraftOnRoad, placeShipOnLand } from './layout-traffic.js';
import { layoutWindFarms } from './layout-turbines.js';
import { layoutWater } from './layout-water.js';
import { makeNoiseTexture, makeWhiteNoise } from './noise.js';
import { PlanContext } from './plan-context.js';
import type { Illumination, PlannedObject, ResolvedSceneOptions, SceneOptions, ScenePlan } from './plan-types.js';
import { Rng } from './random.js';
import { solarPosition } from './solar.js';
import { RenderIndex } from './spatial-index.js';

/** Coastal places a seed picks from when no centre is given: Abu Dhabi, Rotterdam, San Francisco Bay, Marseille. */
const PLACES: [number, number][] = [[54.37, 24.45], [4.35, 51.87], [-122.3, 37.8], [5.33, 43.33]];

/** Fills every option's default from the seed, and rejects impossible values. */
export function resolveOptions(o: SceneOptions): ResolvedSceneOptions {
  const bad = (msg: string) => new GeoscoutError('INVALID_INPUT', msg, { details: { options: o } });
  if (!Number.isInteger(o.seed)) throw bad(`Scene seed must be an integer, got ${o.seed}.`);
  if (!Number.isInteger(o.width) || !Number.isInteger(o.height) || o.width < 16 || o.height < 16 || o.width > 200000 || o.height > 200000) {
    throw bad(`Scene size must be whole pixels between 16 and 200000, got ${o.width}×${o.height}.`);
  }
  const gsdM = o.gsdM ?? 0.5;
  if (!(gsdM > 0.05 && gsdM <= 10)) throw bad(`gsdM must be between 0.05 and 10 metres, got ${gsdM}.`);
  const tileSize = o.tileSize ?? 512;
  if (tileSize % 16 !== 0 || tileSize < 16) throw bad(`tileSize must be a multiple of 16, got ${tileSize}.`);
  const odd = o.outOfContextPerClass;
  if (odd !== undefined && !(Number.isInteger(odd) && odd >= 0 && odd <= 1000)) throw bad(`outOfContextPerClass must be a whole number from 0 to 1000, got ${odd}.`);
  if (o.bits !== undefined && o.bits !== 8 && o.bits !== 16) throw bad(`bits must be 8 or 16, got ${String(o.bits)}.`);
  const rng = Rng.forStage(o.seed, 'options');
  const center = o.center ?? rng.pick(PLACES);
  const acquiredAt = o.acquiredAt ?? defaultTime(rng, center[0]);
  const when = new Date(acquiredAt);
  if (Number.isNaN(when.getTime())) throw bad(`acquiredAt must be an ISO 8601 time, got "${acquiredAt}".`);
  const sun = solarPosition(when, center[0], center[1]);
  return {
    seed: o.seed,
    width: o.width,
    height: o.height,
    gsdM,
    center,
    acquiredAt: when.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    sensor: o.sensor ?? 'SYNTH-1',
    bits: o.bits ?? 8,
    tileSize,
    offNadirDeg: o.offNadirDeg ?? Math.round(rng.range(2, 22) * 10) / 10,
    sunElevationDeg: o.sunElevationDeg ?? Math.round(Math.max(12, sun.elevationDeg) * 10) / 10,
    sunAzimuthDeg: o.sunAzimuthDeg ?? Math.round(sun.azimuthDeg * 10) / 10,
    outOfContextPerClass: o.outOfContextPerClass ?? defaultOutOfContext((o.width * o.height * gsdM * gsdM) / 1e6),
  };
}

/** One out-of-context ship and aircraft per 30 km², none in scenes under 0.5 km². */
function defaultOutOfContext(areaKm2: number): number {
  return areaKm2 >= 0.5 ? 1 + Math.floor(areaKm2 / 30) : 0;
}

/** Mid-morning local solar time (sun-synchronous orbits pass about 10:30) on a day from March to October 2024. */
function defaultTime(rng: Rng, lon: number): string {
  const day = rng.int(60, 300);
  const utcHours = 10.5 + rng.range(-0.4, 0.4) - lon / 15;
  const ms = Date.UTC(2024, 0, 1) + day * 86400000 + Math.round(utcHours * 3600) * 1000;
  return new Date(ms).toISOString();
}

/**
 * Plans a scene: georeferencing, light, land and water, and every feature and object.
 * Deterministic: the same options give the same plan. Holds no pixels.
 */
export function planScene(options: SceneOptions): ScenePlan {
  const opts = resolveOptions(options);
  const [lon, lat] = opts.center;
  const epsg = utmEpsgFor(lon, lat);
  const [ux, uy] = wgs84Transform(crsFromEpsg(epsg)).fromWgs84(lon, lat);
  const originX = Math.round((ux - (opts.width / 2) * opts.gsdM) * 100) / 100;
  const originY = Math.round((uy + (opts.height / 2) * opts.gsdM) * 100) / 100;
  const light = illumination(opts);
  const land = makeLandField(opts);
  const ctx = new PlanContext(opts, land, light);
  layoutAirfield(ctx, opts.seed);
  layoutTowns(ctx, opts.seed);
  layoutParkingLots(ctx, opts.seed);
  layoutTankFarms(ctx, opts.seed);
  layoutRoads(ctx, opts.seed);
  layoutWater(ctx, opts.seed, waterKm2(ctx));
  const odd = Rng.forStage(opts.seed, 'out-of-context');
  for (let i = 0; i < opts.outOfContextPerClass; i++) placeShipOnLand(ctx, odd);
  for (let i = 0; i < opts.outOfContextPerClass; i++) placeAircraftOnRoad(ctx, odd);
  layoutWindFarms(ctx, opts.seed);
  layoutTraffic(ctx, opts.seed);
  if (ctx.areaKm2 >= 0.2) ensureEveryClass(ctx, opts.seed);
  const objects = finishObjects(ctx);
  const index = new RenderIndex(256);
  for (const f of ctx.features) index.addFeature(rectOf(boxCorners(f.box)), f);
  for (const o of objects) index.addObject(rectOf(o.renderPoly), o);
  return {
    options: opts,
    width: opts.width,
    height: opts.height,
    gsdM: opts.gsdM,
    epsg,
    originX,
    originY,
    climate: Math.abs(lat) < 33 ? 'arid' : 'temperate',
    light,
    land,
    features: ctx.features,
    objects,
    texture: makeNoiseTexture(256, opts.seed),
    whiteNoise: makeWhiteNoise(opts.seed),
    index,
  };
}

function illumination(o: ResolvedSceneOptions): Illumination {
  const az = (o.sunAzimuthDeg * Math.PI) / 180;
  // Shadows point away from the sun; length per metre of height is 1 / tan(elevation).
  const perM = 1 / Math.tan((Math.max(5, o.sunElevationDeg) * Math.PI) / 180) / o.gsdM;
  return { sunElevationDeg: o.sunElevationDeg, sunAzimuthDeg: o.sunAzimuthDeg, offNadirDeg: o.offNadirDeg, shadowPerM: [-Math.sin(az) * perM, Math.cos(az) * perM] };
}

/** A tilted plane (sea on one side) bent by noise scaled to the scene, so every scene has both. */
function makeLandField(o: ResolvedSceneOptions): LandField {
  const rng = Rng.forStage(o.seed, 'land');
  const a = rng.range(0, Math.PI * 2);
  const inland: [number, number] = [Math.cos(a), Math.sin(a)];
  const wM = o.width * o.gsdM, hM = o.height * o.gsdM;
  const proj = [[0, 0], [wM, 0], [0, hM], [wM, hM]].map(([x, y]) => x! * inland[0] + y! * inland[1]);
  const lo = Math.min(...proj), hi = Math.max(...proj);
  const size = Math.max(wM, hM);
  const wavelength = Math.max(200, size * 0.6);
  const octaves = Math.max(2, Math.min(9, Math.round(Math.log2(wavelength / 25))));
  return new LandField(o.gsdM, inland, lo + rng.range(0.22, 0.36) * (hi - lo), Math.max(40, size * 0.1), wavelength, octaves, rng.seed());
}

function waterKm2(ctx: PlanContext): number {
  let water = 0;
  const n = 40;
  for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) if (ctx.land.at(((i + 0.5) / n) * ctx.width, ((j + 0.5) / n) * ctx.height) < 0) water++;
  return (water / (n * n)) * ctx.areaKm2;
}

/** Assigns ids (per class, in placement order) and captions. */
function finishObjects(ctx: PlanContext): PlannedObject[] {
  const counters = new Map<string, number>();
  return ctx.objects.map((d) => {
    const n = (counters.get(d.class) ?? 0) + 1;
    counters.set(d.class, n);
    const { hint, ...rest } = d;
    return { ...rest, id: `${d.class}-${String(n).padStart(4, '0')}`, caption: objectCaption({ ...d, hint }) };
  });
}

import type { ObjectClass, ObjectType, SceneContext } from './catalog.js';
import type { OBox, Vec } from './geometry.js';
import type { LandField } from './land-field.js';
import type { NoiseTexture } from './noise.js';
import type { RenderIndex } from './spatial-index.js';

/** Options of {@link generateScene}; everything but seed and size has a seed-derived default. */
export interface SceneOptions {
  seed: number;
  width: number;
  height: number;
  /** Ground sample distance in metres (default 0.5). */
  gsdM?: number;
  /** Scene centre [lon, lat]; default: one of a few coastal places chosen by the seed. */
  center?: [number, number];
  /** Acquisition time, ISO 8601; default: a day in 2024 chosen by the seed, mid-morning local time. */
  acquiredAt?: string;
  sensor?: string;
  /** 8 (default) or 16; 16 scales values to 0..4095 like 12-bit sensors. */
  bits?: 8 | 16;
  tileSize?: number;
  offNadirDeg?: number;
  sunElevationDeg?: number;
  sunAzimuthDeg?: number;
  /**
   * Ships placed on land and aircraft placed on roads, each (default 1 + ⌊km² / 30⌋ from
   * 0.5 km² up, else 0). Raising it makes encoder training sets that show these rare
   * out-of-context looks often enough to learn them, not just the setting.
   */
  outOfContextPerClass?: number;
}

/** Options with every default filled in. */
export type ResolvedSceneOptions = Required<SceneOptions>;

/** One ground-truth object, in full-resolution pixels of the scene. */
export interface SceneObject {
  id: string;
  class: ObjectClass;
  type: ObjectType;
  caption: string;
  cx: number;
  cy: number;
  lengthM: number;
  widthM: number;
  headingDeg: number;
  context: SceneContext;
  outOfContext: boolean;
  moving?: boolean;
  /** Oriented box corners in pixels. */
  polygon: [number, number][];
  /** Axis-aligned [x, y, w, h] in pixels. */
  bbox: [number, number, number, number];
}

/** A planned object: the truth plus what the renderer needs to draw it. */
export interface PlannedObject extends SceneObject {
  /** Height of the shadow-casting part, metres. */
  heightM: number;
  /** Per-object seed for colours and details. */
  seed: number;
  /** Kelvin wake length in metres for moving ships. */
  wakeM?: number;
  /** Polygon (pixels) everything drawn for the object stays within: body, shadow, wake. */
  renderPoly: Vec[];
}

/** Ground features drawn under objects. */
export type FeatureKind = 'grass' | 'runway' | 'taxiway' | 'apron' | 'road' | 'street' | 'parking' | 'urban_ground' | 'pier' | 'tank_pad';

/** A ground feature: an oriented rectangle in pixels. */
export interface Feature {
  id: number;
  kind: FeatureKind;
  box: OBox;
  seed: number;
  /** Kind-specific numbers, e.g. the bund pitch of a tank pad in metres. */
  params?: number[];
}

/** Sun and view geometry. */
export interface Illumination {
  sunElevationDeg: number;
  sunAzimuthDeg: number;
  offNadirDeg: number;
  /** Shadow offset per metre of height, in pixels (x, y). */
  shadowPerM: Vec;
}

/** Everything needed to render any part of the scene: a pure description, no pixels. */
export interface ScenePlan {
  options: ResolvedSceneOptions;
  width: number;
  height: number;
  gsdM: number;
  epsg: number;
  /** CRS coordinates of the top-left corner. */
  originX: number;
  originY: number;
  climate: 'arid' | 'temperate';
  light: Illumination;
  land: LandField;
  features: Feature[];
  objects: PlannedObject[];
  texture: NoiseTexture;
  /** 256×256 white noise for sensor grain. */
  whiteNoise: Float32Array;
  index: RenderIndex;
}

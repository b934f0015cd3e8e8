/**
 * What the generator can place: every object type with its class, real-world size range
 * (DOMAIN.md figures) and the words captions use. Sizes are metres: length along the
 * heading, width across it (wingspan, beam, rotor diameter).
 */

/** Object classes of the truth data. */
export const OBJECT_CLASSES = ['aircraft', 'ship', 'vehicle', 'storage_tank', 'wind_turbine', 'building'] as const;

/** One of {@link OBJECT_CLASSES}. */
export type ObjectClass = (typeof OBJECT_CLASSES)[number];

/** Where an object stands. */
export type SceneContext = 'apron' | 'runway' | 'water' | 'road' | 'parking' | 'urban' | 'land' | 'harbour';

/** Static description of one object type. */
export interface TypeSpec {
  class: ObjectClass;
  /** Length range in metres (min, max). */
  length: [number, number];
  /** Width as a range in metres, or a ratio of the chosen length when `widthRatio` is set. */
  width: [number, number];
  widthRatio?: boolean;
  /** Height of the part that casts the shadow, metres (range). */
  height: [number, number];
  /** Singular noun phrase without article, e.g. "narrow-body airliner". */
  noun: string;
}

/** Every type, keyed by type name (also the COCO category name). */
export const TYPES = {
  light: { class: 'aircraft', length: [7.5, 9], width: [10, 11.5], height: [1.8, 2.4], noun: 'light single-engine aircraft' },
  business_jet: { class: 'aircraft', length: [20, 30], width: [19, 30], height: [2.5, 3.2], noun: 'business jet' },
  narrow_body: { class: 'aircraft', length: [37, 40], width: [34, 36], height: [4, 5], noun: 'narrow-body airliner' },
  wide_body: { class: 'aircraft', length: [63, 74], width: [60, 72], height: [5.5, 7], noun: 'wide-body airliner' },
  military_transport: { class: 'aircraft', length: [29, 34], width: [40, 41], height: [4.5, 5.5], noun: 'military transport aircraft' },
  fighter: { class: 'aircraft', length: [15, 19], width: [10, 13], height: [2.2, 2.8], noun: 'fighter jet' },
  helicopter: { class: 'aircraft', length: [17, 20], width: [15, 18], height: [2.8, 3.6], noun: 'helicopter' },
  leisure: { class: 'ship', length: [6, 15], width: [0.3, 0.34], widthRatio: true, height: [1, 2.5], noun: 'leisure boat' },
  fishing: { class: 'ship', length: [18, 45], width: [0.22, 0.28], widthRatio: true, height: [3, 6], noun: 'fishing vessel' },
  tug: { class: 'ship', length: [25, 38], width: [0.3, 0.36], widthRatio: true, height: [5, 8], noun: 'tug' },
  barge: { class: 'ship', length: [60, 95], width: [0.17, 0.21], widthRatio: true, height: [2, 4], noun: 'barge' },
  container_ship: { class: 'ship', length: [170, 330], width: [0.13, 0.15], widthRatio: true, height: [15, 25], noun: 'container ship' },
  tanker: { class: 'ship', length: [170, 300], width: [0.17, 0.19], widthRatio: true, height: [10, 16], noun: 'tanker' },
  warship: { class: 'ship', length: [120, 160], width: [0.12, 0.135], widthRatio: true, height: [10, 16], noun: 'warship' },
  car: { class: 'vehicle', length: [4.2, 4.9], width: [1.75, 1.9], height: [1.4, 1.6], noun: 'car' },
  truck: { class: 'vehicle', length: [12, 16.5], width: [2.5, 2.55], height: [3.8, 4.1], noun: 'articulated truck' },
  bus: { class: 'vehicle', length: [11.5, 12.5], width: [2.5, 2.55], height: [3.1, 3.3], noun: 'bus' },
  fixed_roof_tank: { class: 'storage_tank', length: [12, 45], width: [1, 1], widthRatio: true, height: [10, 18], noun: 'fixed-roof storage tank' },
  floating_roof_tank: { class: 'storage_tank', length: [30, 90], width: [1, 1], widthRatio: true, height: [14, 22], noun: 'floating-roof storage tank' },
  wind_turbine: { class: 'wind_turbine', length: [80, 140], width: [1, 1], widthRatio: true, height: [70, 120], noun: 'wind turbine' },
  house: { class: 'building', length: [9, 16], width: [8, 11], height: [6, 9], noun: 'house' },
  apartment_block: { class: 'building', length: [30, 70], width: [13, 18], height: [15, 40], noun: 'apartment block' },
  warehouse: { class: 'building', length: [50, 150], width: [30, 70], height: [9, 14], noun: 'warehouse' },
  hangar: { class: 'building', length: [50, 90], width: [40, 70], height: [15, 22], noun: 'hangar' },
  terminal: { class: 'building', length: [120, 300], width: [30, 45], height: [14, 20], noun: 'terminal building' },
} as const satisfies Record<string, TypeSpec>;

/** A type name, e.g. 'narrow_body'. */
export type ObjectType = keyof typeof TYPES;

/** Type names in a fixed order (COCO category ids follow it). */
export const TYPE_NAMES = Object.keys(TYPES) as ObjectType[];

/** The spec of a type, typed as the general interface. */
export function typeSpec(type: ObjectType): TypeSpec {
  return TYPES[type] as TypeSpec;
}

/** "a"/"an" + noun phrase. */
export function withArticle(noun: string): string {
  return /^[aeiou]/i.test(noun) ? `an ${noun}` : `a ${noun}`;
}

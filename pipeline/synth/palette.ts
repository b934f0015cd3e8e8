/** RGB triple, 0–255 scale (floats while rendering). */
export type Rgb = readonly [number, number, number];

/** Ground colours of one climate, chosen from the scene centre's latitude. */
export interface GroundPalette {
  grass: Rgb;
  dry: Rgb;
  soil: Rgb;
  forest: Rgb;
  crops: readonly Rgb[];
  sand: Rgb;
  wetSand: Rgb;
  shallow: Rgb;
  deep: Rgb;
  /** Share of land that is farmland (threshold on the farm mask, higher = less). */
  farmThreshold: number;
  /** Beach width in metres. */
  beachM: number;
}

/** Mid-latitude: green fields, hedges, murky sea. */
export const TEMPERATE: GroundPalette = {
  grass: [86, 104, 60],
  dry: [132, 128, 90],
  soil: [120, 102, 82],
  forest: [44, 60, 38],
  crops: [
    [94, 118, 56],
    [122, 134, 72],
    [146, 132, 92],
    [108, 92, 72],
    [164, 152, 106],
    [78, 102, 50],
    [134, 112, 84],
  ],
  sand: [196, 186, 158],
  wetSand: [146, 138, 118],
  shallow: [56, 90, 90],
  deep: [24, 46, 60],
  farmThreshold: -0.05,
  beachM: 7,
};

/** Desert coast: sand and gravel, a few irrigated plots, turquoise shallows. */
export const ARID: GroundPalette = {
  grass: [112, 116, 76],
  dry: [204, 186, 150],
  soil: [178, 154, 118],
  forest: [70, 84, 52],
  crops: [
    [96, 118, 58],
    [118, 128, 70],
    [172, 152, 112],
    [150, 130, 96],
  ],
  sand: [226, 212, 180],
  wetSand: [176, 164, 136],
  shallow: [70, 150, 148],
  deep: [26, 74, 98],
  farmThreshold: 0.32,
  beachM: 14,
};

/** Colours of painted features and objects. */
export const MATERIALS = {
  asphalt: [72, 74, 76] as Rgb,
  asphaltLight: [92, 93, 95] as Rgb,
  concrete: [172, 171, 165] as Rgb,
  sidewalk: [150, 149, 143] as Rgb,
  marking: [226, 226, 220] as Rgb,
  yellow: [206, 172, 64] as Rgb,
  gravel: [152, 146, 130] as Rgb,
  foam: [228, 234, 234] as Rgb,
};

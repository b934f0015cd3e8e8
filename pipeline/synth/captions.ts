import { typeSpec, withArticle } from './catalog.js';
import type { SceneObject } from './plan-types.js';
import { hashInts, hashString } from './random.js';

/** What a layout said about an object, for the caption. */
interface CaptionInput {
  type: SceneObject['type'];
  class: SceneObject['class'];
  context: SceneObject['context'];
  outOfContext: boolean;
  moving?: boolean;
  hint: string;
}

/** The short caption of an object, e.g. "a narrow-body airliner parked on an apron". */
export function objectCaption(o: CaptionInput): string {
  const a = withArticle(typeSpec(o.type).noun);
  switch (o.class) {
    case 'aircraft':
      if (o.outOfContext) return `${a} on a public road, out of context`;
      if (o.context === 'runway') return o.moving ? `${a} on its take-off roll on a runway` : `${a} lined up on a runway`;
      if (o.context === 'land') return `${a} parked on a grass strip`;
      return `${a} parked on an apron`;
    case 'ship':
      if (o.outOfContext) {
        if (o.hint === 'trailer') return `${a} on a transport trailer on land, out of context`;
        if (o.hint === 'dry dock') return `${a} out of the water on dry land, out of context`;
        return `${a} stranded on dry land, out of context`;
      }
      if (o.context === 'harbour') return `${a} moored alongside a pier`;
      return o.moving ? `${a} under way, trailing a V-shaped wake` : `${a} at anchor in open water`;
    case 'vehicle':
      if (o.context === 'parking') return `${a} parked in a parking lot`;
      if (o.context === 'road') return `${a} driving on a road`;
      return `${a} parked on open ground`;
    case 'storage_tank':
      return o.hint === 'tank farm' ? `${a} in a tank farm` : `${a} standing alone on open ground`;
    case 'wind_turbine':
      return o.context === 'water' ? 'an offshore wind turbine' : 'a wind turbine on open land, its tower casting a long shadow';
    case 'building':
      if (o.type === 'terminal') return 'an airport terminal building beside the apron';
      if (o.type === 'hangar') return 'an aircraft hangar beside the apron';
      return o.context === 'urban' ? `${a} in a town block` : `${a} standing alone on open land`;
  }
}

const TEMPLATES: ((c: string, gsd: number) => string)[] = [
  (c) => `${cap(c)}.`,
  (c) => `Satellite view of ${c}.`,
  (c, gsd) => `Overhead image at ${gsd} m resolution showing ${c}.`,
  (c) => `${cap(c)}, seen from above.`,
  (c) => `An aerial image chip centred on ${c}.`,
  (c) => `Top-down view: ${c}.`,
];

const WHY_ODD: Partial<Record<SceneObject['class'], string>> = {
  aircraft: 'Unusual: aircraft are normally found at airfields, not on roads.',
  ship: 'Unusual: a ship belongs on water, not on land.',
};

/** A varied chip caption for an object, deterministic from the seed and the object id. */
export function chipCaption(o: SceneObject, seed: number, gsdM: number): string {
  const h = hashInts(seed, hashString(o.id), 17);
  const base = TEMPLATES[h % TEMPLATES.length]!(o.caption.replace(/, out of context$/, ''), gsdM);
  return o.outOfContext ? `${base} ${WHY_ODD[o.class] ?? 'It is out of context.'}` : base;
}

/** Background chip captions by kind, several phrasings each. */
export const BACKGROUND_CAPTIONS = {
  water: ['Open water with small waves.', 'Satellite view of open sea, no vessels.', 'Empty water surface with wind-driven ripples.'],
  runway: ['An empty stretch of runway.', 'Overhead view of a runway with white markings and no aircraft.', 'Runway asphalt seen from above, no traffic.'],
  farmland: ['Farmland.', 'Agricultural fields seen from above.', 'Satellite view of cultivated parcels with field margins.'],
  land: ['Open land with sparse vegetation.', 'Undeveloped ground seen from above.', 'Natural terrain: grass, soil and scrub.'],
  coast: ['A coastline with a beach.', 'Overhead view of the shore where land meets the sea.', 'Beach and shallow water seen from above.'],
  road: ['An empty road through open country.', 'A road seen from above with no vehicles.', 'Satellite view of a paved road.'],
  street: ['An empty town street between buildings.', 'A town street seen from above with no vehicles.', 'Satellite view of a paved street in a town.'],
} as const;

/** Kind of background chip. */
export type BackgroundKind = keyof typeof BACKGROUND_CAPTIONS;

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

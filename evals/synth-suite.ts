/**
 * The shipped synthetic-world suite, generated from scene plans (no pixels needed: the
 * plan holds every object's class, type, box and context) with fixed seeds, so the
 * expected answers are the generator's ground truth and regenerating gives the same
 * file. `geoscout eval suite synth --out evals/suites/synthetic-world.yaml`.
 *
 * Tolerances: locations within 150 m (a level-1 tile is 192 m; ships are up to 330 m
 * long); counts within max(1, 30 %) (the detector sees the tile grid, not the truth);
 * "none" questions are asked about areas the truth proves empty.
 */
import { planScene } from '../pipeline/synth/generate-scene.js';
import { planGeoref } from '../pipeline/synth/outputs.js';
import type { SceneObject } from '../pipeline/synth/plan-types.js';
import { TYPES, type ObjectType } from '../pipeline/synth/catalog.js';
import { AIRCRAFT_SECTIONS, lengthQuestion, noun, SCANNED_PAGE, SHIP_SECTIONS } from '../knowledge/corpus/content.js';
import type { Suite, Task } from './suite/schema.js';

type WorldScene = NonNullable<Suite['world']>['scenes'][number];

/** The world: three coastal scenes on three dates (each has an airfield, a harbour, roads, tanks, turbines). */
export const SYNTH_WORLD: WorldScene[] = [
  { name: 'gulf', seed: 9101, width: 1536, height: 1536, gsd_m: 0.5, center: [54.38, 24.45], acquired_at: '2024-06-03T06:30:00Z', sensor: 'SYNTH-1' },
  { name: 'delta', seed: 9102, width: 1536, height: 1536, gsd_m: 0.5, center: [4.3, 51.95], acquired_at: '2024-07-15T10:30:00Z', sensor: 'SYNTH-1' },
  { name: 'bay', seed: 9103, width: 1536, height: 1536, gsd_m: 0.5, center: [-122.35, 37.8], acquired_at: '2024-09-01T18:30:00Z', sensor: 'SYNTH-2' },
];

const LOCATE_M = 150;
const TEXT: Record<string, string> = { ship: 'a ship', aircraft: 'an aircraft', vehicle: 'a vehicle', storage_tank: 'a storage tank', building: 'a building', wind_turbine: 'a wind turbine' };
const IDENTIFY_CLASSES = ['aircraft', 'ship', 'vehicle', 'storage_tank', 'building'];
const round = (x: number, d = 6) => Math.round(x * 10 ** d) / 10 ** d;
const titleOf = (s: WorldScene) => `Synthetic scene ${s.name} (seed ${s.seed})`;

/** Builds the suite object. */
export function buildSynthSuite(): Suite {
  const tasks: Task[] = [];
  for (const s of SYNTH_WORLD) tasks.push(...sceneTasks(s));
  tasks.push(...catalogTasks(), ...documentTasks());
  return {
    name: 'synthetic-world',
    version: '1',
    description: 'Analyst questions over three generated coastal scenes and a generated document corpus; expected answers are the generators\' ground truth. Regenerate with `geoscout eval suite synth`.',
    world: { scenes: SYNTH_WORLD, documents: { corpus: 'generated' } },
    defaults: { timeout_s: 60 },
    tasks,
  };
}

function sceneTasks(s: WorldScene): Task[] {
  const plan = planScene({ seed: s.seed, width: s.width, height: s.height, ...(s.gsd_m ? { gsdM: s.gsd_m } : {}), ...(s.center ? { center: s.center } : {}), ...(s.acquired_at ? { acquiredAt: s.acquired_at } : {}), ...(s.sensor ? { sensor: s.sensor } : {}) });
  const geo = planGeoref(plan);
  const ll = (o: SceneObject): [number, number] => { const [lon, lat] = geo.pixelToLonLat(o.cx, o.cy); return [round(lon), round(lat)]; };
  const objs = plan.objects;
  const of = (cls: string) => objs.filter((o) => o.class === cls);
  const scope = { images: [s.name] };
  const tasks: Task[] = [];

  for (const cls of ['ship', 'aircraft', 'vehicle']) {
    const pts = of(cls).map(ll);
    if (!pts.length) continue;
    tasks.push({
      id: `${s.name}.locate.${cls}`, question: `Where is ${TEXT[cls]} in scene ${s.name}? Give its latitude and longitude and cite the tile.`,
      tags: ['locate'], scope, expected_tools: ['search_tiles'],
      expected: [{ type: 'location', points: pts, within_m: LOCATE_M }, { type: 'citation', kind: 'tile', min: 1 }],
      oracle: { steps: [{ id: 's', tool: 'search_tiles', input: { text: TEXT[cls], image_ids: '{{scope.images}}', limit: 10 } }], answer: { kind: 'location', step: 's', path: 'hits.0' } },
      metrics: [{ kind: 'ranking', step: 's', path: 'hits', truth_points: pts, within_m: LOCATE_M }],
    });
  }

  for (const cls of ['aircraft', 'ship', 'storage_tank']) {
    const list = of(cls);
    const n = list.length;
    tasks.push({
      id: `${s.name}.count.${cls}`, question: `How many ${cls.replace('_', ' ')}s are visible in scene ${s.name}?`,
      tags: ['count'], scope, expected_tools: ['detect_in_region'],
      expected: [{ type: 'number', value: n, tolerance: 1, rel_tolerance: 0.3 }],
      oracle: { steps: [{ id: 'd', tool: 'detect_in_region', input: { image_id: '{{scope.images.0}}', queries: [{ text: TEXT[cls] }], max_detections: 500 } }], answer: { kind: 'value', step: 'd', path: `counts.${TEXT[cls]}` } },
      metrics: [{ kind: 'detection', step: 'd', path: 'features', truth_boxes: list.map((o) => o.bbox.map((v) => Math.round(v * 10) / 10) as [number, number, number, number]), iou: 0.5 }],
    });
  }

  // Identify: the largest object of a few classes, by comparing class queries around it.
  const picks = ['aircraft', 'ship', 'storage_tank'].map((c) => of(c).filter((o) => !o.outOfContext).sort((a, b) => b.lengthM - a.lengthM)[0]).filter((o): o is NonNullable<typeof o> => !!o).slice(0, 2);
  for (const o of picks) {
    const [lon, lat] = ll(o);
    const dLat = 40 / 111320, dLon = 40 / (111320 * Math.cos((lat * Math.PI) / 180));
    const bbox: [number, number, number, number] = [round(lon - dLon), round(lat - dLat), round(lon + dLon), round(lat + dLat)];
    tasks.push({
      id: `${s.name}.identify.${o.id}`, question: `What kind of object is at ${lat.toFixed(5)} N, ${lon.toFixed(5)} E in scene ${s.name}?`,
      tags: ['identify'], scope: { images: [s.name], bbox }, expected_tools: ['search_tiles', 'get_tile_image'],
      expected: [{ type: 'exact', value: o.class }],
      oracle: {
        // Highest raw score wins. (Subtracting each query's best score over the whole scene,
        // `relative_to`, was tried and got 4/6 right instead of 5/6 with geoscout-mini.)
        steps: IDENTIFY_CLASSES.map((c) => ({ id: `q_${c}`, tool: 'search_tiles', input: { text: TEXT[c], image_ids: '{{scope.images}}', bbox: '{{scope.bbox}}', limit: 1 } })),
        answer: { kind: 'argmax', steps: IDENTIFY_CLASSES.map((c) => `q_${c}`), labels: IDENTIFY_CLASSES, path: 'hits.0.score' },
      },
      notes: `truth: ${o.type} (${TYPES[o.type].noun}), ${o.lengthM.toFixed(0)} m`,
    });
  }

  for (const o of objs.filter((x) => x.outOfContext)) {
    const q = o.class === 'ship' ? 'a boat on land' : 'an aircraft on a road';
    tasks.push({
      id: `${s.name}.ooc.${o.id}`, question: `Is there ${o.class === 'ship' ? 'a vessel out of the water' : 'an aircraft away from the airfield'} in scene ${s.name}? Where?`,
      tags: ['out-of-context', 'locate'], scope, expected_tools: ['detect_in_region'],
      expected: [{ type: 'location', points: [ll(o)], within_m: LOCATE_M }],
      oracle: { steps: [{ id: 'd', tool: 'detect_in_region', input: { image_id: '{{scope.images.0}}', queries: [{ text: q }], max_detections: 5 } }], answer: { kind: 'location', step: 'd', path: 'features.0' } },
      notes: `truth: ${o.type} in context ${o.context}`,
    });
  }

  // No-answer: wind turbines inside the harbour (the box around moored ships, checked empty of turbines).
  const moored = objs.filter((o) => o.context === 'harbour');
  if (moored.length) {
    const xs = moored.flatMap((o) => [o.bbox[0], o.bbox[0] + o.bbox[2]]), ys = moored.flatMap((o) => [o.bbox[1], o.bbox[1] + o.bbox[3]]);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const turbines = of('wind_turbine').filter((t) => t.bbox[0] + t.bbox[2] >= x0 && t.bbox[0] <= x1 && t.bbox[1] + t.bbox[3] >= y0 && t.bbox[1] <= y1);
    if (!turbines.length) {
      const [a, b] = [geo.pixelToLonLat(x0, y1), geo.pixelToLonLat(x1, y0)];
      tasks.push({
        id: `${s.name}.none.turbines-in-harbour`, question: `Are there any wind turbines in the harbour of scene ${s.name}?`,
        tags: ['no-answer'], scope: { images: [s.name], bbox: [round(a[0]), round(a[1]), round(b[0]), round(b[1])] }, expected_tools: ['detect_in_region'],
        expected: [{ type: 'none' }],
        oracle: { steps: [{ id: 'd', tool: 'detect_in_region', input: { image_id: '{{scope.images.0}}', bbox: '{{scope.bbox}}', queries: [{ text: 'a wind turbine' }] } }], answer: { kind: 'value', step: 'd', path: 'counts.a wind turbine' } },
      });
    }
  }
  return tasks;
}

function catalogTasks(): Task[] {
  const [a, b, c] = SYNTH_WORLD as [WorldScene, WorldScene, WorldScene];
  const list = (id: string, input: Record<string, unknown>) => ({ steps: [{ id, tool: 'list_images', input }] });
  return [
    {
      id: 'catalog.july', question: 'Which scenes were acquired in July 2024?', tags: ['scope', 'identify'], expected_tools: ['list_images'],
      scope: { from: '2024-07-01T00:00:00Z', to: '2024-07-31T23:59:59Z' },
      expected: [{ type: 'set', items: [titleOf(b)], mode: 'exact', min_precision: 1, min_recall: 1 }],
      oracle: { ...list('l', { from: '{{scope.from}}', to: '{{scope.to}}' }), answer: { kind: 'set', step: 'l', path: 'images', field: 'title' } },
    },
    {
      id: 'catalog.sensor', question: 'Which scenes come from the SYNTH-1 sensor?', tags: ['scope', 'identify'], expected_tools: ['list_images'], scope: {},
      expected: [{ type: 'set', items: [titleOf(a), titleOf(b)], mode: 'exact', min_precision: 1, min_recall: 1 }],
      oracle: { ...list('l', { sensors: ['SYNTH-1'] }), answer: { kind: 'set', step: 'l', path: 'images', field: 'title' } },
    },
    {
      id: 'catalog.when', question: `When was scene ${c.name} acquired?`, tags: ['scope'], expected_tools: ['list_images'], scope: { images: [c.name] },
      expected: [{ type: 'contains', text: c.acquired_at!.slice(0, 10) }],
      oracle: { ...list('l', { image_ids: '{{scope.images}}' }), answer: { kind: 'value', step: 'l', path: 'images.0.acquired_at' } },
    },
    {
      id: 'catalog.gsd', question: `What is the ground sample distance of scene ${a.name}, in metres?`, tags: ['scope'], expected_tools: ['list_images'], scope: { images: [a.name] },
      expected: [{ type: 'number', value: a.gsd_m!, tolerance: 0.01 }],
      oracle: { ...list('l', { image_ids: '{{scope.images}}' }), answer: { kind: 'value', step: 'l', path: 'images.0.gsd_m' } },
    },
    {
      id: 'catalog.here', question: `Which scene covers ${a.center![1]} N, ${a.center![0]} E?`, tags: ['scope', 'identify'], expected_tools: ['list_images'],
      scope: { bbox: [a.center![0] - 0.001, a.center![1] - 0.001, a.center![0] + 0.001, a.center![1] + 0.001] },
      expected: [{ type: 'set', items: [titleOf(a)], mode: 'exact', min_precision: 1, min_recall: 1 }],
      oracle: { ...list('l', { bbox: '{{scope.bbox}}' }), answer: { kind: 'set', step: 'l', path: 'images', field: 'title' } },
    },
    {
      id: 'none.antarctica', question: 'Do we have any imagery of the Antarctic coast near McMurdo (77.8 S, 166.7 E)?', tags: ['no-answer', 'scope'], expected_tools: ['list_images'],
      scope: { bbox: [166, -78.2, 167.5, -77.4] }, expected: [{ type: 'none' }],
      oracle: { ...list('l', { bbox: '{{scope.bbox}}' }), answer: { kind: 'count', step: 'l', path: 'images' } },
    },
    {
      id: 'none.ships-2025', question: 'Any ships seen in imagery from 2025?', tags: ['no-answer', 'scope'], expected_tools: ['search_tiles'],
      scope: { from: '2025-01-01T00:00:00Z', to: '2025-12-31T23:59:59Z' }, expected: [{ type: 'none' }],
      oracle: { steps: [{ id: 's', tool: 'search_tiles', input: { text: 'a ship', from: '{{scope.from}}', to: '{{scope.to}}' } }], answer: { kind: 'count', step: 's', path: 'hits' } },
    },
    {
      id: 'none.aircraft-null-island', question: 'Are there aircraft at 0.5 N, 0.5 E?', tags: ['no-answer', 'scope'], expected_tools: ['search_tiles'],
      scope: { bbox: [0.4, 0.4, 0.6, 0.6] }, expected: [{ type: 'none' }],
      oracle: { steps: [{ id: 's', tool: 'search_tiles', input: { text: 'an aircraft', bbox: '{{scope.bbox}}' } }], answer: { kind: 'count', step: 's', path: 'hits' } },
    },
    {
      id: 'none.gulf-in-winter', question: `Is there imagery of the ${a.name} area from January 2024 showing vehicles?`, tags: ['no-answer', 'scope'], expected_tools: ['search_tiles'],
      scope: { bbox: [a.center![0] - 0.01, a.center![1] - 0.01, a.center![0] + 0.01, a.center![1] + 0.01], from: '2024-01-01T00:00:00Z', to: '2024-01-31T23:59:59Z' }, expected: [{ type: 'none' }],
      oracle: { steps: [{ id: 's', tool: 'search_tiles', input: { text: 'a vehicle', bbox: '{{scope.bbox}}', from: '{{scope.from}}', to: '{{scope.to}}' } }], answer: { kind: 'count', step: 's', path: 'hits' } },
    },
  ];
}

/**
 * Document look-ups against the generated corpus (knowledge/corpus): the length fact of
 * a section ("between A and B metres long"), a recognition cue asked without naming the
 * type, and the scanned (OCR-only) page. The answer is the top passage; the right
 * document's page must be cited.
 */
function documentTasks(): Task[] {
  const doc = (id: string, question: string, file: string, mustContain: string): Task => ({
    id: `docs.${id}`, question: `${question} Cite the document page.`, tags: ['document'], expected_tools: ['get_document_context'], scope: {},
    expected: [{ type: 'contains', text: mustContain }, { type: 'citation', kind: 'page', min: 1, match: `^${file.replace(/\./g, '\\.')}#p\\d+$` }],
    oracle: { steps: [{ id: 'k', tool: 'get_document_context', input: { query: question, max_passages: 3, max_figures: 0, include_thumbnails: false } }], answer: { kind: 'value', step: 'k', path: 'passages.0.text' } },
  });
  const range = (t: ObjectType) => `between ${TYPES[t].length[0]} and ${TYPES[t].length[1]} metres`;
  return [
    ...(['container_ship', 'tug'] as const).map((t) => doc(`length.${t}`, lengthQuestion(t), 'maritime-guide.pdf', range(t))),
    ...(['wide_body', 'helicopter'] as const).map((t) => doc(`length.${t}`, lengthQuestion(t), 'airfield-handbook.pdf', range(t))),
    doc('length.truck', lengthQuestion('truck'), 'vehicle-notes.pdf', range('truck')),
    doc('cue.tanker', SHIP_SECTIONS.find((x) => x.type === 'tanker')!.question, 'maritime-guide.pdf', noun('tanker')),
    doc('cue.military_transport', AIRCRAFT_SECTIONS.find((x) => x.type === 'military_transport')!.question, 'airfield-handbook.pdf', noun('military_transport')),
    doc('scanned.speed-limit', SCANNED_PAGE.question, 'vehicle-notes.pdf', 'six knots'),
  ];
}

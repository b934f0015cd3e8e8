// Search panel: search_tiles by text and/or an example chip; hits as a chip grid and as
// tile footprints on the map; a chip click flies there.
import { callTool, fetchJson, status } from './api.js';
import { boxOf, drawBox, fitBox, setOverlay, viewBox } from './map.js';

/** Fills a chip's picture lazily (one get_tile_image call per hit). */
async function chipImage(img, tileId) {
  try {
    const out = await callTool('get_tile_image', { tile_id: tileId, max_size: 160, format: 'jpeg' });
    img.src = `data:${out.mime_type};base64,${out.base64}`;
  } catch { img.alt = 'no preview'; }
}

function fileBase64(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

/** Wires the search form. */
export function initSearch(map) {
  const form = document.getElementById('search-form');
  const results = document.getElementById('search-results');
  let hits = [];
  // An example drawn on the map: the pixel window of the scene under it.
  let drawn = null;
  document.getElementById('search-draw').addEventListener('click', async () => {
    status('drag a box around an example (Esc cancels)');
    const box = await drawBox(map);
    setOverlay(map, 'region', []);
    if (!box) return status('');
    try {
      drawn = await fetchJson('/api/map/window', { method: 'POST', body: JSON.stringify({ bbox: box }) });
      document.getElementById('search-example').textContent = `example: ${drawn.width}×${drawn.height} px of ${drawn.image_id}`;
      status('');
    } catch (err) {
      drawn = null;
      status(err.message, true);
    }
  });
  const select = (i) => {
    setOverlay(map, 'hits', hits.filter((h) => h.footprint).map((h, j) => ({ type: 'Feature', geometry: h.footprint, properties: { tile_id: h.tile_id, selected: j === i } })));
    for (const [j, el] of [...results.children].entries()) el.setAttribute('aria-pressed', String(j === i));
    if (hits[i]?.footprint) fitBox(map, boxOf(hits[i].footprint));
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = document.getElementById('search-text').value.trim();
    const file = document.getElementById('search-file').files[0];
    if (!text && !file && !drawn) return status('Type what to look for, choose an example chip or draw one on the map.', true);
    const input = { limit: 24, ...(text ? { text } : {}) };
    const images = [...(file ? [{ base64: await fileBase64(file) }] : []), ...(drawn ? [drawn] : [])];
    if (images.length) input.images = images;
    if (document.getElementById('search-in-view').checked) input.bbox = viewBox(map);
    status('searching…');
    try {
      hits = (await callTool('search_tiles', input)).hits;
    } catch (err) {
      return status(err.message, true);
    }
    status(`${hits.length} tiles`);
    results.replaceChildren(...hits.map((h, i) => {
      const b = document.createElement('button');
      b.className = 'chip';
      b.type = 'button';
      b.title = `${h.tile_id}\n${h.acquired_at ?? ''} ${h.sensor ?? ''}`;
      const img = document.createElement('img');
      img.alt = `tile ${i + 1}`;
      const cap = document.createElement('span');
      cap.textContent = `${i + 1}. ${h.score.toFixed(3)}`;
      b.append(img, cap);
      b.addEventListener('click', () => select(i));
      void chipImage(img, h.tile_id);
      return b;
    }));
    select(-1);
  });
}

// Detect panel: detect_in_region by text or prototype in the map view or a drawn box;
// detections as a GeoJSON layer and a list with confirm/reject (add_prototype feedback),
// keyboard shortcuts, and GeoJSON export.
import { callTool, status } from './api.js';
import { boxOf, drawBox, fitBox, setOverlay, viewBox } from './map.js';

/** Wires the detect form, the list and the shortcuts. */
export function initDetect(map) {
  const list = document.getElementById('detections');
  const exportBtn = document.getElementById('export-geojson');
  const protoSelect = document.getElementById('detect-prototype');
  let region = null;
  let feats = [];
  let selected = -1;

  const redraw = () => setOverlay(map, 'detections', feats.filter((f) => f.geometry).map((f, i) => ({ ...f, properties: { ...f.properties, selected: i === selected } })));
  const select = (i, fly = false) => {
    if (!feats.length) return;
    selected = Math.max(0, Math.min(feats.length - 1, i));
    for (const [j, li] of [...list.children].entries()) li.setAttribute('aria-selected', String(j === selected));
    list.children[selected]?.scrollIntoView({ block: 'nearest' });
    redraw();
    if (fly && feats[selected].geometry) fitBox(map, boxOf(feats[selected].geometry));
  };
  const feedback = async (i, verdict) => {
    const f = feats[i];
    const p = f.properties;
    // A prototype's detections extend it; a text query's start (or extend) a prototype named after the query.
    const name = (p.prototype ?? p.query).slice(0, 64);
    const ref = [{ detection_id: p.detection_id }];
    try {
      const out = await callTool('add_prototype', { name, mode: 'extend', ...(verdict === 'confirmed' ? { examples: ref } : { negatives: ref }), ...(p.prototype ? {} : { description: p.query }) });
      p.status = verdict;
      list.children[i].className = verdict;
      status(`${verdict} → prototype "${out.prototype.name}" v${out.prototype.version} (${out.prototype.positives} examples, ${out.prototype.negatives} negatives)`);
      redraw();
      await loadPrototypes();
    } catch (err) {
      status(err.message, true);
    }
  };
  const row = (f, i) => {
    const li = document.createElement('li');
    li.tabIndex = -1;
    const p = f.properties;
    const where = p.lat != null ? ` at ${p.lat.toFixed(5)}, ${p.lon.toFixed(5)}` : '';
    const label = document.createElement('span');
    label.textContent = `${p.query} ${p.score.toFixed(2)}${where}`;
    label.addEventListener('click', () => select(i, true));
    const ok = document.createElement('button');
    ok.type = 'button'; ok.textContent = '✓'; ok.setAttribute('aria-label', `confirm detection ${i + 1}`);
    ok.addEventListener('click', () => feedback(i, 'confirmed'));
    const no = document.createElement('button');
    no.type = 'button'; no.textContent = '✗'; no.setAttribute('aria-label', `reject detection ${i + 1}`);
    no.addEventListener('click', () => feedback(i, 'rejected'));
    li.append(label, ok, no);
    return li;
  };
  async function loadPrototypes() {
    const keep = protoSelect.value;
    const { prototypes } = await callTool('list_prototypes', {});
    protoSelect.replaceChildren(new Option('(none)', ''), ...prototypes.map((p) => new Option(`${p.name} v${p.version}`, p.name)));
    protoSelect.value = keep;
  }

  document.getElementById('draw-region').addEventListener('click', async () => {
    status('drag a box on the map (Esc cancels)');
    region = await drawBox(map);
    document.getElementById('detect-region').textContent = region ? region.map((v) => v.toFixed(4)).join(', ') : 'the map view';
    status('');
  });
  document.getElementById('clear-region').addEventListener('click', () => {
    region = null;
    setOverlay(map, 'region', []);
    document.getElementById('detect-region').textContent = 'the map view';
  });
  document.getElementById('detect-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = document.getElementById('detect-text').value.trim();
    const proto = protoSelect.value;
    const queries = [...(text ? [{ text }] : []), ...(proto ? [{ prototype: proto }] : [])];
    if (!queries.length) return status('Type what to detect, or pick a prototype.', true);
    const thr = document.getElementById('detect-threshold').value;
    status('detecting…');
    try {
      const exhaustive = document.getElementById('detect-exhaustive').checked;
      const out = await callTool('detect_in_region', { queries, bbox: region ?? viewBox(map), exhaustive, ...(thr ? { threshold: Number(thr) } : {}) });
      feats = out.features.map((f) => ({ ...f, properties: { ...f.properties, status: 'new', ...(proto && f.properties.query === proto ? { prototype: proto } : {}) } }));
      const searched = out.searched.mode === 'gated' ? ` (searched ${Math.round(out.searched.coverage * 100)} % of the region, where stored tiles match)` : '';
      status(`${feats.length} detections in ${out.images.length} image(s): ${Object.entries(out.counts).map(([k, v]) => `${k} ${v}`).join(', ')}${searched}`);
    } catch (err) {
      return status(err.message, true);
    }
    list.replaceChildren(...feats.map(row));
    exportBtn.disabled = !feats.length;
    selected = -1;
    redraw();
    if (feats.length) select(0);
  });
  exportBtn.addEventListener('click', () => {
    const blob = new Blob([JSON.stringify({ type: 'FeatureCollection', features: feats }, null, 1)], { type: 'application/geo+json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = 'detections.geojson';
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  });
  window.addEventListener('keydown', (e) => {
    if (document.getElementById('panel-detect').hidden || e.target.closest('input, textarea, select') || e.ctrlKey || e.metaKey || e.altKey) return;
    const acts = { j: () => select(selected + 1, true), k: () => select(selected - 1, true), f: () => select(selected, true), c: () => feedback(selected, 'confirmed'), x: () => feedback(selected, 'rejected') };
    if (acts[e.key] && selected >= 0) { e.preventDefault(); acts[e.key](); }
  });
  return { loadPrototypes };
}

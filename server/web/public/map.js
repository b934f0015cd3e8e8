// The map: a basemap-free style (works offline), each catalogued scene as server-rendered XYZ
// tiles under its footprint, and GeoJSON layers for search hits, detections and the drawn region.
import * as maplibregl from '/vendor/maplibre-gl/maplibre-gl.mjs';
import { authHeaders } from './api.js';

const EMPTY = { type: 'FeatureCollection', features: [] };
const STYLE = { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#1d2430' } }] };

/** Creates the map in #map; resolves once its style is loaded. */
export function createMap() {
  const map = new maplibregl.Map({
    container: 'map', style: STYLE, center: [0, 20], zoom: 1.5, attributionControl: false,
    // Map tiles sit behind the same bearer token as the tools.
    transformRequest: (url) => (url.startsWith(location.origin) ? { url, headers: authHeaders() } : { url }),
    canvasContextAttributes: { preserveDrawingBuffer: true },
  });
  map.addControl(new maplibregl.NavigationControl(), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  map.boxZoom.disable();
  return new Promise((resolve) => map.on('load', () => { addOverlays(map); resolve(map); }));
}

function addOverlays(map) {
  for (const id of ['scenes', 'hits', 'detections', 'region']) map.addSource(id, { type: 'geojson', data: EMPTY });
  map.addLayer({ id: 'scenes-line', type: 'line', source: 'scenes', paint: { 'line-color': '#4aa3ff', 'line-width': 1.5 } });
  map.addLayer({ id: 'hits-line', type: 'line', source: 'hits', paint: { 'line-color': '#ffd60a', 'line-width': ['case', ['boolean', ['get', 'selected'], false], 4, 2] } });
  const color = ['match', ['get', 'status'], 'confirmed', '#34c759', 'rejected', '#8e8e93', '#ff3b30'];
  map.addLayer({ id: 'detections-fill', type: 'fill', source: 'detections', paint: { 'fill-color': color, 'fill-opacity': 0.25 } });
  map.addLayer({ id: 'detections-line', type: 'line', source: 'detections', paint: { 'line-color': color, 'line-width': ['case', ['boolean', ['get', 'selected'], false], 4, 2.5] } });
  map.addLayer({ id: 'region-line', type: 'line', source: 'region', paint: { 'line-color': '#ffffff', 'line-width': 1.5, 'line-dasharray': [3, 2] } });
}

/** Adds every scene: its pixels as a raster layer (below the overlays) and its footprint. */
export function showScenes(map, images) {
  const feats = [];
  for (const img of images) {
    if (!img.footprint || !img.bbox) continue;
    feats.push({ type: 'Feature', geometry: img.footprint, properties: { image_id: img.image_id } });
    const src = `scene-${img.image_id}`;
    if (map.getSource(src)) continue;
    map.addSource(src, { type: 'raster', tiles: [`${location.origin}/map/tiles/${encodeURIComponent(img.image_id)}/{z}/{x}/{y}.png`], tileSize: 256, bounds: img.bbox, maxzoom: 22 });
    map.addLayer({ id: src, type: 'raster', source: src, paint: { 'raster-fade-duration': 0 } }, 'scenes-line');
  }
  map.getSource('scenes').setData({ type: 'FeatureCollection', features: feats });
  const boxes = images.map((i) => i.bbox).filter(Boolean);
  if (boxes.length) fitBox(map, [Math.min(...boxes.map((b) => b[0])), Math.min(...boxes.map((b) => b[1])), Math.max(...boxes.map((b) => b[2])), Math.max(...boxes.map((b) => b[3]))], 0);
}

/** Sets a GeoJSON overlay ('hits', 'detections', 'region'). */
export function setOverlay(map, id, features) {
  map.getSource(id).setData({ type: 'FeatureCollection', features });
}

/** The WGS84 box of a polygon or [minLon, minLat, maxLon, maxLat]. */
export function boxOf(geom) {
  if (Array.isArray(geom)) return geom;
  const pts = geom.coordinates.flat();
  return [Math.min(...pts.map((p) => p[0])), Math.min(...pts.map((p) => p[1])), Math.max(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[1]))];
}

/** Flies to a box, keeping at least ~120 m of context around small objects. */
export function fitBox(map, box, duration = 600) {
  const [x0, y0, x1, y1] = box;
  const pad = Math.max(0, 0.0011 - (y1 - y0)) / 2;
  map.fitBounds([[x0 - pad, y0 - pad], [x1 + pad, y1 + pad]], { padding: 40, duration, maxZoom: 20 });
}

/** The map view as a WGS84 bbox. */
export function viewBox(map) {
  const b = map.getBounds();
  return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
}

/**
 * Lets the user drag a box on the map once; resolves with its WGS84 bbox (or null on Escape).
 * Map panning is off while drawing.
 */
export function drawBox(map) {
  return new Promise((resolve) => {
    const canvas = map.getCanvasContainer();
    document.body.classList.add('drawing');
    map.dragPan.disable();
    let start = null;
    const lngLat = (e) => { const r = canvas.getBoundingClientRect(); return map.unproject([e.clientX - r.left, e.clientY - r.top]); };
    const ring = (a, b) => [[a.lng, a.lat], [b.lng, a.lat], [b.lng, b.lat], [a.lng, b.lat], [a.lng, a.lat]];
    const down = (e) => { start = lngLat(e); };
    const move = (e) => { if (start) setOverlay(map, 'region', [{ type: 'Feature', geometry: { type: 'Polygon', coordinates: [ring(start, lngLat(e))] }, properties: {} }]); };
    const finish = (box) => {
      canvas.removeEventListener('mousedown', down); canvas.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up); window.removeEventListener('keydown', key);
      document.body.classList.remove('drawing');
      map.dragPan.enable();
      resolve(box);
    };
    const up = (e) => {
      if (!start) return;
      const end = lngLat(e);
      finish([Math.min(start.lng, end.lng), Math.min(start.lat, end.lat), Math.max(start.lng, end.lng), Math.max(start.lat, end.lat)]);
    };
    const key = (e) => { if (e.key === 'Escape') { setOverlay(map, 'region', []); finish(null); } };
    canvas.addEventListener('mousedown', down);
    canvas.addEventListener('mousemove', move);
    window.addEventListener('mouseup', up);
    window.addEventListener('keydown', key);
  });
}

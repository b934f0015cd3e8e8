// Entry point: the map with the catalogued scenes, then the panels. `window.geoscout` exposes
// the map and panel handles for the browser tests and for poking around in the console.
import { callTool, status } from './api.js';
import { initChat } from './chat.js';
import { initDetect } from './detect.js';
import { initJobs } from './jobs.js';
import { createMap, showScenes } from './map.js';
import { initSearch } from './search.js';

function initTabs(onShow) {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const show = (tab) => {
    for (const t of tabs) {
      t.setAttribute('aria-selected', String(t === tab));
      document.getElementById(t.getAttribute('aria-controls')).hidden = t !== tab;
    }
    onShow(tab.id);
  };
  for (const t of tabs) t.addEventListener('click', () => show(t));
}

async function main() {
  const map = await createMap();
  const jobs = initJobs();
  initTabs((id) => { if (id === 'tab-jobs') void jobs.refresh(); });
  initSearch(map);
  const detect = initDetect(map);
  const { images } = await callTool('list_images', { limit: 1000 });
  showScenes(map, images);
  status(`${images.length} scene(s)`);
  await Promise.all([detect.loadPrototypes(), initChat(map)]);
  window.geoscout = { map, images, ready: true };
}

main().catch((err) => status(err.message, true));

// Jobs panel: ingest and retraining jobs with live progress (polled while the panel is open)
// and a cancel button (get_job with cancel: true).
import { callTool, fetchJson, status } from './api.js';

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** Starts polling the jobs list whenever the panel is visible. */
export function initJobs() {
  const panel = document.getElementById('panel-jobs');
  const body = document.querySelector('#jobs tbody');
  const refresh = async () => {
    if (panel.hidden) return;
    try {
      const { jobs } = await fetchJson('/api/jobs');
      body.replaceChildren(...jobs.map((j) => {
        const tr = document.createElement('tr');
        const cells = [j.job_id, j.kind, `${j.status}${j.message ? ` — ${j.message}` : ''}`];
        for (const t of cells) { const td = document.createElement('td'); td.textContent = t; tr.append(td); }
        const prog = document.createElement('progress');
        prog.max = 1; prog.value = j.progress;
        prog.setAttribute('aria-label', `${Math.round(j.progress * 100)}%`);
        const tdp = document.createElement('td'); tdp.append(prog); tr.append(tdp);
        const tdc = document.createElement('td');
        if (!FINAL.has(j.status)) {
          const b = document.createElement('button');
          b.type = 'button'; b.textContent = 'Cancel'; b.setAttribute('aria-label', `cancel ${j.job_id}`);
          b.addEventListener('click', async () => {
            try { await callTool('get_job', { job_id: j.job_id, cancel: true }); status(`cancelled ${j.job_id}`); } catch (err) { status(err.message, true); }
            void refresh();
          });
          tdc.append(b);
        }
        tr.append(tdc);
        return tr;
      }));
    } catch (err) {
      status(err.message, true);
    }
  };
  setInterval(refresh, 2000);
  return { refresh };
}

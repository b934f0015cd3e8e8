// Chat panel: the agent (configured LLM) streams its answer and tool calls; every citation is a
// link that flies the map to the tile/image or opens the document page's figures. Answers and
// document text are untrusted: written as text, never as HTML.
import { callTool, fetchJson, postEvents, status } from './api.js';
import { fitBox, setOverlay } from './map.js';

const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };

/** A citation's link text: what it is and where/when. */
function citationLabel(c) {
  if (c.kind === 'document') return `${c.title ?? c.doc_id}${c.page ? ` p.${c.page}` : ''}${c.figure ? ` ${c.figure}` : ''}`;
  const where = c.lat != null ? ` ${c.lat.toFixed(4)}, ${c.lon.toFixed(4)}` : '';
  return `${c.tile_id ?? c.image_id}${where}${c.acquired_at ? ` ${c.acquired_at.slice(0, 10)}` : ''}${c.sensor ? ` ${c.sensor}` : ''}`;
}

/** Opens the cited document page: its figures (thumbnails, captions) and passages from that page. */
async function openDocument(c, question) {
  const body = document.getElementById('doc-body');
  body.replaceChildren(el('p', 'hint', 'loading…'));
  document.getElementById('doc-dialog').showModal();
  try {
    const out = await callTool('get_document_context', { doc_id: c.doc_id, query: question, max_figures: 6, max_passages: 8 });
    const onPage = (x) => !c.page || x.citation.page === c.page;
    const figs = out.figures.filter(onPage);
    const parts = [el('h2', '', citationLabel(c)), el('p', 'hint', out.notice)];
    for (const f of figs) {
      if (f.thumbnail_png_base64) { const img = el('img'); img.src = `data:image/png;base64,${f.thumbnail_png_base64}`; img.alt = f.caption ?? 'figure'; parts.push(img); }
      parts.push(el('p', '', `${f.caption ?? ''} (p.${f.citation.page})`));
    }
    for (const p of out.passages.filter(onPage)) parts.push(el('blockquote', '', p.text));
    body.replaceChildren(...parts);
  } catch (err) {
    body.replaceChildren(el('p', 'msg error', err.message));
  }
}

/** Wires the chat form; checks whether an LLM is configured. */
export async function initChat(map) {
  const log = document.getElementById('chat-log');
  const form = document.getElementById('chat-form');
  const input = document.getElementById('chat-input');
  const history = [];
  const st = await fetchJson('/api/chat/status').catch((err) => ({ configured: false, message: err.message }));
  document.getElementById('chat-status').textContent = st.configured
    ? `Agent: ${st.provider} ${st.model}`
    : `No chat model configured, so the chat is off (search and detect still work). ${st.message} Then restart \`geoscout serve\`.`;
  form.querySelector('button').disabled = !st.configured;

  const citationLink = (c, question) => {
    const a = el('a', '', citationLabel(c));
    a.href = '#';
    a.dataset.kind = c.kind;
    a.addEventListener('click', (e) => {
      e.preventDefault();
      if (c.kind === 'document') return void openDocument(c, question);
      if (c.lon == null) return status('this citation has no map position (pixel-only image)', true);
      const d = 0.0004;
      setOverlay(map, 'hits', [{ type: 'Feature', geometry: { type: 'Polygon', coordinates: [[[c.lon - d, c.lat - d], [c.lon + d, c.lat - d], [c.lon + d, c.lat + d], [c.lon - d, c.lat + d], [c.lon - d, c.lat - d]]] }, properties: { selected: true } }]);
      fitBox(map, [c.lon - d, c.lat - d, c.lon + d, c.lat + d]);
    });
    return a;
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const question = input.value.trim();
    if (!question) return;
    input.value = '';
    log.append(el('div', 'msg user', question));
    const answer = el('div', 'msg assistant', '');
    log.append(answer);
    let streamed = '';
    try {
      await postEvents('/api/chat', { question, history }, (event, data) => {
        if (event === 'token') { streamed += data.text; answer.textContent = streamed; }
        else if (event === 'tool_call') log.insertBefore(el('div', 'msg tool', `→ ${data.name} ${JSON.stringify(data.args).slice(0, 160)}`), answer);
        else if (event === 'tool_result') log.insertBefore(el('div', 'msg tool', `${data.ok ? '✓' : '✗'} ${data.name}: ${data.summary.slice(0, 160)}`), answer);
        else if (event === 'error') { answer.className = 'msg error'; answer.textContent = data.message; }
        else if (event === 'done') {
          answer.textContent = data.answer;
          const cites = el('div', 'citations');
          cites.append(...data.citations.map((c) => citationLink(c, question)));
          answer.append(cites);
          history.push({ role: 'user', content: question }, { role: 'assistant', content: data.answer });
        }
      });
    } catch (err) {
      answer.className = 'msg error';
      answer.textContent = err.message;
    }
  });
}

// Calls to the geoscout server: the same tool registry as MCP and REST (POST /api/tools/{name}),
// with the bearer token from #token=… or the token dialog (kept for this browser tab only).

const TOKEN_KEY = 'geoscout.token';

/** The bearer token: from the URL fragment (then removed from the address bar) or this tab's storage. */
export function token() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

/** Headers for every API call. */
export function authHeaders() {
  const t = token();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

/** Asks for the token in a dialog; resolves once one is entered. */
export function askToken() {
  const dialog = document.getElementById('token-dialog');
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      sessionStorage.setItem(TOKEN_KEY, document.getElementById('token-input').value.trim());
      resolve();
    }, { once: true });
    if (!dialog.open) dialog.showModal();
  });
}

/** An error from the server, with its code (INVALID_INPUT, NOT_FOUND, …). */
export class ApiError extends Error {
  constructor(code, message) { super(message); this.code = code; }
}

/** GET/POST JSON; a 401 asks for the token once and retries. */
export async function fetchJson(path, init = {}, retried = false) {
  const res = await fetch(path, { ...init, headers: { 'content-type': 'application/json', ...authHeaders(), ...(init.headers ?? {}) } });
  if (res.status === 401 && !retried) {
    await askToken();
    return fetchJson(path, init, true);
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(body.error?.code ?? String(res.status), body.error?.message ?? res.statusText);
  return body;
}

/** Calls a tool by name with its JSON input; returns its structured output. */
export function callTool(name, input, signal) {
  return fetchJson(`/api/tools/${name}`, { method: 'POST', body: JSON.stringify(input), signal });
}

/**
 * POSTs and reads a server-sent event stream (EventSource cannot POST or send headers):
 * calls onEvent(name, data) per event until the stream ends.
 */
export async function postEvents(path, body, onEvent, signal) {
  const res = await fetch(path, { method: 'POST', body: JSON.stringify(body), signal, headers: { 'content-type': 'application/json', ...authHeaders() } });
  if (!res.ok || !res.body) {
    const err = await res.json().catch(() => ({}));
    throw new ApiError(err.error?.code ?? String(res.status), err.error?.message ?? res.statusText);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let cut;
    while ((cut = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      if (data) onEvent(event, JSON.parse(data));
    }
  }
}

/** Shows a line in the header's status area (errors stay until the next message). */
export function status(text, isError = false) {
  const el = document.getElementById('status');
  el.textContent = text;
  el.style.color = isError ? '#ff8a80' : '';
}

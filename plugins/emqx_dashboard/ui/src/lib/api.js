// Talks to /api/v4 with HTTP Basic of the logged-in dashboard user (no token, as EMQX).
// A 401 logs out; a non-zero `code` becomes an ApiError with EMQX's message.
import { signal } from './signal.js';

const KEY = 'nemq.dashboard.user';
const stored = () => {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || localStorage.getItem(KEY) || 'null');
  } catch {
    return null;
  }
};

/** { username, password } or null */
export const session = signal(stored());
/** true while the default user still has the shipped password */
export const defaultPassword = signal(false);

export class ApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

const MESSAGES = {
  101: 'RPC error', 102: 'Unknown error', 103: 'Username or password error', 104: 'Empty username or password',
  105: 'User does not exist', 106: 'Admin can not be deleted', 107: 'Missing request parameter',
  108: 'Request parameter type error', 109: 'Request parameter is not JSON', 110: 'Plugin has been loaded',
  111: 'Plugin has been unloaded', 112: 'Client not online', 113: 'User already exists', 114: 'Old password error',
  115: 'Bad topic', 116: 'Bad QoS',
};

export function login(username, password, remember) {
  const u = { username, password };
  (remember ? localStorage : sessionStorage).setItem(KEY, JSON.stringify(u));
  session.value = u;
}

export function logout() {
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
  session.value = null;
  defaultPassword.value = false;
}

/** the whole reply ({code, data, meta}); throws ApiError */
export async function request(method, path, body, { auth = true, timeout = 10000 } = {}) {
  const headers = {};
  const u = session.value;
  if (auth && u) headers.authorization = 'Basic ' + btoa(unescape(encodeURIComponent(`${u.username}:${u.password}`)));
  if (body !== undefined) headers['content-type'] = 'application/json';
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeout);
  let res;
  try {
    res = await fetch('/api/v4' + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: ctl.signal });
  } catch (err) {
    throw new ApiError(-1, err.name === 'AbortError' ? 'Request timed out' : `Network error: ${err.message}`, 0);
  } finally {
    clearTimeout(timer);
  }
  if (res.status === 401 && auth) {
    logout();
    throw new ApiError(-1, 'Please log in again', 401);
  }
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ApiError(-1, res.status === 404 ? `Not found: ${path.split('?')[0]}. The plugin that serves it is not loaded (most pages need emqx_management).` : `HTTP ${res.status}: ${text.slice(0, 200)}`, res.status);
  }
  if (json.code !== undefined && json.code !== 0) throw new ApiError(json.code, json.message || MESSAGES[json.code] || `Error ${json.code}`, res.status);
  if (json.code === undefined && json.message) throw new ApiError(-1, json.message, res.status);
  if (json.default_password !== undefined || path === '/users') defaultPassword.value = json.default_password === true;
  return json;
}

export const get = (path) => request('GET', path).then((r) => r.data);
export const put = (path, body) => request('PUT', path, body ?? {});
export const post = (path, body) => request('POST', path, body ?? {});
export const del = (path) => request('DELETE', path);

/** `?a=1&b=2` without empty values */
export function qs(params) {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') s.set(k, String(v));
  const t = s.toString();
  return t ? `?${t}` : '';
}

export const enc = encodeURIComponent;

/**
 * EMQX answers per node: [{node, <key>: [...]}] (plugins, listeners, alarms) or [{node, <key>: {...}}]
 * (stats, metrics); rows get their node name. A flat list is taken as it is.
 */
export function perNode(data, key) {
  if (!Array.isArray(data)) return [];
  const out = [];
  for (const n of data) {
    if (n && Array.isArray(n[key])) for (const r of n[key]) out.push({ node: n.node, ...r });
    else if (n && n[key] === undefined) out.push(n);
  }
  return out;
}

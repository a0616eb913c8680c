// HTTP calls to /api/ with the bearer token kept in localStorage (no CSRF needed then).

const TOKEN_KEY = "cl.token";
const USER_KEY = "cl.username";

export class ApiError extends Error {
  constructor(status, body) {
    const detail = body && (body.message || body.detail);
    super(typeof detail === "string" ? detail : `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.code) || STATUS_CODES[status] || "internal";
    this.body = body;
  }
}

const STATUS_CODES = { 400: "bad_request", 401: "auth_required", 403: "forbidden", 404: "not_found", 409: "conflict", 422: "bad_request", 429: "rate_limited" };

export function token() {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function storedUsername() {
  try {
    return localStorage.getItem(USER_KEY);
  } catch {
    return null;
  }
}

export function saveAuth(tok, username) {
  if (tok) localStorage.setItem(TOKEN_KEY, tok);
  else localStorage.removeItem(TOKEN_KEY);
  if (username) localStorage.setItem(USER_KEY, username);
  else localStorage.removeItem(USER_KEY);
}

export async function api(method, path, body, { raw = false } = {}) {
  const headers = { Accept: "application/json" };
  const tok = token();
  if (tok) headers.Authorization = `Bearer ${tok}`;
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(`/api/${path.replace(/^\//, "")}`, init);
  if (raw) {
    if (!res.ok) throw new ApiError(res.status, null);
    return res;
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { message: text.slice(0, 200) };
    }
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** PUT a file as the raw body (a picture): its own Content-Type, the bearer token. */
export async function upload(path, file) {
  const headers = { Accept: "application/json", "Content-Type": file.type || "application/octet-stream" };
  const tok = token();
  if (tok) headers.Authorization = `Bearer ${tok}`;
  const res = await fetch(`/api/${path.replace(/^\//, "")}`, { method: "PUT", headers, body: file, credentials: "same-origin" });
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const get = (path) => api("GET", path);
export const post = (path, body = {}) => api("POST", path, body);
export const patch = (path, body = {}) => api("PATCH", path, body);
export const del = (path) => api("DELETE", path);

export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") u.set(k, v);
  const s = u.toString();
  return s ? `?${s}` : "";
}

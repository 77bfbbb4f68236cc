// Calls to the service. The API key lives in this tab's sessionStorage only (never in a URL,
// a cookie or localStorage) and goes with every call in the Authorization header.

const KEY_NAME = "matching.apiKey";
// The API sits one level above the page (/ui/ -> /), also behind a proxy that adds a prefix.
const BASE = new URL("../", document.baseURI);

export function storedKey() {
  return sessionStorage.getItem(KEY_NAME);
}

export function keepKey(key) {
  sessionStorage.setItem(KEY_NAME, key);
}

export function forgetKey() {
  sessionStorage.removeItem(KEY_NAME);
}

/** An error answer of the service: its code, message, remedy and request id. */
export class ApiError extends Error {
  constructor(status, body) {
    const known = body && typeof body === "object" && "code" in body;
    super(known ? body.message : `The service answered ${status}.`);
    this.status = status;
    this.code = known ? body.code : `HTTP ${status}`;
    this.remedy = known ? body.remedy : "";
    this.requestId = known ? body.request_id : null;
  }
}

/**
 * Call the service. `json` is sent as a JSON body, `form` (FormData) as multipart; `key`
 * overrides the stored key (signing in). Returns `{data, requestId}`; throws ApiError.
 * A refused stored key (401) sends the reader back to the sign-in page.
 */
export async function call(path, { method = "GET", json, form, key } = {}) {
  const headers = { Authorization: `Bearer ${key ?? storedKey() ?? ""}` };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  const response = await fetch(new URL(path.replace(/^\//, ""), BASE), {
    method,
    headers,
    body,
    credentials: "omit",
    cache: "no-store",
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    if (response.status === 401 && key === undefined) {
      forgetKey();
      window.location.replace("login.html");
    }
    throw new ApiError(response.status, data);
  }
  return { data, requestId: response.headers.get("x-request-id") };
}

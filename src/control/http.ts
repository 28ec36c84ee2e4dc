/**
 * The HTTP plumbing of the control API: JSON answers, one-line errors, bounded bodies.
 *
 * @module
 */

/** Thrown inside a handler to answer with a status and a one-line error. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers?: HeadersInit) {
    super(message);
  }
}

export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ").trim();
}

export function json(status: number, body: unknown, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/json; charset=utf-8");
  h.set("cache-control", "no-store");
  return new Response(status === 204 ? null : JSON.stringify(body) + "\n", { status, headers: h });
}

export function failure(status: number, message: string, headers?: HeadersInit): Response {
  return json(status, { error: oneLine(message) || `HTTP ${status}` }, headers);
}

/** Reads a request body as text, refusing more than `limit` bytes (413). */
export async function readBody(request: Request, limit: number): Promise<string> {
  const length = Number(request.headers.get("content-length") ?? "0");
  if (length > limit) throw new HttpError(413, `body is larger than ${limit} bytes`);
  if (!request.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `body is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(all);
  } catch {
    throw new HttpError(400, "body is not UTF-8 text");
  }
}

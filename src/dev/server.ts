/**
 * {@link serveDev}: the dev web UI's server (`stream-infer serve`). One page and its assets,
 * a JSON state the page polls, start and stop, the line and zone editor, the live frames as
 * MJPEG, and the control API mounted under `/api/control/`.
 *
 * | request                         | answer                                                  |
 * | ------------------------------- | ------------------------------------------------------- |
 * | `GET /`, `GET /assets/*`        | the page, its script and styles, uPlot                  |
 * | `GET /api/state`                | sources, progress, panels, metrics, shapes, messages    |
 * | `POST /api/start`, `/api/stop`  | start a run from the page's settings; stop it           |
 * | `POST /api/shapes`              | draw a line or zone on the live view (not saved)        |
 * | `POST /api/shapes/save`         | save it into the config YAML's `analytics:`             |
 * | `DELETE /api/shapes/:name`      | stop drawing an unsaved one                             |
 * | `GET /video/:source.mjpg`       | the source's annotated frames, `multipart/x-mixed-replace` |
 * | `/api/control/*`                | the control API (`/sources`, `/healthz`, `/metrics`)    |
 *
 * It listens on 127.0.0.1 unless told otherwise; a non-loopback host needs a token, and the
 * control API's access rule applies to every request (the token as a bearer header, or as
 * the cookie that `/?token=TOKEN` sets).
 *
 * @module
 */
import type { AnnotateHook } from "../draw/annotator.ts";
import { errorMessage, InputError, StreamInferError } from "../errors.ts";
import { controlHandler } from "../control/server.ts";
import { failure, HttpError, json, readBody } from "../control/http.ts";
import { listenOn, parseListen, requestGuard } from "../control/listen.ts";
import { PrometheusExporter } from "../observe/prometheus.ts";
import { type OutputHook, ResultsBoard } from "./board.ts";
import { checkShape, saveShape } from "./editor.ts";
import { FrameHub } from "./frames.ts";
import { mjpegResponse } from "./mjpeg.ts";
import { ASSETS } from "./page.ts";
import { DevSession } from "./session.ts";
import type { StartRequest } from "./settings.ts";
import { devState } from "./state.ts";

/** The port `stream-infer serve` listens on by default. */
export const DEFAULT_DEV_PORT = 8501;

/**
 * Options of {@link serveDev}.
 *
 * @example
 * ```ts
 * import type { DevServerOptions } from "@stream-infer/stream-infer";
 * const o: DevServerOptions = { config: "examples/pipeline.yaml", port: 0, start: true };
 * ```
 */
export interface DevServerOptions {
  /** The config file: its sources and algos fill the page; lines and zones are saved in it. */
  config?: string;
  /** Port (default 8501; 0 for any free one). */
  port?: number;
  /** Host (default 127.0.0.1). A non-loopback host requires {@link DevServerOptions.token}. */
  host?: string;
  /** Every request must carry it (bearer header, or the cookie `/?token=TOKEN` sets). */
  token?: string;
  /** Start the config's run at once. */
  start?: boolean;
  /** Your drawing on the live frames, after the default annotation. */
  annotate?: AnnotateHook;
  /** Formats each algorithm's result for its panel (default: JSON). */
  output?: OutputHook;
  /** Most live images per second and source (default 15). */
  maxFps?: number;
  /** Aborting it stops the run and shuts the server down. */
  signal?: AbortSignal;
}

/**
 * A running dev UI server.
 *
 * @example
 * ```ts
 * import type { DevServer } from "@stream-infer/stream-infer";
 * async function close(server: DevServer) {
 *   console.error(`closing ${server.url}`);
 *   await server.shutdown();
 * }
 * ```
 */
export interface DevServer {
  /** The page's URL, e.g. `http://127.0.0.1:8501`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** The session: the current run, its metrics, start and stop. */
  readonly session: DevSession;
  /** The live view's frames (watchers, encoders). */
  readonly hub: FrameHub;
  /** Resolves once the server has shut down. */
  readonly finished: Promise<void>;
  /** Stops the run, ends every live stream and ffmpeg, and closes the server. */
  shutdown(): Promise<void>;
}

const MAX_BODY = 64 * 1024;
const COOKIE = "stream_infer_token";

/**
 * Starts the dev UI server. Throws {@link InputError} for a bad host, port or token, a
 * non-loopback host without a token, or an address in use.
 *
 * @example
 * ```ts ignore
 * import { serveDev } from "@stream-infer/stream-infer";
 * const server = serveDev({ config: "examples/pipeline.yaml", port: 0 });
 * console.log(`open ${server.url}`);
 * await server.finished;
 * ```
 */
export function serveDev(options: DevServerOptions = {}): DevServer {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? DEFAULT_DEV_PORT;
  let address;
  try {
    address = parseListen(`${host.includes(":") ? `[${host}]` : host}:${port}`, options.token);
  } catch (e) {
    throw new InputError(
      errorMessage(e).replace(/^control listen/, "serve").replace("(control.token)", "(--token)")
        .replace("control token", "--token"),
    );
  }
  const guard = requestGuard(address, options.token);
  const hub = new FrameHub({
    maxFps: options.maxFps,
    annotator: options.annotate ? { annotate: options.annotate } : undefined,
    onError: (source, message) => board.note(`${source}: live view: ${message}`),
  });
  const board = new ResultsBoard(options.output);
  const session = new DevSession({ file: options.config, hub, board });
  const exporter = new PrometheusExporter({ metrics: () => session.metrics() });
  const control = controlHandler({
    target: session,
    createPlayer: session.createPlayer,
    exporter,
    token: options.token,
  }, address);
  const size = (source?: string) => {
    const p = source ? board.progress()[source] : Object.values(board.progress())[0];
    return p?.width && p.height ? { width: p.width, height: p.height } : undefined;
  };

  async function route(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const { pathname } = url;
    const method = request.method;
    if (pathname === "/" && method === "GET" && url.searchParams.has("token")) {
      const token = url.searchParams.get("token")!;
      return new Response(null, {
        status: 303,
        headers: {
          location: "/",
          "set-cookie": `${COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`,
        },
      });
    }
    await guard(withCookieToken(request));
    if (pathname === "/favicon.ico") return new Response(null, { status: 204 });
    if (pathname.startsWith("/api/control/")) {
      const inner = new URL(request.url);
      inner.pathname = pathname.slice("/api/control".length);
      const headers = new Headers(request.headers);
      if (options.token !== undefined) headers.set("authorization", `Bearer ${options.token}`);
      return await control(new Request(inner, { method, headers, body: request.body }));
    }
    if (method === "GET" && (pathname === "/" || pathname.startsWith("/assets/"))) {
      const asset = ASSETS[pathname === "/" ? "/index.html" : pathname.slice("/assets".length)];
      if (!asset) throw new HttpError(404, `no such path: ${pathname}`);
      return new Response(asset.body, {
        headers: { "content-type": asset.type, "cache-control": "no-cache" },
      });
    }
    const video = /^\/video\/([A-Za-z0-9_-]+)\.mjpg$/.exec(pathname);
    if (video && method === "GET") return mjpegResponse(hub.watch(video[1]));
    if (pathname === "/api/state" && method === "GET") {
      return json(200, await devState(session, board, hub));
    }
    if (pathname === "/api/start" && method === "POST") {
      const body = await jsonBody(request) as StartRequest;
      await session.start(body);
      return json(200, await devState(session, board, hub));
    }
    if (pathname === "/api/stop" && method === "POST") {
      await session.stop();
      return json(200, await devState(session, board, hub));
    }
    if (pathname === "/api/shapes" && method === "POST") {
      const body = await jsonBody(request) as { source?: string };
      const shape = checkShape(shapeOf(body), size(body.source));
      await session.setPreview([...session.preview.filter((s) => s.name !== shape.name), shape]);
      return json(200, shape);
    }
    if (pathname === "/api/shapes/save" && method === "POST") {
      if (session.file === undefined) {
        throw new HttpError(409, "no config file to save into: start serve with CONFIG.yaml");
      }
      const body = await jsonBody(request) as { source?: string };
      const shape = checkShape(shapeOf(body), size(body.source));
      await saveShape(session.file, shape);
      await session.setPreview(session.preview.filter((s) => s.name !== shape.name));
      return json(200, shape);
    }
    const shape = /^\/api\/shapes\/([^/]+)$/.exec(pathname);
    if (shape && method === "DELETE") {
      const name = decodeURIComponent(shape[1]);
      await session.setPreview(session.preview.filter((s) => s.name !== name));
      return json(204, null);
    }
    throw new HttpError(404, `no such path: ${method} ${pathname}`);
  }

  async function handle(request: Request): Promise<Response> {
    try {
      return await route(request);
    } catch (e) {
      if (e instanceof HttpError) return failure(e.status, e.message, e.headers);
      if (e instanceof StreamInferError) return failure(400, errorMessage(e));
      if (e instanceof Deno.errors.NotFound) {
        return failure(400, `no such file: ${errorMessage(e)}`);
      }
      return failure(500, errorMessage(e));
    }
  }

  const { server, url } = listenOn(address, handle, "serve");
  let closing: Promise<void> | undefined;
  const shutdown = () =>
    closing ??= (async () => {
      await session.stop().catch(() => {});
      await hub.close();
      await server.shutdown();
    })();
  options.signal?.addEventListener("abort", () => void shutdown(), { once: true });
  if (options.start) {
    session.start({}).catch((e) => board.note(`start: ${errorMessage(e)}`));
  }
  return {
    url,
    port: server.addr.port,
    session,
    hub,
    finished: server.finished,
    shutdown,
  };
}

/** The request with the token cookie as a bearer header (when it has no header of its own). */
function withCookieToken(request: Request): Request {
  if (request.headers.has("authorization")) return request;
  const cookie = request.headers.get("cookie") ?? "";
  const m = new RegExp(`(?:^|;\\s*)${COOKIE}=([^;]*)`).exec(cookie);
  if (!m) return request;
  const headers = new Headers(request.headers);
  let token = m[1];
  try {
    token = decodeURIComponent(token);
  } catch { /* as it is */ }
  headers.set("authorization", `Bearer ${token}`);
  return new Request(request.url, { method: request.method, headers });
}

async function jsonBody(request: Request): Promise<unknown> {
  const text = await readBody(request, MAX_BODY);
  try {
    return JSON.parse(text || "{}");
  } catch (e) {
    throw new HttpError(400, `body is not valid JSON: ${errorMessage(e)}`);
  }
}

/** The analytics entry of an editor request (the page adds `source`, not part of it). */
function shapeOf(body: unknown): unknown {
  if (typeof body !== "object" || body === null) return body;
  const { source: _, ...entry } = body as Record<string, unknown>;
  return entry;
}

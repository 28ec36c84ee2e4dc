/**
 * The control API: an HTTP server that lists, adds and removes a running pipeline's sources,
 * reports health, and serves Prometheus metrics.
 *
 * | request               | answer                                                               |
 * | --------------------- | -------------------------------------------------------------------- |
 * | `GET /healthz`        | 200 `{"status":"ok"}`                                                |
 * | `GET /metrics`        | 200, the Prometheus text format                                      |
 * | `GET /sources`        | 200, `[{id, url, state, fps, frames, dropped, reconnects, error?}]`  |
 * | `POST /sources`       | 201 and the new entry; 400 bad body; 409 the id is taken             |
 * | `GET /sources/:id`    | 200 and the entry; 404 unknown id                                    |
 * | `DELETE /sources/:id` | 204 once removed (its ffmpeg reaped); 404 unknown id                 |
 *
 * Other paths get 404, other methods 405. Every error body is `{"error": "<one line>"}`.
 *
 * It listens on 127.0.0.1 unless told otherwise. With a token, every request needs
 * `Authorization: Bearer TOKEN` (401 otherwise); a non-loopback address requires one. Requests
 * a browser makes from another site are refused (403): a cross-origin `Origin` header, or,
 * on a loopback address, a `Host` that is not loopback (DNS rebinding).
 *
 * @module
 */
import { errorMessage, InputError } from "../errors.ts";
import type { Metrics, SourceMetrics, SourceState } from "../observe/metrics.ts";
import type { Player } from "../source/player.ts";
import { parseSourceSpec, SOURCE_ID, type SourceSpec } from "../source/spec.ts";
import { failure, HttpError, json, readBody } from "./http.ts";
import {
  DEFAULT_CONTROL_PORT,
  type ListenAddress,
  listenOn,
  parseListen,
  requestGuard,
} from "./listen.ts";

export {
  DEFAULT_CONTROL_HOST,
  DEFAULT_CONTROL_PORT,
  type ListenAddress,
  parseListen,
} from "./listen.ts";

const MAX_BODY = 64 * 1024;

/**
 * What the control API drives: a running pipeline. `Inference` provides it.
 *
 * @example
 * ```ts
 * import type { ControlTarget, Metrics } from "@stream-infer/stream-infer";
 * const idle: ControlTarget = {
 *   metrics: (): Metrics => ({
 *     algos: {},
 *     player: { fps: 0, framesRead: 0, framesDropped: 0, reconnects: 0, stalls: 0 },
 *     sources: {},
 *   }),
 *   addSource() {
 *     throw new Error("read-only");
 *   },
 *   removeSource: () => Promise.resolve(false),
 * };
 * ```
 */
export interface ControlTarget {
  /** The run's metrics; `sources` lists every source by id. */
  metrics(): Metrics;
  /**
   * Registers a source with the run, which plays it. Throws `InputError` whose message
   * contains "already" when the id is taken. A source that cannot be opened shows as
   * `failed` in {@link ControlTarget.metrics}; it never ends the run.
   */
  addSource(player: Player, options?: { fps?: number; position?: number }): void;
  /** Removes a source; resolves `false` for an unknown id, else once its ffmpeg is reaped. */
  removeSource(id: string): Promise<boolean>;
}

/**
 * What serves `GET /metrics`; {@link PrometheusExporter} is one.
 *
 * @example
 * ```ts
 * import type { MetricsExporter } from "@stream-infer/stream-infer";
 * const empty: MetricsExporter = {
 *   contentType: "text/plain; version=0.0.4; charset=utf-8",
 *   text: () => Promise.resolve(""),
 * };
 * ```
 */
export interface MetricsExporter {
  /** The `Content-Type` of {@link MetricsExporter.text}. */
  readonly contentType: string;
  /** The metrics, rendered at the time of the call. */
  text(): Promise<string>;
}

/**
 * One source as `GET /sources` lists it.
 *
 * @example
 * ```ts
 * import type { SourceEntry } from "@stream-infer/stream-infer";
 * const e: SourceEntry = {
 *   id: "gate",
 *   url: "rtsp://127.0.0.1:8554/gate",
 *   state: "playing",
 *   fps: 5,
 *   frames: 120,
 *   dropped: 0,
 *   reconnects: 1,
 * };
 * ```
 */
export interface SourceEntry {
  /** The source's id. */
  id: string;
  /** Its path or URL. */
  url: string;
  /** Where it is in its life. */
  state: SourceState;
  /** Frames read per second of wall clock. */
  fps: number;
  /** Frames read. */
  frames: number;
  /** Frames dropped by the realtime player. */
  dropped: number;
  /** Reconnections to a live source. */
  reconnects: number;
  /** Why it failed or was lost, if it did. */
  error?: string;
}

/**
 * Options of {@link serveControl}.
 *
 * @example
 * ```ts
 * import {
 *   type ControlOptions,
 *   type ControlTarget,
 *   FFmpegProducer,
 *   Player,
 *   PrometheusExporter,
 * } from "@stream-infer/stream-infer";
 * declare const target: ControlTarget;
 * const options: ControlOptions = {
 *   target,
 *   createPlayer: (spec) => new Player(new FFmpegProducer(spec.producer), spec.url, { id: spec.id }),
 *   exporter: new PrometheusExporter({ metrics: () => target.metrics() }),
 *   listen: "127.0.0.1:8600",
 * };
 * ```
 */
export interface ControlOptions {
  /** The pipeline the API drives. */
  target: ControlTarget;
  /**
   * Builds the player of a `POST /sources` body (already validated). An `InputError` it
   * throws answers 400.
   */
  createPlayer(spec: SourceSpec): Player;
  /** Serves `GET /metrics`; attach it to the run as an observer for its histograms. */
  exporter: MetricsExporter;
  /**
   * `[HOST:]PORT` (or a bare port number) to listen on: default `127.0.0.1:8600`; port 0
   * picks a free one. A non-loopback host requires {@link ControlOptions.token}.
   */
  listen?: string | number;
  /** When set, every request needs `Authorization: Bearer TOKEN`. */
  token?: string;
  /** Aborting it shuts the server down. */
  signal?: AbortSignal;
}

/**
 * A running control API server.
 *
 * @example
 * ```ts
 * import type { ControlServer } from "@stream-infer/stream-infer";
 * async function stop(server: ControlServer) {
 *   console.error(`closing ${server.url}`);
 *   await server.shutdown();
 * }
 * ```
 */
export interface ControlServer {
  /** Base URL, e.g. `http://127.0.0.1:8600`. */
  readonly url: string;
  /** The address it listens on. */
  readonly hostname: string;
  /** The port it listens on (the one picked, when asked for port 0). */
  readonly port: number;
  /** Resolves once the server has shut down (by {@link ControlServer.shutdown} or the signal). */
  readonly finished: Promise<void>;
  /** Stops accepting connections, lets requests in flight finish, and resolves then. */
  shutdown(): Promise<void>;
}

function toEntry(id: string, s: SourceMetrics): SourceEntry {
  const entry: SourceEntry = {
    id,
    url: s.url,
    state: s.state,
    fps: s.player.fps,
    frames: s.player.framesRead,
    dropped: s.player.framesDropped,
    reconnects: s.player.reconnects,
  };
  if (s.error !== undefined) entry.error = s.error;
  return entry;
}

/**
 * The control API's request handler (every route of the module docs, behind
 * {@link requestGuard}), for a server listening at `address`. {@link serveControl} serves it;
 * the dev UI mounts it under a path of its own.
 *
 * @example
 * ```ts
 * import { parseListen } from "./listen.ts";
 * import { controlHandler, type ControlOptions } from "./server.ts";
 * declare const options: ControlOptions;
 * const handle = controlHandler(options, parseListen("127.0.0.1:0"));
 * console.log((await handle(new Request("http://127.0.0.1/healthz"))).status); // 200
 * ```
 */
export function controlHandler(
  options: Omit<ControlOptions, "listen" | "signal">,
  address: ListenAddress,
): (request: Request) => Promise<Response> {
  const { target, createPlayer, exporter, token } = options;
  const authorize = requestGuard(address, token);
  const allowed = (methods: string[]) => ({ allow: methods.join(", ") });

  async function addSource(request: Request): Promise<Response> {
    const text = await readBody(request, MAX_BODY);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      throw new HttpError(400, `body is not valid JSON: ${errorMessage(e)}`);
    }
    let spec: SourceSpec;
    try {
      spec = parseSourceSpec(body);
    } catch (e) {
      if (e instanceof InputError) throw new HttpError(400, e.message);
      throw e;
    }
    if (Object.hasOwn(target.metrics().sources, spec.id)) {
      throw new HttpError(409, `source '${spec.id}' already exists (DELETE it first)`);
    }
    let player: Player;
    try {
      player = createPlayer(spec);
    } catch (e) {
      if (e instanceof InputError) throw new HttpError(400, e.message);
      throw e;
    }
    try {
      target.addSource(player, { fps: spec.fps, position: spec.position });
    } catch (e) {
      if (e instanceof InputError) {
        throw new HttpError(/already/i.test(e.message) ? 409 : 400, e.message);
      }
      throw e;
    }
    const now = target.metrics().sources;
    const entry: SourceEntry = Object.hasOwn(now, spec.id) ? toEntry(spec.id, now[spec.id]) : {
      id: spec.id,
      url: spec.url,
      state: "waiting",
      fps: 0,
      frames: 0,
      dropped: 0,
      reconnects: 0,
    };
    return json(201, entry, { location: `/sources/${encodeURIComponent(spec.id)}` });
  }

  async function route(request: Request): Promise<Response> {
    await authorize(request);
    const { pathname } = new URL(request.url);
    const method = request.method === "HEAD" ? "GET" : request.method;
    if (pathname === "/healthz") {
      if (method !== "GET") throw new HttpError(405, "use GET", allowed(["GET", "HEAD"]));
      return json(200, { status: "ok" });
    }
    if (pathname === "/metrics") {
      if (method !== "GET") throw new HttpError(405, "use GET", allowed(["GET", "HEAD"]));
      return new Response(await exporter.text(), {
        headers: { "content-type": exporter.contentType, "cache-control": "no-store" },
      });
    }
    if (pathname === "/sources") {
      if (method === "GET") {
        const sources = target.metrics().sources;
        return json(200, Object.entries(sources).map(([id, s]) => toEntry(id, s)));
      }
      if (method === "POST") return await addSource(request);
      throw new HttpError(405, "use GET or POST", allowed(["GET", "HEAD", "POST"]));
    }
    const m = /^\/sources\/([^/]+)$/.exec(pathname);
    if (m) {
      let id: string;
      try {
        id = decodeURIComponent(m[1]);
      } catch {
        throw new HttpError(404, `no such path: ${pathname}`);
      }
      const methods = allowed(["GET", "HEAD", "DELETE"]);
      if (method !== "GET" && method !== "DELETE") {
        throw new HttpError(405, "use GET or DELETE", methods);
      }
      const unknown = new HttpError(404, `no source '${id}'`);
      if (!SOURCE_ID.test(id)) throw unknown;
      if (method === "GET") {
        const sources = target.metrics().sources;
        if (!Object.hasOwn(sources, id)) throw unknown;
        return json(200, toEntry(id, sources[id]));
      }
      if (!(await target.removeSource(id))) throw unknown;
      return json(204, null);
    }
    throw new HttpError(404, `no such path: ${pathname}`);
  }

  async function handle(request: Request): Promise<Response> {
    let response: Response;
    try {
      response = await route(request);
    } catch (e) {
      response = e instanceof HttpError
        ? failure(e.status, e.message, e.headers)
        : failure(500, errorMessage(e));
    }
    if (request.method === "HEAD") {
      return new Response(null, { status: response.status, headers: response.headers });
    }
    return response;
  }

  return handle;
}

/**
 * Starts the control API server. Throws {@link InputError} for a bad `listen` or `token`,
 * a non-loopback address without a token, or an address that is in use or not allowed.
 *
 * @example
 * ```ts
 * import {
 *   FFmpegProducer,
 *   Inference,
 *   Player,
 *   PrometheusExporter,
 *   serveControl,
 * } from "@stream-infer/stream-infer";
 * const inference = new Inference();
 * const exporter = new PrometheusExporter({ metrics: () => inference.metrics() });
 * inference.observe(exporter);
 * const server = serveControl({
 *   target: inference,
 *   exporter,
 *   createPlayer: (spec) =>
 *     new Player(new FFmpegProducer(spec.producer), spec.url, { id: spec.id }),
 *   listen: "127.0.0.1:0",
 * });
 * console.log(`control API on ${server.url}`);
 * // ... run ...
 * await server.shutdown();
 * ```
 */
export function serveControl(options: ControlOptions): ControlServer {
  const address = parseListen(options.listen ?? String(DEFAULT_CONTROL_PORT), options.token);
  const handle = controlHandler(options, address);
  const { server, url } = listenOn(address, handle, "control", options.signal);
  return {
    url,
    hostname: server.addr.hostname,
    port: server.addr.port,
    finished: server.finished,
    shutdown: () => server.shutdown(),
  };
}

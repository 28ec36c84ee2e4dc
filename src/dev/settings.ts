/**
 * The dev UI's start form: {@link StartRequest} (what the page posts) and
 * {@link startSettings}, which lays it over the config file's raw keys. The result is checked
 * by the config's own schema (`parseConfig`), so the page gets the same one-line errors as
 * `stream-infer run`.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import type { Mode } from "../observe/observer.ts";

/**
 * What the page's start button posts. Every key is optional: missing keys keep the config's.
 *
 * @example
 * ```ts
 * import type { StartRequest } from "./settings.ts";
 * const r: StartRequest = {
 *   sources: [{ url: "clip.mp4" }, { id: "cam", url: "rtsp://127.0.0.1:8554/cam" }],
 *   width: 1280, height: 720, fps: 10, format: "rgb24", position: 2, mode: "realtime",
 *   use: [0], plugins: ["motion"],
 * };
 * ```
 */
export interface StartRequest {
  /** Sources: a path or URL each; ids default to `main`, `s2`, `s3`, ... */
  sources?: { id?: string; url: string }[];
  /** Inference frame width (the producer's). */
  width?: number;
  /** Inference frame height. */
  height?: number;
  /** Requested fps. */
  fps?: number;
  /** Colour order / pixel format (`bgr24`, `rgb24`, `gray`, `yuv420p`, `nv12`). */
  format?: string;
  /** Start position in seconds. */
  position?: number;
  /** `offline` or `realtime`. */
  mode?: string;
  /** Indices of the config's algos to run (default: all of them). */
  use?: number[];
  /** More algos: built-in names (`yolo`, `motion`), plugin paths or URLs. */
  plugins?: string[];
  /** Seconds between runs of the algos in `plugins` (default 0.5). */
  interval?: number;
}

const URL_LIKE = /^[a-z][a-z0-9+.-]*:/i;

/** A page path: absolute, or relative to the server's working folder; URLs as they are. */
function pagePath(path: string): string {
  if (URL_LIKE.test(path) || path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path)) return path;
  return `${Deno.cwd()}/${path}`;
}

function numberOf(key: string, value: unknown): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n)) throw new InputError(`${key} must be a number (got '${value}')`);
  return n;
}

/**
 * The config's raw keys with the page's settings laid over them, and the mode to play.
 * Throws {@link InputError} for a malformed request (the config schema checks the rest).
 *
 * @example
 * ```ts
 * import { startSettings } from "./settings.ts";
 * const { raw, mode } = startSettings({ algos: [{ plugin: "motion" }] }, {
 *   sources: [{ url: "/media/clip.mp4" }], width: 640, plugins: ["yolo"],
 * });
 * console.log(mode, raw.sources, (raw.algos as unknown[]).length); // realtime [{ id: "main", url: "/media/clip.mp4" }] 2
 * ```
 */
export function startSettings(
  config: Record<string, unknown>,
  request: StartRequest,
): { raw: Record<string, unknown>; mode: Mode } {
  if (typeof request !== "object" || request === null || Array.isArray(request)) {
    throw new InputError("the start request must be a JSON object");
  }
  const raw: Record<string, unknown> = { ...config };
  delete raw.control; // the dev server serves the control API itself
  if (request.sources !== undefined) {
    if (!Array.isArray(request.sources) || request.sources.length === 0) {
      throw new InputError("give at least one source (a path or URL)");
    }
    const given = Array.isArray(config.sources) ? config.sources as { id?: string }[] : [];
    raw.sources = request.sources.map((s, i) => {
      const url = typeof s?.url === "string" ? s.url.trim() : "";
      if (!url) throw new InputError(`source ${i + 1}: give a path or URL`);
      const id = typeof s.id === "string" && s.id.trim() ? s.id.trim() : i ? `s${i + 1}` : "main";
      const kept = given.find((g) => g?.id === id) ?? {};
      return { ...kept, id, url: pagePath(url) };
    });
    delete raw.source;
  }
  const producer = { ...(raw.producer as Record<string, unknown> ?? {}) };
  const width = numberOf("width", request.width);
  const height = numberOf("height", request.height);
  if (width !== undefined) producer.width = width;
  if (height !== undefined) producer.height = height;
  if (request.format) producer.format = request.format;
  if (Object.keys(producer).length) raw.producer = producer;
  const fps = numberOf("fps", request.fps);
  if (fps !== undefined) raw.fps = fps;
  const position = numberOf("position", request.position);
  if (position !== undefined) raw.position = position;
  const configAlgos = Array.isArray(config.algos) ? config.algos : [];
  const used = request.use === undefined ? configAlgos : request.use.map((i) => {
    if (!Number.isInteger(i) || !configAlgos[i]) throw new InputError(`no config algo #${i}`);
    return configAlgos[i];
  });
  const interval = numberOf("interval", request.interval) ?? 0.5;
  const extra = (request.plugins ?? []).map((p) => String(p).trim()).filter((p) => p)
    .map((plugin) => ({ plugin: isBareName(plugin) ? plugin : pagePath(plugin), interval }));
  raw.algos = [...used, ...extra];
  // lines and zones on an algo left out are left out too
  const nameOf = (a: unknown) => (a as { name?: unknown })?.name;
  const dropped = new Set(configAlgos.filter((a) => !used.includes(a)).map(nameOf));
  if (Array.isArray(raw.analytics)) {
    raw.analytics = raw.analytics.filter((a) => !dropped.has((a as { on?: unknown })?.on));
    if ((raw.analytics as unknown[]).length === 0) delete raw.analytics;
  }
  const mode = request.mode ?? (config.mode === "offline" ? "offline" : "realtime");
  if (mode !== "offline" && mode !== "realtime") {
    throw new InputError(`mode must be offline or realtime (got '${mode}')`);
  }
  raw.mode = mode;
  return { raw, mode };
}

/** A built-in plugin's name (no path separator, no extension, no scheme). */
function isBareName(plugin: string): boolean {
  return /^[a-z][a-z0-9_-]*$/i.test(plugin);
}

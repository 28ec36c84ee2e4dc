/**
 * {@link SourceSpec}: one source of a pipeline as plain data (a config's `sources:` entry, or
 * the body of the control API's `POST /sources`), and its one validation.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import { PIXEL_FORMATS, type PixelFormat } from "../frame.ts";

/** What a source id may contain. */
export const SOURCE_ID: RegExp = /^[A-Za-z0-9_-]+$/;

/**
 * The frame size and format a source is decoded to.
 *
 * @example
 * ```ts
 * import type { ProducerSpec } from "@stream-infer/stream-infer";
 * const p: ProducerSpec = { width: 640, format: "rgb24" };
 * ```
 */
export interface ProducerSpec {
  /** Output width in pixels (default: the source's, or scaled to `height`). */
  width?: number;
  /** Output height in pixels. */
  height?: number;
  /** Pixel format (default `bgr24`). */
  format?: PixelFormat;
  /** Where a file is decoded: `auto` (in this process when it can) or `ffmpeg` (a spawned
   * ffmpeg); see `ProducerOptions.decoding`. */
  decoding?: "auto" | "ffmpeg";
}

/**
 * One source as plain data.
 *
 * @example
 * ```ts
 * import type { SourceSpec } from "@stream-infer/stream-infer";
 * const gate: SourceSpec = { id: "gate", url: "rtsp://127.0.0.1:8554/gate", fps: 5 };
 * ```
 */
export interface SourceSpec {
  /** Unique id, `[A-Za-z0-9_-]+`; records carry it as `source`. */
  id: string;
  /** Path, URL (`rtsp://`, `rtmp://`, `http(s)://`, `udp://`, ...) or device. */
  url: string;
  /** Requested fps (default: the source's). */
  fps?: number;
  /** Start position in seconds (files only). */
  position?: number;
  /** Frame size and format (default: the pipeline's). */
  producer?: ProducerSpec;
}

/**
 * A bad key of a spec: `key` and `reason` let a config name the key's own line.
 */
export class FieldError extends InputError {
  /** The key at fault (`width`, `format`, ...). */
  readonly key: string;
  /** What is wrong with it, without the key (`must be ...`). */
  readonly reason: string;
  /** Creates the error; the message is `where: key reason`. */
  constructor(where: string, key: string, reason: string) {
    super(`${where}: ${key} ${reason}`);
    this.key = key;
    this.reason = reason;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function shown(value: unknown): string {
  return typeof value === "string" ? `'${value}'` : JSON.stringify(value) ?? String(value);
}

/**
 * Checks a source id; throws {@link InputError} naming what is wrong.
 *
 * @example
 * ```ts
 * import { checkSourceId } from "@stream-infer/stream-infer";
 * checkSourceId("gate-1"); // fine
 * ```
 */
export function checkSourceId(id: unknown): string {
  if (typeof id !== "string" || !SOURCE_ID.test(id)) {
    throw new FieldError("source", "id", `must match [A-Za-z0-9_-]+ (got ${shown(id)})`);
  }
  return id;
}

/**
 * Validates a producer spec (`width`, `height`, `format`, `decoding`); `where` prefixes the
 * messages.
 *
 * @example
 * ```ts
 * import { parseProducerSpec } from "@stream-infer/stream-infer";
 * console.log(parseProducerSpec({ width: 640 })); // { width: 640 }
 * ```
 */
export function parseProducerSpec(value: unknown, where = "producer"): ProducerSpec {
  if (!isRecord(value)) throw new InputError(`${where} must be a mapping (got ${shown(value)})`);
  const spec: ProducerSpec = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === "width" || key === "height") {
      if (!(Number.isInteger(v) && (v as number) >= 2 && (v as number) <= 16384)) {
        throw new FieldError(where, key, `must be an integer from 2 to 16384 (got ${shown(v)})`);
      }
      spec[key] = v as number;
    } else if (key === "format") {
      const formats = PIXEL_FORMATS.join(", ");
      if (!PIXEL_FORMATS.includes(v as PixelFormat)) {
        throw new FieldError(where, key, `must be one of ${formats} (got ${shown(v)})`);
      }
      spec.format = v as PixelFormat;
    } else if (key === "decoding") {
      if (v !== "auto" && v !== "ffmpeg") {
        throw new FieldError(where, key, `must be auto or ffmpeg (got ${shown(v)})`);
      }
      spec.decoding = v;
    } else {
      throw new FieldError(
        where,
        key,
        "is an unknown key (allowed: width, height, format, decoding)",
      );
    }
  }
  return spec;
}

/**
 * Validates one source as plain data and returns it typed. Throws {@link InputError} with a
 * one-line reason naming the key. The url is only checked for form here; whether it opens is
 * found out when the source is played.
 *
 * @example
 * ```ts
 * import { parseSourceSpec } from "@stream-infer/stream-infer";
 * const spec = parseSourceSpec({ id: "lot", url: "./lot.mp4", fps: 5 });
 * console.log(spec.id, spec.fps); // lot 5
 * ```
 */
export function parseSourceSpec(value: unknown): SourceSpec {
  if (!isRecord(value)) {
    throw new InputError(`a source must be an object with id and url (got ${shown(value)})`);
  }
  const where = typeof value.id === "string" ? `source ${value.id}` : "source";
  for (const key of Object.keys(value)) {
    if (!["id", "url", "fps", "position", "producer"].includes(key)) {
      const allowed = "id, url, fps, position, producer";
      throw new FieldError(where, key, `is an unknown key (allowed: ${allowed})`);
    }
  }
  const id = checkSourceId(value.id);
  const url = value.url;
  if (typeof url !== "string" || url.trim() === "") {
    throw new FieldError(where, "url", `must be a non-empty string (got ${shown(url)})`);
  }
  const spec: SourceSpec = { id, url };
  if (value.fps !== undefined) {
    if (typeof value.fps !== "number" || !(value.fps > 0) || !Number.isFinite(value.fps)) {
      throw new FieldError(where, "fps", `must be a number > 0 (got ${shown(value.fps)})`);
    }
    spec.fps = value.fps;
  }
  if (value.position !== undefined) {
    const p = value.position;
    if (typeof p !== "number" || !(p >= 0) || !Number.isFinite(p)) {
      throw new FieldError(where, "position", `must be a number >= 0 (got ${shown(p)})`);
    }
    spec.position = p;
  }
  if (value.producer !== undefined) {
    spec.producer = parseProducerSpec(value.producer, `source ${id}: producer`);
  }
  return spec;
}

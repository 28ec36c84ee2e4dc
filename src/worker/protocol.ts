/**
 * The messages between a {@link WorkerRunner} (the host) and its worker (`entry.ts`), and the
 * helpers both sides use to encode frames and errors for them.
 *
 * The protocol (all messages are plain objects with a `type`):
 * - worker → host `loaded` once the module graph has been evaluated;
 * - host → worker `init` `{options}` → `ready` `{name}` or `failed` `{error}`;
 * - host → worker `run` `{id, frames, buffers}` → `result` `{id, ok, value | error, buffers}`,
 *   the pixel buffers transferred back so the host can reuse them;
 * - host → worker `dispose` → `disposed` `{error?}`;
 * - worker → host `crashed` `{message}` on an uncaught error or unhandled rejection;
 * - worker → host `unloadable` `{message}` when the plugin module cannot be imported.
 *
 * @module
 */
import type { AlgoContext } from "../algo/algo.ts";
import type { Frame, PixelFormat } from "../frame.ts";

/**
 * Where one frame's pixels are in the buffers of a `run` message.
 *
 * @example
 * ```ts
 * import type { FrameLayout } from "./protocol.ts";
 * const layout: FrameLayout = {
 *   buffer: 0, offset: 0, length: 6, width: 2, height: 1, format: "rgb24", index: 0,
 *   source: "main", time: 0,
 * };
 * ```
 */
export interface FrameLayout {
  /** Index of the buffer in the message's `buffers`. */
  buffer: number;
  /** Byte offset of the frame's pixels in that buffer. */
  offset: number;
  /** Byte length of the frame's pixels. */
  length: number;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Pixel layout. */
  format: PixelFormat;
  /** 0-based index among the frames played. */
  index: number;
  /** The source's id. */
  source: string;
  /** Presentation time in seconds. */
  time: number;
}

/**
 * An error as it crosses the worker boundary.
 *
 * @example
 * ```ts
 * import type { RemoteError } from "./protocol.ts";
 * const e: RemoteError = { name: "TypeError", message: "bad input" };
 * ```
 */
export interface RemoteError {
  /** The error's class name (`Error`, `TypeError`, ...). */
  name: string;
  /** The error's message. */
  message: string;
  /**
   * `plugin` for a contract violation (missing default export, no `run`...); `result` for a
   * result that cannot be written as JSON.
   */
  kind?: "plugin" | "result";
}

/**
 * A message from the host to the worker.
 *
 * @example
 * ```ts
 * import type { ToWorker } from "./protocol.ts";
 * const msg: ToWorker = {
 *   type: "init",
 *   options: { threshold: 0.5 },
 *   context: { instance: 0, instances: 1 },
 * };
 * ```
 */
export type ToWorker =
  | { type: "init"; options: unknown; context: AlgoContext }
  | { type: "run"; id: number; frames: FrameLayout[]; buffers: ArrayBufferLike[] }
  | { type: "dispose" };

/**
 * A message from the worker to the host.
 *
 * @example
 * ```ts
 * import type { FromWorker } from "./protocol.ts";
 * const msg: FromWorker = { type: "ready", name: "Motion" };
 * ```
 */
export type FromWorker =
  | { type: "loaded" }
  | { type: "ready"; name?: string }
  | { type: "failed"; error: RemoteError }
  | {
    type: "result";
    id: number;
    ok: boolean;
    value?: unknown;
    error?: RemoteError;
    buffers: ArrayBufferLike[];
  }
  | { type: "disposed"; error?: RemoteError }
  | { type: "crashed"; message: string }
  | { type: "unloadable"; message: string };

/**
 * A frame's pixels, checked to be a `Uint8Array`; throws a `TypeError` naming the runner
 * otherwise.
 *
 * @example
 * ```ts
 * import { checkFrame } from "./protocol.ts";
 * const frame = {
 *   data: new Uint8Array(3), width: 1, height: 1, format: "rgb24" as const, index: 0,
 *   source: "main", time: 0,
 * };
 * console.log(checkFrame(frame, "things").byteLength); // 3
 * ```
 */
export function checkFrame(frame: Frame, name: string): Uint8Array {
  if (!frame || !(frame.data instanceof Uint8Array)) {
    throw new TypeError(`${name}: every frame needs its pixels in a Uint8Array 'data'`);
  }
  return frame.data;
}

/**
 * The layout of a frame whose pixels are at `offset` in the message's buffer number `buffer`.
 *
 * @example
 * ```ts
 * import { layoutOf } from "./protocol.ts";
 * const frame = {
 *   data: new Uint8Array(6), width: 2, height: 1, format: "rgb24" as const, index: 0,
 *   source: "main", time: 0,
 * };
 * console.log(layoutOf(frame, 0, frame.data.byteOffset).length); // 6
 * ```
 */
export function layoutOf(frame: Frame, buffer: number, offset: number): FrameLayout {
  return {
    buffer,
    offset,
    length: frame.data.byteLength,
    width: frame.width,
    height: frame.height,
    format: frame.format,
    index: frame.index,
    source: frame.source,
    time: frame.time,
  };
}

/**
 * The frames a `run` message describes, as views over its buffers (no copy): the inverse of
 * {@link layoutOf}.
 *
 * @example
 * ```ts
 * import { framesOf } from "./protocol.ts";
 * const frames = framesOf([{
 *   buffer: 0, offset: 0, length: 3, width: 1, height: 1, format: "rgb24", index: 0,
 *   source: "main", time: 0,
 * }], [new ArrayBuffer(3)]);
 * console.log(frames[0].data.byteLength); // 3
 * ```
 */
export function framesOf(layouts: FrameLayout[], buffers: ArrayBufferLike[]): Frame[] {
  return layouts.map((l) => ({
    data: new Uint8Array(buffers[l.buffer], l.offset, l.length),
    width: l.width,
    height: l.height,
    format: l.format,
    index: l.index,
    source: l.source,
    time: l.time,
  }));
}

/**
 * The buffers of a message that can be transferred: the `ArrayBuffer`s not already detached
 * (`SharedArrayBuffer`s are shared, not transferred).
 *
 * @example
 * ```ts
 * import { transferable } from "./protocol.ts";
 * console.log(transferable([new ArrayBuffer(4), new SharedArrayBuffer(4)]).length); // 1
 * ```
 */
export function transferable(buffers: ArrayBufferLike[]): ArrayBuffer[] {
  return buffers.filter((b): b is ArrayBuffer => b instanceof ArrayBuffer && !b.detached);
}

/**
 * Encodes an error (anything thrown) to cross the worker boundary.
 *
 * @example
 * ```ts
 * import { toRemoteError } from "./protocol.ts";
 * const e = toRemoteError(new TypeError("bad input"));
 * console.log(e); // { name: "TypeError", message: "bad input" }
 * ```
 */
export function toRemoteError(error: unknown, kind?: "plugin"): RemoteError {
  const e = error instanceof Error ? error : undefined;
  return {
    name: e?.name ?? "Error",
    message: e ? e.message : String(error),
    ...(kind ? { kind } : {}),
  };
}

const BUILTIN_ERRORS: Record<string, ErrorConstructor> = {
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/**
 * Rebuilds a plugin's error on the host: the same class for built-in errors, else an `Error`
 * with its name.
 *
 * @example
 * ```ts
 * import { remoteError } from "./protocol.ts";
 * const e = remoteError({ name: "TypeError", message: "bad input" });
 * console.log(e instanceof TypeError); // true
 * ```
 */
export function remoteError(error: RemoteError | undefined): Error {
  const name = error?.name ?? "Error";
  const Cls = Object.hasOwn(BUILTIN_ERRORS, name) ? BUILTIN_ERRORS[name] : Error;
  const e = new Cls(error?.message ?? "unknown error");
  if (name !== e.name) e.name = name;
  return e;
}

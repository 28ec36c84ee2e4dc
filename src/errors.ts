/**
 * Typed errors. Every error the runtime raises on purpose is a {@link StreamInferError}
 * with an `exitCode`, so the CLI can print one line and exit with the right code.
 *
 * @module
 */

/**
 * Base class of the errors stream-infer raises on purpose.
 *
 * @example
 * ```ts
 * import { StreamInferError } from "@stream-infer/stream-infer";
 * try {
 *   throw new StreamInferError("boom");
 * } catch (e) {
 *   if (e instanceof StreamInferError) console.error(e.message, e.exitCode);
 * }
 * ```
 */
export class StreamInferError extends Error {
  /** Process exit code the CLI uses for this error: 1 runtime failure, 2 bad usage or input. */
  readonly exitCode: number = 1;
  /** Creates the error with a one-line message. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Bad usage or input: a wrong flag, a bad number, a source that is not a video. Exit code 2.
 *
 * @example
 * ```ts
 * import { InputError } from "@stream-infer/stream-infer";
 * const err = new InputError("frameCount must be an integer >= 1 (got 0)");
 * console.log(err.exitCode); // 2
 * ```
 */
export class InputError extends StreamInferError {
  /** Always 2. */
  override readonly exitCode: number = 2;
}

/**
 * A pipeline config that does not match the schema; the message names the file, line and key.
 *
 * @example
 * ```ts
 * import { ConfigError } from "@stream-infer/stream-infer";
 * const err = new ConfigError("pipeline.yaml:3: unknown key 'fsp'");
 * console.log(err.exitCode); // 2
 * ```
 */
export class ConfigError extends InputError {}

/**
 * A plugin module that cannot be loaded or does not follow the algorithm contract. Exit code 2.
 *
 * @example
 * ```ts
 * import { PluginError } from "@stream-infer/stream-infer";
 * const err = new PluginError("./algo.ts: the default export has no run(frames) method");
 * console.log(err.exitCode); // 2
 * ```
 */
export class PluginError extends InputError {}

/**
 * A source ffmpeg cannot open or decode. Exit code 2.
 *
 * @example
 * ```ts
 * import { SourceError } from "@stream-infer/stream-infer";
 * const err = new SourceError("missing.mp4: no such file");
 * console.log(err.exitCode); // 2
 * ```
 */
export class SourceError extends InputError {}

/**
 * The ffmpeg (or ffprobe) binary could not be found or started. Exit code 1.
 *
 * @example
 * ```ts
 * import { FFmpegNotFoundError } from "@stream-infer/stream-infer";
 * const err = new FFmpegNotFoundError("ffmpeg not found");
 * console.log(err.exitCode); // 1
 * ```
 */
export class FFmpegNotFoundError extends StreamInferError {}

/**
 * ffmpeg failed while decoding (non-zero exit after frames started). Exit code 1.
 *
 * @example
 * ```ts
 * import { DecodeError } from "@stream-infer/stream-infer";
 * const err = new DecodeError("ffmpeg exited with code 1: Invalid data found");
 * console.log(err.exitCode); // 1
 * ```
 */
export class DecodeError extends StreamInferError {}

/**
 * A readable message for anything thrown by an algorithm.
 *
 * @example
 * ```ts
 * import { errorMessage } from "@stream-infer/stream-infer";
 * console.log(errorMessage(new TypeError("bad"))); // "TypeError: bad"
 * ```
 */
export function errorMessage(error: unknown): string {
  if (error instanceof StreamInferError) return error.message;
  if (error instanceof Error) {
    return error.name && error.name !== "Error" ? `${error.name}: ${error.message}` : error.message;
  }
  return String(error);
}

/**
 * {@link FFmpegProducer}: decodes a source into raw frames, in this process (`in_process.ts`)
 * or with a spawned ffmpeg (here).
 *
 * @module
 */
import { LOG_LEVEL, SHOWINFO, StderrLog } from "./banner.ts";
import { DecodeError, InputError, SourceError } from "../errors.ts";
import { locateFfmpeg } from "./ffmpeg.ts";
import { type Frame, frameBytes, type PixelFormat } from "../frame.ts";
import { lastErrorLine, probe, type SourceInfo as ProbedInfo } from "./probe.ts";
import { decimationExpr, emittedFrames, FrameSampler } from "./sampling.ts";
import { type ParsedSource, parseSource } from "./parse.ts";
import {
  damagedWarning,
  type FrameSource,
  frameTime,
  ReadBuffers,
  type ReadOptions,
} from "./frame_source.ts";
import { type RgbTarget, YuvConverter, type YuvTransport, yuvTransport } from "./swscale.ts";
import { growStdoutPipe } from "./pipe_size.ts";
import { decodeFrames, inProcessPlan } from "./in_process.ts";
import { LibavDecoder } from "./decoder.ts";
import {
  DEFAULT_SCALE_FLAGS,
  type ProducerOptions,
  validateProducerOptions,
} from "./producer_options.ts";

export type { FrameSource, ReadOptions } from "./frame_source.ts";
export { DEFAULT_SCALE_FLAGS, type ProducerOptions } from "./producer_options.ts";

/**
 * Produces frames of a chosen size and pixel format from any source ffmpeg can read.
 *
 * @example
 * ```ts
 * import { FFmpegProducer, probe } from "@stream-infer/stream-infer";
 * const producer = new FFmpegProducer({ width: 320, format: "rgb24" });
 * const info = await probe("video.mp4");
 * for await (const frame of producer.read("video.mp4", { info, fps: 5 })) {
 *   console.log(frame.index, frame.time.toFixed(2), frame.data.length);
 *   if (frame.index === 10) break; // stops and reaps ffmpeg
 * }
 * ```
 */
export class FFmpegProducer implements FrameSource {
  /** Requested output width, if any. */
  readonly width?: number;
  /** Requested output height, if any. */
  readonly height?: number;
  /** Output pixel format. */
  readonly format: PixelFormat;
  readonly #options: ProducerOptions;

  /** Validates the options and creates the producer. */
  constructor(options: ProducerOptions = {}) {
    const format = validateProducerOptions(options);
    this.width = options.width;
    this.height = options.height;
    this.format = format;
    this.#options = options;
  }

  /** Probes a source with this producer's ffmpeg and input options. */
  probe(source: string | ParsedSource): Promise<ProbedInfo> {
    return probe(source, {
      ffmpeg: this.#options.ffmpeg,
      inputOptions: this.#options.inputOptions,
    });
  }

  /** The ffmpeg path given in the options, if any. */
  get ffmpegPath(): string | undefined {
    return this.#options.ffmpeg;
  }

  /** The extra input options given in the options. */
  get inputOptions(): string[] {
    return this.#options.inputOptions ?? [];
  }

  /**
   * The output size for a source: the requested size, the source's, or one side scaled to
   * keep the aspect ratio.
   *
   * @example
   * ```ts
   * import { FFmpegProducer } from "@stream-infer/stream-infer";
   * const size = new FFmpegProducer({ width: 640 }).outputSize({ width: 1920, height: 1080 });
   * console.log(size); // { width: 640, height: 360 }
   * ```
   */
  outputSize(info: { width: number; height: number }): { width: number; height: number } {
    const { width, height } = this;
    if (width && height) return { width, height };
    if (width) {
      return { width, height: Math.max(2, Math.round((width * info.height) / info.width)) };
    }
    if (height) {
      return { width: Math.max(2, Math.round((height * info.width) / info.height)), height };
    }
    return { width: info.width, height: info.height };
  }

  /**
   * The YUV layout ffmpeg pipes for a source whose frames this process converts to RGB, or
   * `undefined` when ffmpeg converts (see {@link ProducerOptions.colorConversion}).
   *
   * @example
   * ```ts
   * import { FFmpegProducer } from "@stream-infer/stream-infer";
   * const info = { width: 1920, height: 1080, fps: 25, frameCount: 250, duration: 10, live: false,
   *   pixelFormat: "yuv420p" };
   * console.log(new FFmpegProducer({ width: 640 }).transport(info)); // "yuv420p" with --allow-ffi
   * ```
   */
  transport(info: ProbedInfo | undefined): YuvTransport | undefined {
    if (!info || this.#options.colorConversion === "ffmpeg") return undefined;
    if (this.format !== "bgr24" && this.format !== "rgb24") return undefined;
    const { width, height } = this.outputSize(info);
    if (width % 2 || height % 2) return undefined;
    return yuvTransport(info.pixelFormat, info.colorSpace);
  }

  /**
   * Whether {@link read} decodes `source` in this process (see
   * {@link ProducerOptions.decoding}) rather than spawning ffmpeg.
   *
   * @example
   * ```ts
   * import { FFmpegProducer, probe } from "@stream-infer/stream-infer";
   * const info = await probe("clip.mp4");
   * console.log(new FFmpegProducer().decodesInProcess("clip.mp4", { info })); // true with --allow-ffi
   * ```
   */
  decodesInProcess(source: string | ParsedSource, options: ReadOptions): boolean {
    return this.#plan(parseSource(source), options) !== undefined;
  }

  #plan(parsed: ParsedSource, options: ReadOptions) {
    if (this.#options.decoding === "ffmpeg" || !options.info) return undefined;
    return inProcessPlan(parsed, options, {
      size: this.outputSize(options.info),
      format: this.format,
      scaleFlags: this.#options.scaleFlags ?? DEFAULT_SCALE_FLAGS,
      threads: this.#options.threads,
      inputOptions: this.#options.inputOptions,
    });
  }

  /**
   * The ffmpeg arguments {@link read} uses, without the binary (exposed for benchmarks).
   *
   * @example
   * ```ts
   * import { FFmpegProducer } from "@stream-infer/stream-infer";
   * const info = { width: 1920, height: 1080, fps: 25, frameCount: 250, duration: 10, live: false };
   * console.log(new FFmpegProducer({ width: 640 }).args("clip.mp4", { info }).join(" "));
   * ```
   */
  args(source: string | ParsedSource, options: ReadOptions): string[] {
    return this.#args(parseSource(source), options, this.transport(options.info));
  }

  #args(parsed: ParsedSource, options: ReadOptions, transport?: YuvTransport): string[] {
    const { info, position = 0 } = options;
    // showinfo comes first, so it reports every decoded frame's pts (the frame's `time`);
    // `select` comes before scaling and the pixel format conversion, so frames nobody reads
    // are neither scaled nor converted.
    const filters: string[] = [SHOWINFO];
    const flags = this.#options.scaleFlags ?? DEFAULT_SCALE_FLAGS;
    const { threads, filterThreads } = this.#options;
    if (info) {
      const { width, height } = this.outputSize(info);
      const decimate = decimationExpr(options.fps ? Math.min(1, options.fps / info.fps) : 1);
      if (decimate) filters.push(`select='${decimate}'`);
      if (options.filter) filters.push(`select='${options.filter.expr}'`);
      if (width !== info.width || height !== info.height) {
        filters.push(`scale=${width}:${height}:flags=${flags}`);
      }
    } else if (this.width || this.height) {
      // size unknown until ffmpeg opens the input: let it keep the aspect ratio (even sides)
      filters.push(`scale=${this.width ?? -2}:${this.height ?? -2}:flags=${flags}`);
    }
    const piped = transport ?? this.format;
    filters.push(`format=${piped}`);
    return [
      "-hide_banner",
      "-nostdin",
      ...LOG_LEVEL,
      ...parsed.inputOptions,
      ...(this.#options.inputOptions ?? []),
      ...(options.inputOptions ?? []),
      ...(position > 0 ? ["-ss", String(position)] : []),
      ...(threads !== undefined ? ["-threads", String(threads)] : []),
      "-i",
      parsed.url,
      "-map",
      "0:v:0",
      "-an",
      "-sn",
      "-dn",
      ...(filterThreads !== undefined ? ["-filter_threads", String(filterThreads)] : []),
      "-vf",
      filters.join(","),
      "-fps_mode",
      "passthrough",
      "-f",
      "rawvideo",
      "-pix_fmt",
      piped,
      "pipe:1",
    ];
  }

  /**
   * Spawns ffmpeg and yields frames. Breaking out of the loop (or `return()`) kills and
   * reaps ffmpeg. Throws {@link DecodeError} when ffmpeg fails.
   */
  async *read(
    source: string | ParsedSource,
    options: ReadOptions,
  ): AsyncGenerator<Frame, void, undefined> {
    const parsed = parseSource(source);
    const url = parsed.url;
    const { position = 0 } = options;
    if (!(position >= 0)) throw new InputError(`position must be >= 0 (got ${position})`);
    if (options.info?.duration != null && position >= options.info.duration) {
      throw new InputError(
        `position ${position} s is past the end of ${url} (${options.info.duration} s)`,
      );
    }
    const plan = this.#plan(parsed, options);
    // a file libavformat cannot open after all is left to ffmpeg, which says why
    const decoder = plan && await LibavDecoder.open(plan.url, plan.threads).catch(() => null);
    if (decoder) {
      yield* decodeFrames(decoder, plan, options);
      return;
    }
    const buffers = new ReadBuffers(options);
    const transport = this.transport(options.info);
    const child = new Deno.Command(locateFfmpeg(this.#options.ffmpeg), {
      args: this.#args(parsed, options, transport),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    growStdoutPipe(child.pid); // fewer, larger reads per frame
    const log = new StderrLog(child.stderr, !options.info);
    const reader = child.stdout.getReader({ mode: "byob" });
    const kill = () => {
      try {
        child.kill("SIGKILL");
      } catch { /* already exited */ }
    };
    options.signal?.addEventListener("abort", kill, { once: true });
    let finished = false;
    let count = 0;
    let converter: YuvConverter | undefined;
    try {
      let info = options.info;
      let width: number, height: number;
      if (info) ({ width, height } = this.outputSize(info));
      else {
        const banner = await log.banner;
        if (!banner) {
          finished = true; // ffmpeg quit before opening the input: report its error below
          return;
        }
        ({ width, height } = banner);
        info = banner.input;
        options.onInfo?.(info);
      }
      const size = frameBytes(width, height, this.format);
      // with in-process conversion, ffmpeg's YUV lands in one buffer of its own, and each
      // frame's buffer receives the converted pixels
      let piped: Uint8Array | undefined;
      if (transport) {
        converter = new YuvConverter(
          width,
          height,
          transport,
          this.format as RgbTarget,
          info.colorSpace,
        );
        piped = new Uint8Array(frameBytes(width, height, "yuv420p"));
      }
      const pipedSize = piped?.byteLength ?? size;
      const ratio = options.fps ? Math.min(1, options.fps / info.fps) : 1;
      // With known info ffmpeg drops frames itself; otherwise every frame arrives and the
      // same rule drops them here.
      const emitted = options.info ? emittedFrames(ratio, options.filter) : undefined;
      const sampler = new FrameSampler(ratio);
      while (true) {
        const target = piped ?? buffers.next(size);
        const { value, done } = await reader.read(target, { min: pipedSize });
        if (!value || value.byteLength < pipedSize) {
          finished = done;
          break;
        }
        if (piped) piped = value;
        const data = piped ? buffers.next(size) : value;
        let index: number | undefined, offset: number;
        if (emitted) [index, offset] = emitted.next().value;
        else {
          index = sampler.take();
          offset = sampler.sourceFrame;
          if (index === undefined) {
            buffers.drop(data);
            continue;
          }
        }
        // time: a file frame's own pts (variable rates too), which count from the seek
        // position. A live source keeps counting frames at its nominal rate.
        const pts = info.live ? NaN : await log.time(offset) + position;
        const frame: Frame = {
          data,
          width,
          height,
          format: this.format,
          index,
          source: options.sourceId ?? "main",
          time: frameTime(pts, offset, position, info.fps),
        };
        if (options.skip?.(frame)) {
          buffers.drop(data);
          continue;
        }
        if (piped) converter!.run(piped, data);
        count++;
        buffers.lend(data);
        yield frame;
      }
    } finally {
      converter?.close();
      options.signal?.removeEventListener("abort", kill);
      if (!finished) kill();
      await reader.cancel().catch(() => {});
      const status = await child.status;
      const text = await log.done;
      if (finished && !status.success && !options.signal?.aborted) {
        const message = `ffmpeg failed on ${url} (exit ${status.code}): ${
          lastErrorLine(text, url)
        }`;
        // deno-lint-ignore no-unsafe-finally
        throw count === 0 ? new SourceError(message) : new DecodeError(message);
      }
      // a file that ends with errors logged (a live stream's end is the player's business)
      if (finished && status.success && log.errors.length > 0 && options.info?.live === false) {
        const reason = `ffmpeg: ${lastErrorLine(text, url)}`;
        options.onWarning?.(damagedWarning(url, log.decoded, options.info, position, reason));
      }
    }
  }
}

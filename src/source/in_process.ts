/**
 * Reading a file's frames in this process: {@link LibavDecoder} decodes, libswscale resizes
 * and converts, and the same sampling rules as a spawned ffmpeg's `select` pick the frames.
 * The producer reads this way when {@link inProcessPlan} says it can, and spawns ffmpeg
 * otherwise.
 *
 * @module
 */
import { type Frame, frameBytes, type PixelFormat } from "../frame.ts";
import type { LibavDecoder, Picture } from "./decoder.ts";
import { damagedWarning, frameTime, ReadBuffers, type ReadOptions } from "./frame_source.ts";
import { libavAvailable } from "./libav.ts";
import type { ParsedSource } from "./parse.ts";
import { FrameSampler } from "./sampling.ts";
import type { SourceInfo } from "./info.ts";
import { Scaler, type ScaleSide, swsFlags, yuvTransport } from "./swscale.ts";

/** What an in-process read makes: the frames' size and format, how to resize, threads. */
export interface InProcessPlan {
  /** The file's path or URL as libavformat opens it. */
  url: string;
  info: SourceInfo;
  width: number;
  height: number;
  format: PixelFormat;
  /** swscale flags. */
  flags: number;
  /** Decoder threads (0: one per core). */
  threads: number;
}

/**
 * The plan for reading `source` in this process, or `undefined` when a spawned ffmpeg must
 * read it: not a local file with probed info, ffmpeg input options given, a source that is
 * not 8-bit 4:2:0 with a known colour matrix, scale flags libswscale does not know, or no
 * usable libav here (no FFI, or library versions without a known layout).
 *
 * @example
 * ```ts ignore
 * import { inProcessPlan } from "./in_process.ts";
 * import { parseSource } from "./parse.ts";
 * const info = { width: 1920, height: 1080, fps: 25, frameCount: 250, duration: 10, live: false,
 *   pixelFormat: "yuv420p" };
 * const plan = inProcessPlan(parseSource("clip.mp4"), { info }, {
 *   size: { width: 640, height: 360 }, format: "bgr24", scaleFlags: "bilinear",
 * });
 * console.log(plan?.width); // 640 where FFI is allowed and ffmpeg 5.1's libraries load
 * ```
 */
export function inProcessPlan(
  source: ParsedSource,
  options: ReadOptions,
  producer: {
    size: { width: number; height: number };
    format: PixelFormat;
    scaleFlags: string;
    threads?: number;
    inputOptions?: string[];
  },
): InProcessPlan | undefined {
  const { info } = options;
  if (!info || info.live || source.kind !== "file") return undefined;
  const extra = [source.inputOptions, producer.inputOptions, options.inputOptions];
  if (extra.some((list) => list && list.length > 0)) return undefined;
  const flags = swsFlags(producer.scaleFlags);
  if (flags === undefined) return undefined;
  if (!yuvTransport(info.pixelFormat, info.colorSpace) || !libavAvailable()) return undefined;
  return {
    url: source.url,
    info,
    ...producer.size,
    format: producer.format,
    flags,
    threads: producer.threads ?? 0,
  };
}

/**
 * Turns decoded pictures into frames of one size and format. A resize into `bgr24`/`rgb24`
 * goes in two libswscale passes, in YUV and then an unscaled conversion, which is faster than
 * one (libswscale has no fast path for resizing straight into packed RGB).
 */
class PictureScaler {
  #from?: ScaleSide; // the pictures the passes are made for
  #passes: Scaler[] = [];
  #between?: Uint8Array;
  readonly #plan: InProcessPlan;

  constructor(plan: InProcessPlan) {
    this.#plan = plan;
  }

  /** Makes `out` from `picture`. */
  run(picture: Picture, out: Uint8Array): void {
    const from = this.#from;
    if (
      !from || from.width !== picture.width || from.height !== picture.height ||
      from.format !== picture.format || from.fullRange !== picture.fullRange
    ) this.#configure(picture);
    const [first, second] = this.#passes;
    if (!second) return first.run(picture.planes, picture.strides, out);
    first.run(picture.planes, picture.strides, this.#between!);
    second.runBuffer(this.#between!, out);
  }

  #configure(picture: Picture): void {
    this.close();
    const { width, height, format, flags, info } = this.#plan;
    const options = { flags, colorSpace: info.colorSpace };
    const rgb = format === "bgr24" || format === "rgb24";
    const { fullRange } = picture;
    const from = {
      width: picture.width,
      height: picture.height,
      format: picture.format,
      fullRange,
    };
    const resized = picture.width !== width || picture.height !== height;
    if (rgb && resized && width % 2 === 0 && height % 2 === 0) {
      const between = { width, height, format: "yuv420p" as const, fullRange };
      this.#passes = [
        new Scaler(from, between, options),
        new Scaler(between, { width, height, format, fullRange: true }, options),
      ];
      this.#between = new Uint8Array(frameBytes(width, height, "yuv420p"));
    } else {
      this.#passes = [
        new Scaler(from, { width, height, format, fullRange: rgb ? true : undefined }, options),
      ];
    }
    this.#from = from;
  }

  close(): void {
    for (const pass of this.#passes) pass.close();
    this.#passes = [];
    this.#from = undefined;
  }
}

/** The longest the decoding loop keeps the event loop to itself, in milliseconds. */
const TURN_MS = 10;

/** A turn of the event loop (a macrotask) on demand, at the cost of a message: a timer would
 * cost milliseconds. */
class Turns {
  readonly #channel = new MessageChannel();
  #wake?: () => void;

  constructor() {
    this.#channel.port1.onmessage = () => this.#wake?.();
  }

  /** Resolves, with the time, once the event loop has turned. */
  next(): Promise<number> {
    return new Promise((resolve) => {
      this.#wake = () => resolve(performance.now());
      this.#channel.port2.postMessage(null);
    });
  }

  close(): void {
    this.#channel.port1.close();
    this.#channel.port2.close();
  }
}

/**
 * Yields the frames of an opened file as {@link FFmpegProducer.read} does: seek, fps
 * down-sampling, the offline frame filter, pooled buffers, `skip`, `signal`, and a warning
 * when the file turned out damaged. Closes the decoder when done.
 *
 * @example
 * ```ts ignore
 * import { decodeFrames, inProcessPlan } from "./in_process.ts";
 * import { LibavDecoder } from "./decoder.ts";
 * // given a plan from inProcessPlan and options with the probed info:
 * const decoder = await LibavDecoder.open(plan.url, plan.threads);
 * for await (const frame of decodeFrames(decoder!, plan, options)) console.log(frame.index);
 * ```
 */
export async function* decodeFrames(
  decoder: LibavDecoder,
  plan: InProcessPlan,
  options: ReadOptions,
): AsyncGenerator<Frame, void, undefined> {
  const { info, width, height, format } = plan;
  const position = options.position ?? 0;
  const buffers = new ReadBuffers(options);
  const size = frameBytes(width, height, format);
  const scaler = new PictureScaler(plan);
  // the rules a spawned ffmpeg's `select` follows, a picture at a time
  const sampler = new FrameSampler(
    options.fps ? Math.min(1, options.fps / info.fps) : 1,
    options.filter,
  );
  const turns = new Turns();
  let turned = performance.now();
  try {
    if (position > 0) decoder.seek(position);
    while (!options.signal?.aborted && decoder.next()) {
      // decoding blocks the event loop: let timers, signals and messages in now and then
      if (performance.now() - turned > TURN_MS) turned = await turns.next();
      const picture = decoder.picture();
      // an accurate seek, as ffmpeg's: the pictures before the position only prime the decoder
      if (position > 0 && picture.time < position - 1e-6) continue;
      const index = sampler.take();
      if (index === undefined) continue;
      const data = buffers.next(size);
      const frame: Frame = {
        data,
        width,
        height,
        format,
        index,
        source: options.sourceId ?? "main",
        time: frameTime(picture.time, sampler.sourceFrame, position, info.fps),
      };
      if (options.skip?.(frame)) {
        buffers.drop(data);
        continue;
      }
      scaler.run(picture, data);
      buffers.lend(data);
      yield frame;
    }
    if (!options.signal?.aborted && decoder.errors.length > 0) {
      const reason = `libav: ${decoder.errors.at(-1)}`;
      const decoded = sampler.sourceFrame + 1;
      options.onWarning?.(damagedWarning(plan.url, decoded, info, position, reason));
    }
  } finally {
    turns.close();
    scaler.close();
    decoder.close();
  }
}

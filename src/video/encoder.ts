/**
 * {@link FrameEncoder}: one spawned ffmpeg that encodes raw frames written to its stdin, fed
 * from a bounded queue. Every video output (recorder, restream, HLS, clip segments) is one.
 *
 * Timing (`clock`):
 * - `frames`: one output frame per pushed frame, at `fps` (offline: the video has exactly the
 *   played frames).
 * - `wall`: a fixed-rate clock at `fps` started by the first frame. Each pushed frame fills
 *   the output slots up to the current wall time, so a frame the player dropped, an algorithm
 *   skipped or the encoder could not take is replaced by repeating the previous frame: the
 *   video lasts as long as the run did. (Chosen over `-use_wallclock_as_timestamps`, whose
 *   times are when ffmpeg reads the pipe, not when the frame was played.)
 *
 * Back-pressure (`block`): `true` makes {@link FrameEncoder.push} wait for room (offline
 * recording loses nothing); otherwise a frame that finds the queue full is dropped and
 * counted, so a slow encoder never stalls the run.
 *
 * An ffmpeg that exits early (a restream server that went away) is restarted with
 * exponential backoff when `retry` is set; frames pushed meanwhile are dropped and counted.
 * {@link FrameEncoder.close} closes stdin and waits for ffmpeg to finish its file (moov atom,
 * playlist), bounded: after `closeMs` it is sent SIGTERM (ffmpeg still writes its trailer),
 * and SIGKILL only 5 s later.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import { type Frame, frameBytes, type PixelFormat } from "../frame.ts";
import { locateFfmpeg, rawVideoInput } from "../source/ffmpeg.ts";

/**
 * Options of {@link FrameEncoder}.
 *
 * @example
 * ```ts
 * import type { EncoderOptions } from "@stream-infer/stream-infer";
 * const opts: EncoderOptions = {
 *   label: "gate: out.mp4", width: 640, height: 360, format: "bgr24", fps: 25,
 *   output: ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-y", "out.mp4"],
 *   clock: "frames", block: true,
 * };
 * ```
 */
export interface EncoderOptions {
  /** What the messages call it (e.g. `gate: out.mp4`). */
  label: string;
  /** Frame width in pixels. */
  width: number;
  /** Frame height in pixels. */
  height: number;
  /** Pixel format of the pushed frames. */
  format: PixelFormat;
  /** Output frame rate. */
  fps: number;
  /** ffmpeg arguments after the raw input: codec options and the output. */
  output: string[];
  /** `frames` (one output frame per pushed frame) or `wall` (wall-clock timing). */
  clock: "frames" | "wall";
  /** Wait for room instead of dropping frames (default false). */
  block?: boolean;
  /** Frames queued ahead of ffmpeg's stdin (default 8). */
  queue?: number;
  /** Restart ffmpeg with backoff when it exits before `close()` (default false). */
  retry?: boolean;
  /** First retry delay in ms, doubled up to 30 s (default 1000). */
  retryMs?: number;
  /** How long `close()` waits for ffmpeg to finish before SIGTERM, ms (default 30000). */
  closeMs?: number;
  /** Path of ffmpeg (see `locateFfmpeg`). */
  ffmpeg?: string;
  /** Receives one line when ffmpeg fails or is restarted. */
  onMessage?: (message: string) => void;
  /** Called when a new ffmpeg process starts (its first frame starts a new clock). */
  onSpawn?: () => void;
}

/**
 * What an encoder did so far.
 *
 * @example
 * ```ts
 * import type { EncoderStats } from "@stream-infer/stream-infer";
 * const s: EncoderStats = { pushed: 250, written: 250, dropped: 0, restarts: 0 };
 * ```
 */
export interface EncoderStats {
  /** Frames pushed. */
  pushed: number;
  /** Output frames written to ffmpeg (repeats included). */
  written: number;
  /** Pushed frames not encoded: the queue was full or ffmpeg was down. */
  dropped: number;
  /** Times ffmpeg was restarted. */
  restarts: number;
}

interface Entry {
  data: Uint8Array;
  count: number;
}

const MAX_RETRY_MS = 30_000;
/** A process that ran this long resets the backoff. */
const HEALTHY_MS = 10_000;

/**
 * Encodes raw frames with a spawned ffmpeg (see the module docs).
 *
 * @example
 * ```ts
 * import { FrameEncoder } from "@stream-infer/stream-infer";
 * const enc = new FrameEncoder({
 *   label: "demo", width: 64, height: 48, format: "gray", fps: 10, clock: "frames", block: true,
 *   output: ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-y", "demo.mp4"],
 * });
 * const data = new Uint8Array(64 * 48);
 * for (let i = 0; i < 10; i++) {
 *   await enc.push({ data, width: 64, height: 48, format: "gray", index: i, source: "main", time: i / 10 });
 * }
 * await enc.close();
 * ```
 */
export class FrameEncoder {
  /** The options it was created with. */
  readonly options: EncoderOptions;
  readonly #stats: EncoderStats = { pushed: 0, written: 0, dropped: 0, restarts: 0 };
  readonly #queue: Entry[] = [];
  readonly #free: Uint8Array[] = [];
  readonly #max: number;
  readonly #size: number;
  #child?: Deno.ChildProcess;
  #stdin?: WritableStreamDefaultWriter<Uint8Array>;
  #stderrTail = "";
  #exited?: Promise<void>;
  #up = false;
  #closing = false;
  #failed = false;
  #retryTimer?: ReturnType<typeof setTimeout>;
  #retryMs: number;
  #startedAt = 0;
  #t0?: number;
  #slots = 0;
  #wakeWriter?: () => void;
  #wakePush: (() => void)[] = [];
  #writer?: Promise<void>;

  /** Starts ffmpeg at once (a missing ffmpeg throws here). */
  constructor(options: EncoderOptions) {
    this.options = options;
    this.#max = Math.max(1, options.queue ?? 8);
    this.#size = frameBytes(options.width, options.height, options.format);
    this.#retryMs = options.retryMs ?? 1000;
    this.#spawn();
  }

  /** Frames pushed, written and dropped, and restarts. */
  get stats(): EncoderStats {
    return { ...this.#stats };
  }

  /** The running ffmpeg's process id, if one runs. */
  get pid(): number | undefined {
    return this.#up ? this.#child?.pid : undefined;
  }

  /** Output frames scheduled so far by the running ffmpeg (its stream time is this / fps). */
  get slots(): number {
    return this.#slots;
  }

  /** The last lines ffmpeg printed on stderr. */
  get log(): string {
    return this.#stderrTail;
  }

  /**
   * Queues a copy of the frame (the caller's buffer may be reused at once). Resolves at once,
   * or, with `block`, when the queue has room.
   */
  async push(frame: Frame): Promise<void> {
    if (this.#closing) return;
    this.#stats.pushed++;
    if (frame.data.byteLength !== this.#size) {
      throw new Error(
        `${this.options.label}: frame is ${frame.width}x${frame.height} ${frame.format}, the ` +
          `encoder takes ${this.options.width}x${this.options.height} ${this.options.format}`,
      );
    }
    let count = 1;
    if (this.options.clock === "wall" && this.#up) {
      const now = performance.now();
      this.#t0 ??= now;
      const due = Math.round(((now - this.#t0) / 1000) * this.options.fps) + 1;
      count = due - this.#slots;
      if (count <= 0) {
        // still inside the previous frame's slot: show the newer frame there if it waits
        // (not the head of the queue: its bytes may be on their way to ffmpeg)
        const last = this.#queue[this.#queue.length - 1];
        if (last && last !== this.#queue[0]) last.data.set(frame.data);
        return;
      }
    }
    if (this.options.block) {
      while (this.#up && this.#queue.length >= this.#max && !this.#closing) {
        await new Promise<void>((resolve) => this.#wakePush.push(resolve));
      }
    }
    if (!this.#up || this.#closing || this.#queue.length >= this.#max) {
      this.#stats.dropped++;
      if (this.#up && !this.#closing) {
        // the slots of a dropped frame repeat the previous one: the timing stays
        const last = this.#queue[this.#queue.length - 1];
        if (last) {
          last.count += count;
          this.#slots += count;
        }
      }
      return;
    }
    const data = this.#free.pop() ?? new Uint8Array(this.#size);
    data.set(frame.data);
    this.#queue.push({ data, count });
    this.#slots += count;
    this.#wakeWriter?.();
  }

  /**
   * Stops taking frames, writes what is queued, closes ffmpeg's stdin and waits for it to
   * finish (bounded, see the module docs). Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closing) {
      await this.#exited;
      return;
    }
    this.#closing = true;
    clearTimeout(this.#retryTimer);
    for (const wake of this.#wakePush.splice(0)) wake();
    this.#wakeWriter?.();
    const done = Promise.all([this.#writer, this.#exited]).then(() => true);
    if (await within(done, this.options.closeMs ?? 30_000)) return;
    this.#signal("SIGTERM"); // ffmpeg still writes its trailer on SIGTERM
    if (await within(done, 5000)) return;
    this.options.onMessage?.(`${this.options.label}: ffmpeg did not finish; killed`);
    this.#signal("SIGKILL");
    await done;
  }

  #signal(signal: Deno.Signal): void {
    try {
      this.#child?.kill(signal);
    } catch { /* exited */ }
  }

  #spawn(): void {
    const { width, height, format, fps } = this.options;
    const binary = locateFfmpeg(this.options.ffmpeg);
    const args = [
      ...rawVideoInput({ width, height, format }, fps),
      // H.264 in 4:2:0 needs even sides
      ...(width % 2 || height % 2 ? ["-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2"] : []),
      ...this.options.output,
    ];
    const child = new Deno.Command(binary, {
      args,
      stdin: "piped",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    this.#stdin = child.stdin.getWriter();
    this.#up = true;
    this.#t0 = undefined;
    this.#slots = 0;
    this.#startedAt = performance.now();
    this.options.onSpawn?.();
    const stderr = this.#readStderr(child.stderr);
    this.#exited = Promise.all([child.status, stderr]).then(([status]) => this.#onExit(status));
    this.#writer = this.#writeLoop(child, this.#stdin);
  }

  async #readStderr(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      this.#stderrTail = (this.#stderrTail + decoder.decode(chunk, { stream: true })).slice(-4000);
    }
  }

  async #writeLoop(
    child: Deno.ChildProcess,
    stdin: WritableStreamDefaultWriter<Uint8Array>,
  ): Promise<void> {
    try {
      while (true) {
        if (this.#child !== child || !this.#up) throw new Error("ffmpeg is gone");
        const entry = this.#queue[0];
        if (!entry) {
          if (this.#closing) break;
          await new Promise<void>((resolve) => this.#wakeWriter = resolve);
          this.#wakeWriter = undefined;
          continue;
        }
        for (; entry.count > 0; entry.count--) {
          await stdin.write(entry.data);
          this.#stats.written++;
        }
        this.#queue.shift();
        this.#free.push(entry.data);
        this.#wakePush.shift()?.();
      }
      await stdin.close();
    } catch {
      // ffmpeg went away: its exit is handled in #onExit
      await stdin.abort().catch(() => {});
    }
  }

  #onExit(status: Deno.CommandStatus): void {
    this.#up = false;
    // frames queued for a process that is gone count as dropped
    for (const entry of this.#queue.splice(0)) {
      this.#stats.dropped++;
      this.#free.push(entry.data);
    }
    for (const wake of this.#wakePush.splice(0)) wake();
    this.#wakeWriter?.();
    if (this.#closing) {
      // 255: ffmpeg was interrupted too (a Ctrl-C reaches the whole process group) and
      // finished its file itself
      if (!status.success && status.code !== 255 && !this.#failed) {
        this.options.onMessage?.(
          `${this.options.label}: ffmpeg ended with exit ${status.code}: ` +
            lastLine(this.#stderrTail),
        );
      }
      return;
    }
    const why = `ffmpeg exited (${status.code}): ${lastLine(this.#stderrTail)}`;
    if (!this.options.retry) {
      this.#failed = true;
      this.options.onMessage?.(`${this.options.label}: ${why}; no more frames are encoded`);
      return;
    }
    if (performance.now() - this.#startedAt > HEALTHY_MS) {
      this.#retryMs = this.options.retryMs ?? 1000;
    }
    const delay = this.#retryMs;
    this.#retryMs = Math.min(MAX_RETRY_MS, this.#retryMs * 2);
    this.options.onMessage?.(`${this.options.label}: ${why}; retrying in ${delay / 1000} s`);
    this.#retryTimer = setTimeout(() => {
      if (this.#closing) return;
      this.#stats.restarts++;
      try {
        this.#stderrTail = "";
        this.#spawn();
      } catch (e) {
        this.#failed = true;
        this.options.onMessage?.(`${this.options.label}: ${errorMessage(e)}`);
      }
    }, delay);
  }
}

/** Whether `promise` settles within `ms` (the timer is cleared either way). */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), ms));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The last non-empty line of ffmpeg's stderr. */
function lastLine(text: string): string {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  return lines[lines.length - 1] ?? "no message";
}

/**
 * {@link JpegEncoder}: one persistent ffmpeg (`-f rawvideo` in, `-f image2pipe -c:v mjpeg`
 * out) that turns raw frames into JPEG images, one frame at a time. The dev UI keeps one per
 * watched source; {@link splitJpegs} cuts ffmpeg's output into whole images.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import { type Frame, frameBytes, type PixelFormat } from "../frame.ts";
import { locateFfmpeg, rawVideoInput } from "../source/ffmpeg.ts";

/**
 * Options of {@link JpegEncoder}.
 *
 * @example
 * ```ts
 * import type { JpegOptions } from "./jpeg.ts";
 * const o: JpegOptions = { width: 1280, height: 720, format: "bgr24", quality: 5 };
 * ```
 */
export interface JpegOptions {
  /** Frame width in pixels. */
  width: number;
  /** Frame height in pixels. */
  height: number;
  /** Pixel format of the frames. */
  format: PixelFormat;
  /** ffmpeg's `-q:v`, 2 (best) to 31 (default 5). */
  quality?: number;
  /** The ffmpeg binary (default: located as for sources). */
  ffmpeg?: string;
}

/**
 * Cuts whole JPEG images (SOI to EOI) off the front of `buffer`; returns them and the bytes
 * left over. Marker segments are skipped by their lengths, so only the EOI after the scan data
 * ends an image (inside the scan an `FF` byte is followed by `00` or a restart marker).
 *
 * @example
 * ```ts
 * import { splitJpegs } from "./jpeg.ts";
 * const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xda, 0, 2, 1, 0xff, 0, 2, 0xff, 0xd9]);
 * const { images, rest } = splitJpegs(new Uint8Array([...jpeg, 0xff]));
 * console.log(images.length, rest.length); // 1 1
 * ```
 */
export function splitJpegs(buffer: Uint8Array): { images: Uint8Array[]; rest: Uint8Array } {
  const images: Uint8Array[] = [];
  let start = 0;
  while (true) {
    const end = jpegEnd(buffer, start);
    if (end < 0) break;
    images.push(buffer.slice(start, end));
    start = end;
  }
  return { images, rest: buffer.subarray(start) };
}

/** The end (exclusive) of the JPEG at `start`, or -1 when it is not all there yet. */
function jpegEnd(b: Uint8Array, start: number): number {
  if (b.length - start < 4) return -1;
  if (b[start] !== 0xff || b[start + 1] !== 0xd8) throw new Error("ffmpeg wrote something else");
  let i = start + 2;
  // marker segments up to and including the start of scan
  while (true) {
    if (i + 4 > b.length) return -1;
    if (b[i] !== 0xff) throw new Error("ffmpeg wrote a broken JPEG");
    const marker = b[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    const length = (b[i + 2] << 8) | b[i + 3];
    i += 2 + length;
    if (marker === 0xda) break;
  }
  // entropy-coded data until a marker that is neither a stuffed 00 nor a restart
  for (; i + 1 < b.length; i++) {
    if (b[i] !== 0xff) continue;
    const next = b[i + 1];
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) continue;
    if (next === 0xd9) return i + 2;
    throw new Error("ffmpeg wrote an unexpected JPEG marker");
  }
  return -1;
}

/**
 * Encodes raw frames to JPEG with one long-lived ffmpeg process. Calls to
 * {@link JpegEncoder.encode} are served in order, one frame in ffmpeg at a time.
 *
 * @example
 * ```ts ignore
 * import { JpegEncoder } from "./jpeg.ts";
 * const encoder = new JpegEncoder({ width: 64, height: 48, format: "gray" });
 * const jpeg = await encoder.encode({
 *   data: new Uint8Array(64 * 48), width: 64, height: 48, format: "gray", index: 0, source: "main", time: 0,
 * });
 * console.log(jpeg[0] === 0xff && jpeg[1] === 0xd8); // true
 * await encoder.close();
 * ```
 */
export class JpegEncoder {
  /** The options it was made with. */
  readonly options: Readonly<JpegOptions>;
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #waiting: { resolve: (jpeg: Uint8Array) => void; reject: (e: Error) => void }[] = [];
  readonly #done: Promise<void>;
  #chain: Promise<unknown> = Promise.resolve();
  #failure?: Error;
  #stderr = "";
  /** JPEG images made. */
  encoded = 0;

  /** Spawns ffmpeg. Throws when ffmpeg cannot be found. */
  constructor(options: JpegOptions) {
    this.options = { ...options };
    const args = [
      ...rawVideoInput(options),
      "-f",
      "image2pipe",
      "-flush_packets",
      "1",
      "-c:v",
      "mjpeg",
      "-threads",
      "1",
      "-pix_fmt",
      "yuvj420p",
      "-q:v",
      String(options.quality ?? 5),
      "pipe:1",
    ];
    this.#child = new Deno.Command(locateFfmpeg(options.ffmpeg), {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#stdin = this.#child.stdin.getWriter();
    this.#done = Promise.all([
      this.#read(this.#child.stdout),
      this.#readStderr(this.#child.stderr),
      this.#child.status,
    ]).then(() =>
      this.#fail(new Error(`ffmpeg (jpeg) exited: ${this.#stderr.trim() || "no output"}`))
    );
  }

  /** Whether it takes frames of this size and format. */
  fits(frame: Frame): boolean {
    const o = this.options;
    return frame.width === o.width && frame.height === o.height && frame.format === o.format;
  }

  /**
   * The JPEG of one frame. Its pixels are written to ffmpeg later, in order: do not change
   * them until the promise settles (hand it a copy).
   */
  encode(frame: Frame): Promise<Uint8Array> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (!this.fits(frame)) return Promise.reject(new Error("frame size or format changed"));
    const data = frame.data.subarray(0, frameBytes(frame.width, frame.height, frame.format));
    const result = new Promise<Uint8Array>((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
    });
    this.#chain = this.#chain.then(() => this.#stdin.write(data)).catch((e) => {
      this.#fail(new Error(`ffmpeg (jpeg): ${errorMessage(e)}`));
    });
    return result;
  }

  /** Ends ffmpeg (killed, then reaped); pending encodes reject. */
  async close(): Promise<void> {
    this.#fail(new Error("encoder closed"));
    try {
      this.#child.kill("SIGKILL");
    } catch { /* exited */ }
    await this.#stdin.abort().catch(() => {});
    await this.#done;
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const w of this.#waiting.splice(0)) w.reject(this.#failure);
  }

  async #read(stdout: ReadableStream<Uint8Array>): Promise<void> {
    let pending: Uint8Array = new Uint8Array(0);
    try {
      for await (const chunk of stdout) {
        const all = new Uint8Array(pending.length + chunk.length);
        all.set(pending);
        all.set(chunk, pending.length);
        const { images, rest } = splitJpegs(all);
        pending = rest.slice();
        for (const image of images) {
          this.encoded++;
          this.#waiting.shift()?.resolve(image);
        }
      }
    } catch (e) {
      this.#fail(new Error(`ffmpeg (jpeg): ${errorMessage(e)}`));
    }
  }

  async #readStderr(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      this.#stderr = (this.#stderr + decoder.decode(chunk, { stream: true })).slice(-2000);
    }
  }
}

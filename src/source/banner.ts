/**
 * Reading ffmpeg's stderr: its input banner (what `ffmpeg -i` prints about its input, for
 * probing without ffprobe and for live sources that are opened only once), and the tail kept
 * for error messages.
 *
 * @module
 */
import type { SourceInfo } from "./info.ts";

/** The input video's size, frame rate and duration, as ffmpeg's banner gives them. */
export interface InputBanner {
  width: number;
  height: number;
  /** NaN when the banner names neither fps nor tbr. */
  fps: number;
  /** Seconds; 0 when the banner has no duration, "N/A" or 00:00:00.00 (live inputs). */
  seconds: number;
  /** The decoded pixel format (`yuv420p`, ...), when the banner names it. */
  pixelFormat?: string;
  /** The colour matrix (`bt709`, ...), when the banner names it. */
  colorSpace?: string;
}

/** Reads the first video stream of ffmpeg's input banner; `undefined` when there is none. */
export function inputBanner(text: string): InputBanner | undefined {
  const video = /Stream #\d+:\d+.*?: Video: .*?(\d{2,5})x(\d{2,5})[^\n]*/.exec(text);
  if (!video) return undefined;
  const fps = Number(/([\d.]+) fps/.exec(video[0])?.[1] ?? /([\d.]+) tbr/.exec(video[0])?.[1]);
  const d = /Duration: (\d+):(\d+):([\d.]+)/.exec(text);
  const seconds = d ? Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]) : 0;
  // "..., yuv420p(tv, bt709, progressive), 1920x1080" or "..., yuvj420p(pc, bt470bg/unknown/unknown), ..."
  const pix = /, ([a-z][a-z0-9_]*)(?:\(([^)]*)\))?, \d{2,5}x\d{2,5}/.exec(video[0]);
  const details = pix?.[2]?.split(", ") ?? [];
  const matrix = details.find((d) =>
    !/^(tv|pc|progressive|top first|bottom first|unknown)$/.test(d)
  );
  return {
    width: Number(video[1]),
    height: Number(video[2]),
    fps,
    seconds,
    ...(pix ? { pixelFormat: pix[1] } : {}),
    ...(matrix ? { colorSpace: matrix.split("/")[0] } : {}),
  };
}

/** What ffmpeg's banner says: the input's info and the output frame size. */
export interface Banner {
  input: SourceInfo;
  width: number;
  height: number;
}

/** The filter that prints each decoded frame's pts on stderr (no checksums: cheap). */
export const SHOWINFO = "showinfo=checksum=0";

/** ffmpeg's log level with level tags, so error lines can be told from info lines. */
export const LOG_LEVEL = ["-loglevel", "level+info", "-nostats"];

const SHOWINFO_LINE = /\[Parsed_showinfo_\d+ @ [^\]]*\] (?:\[\w+\] )?(.*)/;
const LEVEL_TAG = /^((?:\[[^\]]* @ [^\]]*\] )?)\[(\w+)\] ?/;

/**
 * Drains ffmpeg's stderr (run with {@link LOG_LEVEL}). Keeps the error lines (and the last
 * few others) for messages, parses the banner printed before the first frame when asked, and
 * reads the pts that {@link SHOWINFO} prints for each decoded frame.
 */
export class StderrLog {
  /** The error lines (or, when there are none, the last lines), once stderr ends. */
  readonly done: Promise<string>;
  readonly banner: Promise<Banner | undefined>;
  /** Frames that showinfo reported, i.e. decoded (after a seek). */
  decoded = 0;
  /** Lines ffmpeg logged at error level or worse. */
  errors: string[] = [];
  /** The time of the first decoded frame (NaN until then, or without a pts). */
  firstTime = NaN;
  #found!: (banner: Banner | undefined) => void;
  #timeBase = NaN;
  #times: number[] = [];
  #first = 0; // source frame number of #times[0]
  #ended = false;
  #wake: (() => void) | undefined;

  constructor(stream: ReadableStream<Uint8Array>, parseBanner: boolean) {
    this.banner = new Promise((resolve) => this.#found = resolve);
    this.done = this.#drain(stream, parseBanner);
  }

  /**
   * The presentation time in seconds of decoded frame `n` (0-based, after the seek), waiting
   * for its showinfo line; NaN when ffmpeg gave none. Frames before `n` are forgotten.
   */
  async time(n: number): Promise<number> {
    while (this.#first + this.#times.length <= n && !this.#ended) {
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    const drop = Math.min(this.#times.length, n - this.#first);
    if (drop > 0) {
      this.#times.splice(0, drop);
      this.#first += drop;
    }
    return n >= this.#first && n - this.#first < this.#times.length
      ? this.#times[n - this.#first]
      : NaN;
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #line(line: string, rest: string[]): void {
    const info = SHOWINFO_LINE.exec(line);
    if (info) {
      const frame = /^n:\s*\d+ pts:\s*(\S+)/.exec(info[1]);
      if (frame) {
        const time = Number(frame[1]) * this.#timeBase; // "NOPTS" gives NaN
        if (this.decoded++ === 0) this.firstTime = time;
        this.#times.push(time);
        this.#notify();
        return;
      }
      const tb = /^config in time_base: (\d+)\/(\d+)/.exec(info[1]);
      if (tb) this.#timeBase = Number(tb[1]) / Number(tb[2]);
      return;
    }
    const tag = LEVEL_TAG.exec(line);
    const level = tag?.[2];
    const clean = tag ? tag[1] + line.slice(tag[0].length) : line;
    if (level === "error" || level === "fatal" || level === "panic") {
      this.errors.push(clean);
      if (this.errors.length > 20) this.errors.shift();
    } else if (clean.trim()) {
      rest.push(clean);
      if (rest.length > 20) rest.shift();
    }
  }

  async #drain(stream: ReadableStream<Uint8Array>, parseBanner: boolean): Promise<string> {
    const decoder = new TextDecoder();
    let partial = "";
    const rest: string[] = [];
    let head = parseBanner ? "" : undefined;
    try {
      for await (const chunk of stream) {
        const text = decoder.decode(chunk, { stream: true });
        const lines = (partial + text).split("\n");
        partial = lines.pop()!;
        for (const line of lines) this.#line(line, rest);
        if (head === undefined) continue;
        head += text;
        const banner = parseBannerText(head);
        if (banner) {
          this.#found(banner);
          head = undefined;
        } else if (head.length > 1 << 20) head = head.slice(-65536);
      }
      if (partial) this.#line(partial, rest);
    } finally {
      this.#ended = true;
      this.#notify();
      this.#found(undefined);
    }
    return (this.errors.length ? this.errors : rest).join("\n");
  }
}

/** Parses the input and output banner ffmpeg prints before its first frame. */
export function parseBannerText(text: string): Banner | undefined {
  const split = text.indexOf("Output #0");
  if (split < 0) return undefined;
  const out = /Stream #0:0.*?: Video: rawvideo.*?, (\d+)x(\d+)/.exec(text.slice(split));
  if (!out) return undefined;
  const banner = inputBanner(text.slice(0, split));
  if (!banner) return undefined;
  // a live input has no duration: "N/A", or 00:00:00.00 from flv over RTMP
  const duration = banner.seconds > 0 ? banner.seconds : null;
  const rate = banner.fps > 0 ? banner.fps : 25;
  return {
    input: {
      width: banner.width,
      height: banner.height,
      fps: rate,
      frameCount: duration ? Math.round(duration * rate) : null,
      duration,
      live: duration === null,
    },
    width: Number(out[1]),
    height: Number(out[2]),
  };
}

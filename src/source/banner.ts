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
}

/** Reads the first video stream of ffmpeg's input banner; `undefined` when there is none. */
export function inputBanner(text: string): InputBanner | undefined {
  const video = /Stream #\d+:\d+.*?: Video: .*?(\d{2,5})x(\d{2,5})[^\n]*/.exec(text);
  if (!video) return undefined;
  const fps = Number(/([\d.]+) fps/.exec(video[0])?.[1] ?? /([\d.]+) tbr/.exec(video[0])?.[1]);
  const d = /Duration: (\d+):(\d+):([\d.]+)/.exec(text);
  const seconds = d ? Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]) : 0;
  return { width: Number(video[1]), height: Number(video[2]), fps, seconds };
}

/** What ffmpeg's banner says: the input's info and the output frame size. */
export interface Banner {
  input: SourceInfo;
  width: number;
  height: number;
}

/**
 * Drains ffmpeg's stderr (keeping the last 8 KiB for error messages) and, when asked, parses
 * the banner it prints before the first frame.
 */
export class StderrLog {
  readonly done: Promise<string>;
  readonly banner: Promise<Banner | undefined>;
  #found!: (banner: Banner | undefined) => void;

  constructor(stream: ReadableStream<Uint8Array>, parseBanner: boolean) {
    this.banner = new Promise((resolve) => this.#found = resolve);
    this.done = this.#drain(stream, parseBanner);
  }

  async #drain(stream: ReadableStream<Uint8Array>, parseBanner: boolean): Promise<string> {
    const decoder = new TextDecoder();
    let tail = "";
    let head = parseBanner ? "" : undefined;
    for await (const chunk of stream) {
      const text = decoder.decode(chunk, { stream: true });
      tail = (tail + text).slice(-8192);
      if (head === undefined) continue;
      head += text;
      const banner = parseBannerText(head);
      if (banner) {
        this.#found(banner);
        head = undefined;
      } else if (head.length > 1 << 20) head = head.slice(-65536);
    }
    this.#found(undefined);
    return tail;
  }
}

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

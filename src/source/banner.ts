/**
 * Reading ffmpeg's input banner (what `ffmpeg -i` prints to stderr about its input), for
 * probing without ffprobe and for live sources that are opened only once.
 *
 * @module
 */

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

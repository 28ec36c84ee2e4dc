/**
 * Helpers of the video-out tests: a generated clip where a red square appears at a known
 * time, ffprobe of a video (frames counted by decoding), a full decode, and decoding a video
 * or a JPEG to raw rgb24 frames to look at its pixels. All with the real ffmpeg/ffprobe.
 *
 * @module
 */
import { ffmpeg } from "./helpers.ts";

/** Where and when the red square of {@link makeSquareClip} shows. */
export interface SquareClip {
  path: string;
  width: number;
  height: number;
  fps: number;
  seconds: number;
  /** Seconds at which the square appears and disappears. */
  appear: number;
  disappear: number;
  /** The square's box `[x1, y1, x2, y2]` (x2, y2 exclusive). */
  box: [number, number, number, number];
}

/**
 * A gray clip (H.264, a keyframe every second) where a red square shows from `appear` to
 * `disappear` seconds.
 */
export async function makeSquareClip(
  path: string,
  options: Partial<Omit<SquareClip, "path" | "box">> & { size?: number } = {},
): Promise<SquareClip> {
  const { width = 320, height = 240, fps = 25, seconds = 8, appear = 3, size = 48 } = options;
  const disappear = options.disappear ?? seconds + 1;
  const x = Math.round(width / 2 - size / 2), y = Math.round(height / 2 - size / 2);
  await ffmpeg([
    "-f",
    "lavfi",
    "-i",
    `color=gray:s=${width}x${height}:r=${fps}:d=${seconds}[bg];` +
    `color=red:s=${size}x${size}:r=${fps}:d=${seconds}[sq];` +
    `[bg][sq]overlay=x=${x}:y=${y}:enable='between(t,${appear},${disappear - 0.001})'`,
    "-c:v",
    "libx264",
    "-pix_fmt",
    "yuv420p",
    "-g",
    String(fps),
    path,
  ]);
  return {
    path,
    width,
    height,
    fps,
    seconds,
    appear,
    disappear,
    box: [x, y, x + size, y + size],
  };
}

/** What {@link probeVideo} reports of a video's first stream. */
export interface VideoProbe {
  codec: string;
  width: number;
  height: number;
  fps: number;
  pixFmt: string;
  /** Frames counted by decoding (`-count_frames`). */
  frames: number;
  /** The container's duration, seconds. */
  duration: number;
}

async function run(
  command: string,
  args: string[],
): Promise<{ ok: boolean; out: Uint8Array; err: string }> {
  const out = await new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { ok: out.success, out: out.stdout, err: new TextDecoder().decode(out.stderr) };
}

/** ffprobe with `-count_frames`. `url` may be a stream (`rtmp://...`): then `frames` is 0. */
export async function probeVideo(url: string, count = true): Promise<VideoProbe> {
  const r = await run("ffprobe", [
    "-v",
    "error",
    ...(count ? ["-count_frames"] : []),
    "-select_streams",
    "v:0",
    "-show_entries",
    "stream=codec_name,width,height,r_frame_rate,pix_fmt,nb_read_frames:format=duration",
    "-of",
    "json",
    url,
  ]);
  if (!r.ok) throw new Error(`ffprobe ${url} failed: ${r.err.trim()}`);
  const json = JSON.parse(new TextDecoder().decode(r.out));
  const s = json.streams?.[0];
  if (!s) throw new Error(`ffprobe ${url}: no video stream`);
  const [num, den] = String(s.r_frame_rate).split("/").map(Number);
  return {
    codec: s.codec_name,
    width: s.width,
    height: s.height,
    fps: num / (den || 1),
    pixFmt: s.pix_fmt,
    frames: Number(s.nb_read_frames ?? 0),
    duration: Number(json.format?.duration ?? NaN),
  };
}

/** Decodes the whole file; returns ffmpeg's error output ("" for a clean decode). */
export async function decodeErrors(path: string): Promise<string> {
  const r = await run("ffmpeg", ["-hide_banner", "-v", "error", "-i", path, "-f", "null", "-"]);
  return r.ok ? r.err.trim() : `exit non-zero: ${r.err.trim()}`;
}

/** A decoded rgb24 image. */
export interface Rgb {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Decodes a video or an image into rgb24 frames of its own size. */
export async function decodeRgb(path: string): Promise<Rgb[]> {
  const { width, height } = await probeVideo(path, false);
  const r = await run("ffmpeg", [
    "-hide_banner",
    "-v",
    "error",
    "-i",
    path,
    "-f",
    "rawvideo",
    "-pix_fmt",
    "rgb24",
    "pipe:1",
  ]);
  if (!r.ok) throw new Error(`decoding ${path} failed: ${r.err.trim()}`);
  const size = width * height * 3;
  const frames: Rgb[] = [];
  for (let o = 0; o + size <= r.out.length; o += size) {
    frames.push({ data: r.out.subarray(o, o + size), width, height });
  }
  return frames;
}

/** The rgb24 pixel at (x, y). */
export function pixel(image: Rgb, x: number, y: number): [number, number, number] {
  const p = (y * image.width + x) * 3;
  return [image.data[p], image.data[p + 1], image.data[p + 2]];
}

/** Whether a pixel is the clip's red (after lossy coding). */
export function isRed([r, g, b]: [number, number, number]): boolean {
  return r > 160 && g < 100 && b < 100;
}

/**
 * Pixels on the ring `gap` pixels outside a box (0: its own edge pixels, where an annotator's
 * outline goes) that are neither the clip's gray nor its red: the count, and the ring's size.
 */
export function outlinePixels(image: Rgb, box: readonly number[], gap = 1): [number, number] {
  const [x1, y1, x2, y2] = box;
  let off = 0, total = 0;
  const visit = (x: number, y: number) => {
    if (x < 0 || y < 0 || x >= image.width || y >= image.height) return;
    total++;
    const [r, g, b] = pixel(image, x, y);
    const gray = Math.abs(r - 128) + Math.abs(g - 128) + Math.abs(b - 128) < 60;
    if (!gray && !isRed([r, g, b])) off++;
  };
  for (let x = x1 - gap; x < x2 + gap; x++) {
    visit(x, y1 - gap);
    visit(x, y2 + gap - 1);
  }
  for (let y = y1 - gap; y < y2 + gap; y++) {
    visit(x1 - gap, y);
    visit(x2 + gap - 1, y);
  }
  return [off, total];
}

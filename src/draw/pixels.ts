/**
 * Pixel writers: the one place that knows how each pixel format stores a colour. Every drawing
 * primitive reduces to horizontal spans, written here for packed `bgr24`, `rgb24` and `gray`
 * frames and for planar `yuv420p` and semi-planar `nv12` ones (BT.601 limited range, like
 * ffmpeg's default conversion; chroma is shared by 2x2 pixels).
 *
 * @module
 */
import type { Frame } from "../frame.ts";

/**
 * An RGB colour, each channel 0 to 255.
 *
 * @example
 * ```ts
 * import type { Color } from "@stream-infer/stream-infer";
 * const orange: Color = [255, 128, 0];
 * ```
 */
export type Color = readonly [number, number, number];

/**
 * A colour converted to the bytes of one pixel format (B, G, R / R, G, B / L / Y, U, V), from
 * `Canvas.paint`, for drawing many shapes of one colour without converting it each time.
 *
 * @example
 * ```ts
 * import { Canvas, type Frame, type Paint } from "@stream-infer/stream-infer";
 * const frame: Frame = { data: new Uint8Array(8 * 8 * 3), width: 8, height: 8, format: "bgr24", index: 0, source: "main", time: 0 };
 * const canvas = new Canvas(frame);
 * const red: Paint = canvas.paint([255, 0, 0]); // [0, 0, 255] in bgr24
 * for (let i = 0; i < 8; i += 2) canvas.fillRectPaint(i, i, i + 1, i + 1, red);
 * ```
 */
export type Paint = Uint8Array;

/** Writes horizontal spans of one colour into one frame's pixels. */
export interface PixelWriter {
  /** The colour as this format's bytes. */
  paint(color: Color): Paint;
  /**
   * Paints pixels `x0 <= x < x1` of row `y` (already clipped to the frame), blended over what
   * is there with `alpha` in (0, 1]: `round(old + (new - old) * alpha)` per channel.
   */
  span(x0: number, x1: number, y: number, paint: Paint, alpha: number): void;
}

/** Luma of a colour as ffmpeg's `gray` output stores it (full range BT.601), rounded. */
export function lumaOf([r, g, b]: Color): number {
  return clampByte(0.299 * r + 0.587 * g + 0.114 * b);
}

/**
 * A colour in BT.601 limited-range Y, U, V (what ffmpeg's default RGB to YUV conversion gives),
 * rounded.
 *
 * @example
 * ```ts
 * import { yuvOf } from "./pixels.ts";
 * console.log(yuvOf([255, 255, 255])); // [235, 128, 128]
 * ```
 */
export function yuvOf([r, g, b]: Color): [number, number, number] {
  return [
    clampByte(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255),
    clampByte(128 + (-37.797 * r - 74.203 * g + 112 * b) / 255),
    clampByte(128 + (112 * r - 93.786 * g - 18.214 * b) / 255),
  ];
}

function clampByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

function blend(old: number, value: number, alpha: number): number {
  return Math.round(old + (value - old) * alpha);
}

/**
 * The writer for a frame's pixel format. Throws for a format it cannot draw on.
 *
 * @example
 * ```ts
 * import { writerFor } from "./pixels.ts";
 * const frame = { data: new Uint8Array(4 * 3), width: 4, height: 1, format: "rgb24" as const, index: 0, source: "main", time: 0 };
 * const w = writerFor(frame);
 * w.span(1, 3, 0, w.paint([255, 0, 0]), 1);
 * console.log(frame.data); // 0,0,0, 255,0,0, 255,0,0, 0,0,0
 * ```
 */
export function writerFor(frame: Frame): PixelWriter {
  const { data, width, height } = frame;
  const format: string = frame.format;
  const expect = (bytes: number) => {
    if (data.length < bytes) {
      throw new RangeError(
        `a ${width}x${height} ${format} frame needs ${bytes} bytes, it has ${data.length}`,
      );
    }
  };
  switch (format) {
    case "bgr24":
    case "rgb24": {
      expect(width * height * 3);
      const bgr = format === "bgr24";
      return {
        paint: ([r, g, b]) => Uint8Array.of(bgr ? b : r, g, bgr ? r : b),
        span: (x0, x1, y, p, alpha) => packed3(data, (y * width + x0) * 3, x1 - x0, p, alpha),
      };
    }
    case "gray": {
      expect(width * height);
      return {
        paint: (c) => Uint8Array.of(lumaOf(c)),
        span: (x0, x1, y, p, alpha) => packed1(data, y * width + x0, y * width + x1, p[0], alpha),
      };
    }
    case "yuv420p":
    case "nv12": {
      const cw = (width + 1) >> 1;
      const ch = (height + 1) >> 1;
      expect(width * height + 2 * cw * ch);
      const luma = width * height;
      const nv12 = format === "nv12";
      return {
        paint: (c) => Uint8Array.from(yuvOf(c)),
        span: (x0, x1, y, p, alpha) => {
          packed1(data, y * width + x0, y * width + x1, p[0], alpha);
          // Opaque spans set the chroma of their 2x2 blocks; blended ones blend it from even
          // rows only, so a filled area does not blend the same sample twice.
          const cy = y >> 1;
          if (alpha < 1 && (y & 1) === 1) return;
          const c0 = x0 >> 1;
          const c1 = (x1 + 1) >> 1;
          if (nv12) {
            let i = luma + cy * cw * 2 + c0 * 2;
            for (let c = c0; c < c1; c++, i += 2) {
              data[i] = alpha >= 1 ? p[1] : blend(data[i], p[1], alpha);
              data[i + 1] = alpha >= 1 ? p[2] : blend(data[i + 1], p[2], alpha);
            }
          } else {
            const u = luma + cy * cw;
            const v = luma + cw * ch + cy * cw;
            packed1(data, u + c0, u + c1, p[1], alpha);
            packed1(data, v + c0, v + c1, p[2], alpha);
          }
        },
      };
    }
    default:
      throw new Error(`drawing on ${format} frames is not supported`);
  }
}

function packed1(data: Uint8Array, start: number, end: number, value: number, alpha: number) {
  if (alpha >= 1) {
    data.fill(value, start, end);
    return;
  }
  for (let i = start; i < end; i++) data[i] = blend(data[i], value, alpha);
}

function packed3(data: Uint8Array, start: number, count: number, p: Paint, alpha: number) {
  const a = p[0];
  const b = p[1];
  const c = p[2];
  let i = start;
  const end = start + count * 3;
  if (alpha >= 1) {
    if (a === b && b === c) {
      data.fill(a, i, end);
      return;
    }
    for (; i < end; i += 3) {
      data[i] = a;
      data[i + 1] = b;
      data[i + 2] = c;
    }
    return;
  }
  for (; i < end; i += 3) {
    data[i] = blend(data[i], a, alpha);
    data[i + 1] = blend(data[i + 1], b, alpha);
    data[i + 2] = blend(data[i + 2], c, alpha);
  }
}

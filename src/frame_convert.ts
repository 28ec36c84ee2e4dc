/**
 * Converting frames between pixel formats and sizes: {@link convertFrame} (a new frame) and
 * {@link frameAs} (converted once per frame, format and size, then reused), so that a source
 * can pipe 1.5-byte-per-pixel YUV frames and an algorithm that wants `bgr24`, `rgb24` or `gray`
 * pays the conversion only on the pixels it asks for.
 *
 * YUV is read as BT.601 limited range (ffmpeg's default for video that names no colour
 * space) with ffmpeg's own fixed-point arithmetic: at the same size a `yuv420p` frame converts
 * to the very bytes ffmpeg's `bgr24` output of the same video has (each pixel takes the chroma
 * sample of its 2x2 block, as ffmpeg's unscaled conversion does). `gray` is full-range luma,
 * as ffmpeg's `gray`. Resizing is bilinear with half-pixel centres, as OpenCV's
 * `INTER_LINEAR`, and equals converting the whole frame first and resizing it after; it is
 * computed on the output pixels only.
 *
 * @module
 */
import { channelsOf, type Frame, frameBytes, isYuv } from "./frame.ts";

/**
 * The pixels of a frame, all that {@link convertFrame} reads (a {@link Frame} is one).
 *
 * @example
 * ```ts
 * import type { FrameImage } from "@stream-infer/stream-infer";
 * const img: FrameImage = { data: new Uint8Array(6), width: 2, height: 2, format: "nv12" };
 * ```
 */
export type FrameImage = Pick<Frame, "data" | "width" | "height" | "format">;

/** The formats {@link convertFrame} can produce: the packed ones. */
export type PackedFormat = "bgr24" | "rgb24" | "gray";

/**
 * An output size for {@link convertFrame} and {@link frameAs}; each side defaults to the
 * frame's.
 *
 * @example
 * ```ts
 * import type { FrameSize } from "@stream-infer/stream-infer";
 * const size: FrameSize = { width: 640, height: 360 };
 * ```
 */
export interface FrameSize {
  /** Output width in pixels. */
  width?: number;
  /** Output height in pixels. */
  height?: number;
}

// BT.601 limited range to full-range RGB with ffmpeg's own fixed-point arithmetic (swscale's
// x86 yuv2rgb: coefficients in 13 bits, inputs shifted by 3, products' high 16 bits, summed,
// saturated), so a YUV frame converts to the very bytes ffmpeg's `format=bgr24` gives.
const KY = 255 / 219;
const mulhi = (a: number, b: number) => Math.floor((a * b) / 65536);
function table(f: (v: number) => number): Int16Array {
  const t = new Int16Array(256);
  for (let v = 0; v < 256; v++) t[v] = f(v);
  return t;
}
const Y_T = table((v) => mulhi(v * 8 - 128, 9539)); // 65535 * 255 / 219 / 8
const RV_T = table((v) => mulhi(v * 8 - 1024, 13075)); // 104597 / 8
const GU_T = table((v) => mulhi(v * 8 - 1024, -3209)); // -25675 / 8
const GV_T = table((v) => mulhi(v * 8 - 1024, -6660)); // -53279 / 8
const BU_T = table((v) => mulhi(v * 8 - 1024, 16525)); // 132201 / 8
/** Y (limited range) to full-range gray, rounded and clamped. */
const Y_TO_GRAY = (() => {
  const t = new Uint8Array(256);
  for (let v = 0; v < 256; v++) t[v] = Math.max(0, Math.min(255, Math.round((v - 16) * KY)));
  return t;
})();

/** One axis of a bilinear resize with half-pixel centres and clamped edges. */
interface Axis {
  i0: Int32Array;
  i1: Int32Array;
  w: Float32Array;
}

function axis(src: number, dst: number): Axis {
  const i0 = new Int32Array(dst);
  const i1 = new Int32Array(dst);
  const w = new Float32Array(dst);
  const ratio = src / dst;
  for (let d = 0; d < dst; d++) {
    let s = (d + 0.5) * ratio - 0.5;
    if (s < 0) s = 0;
    let lo = Math.floor(s);
    if (lo > src - 1) lo = src - 1;
    i0[d] = lo;
    i1[d] = Math.min(lo + 1, src - 1);
    w[d] = s - lo;
  }
  return { i0, i1, w };
}

const axisCache = new Map<string, Axis>();
function cachedAxis(src: number, dst: number): Axis {
  const key = `${src}>${dst}`;
  let a = axisCache.get(key);
  if (!a) {
    if (axisCache.size >= 16) axisCache.delete(axisCache.keys().next().value!);
    axisCache.set(key, a = axis(src, dst));
  }
  return a;
}

/** Where a YUV frame's chroma samples are: U and V offsets, row stride, step between samples. */
function chromaLayout(frame: FrameImage): { u: number; v: number; stride: number; step: number } {
  const { width: w, height: h } = frame;
  const cw = Math.ceil(w / 2);
  const ch = Math.ceil(h / 2);
  return frame.format === "nv12"
    ? { u: w * h, v: w * h + 1, stride: 2 * cw, step: 2 }
    : { u: w * h, v: w * h + cw * ch, stride: cw, step: 1 };
}

/** Bilinear resize of one byte channel (`step` bytes apart, rows `stride` apart) into `out`. */
function resizePlane(
  src: Uint8Array,
  base: number,
  stride: number,
  step: number,
  ax: Axis,
  ay: Axis,
  out: Float32Array,
): void {
  const dw = ax.w.length;
  let o = 0;
  for (let y = 0; y < ay.w.length; y++) {
    const r0 = base + ay.i0[y] * stride;
    const r1 = base + ay.i1[y] * stride;
    const fy = ay.w[y];
    for (let x = 0; x < dw; x++, o++) {
      const c0 = ax.i0[x] * step;
      const c1 = ax.i1[x] * step;
      const fx = ax.w[x];
      const top = src[r0 + c0] + (src[r0 + c1] - src[r0 + c0]) * fx;
      const bottom = src[r1 + c0] + (src[r1 + c1] - src[r1 + c0]) * fx;
      out[o] = top + (bottom - top) * fy;
    }
  }
}

function yuvToPacked(
  frame: FrameImage,
  format: PackedFormat,
  dw: number,
  dh: number,
  out: Uint8Array,
) {
  const { data, width: sw, height: sh } = frame;
  const c = chromaLayout(frame);
  const clamped = new Uint8ClampedArray(out.buffer, out.byteOffset, out.byteLength);
  const rOff = format === "bgr24" ? 2 : 0;
  const bOff = 2 - rOff;
  if (dw === sw && dh === sh) {
    if (format === "gray") {
      for (let i = 0, n = sw * sh; i < n; i++) out[i] = Y_TO_GRAY[data[i]];
      return;
    }
    let o = 0;
    for (let y = 0; y < sh; y++) {
      const row = y * sw;
      const crow = (y >> 1) * c.stride;
      for (let x = 0; x < sw; x++, o += 3) {
        const k = crow + (x >> 1) * c.step;
        const u = data[c.u + k];
        const v = data[c.v + k];
        const l = Y_T[data[row + x]];
        clamped[o + rOff] = l + RV_T[v];
        clamped[o + 1] = l + GU_T[u] + GV_T[v];
        clamped[o + bOff] = l + BU_T[u];
      }
    }
    return;
  }
  // Resized: each output pixel blends its four source pixels, each converted with the chroma
  // of its own 2x2 block and rounded to 8 bits: what converting the whole frame first (as
  // ffmpeg does) and resizing it after gives, but computed on the output pixels only.
  const ax = cachedAxis(sw, dw);
  const ay = cachedAxis(sh, dh);
  const px = new Int32Array(12); // R, G, B of the four neighbours
  const rgbAt = rgbReader(frame);
  let o = 0;
  for (let y = 0; y < dh; y++) {
    const r0 = ay.i0[y];
    const r1 = ay.i1[y];
    const fy = ay.w[y];
    for (let x = 0; x < dw; x++) {
      const c0 = ax.i0[x];
      const c1 = ax.i1[x];
      const fx = ax.w[x];
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      if (format === "gray") {
        clamped[o++] = Y_TO_GRAY[data[r0 * sw + c0]] * w00 + Y_TO_GRAY[data[r0 * sw + c1]] * w01 +
          Y_TO_GRAY[data[r1 * sw + c0]] * w10 + Y_TO_GRAY[data[r1 * sw + c1]] * w11;
        continue;
      }
      rgbAt(c0, r0, px, 0);
      rgbAt(c1, r0, px, 3);
      rgbAt(c0, r1, px, 6);
      rgbAt(c1, r1, px, 9);
      for (let k = 0; k < 3; k++) {
        const value = px[k] * w00 + px[3 + k] * w01 + px[6 + k] * w10 + px[9 + k] * w11;
        clamped[o + (k === 0 ? rOff : k === 2 ? bOff : 1)] = value;
      }
      o += 3;
    }
  }
}

/**
 * Reads one pixel of a frame as R, G, B levels: `read(x, y, out, at)` writes them to
 * `out[at]`, `out[at + 1]`, `out[at + 2]`. A YUV pixel is converted on the way with the chroma
 * of its 2x2 block, to the levels ffmpeg's own `rgb24` output would have; `gray` gives equal
 * levels. For code that samples a few pixels of a frame (a resize, a letterbox) without
 * converting all of it.
 *
 * @example
 * ```ts
 * import { type Frame, rgbReader } from "@stream-infer/stream-infer";
 * const f: Frame = { data: new Uint8Array([126, 126, 126, 126, 128, 128]), width: 2, height: 2, format: "yuv420p", index: 0, source: "main", time: 0 };
 * const rgb = new Int32Array(3);
 * rgbReader(f)(1, 1, rgb, 0);
 * console.log(rgb); // Int32Array(3) [ 128, 128, 128 ]
 * ```
 */
export function rgbReader(
  frame: FrameImage,
): (x: number, y: number, out: Int32Array | Uint8Array, at: number) => void {
  const { data, width: w, format } = frame;
  if (format === "gray") {
    return (x, y, out, at) => {
      out[at] = out[at + 1] = out[at + 2] = data[y * w + x];
    };
  }
  if (format === "rgb24" || format === "bgr24") {
    const r = format === "bgr24" ? 2 : 0;
    return (x, y, out, at) => {
      const p = (y * w + x) * 3;
      out[at] = data[p + r];
      out[at + 1] = data[p + 1];
      out[at + 2] = data[p + 2 - r];
    };
  }
  const c = chromaLayout(frame);
  return (x, y, out, at) => {
    const k = (y >> 1) * c.stride + (x >> 1) * c.step;
    const u = data[c.u + k];
    const v = data[c.v + k];
    const l = Y_T[data[y * w + x]];
    out[at] = clamp8(l + RV_T[v]);
    out[at + 1] = clamp8(l + GU_T[u] + GV_T[v]);
    out[at + 2] = clamp8(l + BU_T[u]);
  };
}

/** Clamps an integer to 0..255. */
function clamp8(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : v;
}

function packedToPacked(
  frame: FrameImage,
  format: PackedFormat,
  dw: number,
  dh: number,
  out: Uint8Array,
) {
  const { data, width: sw, height: sh } = frame;
  const from = frame.format;
  const C = channelsOf(from);
  const clamped = new Uint8ClampedArray(out.buffer, out.byteOffset, out.byteLength);
  const same = dw === sw && dh === sh;
  // Source channel c of output pixel i: straight from `data`, or from the resized planes.
  const planes: Float32Array[] = [];
  if (!same) {
    const ax = cachedAxis(sw, dw);
    const ay = cachedAxis(sh, dh);
    for (let k = 0; k < C; k++) {
      const plane = new Float32Array(dw * dh);
      resizePlane(data, k, sw * C, C, ax, ay, plane);
      planes.push(plane);
    }
  }
  const n = dw * dh;
  if (C === 1) {
    const g = same ? data : planes[0];
    if (format === "gray") {
      if (same) out.set(data.subarray(0, n));
      else clamped.set(g);
      return;
    }
    for (let i = 0, o = 0; i < n; i++, o += 3) clamped[o] = clamped[o + 1] = clamped[o + 2] = g[i];
    return;
  }
  const srcR = from === "bgr24" ? 2 : 0;
  const srcB = 2 - srcR;
  if (same && format !== "gray") {
    if (format === from) {
      out.set(data.subarray(0, n * 3));
      return;
    }
    for (let o = 0; o < n * 3; o += 3) {
      out[o] = data[o + 2];
      out[o + 1] = data[o + 1];
      out[o + 2] = data[o];
    }
    return;
  }
  const pick = (i: number, k: number) => same ? data[i * 3 + k] : planes[k][i];
  if (format === "gray") {
    for (let i = 0; i < n; i++) {
      clamped[i] = 0.299 * pick(i, srcR) + 0.587 * pick(i, 1) + 0.114 * pick(i, srcB);
    }
    return;
  }
  const dstR = format === "bgr24" ? 2 : 0;
  const dstB = 2 - dstR;
  for (let i = 0, o = 0; i < n; i++, o += 3) {
    clamped[o + dstR] = planes[srcR][i];
    clamped[o + 1] = planes[1][i];
    clamped[o + dstB] = planes[srcB][i];
  }
}

function checkSize(frame: FrameImage, size: FrameSize): [number, number] {
  const width = size.width ?? frame.width;
  const height = size.height ?? frame.height;
  for (const [key, v] of [["width", width], ["height", height]] as const) {
    if (!(Number.isInteger(v) && v >= 1)) {
      throw new RangeError(`convertFrame: ${key} must be a positive integer (got ${v})`);
    }
  }
  const need = frameBytes(frame.width, frame.height, frame.format);
  if (frame.data.length < need) {
    throw new RangeError(
      `convertFrame: a ${frame.width}x${frame.height} ${frame.format} frame needs ${need} ` +
        `bytes (got ${frame.data.length})`,
    );
  }
  return [width, height];
}

/**
 * Returns a new frame with the same index, time and source (any other fields of `frame`
 * are copied too), converted to a packed `format`
 * (`bgr24`, `rgb24` or `gray`) and resized (bilinear) to `size`. Reads every format,
 * `yuv420p` and `nv12` included; the colour conversion runs only on the output pixels.
 * Writes into `out` when it has the right length.
 *
 * @example
 * ```ts
 * import { convertFrame, type Frame } from "@stream-infer/stream-infer";
 * // a 2x2 yuv420p frame of mid grey: four Y bytes, one U, one V
 * const f: Frame = { data: new Uint8Array([126, 126, 126, 126, 128, 128]), width: 2, height: 2, format: "yuv420p", index: 0, source: "main", time: 0 };
 * console.log(convertFrame(f, "bgr24").data.slice(0, 3)); // Uint8Array(3) [ 128, 128, 128 ]
 * console.log(convertFrame(f, "gray", { width: 1, height: 1 }).data); // Uint8Array(1) [ 128 ]
 * ```
 */
export function convertFrame<T extends FrameImage>(
  frame: T,
  format: PackedFormat,
  size: FrameSize = {},
  out?: Uint8Array,
): T {
  if (format !== "bgr24" && format !== "rgb24" && format !== "gray") {
    throw new RangeError(`convertFrame: cannot convert to ${format} (bgr24, rgb24 or gray)`);
  }
  const [width, height] = checkSize(frame, size);
  const bytes = frameBytes(width, height, format);
  const data = out?.length === bytes ? out : new Uint8Array(bytes);
  if (isYuv(frame.format)) yuvToPacked(frame, format, width, height, data);
  else packedToPacked(frame, format, width, height, data);
  return { ...frame, data, width, height, format };
}

const converted = new WeakMap<Uint8Array, Map<string, Frame>>();

/**
 * The frame in `format` at `size`: the frame itself when it already is, else a conversion
 * made once per frame, format and size and then reused (by every algorithm that asks for it
 * in the same call). Frames are told apart by their `data` array, so a reused frame buffer
 * (a new `Uint8Array` per frame) is never mistaken for an older frame. Treat the result as
 * read-only.
 *
 * @example
 * ```ts
 * import { type Frame, frameAs } from "@stream-infer/stream-infer";
 * const f: Frame = { data: new Uint8Array([126, 126, 126, 126, 128, 128]), width: 2, height: 2, format: "yuv420p", index: 0, source: "main", time: 0 };
 * const bgr = frameAs(f, "bgr24");
 * console.log(frameAs(f, "bgr24") === bgr, bgr.data.length); // true 12
 * ```
 */
export function frameAs(frame: Frame, format: PackedFormat, size: FrameSize = {}): Frame {
  const width = size.width ?? frame.width;
  const height = size.height ?? frame.height;
  if (frame.format === format && width === frame.width && height === frame.height) return frame;
  let cache = converted.get(frame.data);
  if (!cache) converted.set(frame.data, cache = new Map());
  const key = `${format}@${width}x${height}`;
  let result = cache.get(key);
  if (!result) cache.set(key, result = convertFrame(frame, format, { width, height }));
  return result;
}

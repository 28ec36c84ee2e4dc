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

/** Converts row `y` of a YUV frame to packed RGB (R at `r`, B at `2 - r`) at `out[at]`. */
function yuvRow(frame: FrameImage, y: number, out: Uint8ClampedArray, at: number, r: number) {
  const { data, width: w } = frame;
  const c = chromaLayout(frame);
  const row = y * w;
  const uAt = c.u + (y >> 1) * c.stride;
  const vAt = c.v + (y >> 1) * c.stride;
  const step = c.step;
  const b = 2 - r;
  // two pixels share a chroma sample
  for (let x = 0, o = at, k = 0; x < w; x += 2, k += step) {
    const u = data[uAt + k];
    const v = data[vAt + k];
    const rv = RV_T[v];
    const g = GU_T[u] + GV_T[v];
    const bu = BU_T[u];
    let l = Y_T[data[row + x]];
    out[o + r] = l + rv;
    out[o + 1] = l + g;
    out[o + b] = l + bu;
    o += 3;
    if (x + 1 < w) {
      l = Y_T[data[row + x + 1]];
      out[o + r] = l + rv;
      out[o + 1] = l + g;
      out[o + b] = l + bu;
      o += 3;
    }
  }
}

/**
 * Converts the listed rows of a frame to packed `rgb24` in `out` (`width * height * 3` bytes;
 * the other rows are left as they were), for resizers that read only some rows of a large
 * frame: a YUV pixel takes the chroma of its 2x2 block and comes out as the very levels
 * ffmpeg's own `rgb24` output would have. Returns `out`.
 *
 * @example
 * ```ts
 * import { convertRows, type Frame } from "@stream-infer/stream-infer";
 * const f: Frame = { data: new Uint8Array([126, 126, 126, 126, 128, 128]), width: 2, height: 2, format: "yuv420p", index: 0, source: "main", time: 0 };
 * console.log(convertRows(f, [1], new Uint8Array(12)).subarray(6)); // Uint8Array(6) [ 128, 128, 128, 128, 128, 128 ]
 * ```
 */
export function convertRows(
  frame: FrameImage,
  rows: Iterable<number>,
  out: Uint8Array,
): Uint8Array {
  const { data, width: w, height: h, format } = frame;
  if (out.length < w * h * 3) throw new RangeError(`convertRows: out needs ${w * h * 3} bytes`);
  const clamped = new Uint8ClampedArray(out.buffer, out.byteOffset, out.byteLength);
  for (const y of rows) {
    if (!(Number.isInteger(y) && y >= 0 && y < h)) throw new RangeError(`convertRows: no row ${y}`);
    const at = y * w * 3;
    if (isYuv(format)) yuvRow(frame, y, clamped, at, 0);
    else if (format === "rgb24") out.set(data.subarray(at, at + w * 3), at);
    else if (format === "bgr24") {
      for (let o = at; o < at + w * 3; o += 3) {
        out[o] = data[o + 2];
        out[o + 1] = data[o + 1];
        out[o + 2] = data[o];
      }
    } else {
      for (let x = 0, o = at; x < w; x++, o += 3) {
        out[o] = out[o + 1] = out[o + 2] = data[y * w + x];
      }
    }
  }
  return out;
}

/** A scratch buffer reused between calls (conversions are synchronous). */
let scratch = new Uint8Array(0);
function scratchOf(bytes: number): Uint8Array {
  if (scratch.length < bytes) scratch = new Uint8Array(bytes);
  return scratch.subarray(0, bytes);
}

/**
 * The rows of a `height`-row source that a bilinear resize to `dh` rows reads (both
 * neighbours of every output row), in order.
 *
 * @example
 * ```ts
 * import { rowsRead } from "@stream-infer/stream-infer";
 * console.log(rowsRead(6, 2)); // [ 1, 2, 4, 5 ]
 * ```
 */
export function rowsRead(height: number, dh: number): number[] {
  const ay = cachedAxis(height, dh);
  const rows = new Set<number>();
  for (let y = 0; y < dh; y++) rows.add(ay.i0[y]).add(ay.i1[y]);
  return [...rows].sort((a, b) => a - b);
}

function yuvToPacked(
  frame: FrameImage,
  format: PackedFormat,
  dw: number,
  dh: number,
  out: Uint8Array,
) {
  const { data, width: sw, height: sh } = frame;
  if (format === "gray") {
    if (dw === sw && dh === sh) {
      for (let i = 0, n = sw * sh; i < n; i++) out[i] = Y_TO_GRAY[data[i]];
    } else {
      const luma = { data: data.subarray(0, sw * sh), width: sw, height: sh, format: "gray" };
      packedToPacked(luma as FrameImage, "gray", dw, dh, out);
      for (let i = 0; i < out.length; i++) out[i] = Y_TO_GRAY[out[i]];
    }
    return;
  }
  const clamped = new Uint8ClampedArray(out.buffer, out.byteOffset, out.byteLength);
  if (dw === sw && dh === sh) {
    const r = format === "bgr24" ? 2 : 0;
    for (let y = 0; y < sh; y++) yuvRow(frame, y, clamped, y * sw * 3, r);
    return;
  }
  // Resized: the rows the resize reads are converted (as ffmpeg converts them), then resized
  // as a packed frame: the same as converting the whole frame first.
  const rgb = convertRows(frame, rowsRead(sh, dh), scratchOf(sw * sh * 3));
  packedToPacked({ data: rgb, width: sw, height: sh, format: "rgb24" }, format, dw, dh, out);
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

/**
 * Letterbox pre-processing: a frame scaled, centred on a grey canvas and converted into a YOLO
 * input tensor (NCHW RGB in 0..1), as Ultralytics does.
 *
 * @module
 */
import {
  channelsOf,
  convertRows,
  frameBytes,
  InputError,
  isYuv,
  PIXEL_FORMATS,
} from "../../mod.ts";
import type { ImageLike, LetterboxResult } from "./types.ts";

const PAD = 114 / 255;
const INV255 = 1 / 255;
const U8_TO_UNIT = (() => {
  const t = new Float32Array(256);
  for (let v = 0; v < 256; v++) t[v] = v / 255;
  return t;
})();

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

interface ResizeTables {
  /** Byte offset of the left / right source pixel of each destination column. */
  x0: Int32Array;
  x1: Int32Array;
  /** Weight of the right source pixel of each destination column. */
  wx: Float32Array;
  /** Byte offset of the upper / lower source row of each destination row. */
  y0: Int32Array;
  y1: Int32Array;
  /** Weights (scaled by 1/255) of the upper / lower source row of each destination row. */
  wy0: Float32Array;
  wy1: Float32Array;
}

const tableCache = new Map<string, ResizeTables>();

/** One axis of an OpenCV-style INTER_LINEAR resize (half-pixel centres, clamped edges). */
function axisTable(src: number, dst: number, stride: number) {
  const i0 = new Int32Array(dst);
  const i1 = new Int32Array(dst);
  const w = new Float32Array(dst);
  const ratio = src / dst;
  for (let d = 0; d < dst; d++) {
    let s = (d + 0.5) * ratio - 0.5;
    if (s < 0) s = 0;
    let lo = Math.floor(s);
    if (lo > src - 1) lo = src - 1;
    const f = s - lo;
    i0[d] = lo * stride;
    i1[d] = Math.min(lo + 1, src - 1) * stride;
    w[d] = f;
  }
  return { i0, i1, w };
}

function resizeTables(
  sw: number,
  sh: number,
  dw: number,
  dh: number,
  channels: number,
): ResizeTables {
  const key = `${sw}x${sh}>${dw}x${dh}/${channels}`;
  let t = tableCache.get(key);
  if (t) return t;
  const x = axisTable(sw, dw, channels);
  const y = axisTable(sh, dh, sw * channels);
  const wy0 = new Float32Array(dh);
  const wy1 = new Float32Array(dh);
  for (let d = 0; d < dh; d++) {
    wy0[d] = (1 - y.w[d]) * INV255;
    wy1[d] = y.w[d] * INV255;
  }
  t = { x0: x.i0, x1: x.i1, wx: x.w, y0: y.i0, y1: y.i1, wy0, wy1 };
  if (tableCache.size >= 8) tableCache.delete(tableCache.keys().next().value!);
  tableCache.set(key, t);
  return t;
}

/** The source rows a resize reads. */
function rowsOf(t: ResizeTables, rowBytes: number): number[] {
  const rows = new Set<number>();
  for (let y = 0; y < t.y0.length; y++) rows.add(t.y0[y] / rowBytes).add(t.y1[y] / rowBytes);
  return [...rows];
}

/** RGB rows of a YUV frame, reused between calls (letterbox is synchronous). */
let scratch = new Uint8Array(0);
function scratchOf(bytes: number): Uint8Array {
  if (scratch.length < bytes) scratch = new Uint8Array(bytes);
  return scratch.subarray(0, bytes);
}

/**
 * Checks a network input size, `n` (square) or `[height, width]`, and returns `[height, width]`.
 *
 * @throws {InputError} when a side is not a positive integer.
 */
export function sizeOf(imgsz: number | readonly [number, number]): [number, number] {
  const [h, w] = typeof imgsz === "number" ? [imgsz, imgsz] : imgsz;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new InputError(`imgsz must be a positive integer or [height, width] (got ${imgsz})`);
  }
  return [h, w];
}

/**
 * Letterboxes a frame into a YOLO input tensor, as Ultralytics does: scale by
 * `min(H / height, W / width)`, resize (bilinear) to `round(width * scale) x round(height *
 * scale)`, centre on a grey (114) canvas, and write RGB planes (NCHW) of values in 0..1.
 * Accepts `bgr24`, `rgb24`, `gray`, `yuv420p` and `nv12` frames. Reuses `out` when it has the
 * right length. A frame that already has the target size is only converted, not resampled. A
 * YUV frame is converted to RGB only on the source rows the resize reads (`convertRows`), with
 * ffmpeg's own arithmetic: the tensor is the very one ffmpeg's `bgr24` frame of the same video
 * gives.
 *
 * @param frame The frame to convert.
 * @param imgsz Network input size: `n` for square, or `[height, width]`.
 * @param out Optional buffer of `3 * H * W` floats to write into.
 * @example
 * ```ts
 * import { letterbox } from "@stream-infer/stream-infer/plugins/yolo";
 * const frame = { data: new Uint8Array(1280 * 720 * 3), width: 1280, height: 720, format: "bgr24" as const };
 * const { tensor, scale, padX, padY } = letterbox(frame, 640);
 * console.log(tensor.length, scale, padX, padY); // 1228800 0.5 0 140
 * ```
 */
export function letterbox(
  frame: ImageLike,
  imgsz: number | readonly [number, number],
  out?: Float32Array,
): LetterboxResult {
  const [H, W] = sizeOf(imgsz);
  const { width: sw, height: sh } = frame;
  let { data, format } = frame;
  if (!PIXEL_FORMATS.includes(format)) {
    throw new InputError(`letterbox: unsupported pixel format ${JSON.stringify(format)}`);
  }
  const bytes = frameBytes(sw, sh, format);
  if (!(sw >= 1 && sh >= 1) || data.length < bytes) {
    throw new InputError(
      `letterbox: a ${sw}x${sh} ${format} frame needs ${bytes} bytes (got ${data.length})`,
    );
  }
  const plane = H * W;
  const tensor = out && out.length === 3 * plane ? out : new Float32Array(3 * plane);
  const scale = Math.min(H / sh, W / sw);
  const nw = Math.min(W, Math.max(1, roundHalfEven(sw * scale)));
  const nh = Math.min(H, Math.max(1, roundHalfEven(sh * scale)));
  if (isYuv(format)) {
    // Converted to RGB only on the source rows the resize reads, as ffmpeg converts them: the
    // tensor is then the very one the bgr24 frame of the same video gives.
    const rows = nw === sw && nh === sh ? Array.from({ length: sh }, (_, y) => y) : rowsOf(
      resizeTables(sw, sh, nw, nh, 3),
      sw * 3,
    );
    data = convertRows(frame, rows, scratchOf(sw * sh * 3));
    format = "rgb24";
  }
  const C = channelsOf(format);
  const padX = Math.floor((W - nw) / 2);
  const padY = Math.floor((H - nh) / 2);

  const pR = tensor.subarray(0, plane);
  const pG = tensor.subarray(plane, 2 * plane);
  const pB = tensor.subarray(2 * plane, 3 * plane);
  const planes = [pR, pG, pB];
  const rOff = format === "bgr24" ? 2 : 0;
  const bOff = 2 - rOff;

  // Grey borders: whole rows above and below, then the left / right strips.
  if (nh < H) {
    for (const p of planes) {
      p.fill(PAD, 0, padY * W);
      p.fill(PAD, (padY + nh) * W, plane);
    }
  }
  if (nw < W) {
    for (let y = padY; y < padY + nh; y++) {
      const row = y * W;
      for (const p of planes) {
        p.fill(PAD, row, row + padX);
        p.fill(PAD, row + padX + nw, row + W);
      }
    }
  }

  if (nw === sw && nh === sh) {
    // No resampling: convert and transpose only.
    const lut = U8_TO_UNIT;
    for (let y = 0; y < sh; y++) {
      let o = (padY + y) * W + padX;
      let s = y * sw * C;
      if (C === 3) {
        for (let x = 0; x < sw; x++, o++, s += 3) {
          pR[o] = lut[data[s + rOff]];
          pG[o] = lut[data[s + 1]];
          pB[o] = lut[data[s + bOff]];
        }
      } else {
        for (let x = 0; x < sw; x++, o++, s++) {
          const v = lut[data[s]];
          pR[o] = v;
          pG[o] = v;
          pB[o] = v;
        }
      }
    }
  } else {
    const t = resizeTables(sw, sh, nw, nh, C);
    const { x0, x1, wx } = t;
    for (let y = 0; y < nh; y++) {
      const r0 = t.y0[y];
      const r1 = t.y1[y];
      const a0 = t.wy0[y];
      const a1 = t.wy1[y];
      let o = (padY + y) * W + padX;
      if (C === 3) {
        for (let x = 0; x < nw; x++, o++) {
          const f = wx[x];
          const w00 = a0 * (1 - f);
          const w01 = a0 * f;
          const w10 = a1 * (1 - f);
          const w11 = a1 * f;
          const p00 = r0 + x0[x];
          const p01 = r0 + x1[x];
          const p10 = r1 + x0[x];
          const p11 = r1 + x1[x];
          pR[o] = data[p00 + rOff] * w00 + data[p01 + rOff] * w01 + data[p10 + rOff] * w10 +
            data[p11 + rOff] * w11;
          pG[o] = data[p00 + 1] * w00 + data[p01 + 1] * w01 + data[p10 + 1] * w10 +
            data[p11 + 1] * w11;
          pB[o] = data[p00 + bOff] * w00 + data[p01 + bOff] * w01 + data[p10 + bOff] * w10 +
            data[p11 + bOff] * w11;
        }
      } else {
        for (let x = 0; x < nw; x++, o++) {
          const f = wx[x];
          const v = (data[r0 + x0[x]] * (1 - f) + data[r0 + x1[x]] * f) * a0 +
            (data[r1 + x0[x]] * (1 - f) + data[r1 + x1[x]] * f) * a1;
          pR[o] = v;
          pG[o] = v;
          pB[o] = v;
        }
      }
    }
  }
  return { tensor, scale, padX, padY, width: W, height: H };
}

/**
 * Post-processing: decodes a YOLOv8 / YOLO11 detection output (full, or the compact outputs of
 * compact.ts) into detections: confidence and class filters, class-wise NMS, and boxes mapped
 * back through the letterbox.
 *
 * @module
 */
import { InputError, PluginError } from "../../mod.ts";
import { COCO_NAMES, nameOf, resolveClasses } from "./classes.ts";
import { nms } from "./nms.ts";
import type { DecodeOptions, Detection } from "./types.ts";

// Scratch buffers of decodeFull, grown as needed. They are only used within one synchronous
// call, so calls (of any detector instance or source) never see each other's values.
let flagged = new Uint8Array(0);
let bestScore = new Float32Array(0);
let bestClass = new Int32Array(0);

const MAX_NMS = 30000; // as Ultralytics: at most this many candidates enter NMS

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

/**
 * Decodes a YOLOv8 / YOLO11 detection output `[1, 4 + nc, N]` (per anchor, channel-first: cx,
 * cy, w, h, then nc class scores) into detections: best class per anchor, confidence filter
 * (strictly above), class filter, class-wise NMS, at most `maxDetections`, then boxes mapped
 * back through the letterbox (`(v - pad) / scale`), clipped to the frame and rounded to 0.1 px.
 *
 * @param output The output tensor's data.
 * @param dims Its shape, `[1, 4 + nc, N]`.
 * @param options Thresholds, class filter, letterbox geometry and names.
 * @returns Detections, best score first.
 * @example
 * ```ts
 * import { decodeYolo } from "@stream-infer/stream-infer/plugins/yolo";
 * // one anchor, two classes: a 4x4 box centred at (4, 4), class 1 at 0.9
 * const out = new Float32Array([4, 4, 4, 4, 0.1, 0.9]);
 * const dets = decodeYolo(out, [1, 6, 1], { names: ["cat", "dog"], scale: 0.5, padY: 2 });
 * console.log(dets); // [{ cls: 1, name: "dog", score: 0.9, box: [4, 0, 12, 8] }]
 * ```
 */
export function decodeYolo(
  output: Float32Array,
  dims: readonly number[],
  options: DecodeOptions = {},
): Detection[] {
  const [nc, n] = outputShape(output, dims);
  return decodeFull(output, nc, n, decoding(options));
}

/**
 * Checks that `output` is a `[1, 4 + nc, N]` detection output (as {@link decodeYolo} expects)
 * and returns `[nc, N]`.
 */
export function outputShape(output: Float32Array, dims: readonly number[]): [number, number] {
  if (dims.length !== 3 || dims[0] !== 1 || dims[1] < 5 || dims[2] < 0) {
    throw new InputError(
      `decodeYolo: expected an output of shape [1, 4 + classes, anchors] (got [${dims}])`,
    );
  }
  if (output.length < dims[1] * dims[2]) {
    throw new InputError(`decodeYolo: ${output.length} values for shape [${dims}]`);
  }
  return [dims[1] - 4, dims[2]];
}

/** {@link decodeYolo} on an output of `nc` classes and `n` anchors, checked by outputShape. */
export function decodeFull(output: Float32Array, nc: number, n: number, d: Decoding): Detection[] {
  const conf = d.confidence;

  // An anchor is a candidate when its best class score is above `conf`, i.e. when any of its
  // class scores is: find those by scanning the class rows in memory order (one compare per
  // score), then take the best class of the few candidates only.
  if (flagged.length < n) flagged = new Uint8Array(n);
  const flags = flagged.subarray(0, n);
  flags.fill(0);
  let flaggedCount = 0;
  for (let c = 0; c < nc; c++) {
    const row = output.subarray((4 + c) * n, (5 + c) * n);
    for (let i = 0; i < n; i++) {
      if (row[i] > conf && flags[i] === 0) {
        flags[i] = 1;
        flaggedCount++;
      }
    }
  }
  if (flaggedCount === 0) return [];
  if (bestScore.length < n) {
    bestScore = new Float32Array(n);
    bestClass = new Int32Array(n);
  }
  const best = bestScore;
  const bestCls = bestClass;
  const cand: number[] = [];
  for (let i = 0; i < n; i++) {
    if (flags[i] === 0) continue;
    let top = output[4 * n + i];
    let cls = 0;
    for (let c = 1, at = 5 * n + i; c < nc; c++, at += n) {
      if (output[at] > top) {
        top = output[at];
        cls = c;
      }
    }
    best[i] = top;
    bestCls[i] = cls;
    if (top > conf && (d.allowed === null || d.allowed.has(cls))) cand.push(i);
  }
  return detectionsOf(output, n, cand, best, bestCls, d);
}

/** {@link DecodeOptions} with the defaults applied and the class filter resolved. */
export interface Decoding {
  confidence: number;
  iou: number;
  names: readonly string[];
  allowed: Set<number> | null;
  scale: number;
  padX: number;
  padY: number;
  frameWidth: number;
  frameHeight: number;
  maxDetections: number;
}

/** Applies the defaults of {@link DecodeOptions} and resolves its class filter. */
export function decoding(options: DecodeOptions): Decoding {
  const names = options.names ?? COCO_NAMES;
  return {
    confidence: options.confidence ?? 0.25,
    iou: options.iou ?? 0.45,
    names,
    allowed: options.classes && options.classes.length
      ? resolveClasses(options.classes, names)
      : null,
    scale: options.scale ?? 1,
    padX: options.padX ?? 0,
    padY: options.padY ?? 0,
    frameWidth: options.frameWidth ?? Infinity,
    frameHeight: options.frameHeight ?? Infinity,
    maxDetections: options.maxDetections ?? 300,
  };
}

/**
 * Like {@link decodeYolo}, from the compact outputs of {@link withCompactOutputs}: `boxes`
 * `[1, 4, n]`, each anchor's best class score and that class. Same detections.
 */
export function decodeCompact(
  boxes: Float32Array,
  scores: Float32Array,
  classes: Int32Array,
  d: Decoding,
): Detection[] {
  const n = scores.length;
  if (boxes.length < 4 * n || classes.length < n) {
    throw new PluginError("YoloDetector: the model's compact outputs do not match");
  }
  const conf = d.confidence;
  const cand: number[] = [];
  for (let i = 0; i < n; i++) {
    if (scores[i] > conf && (d.allowed === null || d.allowed.has(classes[i]))) cand.push(i);
  }
  return detectionsOf(boxes, n, cand, scores, classes, d);
}

/**
 * The end of decoding: at most {@link MAX_NMS} candidates (anchor indices, in order) by score,
 * class-wise NMS, boxes (`cx, cy, w, h` rows of `n` values at the start of `rows`) mapped back
 * through the letterbox, clipped and rounded.
 */
function detectionsOf(
  rows: Float32Array,
  n: number,
  candidates: number[],
  best: ArrayLike<number>,
  bestCls: ArrayLike<number>,
  d: Decoding,
): Detection[] {
  if (candidates.length === 0) return [];
  let cand = candidates;
  if (cand.length > MAX_NMS) {
    cand.sort((p, q) => best[q] - best[p] || p - q);
    cand = cand.slice(0, MAX_NMS);
  }
  const m = cand.length;
  const boxes = new Float32Array(4 * m);
  const scores = new Float32Array(m);
  const classes = new Uint16Array(m);
  for (let k = 0; k < m; k++) {
    const i = cand[k];
    const cx = rows[i];
    const cy = rows[n + i];
    const hw = rows[2 * n + i] / 2;
    const hh = rows[3 * n + i] / 2;
    boxes[4 * k] = cx - hw;
    boxes[4 * k + 1] = cy - hh;
    boxes[4 * k + 2] = cx + hw;
    boxes[4 * k + 3] = cy + hh;
    scores[k] = best[i];
    classes[k] = bestCls[i];
  }

  const kept = nms(boxes, scores, d.iou, { classes, maxDetections: d.maxDetections });
  const { padX, padY, scale, frameWidth: fw, frameHeight: fh } = d;
  const clip = (v: number, hi: number) => (v < 0 ? 0 : v > hi ? hi : v);
  return kept.map((k): Detection => {
    const cls = classes[k];
    return {
      cls,
      name: nameOf(d.names, cls),
      score: Math.round(scores[k] * 1e4) / 1e4,
      box: [
        round1(clip((boxes[4 * k] - padX) / scale, fw)),
        round1(clip((boxes[4 * k + 1] - padY) / scale, fh)),
        round1(clip((boxes[4 * k + 2] - padX) / scale, fw)),
        round1(clip((boxes[4 * k + 3] - padY) / scale, fh)),
      ],
    };
  });
}
